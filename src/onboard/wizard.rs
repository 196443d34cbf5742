//! The questions of `ccgw init`, asked with inquire on the terminal (prompts render on stderr).
//! A flag given on the command line answers its question, which is then not asked. Nothing is
//! written here: Ctrl-C or Esc at any prompt ends `init` with exit 130 and no trace.

use std::fmt;
use std::path::PathBuf;

use anyhow::Result;
use inquire::validator::Validation;
use inquire::{Confirm, InquireError, Password, Select, Text};

use super::{
    Answers, DEFAULT_GATEWAY, JwtAnswers, KeyAnswers, Secret, SecretKind, Signing, VaultAnswers,
    check_gateway, check_gateway_key, check_name, models, parse_claim, parse_header, parse_ttl,
    profile_from_answers,
};
use crate::claude::layers::Scope;
use crate::cli::InitArgs;
use crate::config::{self, Mode, SourceKind, VaultAuth};
use crate::error::{self, Failure};

/// Ctrl-C (or Esc) at a prompt: one line, exit 130, nothing written.
pub fn cancelled() -> anyhow::Error {
    Failure {
        code: error::code::INTERRUPTED,
        message: "cancelled; nothing was written".into(),
        hint: None,
    }
    .into()
}

/// A prompt's answer, with Ctrl-C and Esc turned into [`cancelled`].
pub fn answer<T>(r: Result<T, InquireError>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(InquireError::OperationInterrupted | InquireError::OperationCanceled) => {
            Err(cancelled())
        }
        Err(e) => Err(anyhow::Error::new(e).context("the prompt failed")),
    }
}

/// A Select option: the value and the line shown for it.
struct Choice<T> {
    value: T,
    label: &'static str,
}

impl<T> fmt::Display for Choice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label)
    }
}

fn choose<T: Copy>(message: &str, help: &str, choices: Vec<Choice<T>>) -> Result<T> {
    // Once answered, the line shows the choice's name, not its explanation.
    let short = |o: inquire::list_option::ListOption<&Choice<T>>| {
        o.value
            .label
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let picked = answer(
        Select::new(message, choices)
            .with_help_message(help)
            .with_page_size(8)
            .with_formatter(&short)
            .prompt(),
    )?;
    Ok(picked.value)
}

fn text_validated(
    message: &str,
    default: Option<&str>,
    help: &str,
    check: fn(&str) -> Result<(), String>,
) -> Result<String> {
    let mut t = Text::new(message)
        .with_help_message(help)
        .with_validator(move |s: &str| {
            Ok(match check(s.trim()) {
                Ok(()) => Validation::Valid,
                Err(e) => Validation::Invalid(e.into()),
            })
        });
    if let Some(d) = default {
        t = t.with_default(d);
    }
    Ok(answer(t.prompt())?.trim().to_owned())
}

fn required(message: &str, default: Option<&str>, help: &str) -> Result<String> {
    text_validated(message, default, help, |s| {
        if s.is_empty() {
            Err("an answer is required".into())
        } else {
            Ok(())
        }
    })
}

/// Empty answer → `None`.
fn optional(message: &str, help: &str) -> Result<Option<String>> {
    let s = answer(Text::new(message).with_help_message(help).prompt())?;
    Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty()))
}

/// The profile name: `--profile` answers it; otherwise asked, `default` offered.
pub fn ask_name() -> Result<String> {
    text_validated(
        "Profile name:",
        Some(super::DEFAULT_PROFILE_NAME),
        "a name for this gateway setup; `ccgw --profile NAME …` selects it",
        check_name,
    )
}

/// Replace an existing profile? (Only asked without --force.)
pub fn confirm_replace(name: &str, config: &std::path::Path) -> Result<bool> {
    answer(
        Confirm::new(&format!(
            "Profile `{name}` already exists in {}. Replace it?",
            config.display()
        ))
        .with_default(false)
        .prompt(),
    )
}

/// Make the new profile the default instead of `old`?
pub fn confirm_default(name: &str, old: &str) -> Result<bool> {
    answer(
        Confirm::new(&format!(
            "Make `{name}` the default profile instead of `{old}`?"
        ))
        .with_default(false)
        .with_help_message(&format!(
            "settings files ccgw wrote for `{old}` would then be rewritten for `{name}`"
        ))
        .prompt(),
    )
}

/// The last question: write what was shown?
pub fn confirm_write() -> Result<bool> {
    answer(Confirm::new("Write these?").with_default(true).prompt())
}

/// Ask every question the flags left open. Returns the answers and, for a keyring secret, the
/// secret (taken with a hidden prompt).
pub fn ask(args: &InitArgs, name: &str) -> Result<(Answers, Option<Secret>)> {
    let gateway = match &args.gateway {
        Some(g) => {
            check_gateway(g).map_err(|e| error::config(format!("--gateway: {e}"), None))?;
            g.clone()
        }
        None => text_validated(
            "Gateway URL:",
            Some(DEFAULT_GATEWAY),
            "the gateway's base URL (LiteLLM listens on http://localhost:4000 by default)",
            check_gateway,
        )?,
    };
    let mode = match args.mode {
        Some(m) => m,
        None => choose(
            "How should Claude Code reach the gateway?",
            "unified: the gateway's own Anthropic-compatible API (any model it routes); the others pass requests through to one provider's API",
            vec![
                Choice {
                    value: Mode::Unified,
                    label: "unified    the gateway's Anthropic-compatible /v1/messages (recommended)",
                },
                Choice {
                    value: Mode::Anthropic,
                    label: "anthropic  pass-through to Anthropic via {gateway}/anthropic",
                },
                Choice {
                    value: Mode::Bedrock,
                    label: "bedrock    pass-through to AWS Bedrock via {gateway}/bedrock",
                },
                Choice {
                    value: Mode::Vertex,
                    label: "vertex     pass-through to Google Vertex AI via {gateway}/vertex_ai",
                },
            ],
        )?,
    };
    let mut bedrock_region = None;
    let (mut vertex_project, mut vertex_region) = (None, None);
    match mode {
        Mode::Bedrock => {
            bedrock_region = Some(match &args.bedrock_region {
                Some(r) => r.clone(),
                None => required(
                    "AWS region:",
                    Some("us-east-1"),
                    "the Bedrock region, e.g. us-east-1",
                )?,
            });
        }
        Mode::Vertex => {
            vertex_project = Some(match &args.vertex_project {
                Some(p) => p.clone(),
                None => required(
                    "GCP project:",
                    None,
                    "the Google Cloud project id for Vertex AI",
                )?,
            });
            vertex_region = match &args.vertex_region {
                Some(r) => Some(r.clone()),
                None => {
                    let r = required(
                        "Vertex region:",
                        Some(config::DEFAULT_VERTEX_REGION),
                        "the Vertex AI region",
                    )?;
                    // The default is Claude Code's own: leave it out of the profile.
                    Some(r).filter(|r| r != config::DEFAULT_VERTEX_REGION)
                }
            };
        }
        _ => {}
    }

    let source = match args.key_source {
        Some(s) => s,
        None => choose(
            "Where does the gateway key come from?",
            "ccgw fetches it for Claude Code (as its apiKeyHelper) and caches it for the key TTL",
            vec![
                Choice {
                    value: SourceKind::Keyring,
                    label: "keyring  the OS keyring (you type the key now; it is stored there)",
                },
                Choice {
                    value: SourceKind::Vault,
                    label: "vault    HashiCorp Vault or OpenBao",
                },
                Choice {
                    value: SourceKind::Jwt,
                    label: "jwt      mint a short-lived JWT signed locally",
                },
                Choice {
                    value: SourceKind::Command,
                    label: "command  the first line printed by a command",
                },
                Choice {
                    value: SourceKind::Env,
                    label: "env      an environment variable",
                },
            ],
        )?,
    };
    let (key, secret) = ask_key(args, source)?;

    let key_ttl = match args.key_ttl {
        Some(t) => Some(t),
        None => {
            let default = humantime::format_duration(config::DEFAULT_KEY_TTL).to_string();
            let t = text_validated(
                "Key TTL:",
                Some(&default),
                "how long a fetched key is reused, e.g. 55m (at least 10s)",
                |s| parse_ttl(s).map(|_| ()),
            )?;
            Some(parse_ttl(&t).map_err(|e| error::config(e, None))?)
        }
    };

    let headers = if args.headers.is_empty() {
        ask_pairs(
            "Extra request header (Name: value), empty to finish:",
            "sent on every request, e.g. x-team: platform",
            parse_header,
        )?
    } else {
        args.headers
            .iter()
            .map(|h| parse_header(h).map_err(|e| error::config(format!("--header: {e}"), None)))
            .collect::<Result<_>>()?
    };

    let mut answers = Answers {
        name: name.to_owned(),
        gateway,
        mode,
        bedrock_region,
        vertex_project,
        vertex_region,
        key_ttl,
        model: None,
        headers,
        key,
        scope: None,
    };
    answers.model = match &args.model {
        Some(m) => Some(m.clone()).filter(|m| !m.trim().is_empty()),
        None => ask_model(&answers, secret.as_ref())?,
    };
    answers.scope = match args.scope {
        Some(s) => s.scope(),
        None => ask_scope()?,
    };
    Ok((answers, secret))
}

fn ask_key(args: &InitArgs, source: SourceKind) -> Result<(KeyAnswers, Option<Secret>)> {
    Ok(match source {
        SourceKind::Keyring => {
            let secret = ask_secret(SecretKind::GatewayKey)?;
            (KeyAnswers::Keyring, Some(secret))
        }
        SourceKind::Vault => (KeyAnswers::Vault(ask_vault(args)?), None),
        SourceKind::Jwt => {
            let algorithm = match &args.jwt_algorithm {
                Some(a) => super::check_algorithm(a)
                    .map_err(|e| error::config(format!("--jwt-algorithm: {e}"), None))?,
                None => answer(
                    Select::new(
                        "JWT signing algorithm:",
                        config::rules::JWT_ALGORITHMS.to_vec(),
                    )
                    .with_help_message(
                        "HS* sign with a shared secret; the others with a private key (PEM)",
                    )
                    .prompt(),
                )?
                .to_owned(),
            };
            let (signing, secret) = match (&args.jwt_secret_env, &args.jwt_key_file) {
                (Some(v), _) => (Signing::Env(v.clone()), None),
                (None, Some(f)) => (Signing::File(f.clone()), None),
                (None, None) => {
                    #[derive(Clone, Copy)]
                    enum Where {
                        Keyring,
                        Env,
                        File,
                    }
                    match choose(
                        "Where is the signing key?",
                        "the key never goes into the config file",
                        vec![
                            Choice {
                                value: Where::Keyring,
                                label: "keyring  type it now; stored in the OS keyring",
                            },
                            Choice {
                                value: Where::Env,
                                label: "env      an environment variable",
                            },
                            Choice {
                                value: Where::File,
                                label: "file     a PEM file",
                            },
                        ],
                    )? {
                        Where::Keyring => (
                            Signing::Keyring,
                            Some(ask_secret(SecretKind::JwtSigningKey)?),
                        ),
                        Where::Env => (
                            Signing::Env(required(
                                "Variable holding the signing key:",
                                None,
                                "e.g. CCGW_JWT_SECRET",
                            )?),
                            None,
                        ),
                        Where::File => (
                            Signing::File(PathBuf::from(required(
                                "PEM file:",
                                None,
                                "path of the private key",
                            )?)),
                            None,
                        ),
                    }
                }
            };
            let ttl = match args.jwt_ttl {
                Some(t) => Some(t),
                None => optional("JWT lifetime (empty: the key TTL):", "e.g. 15m")?
                    .map(|t| {
                        parse_ttl(&t).map_err(|e| error::config(format!("JWT lifetime: {e}"), None))
                    })
                    .transpose()?,
            };
            let claims = if args.jwt_claims.is_empty() {
                ask_pairs(
                    "Extra claim (name=value), empty to finish:",
                    "templates: {user} {host} {profile} {env:VAR}",
                    parse_claim,
                )?
            } else {
                args.jwt_claims
                    .iter()
                    .map(|c| {
                        parse_claim(c).map_err(|e| error::config(format!("--jwt-claim: {e}"), None))
                    })
                    .collect::<Result<_>>()?
            };
            (
                KeyAnswers::Jwt(JwtAnswers {
                    algorithm,
                    signing,
                    ttl,
                    claims,
                }),
                secret,
            )
        }
        SourceKind::Command => (
            KeyAnswers::Command(match &args.command {
                Some(c) => c.clone(),
                None => required(
                    "Command that prints the key:",
                    None,
                    "run without a shell; the first line of its output is the key",
                )?,
            }),
            None,
        ),
        SourceKind::Env => (
            KeyAnswers::Env(match &args.env_var {
                Some(v) => v.clone(),
                None => required(
                    "Environment variable holding the key:",
                    None,
                    "e.g. LITELLM_API_KEY",
                )?,
            }),
            None,
        ),
    })
}

fn ask_vault(args: &InitArgs) -> Result<VaultAnswers> {
    let addr = match &args.vault_addr {
        Some(a) => Some(a.clone()),
        None => optional(
            "Vault address (empty: $VAULT_ADDR at run time):",
            "e.g. https://vault.example.com:8200",
        )?,
    };
    let mount = match &args.vault_mount {
        Some(m) => Some(m.clone()),
        None => Some(required(
            "KV mount:",
            Some("secret"),
            "the KV secrets engine's mount",
        )?)
        .filter(|m| m != "secret"),
    };
    let path = match &args.vault_path {
        Some(p) => p.clone(),
        None => required(
            "Secret path:",
            None,
            "the secret's path inside the mount, e.g. team/litellm",
        )?,
    };
    let field = match &args.vault_field {
        Some(f) => Some(f.clone()),
        None => Some(required(
            "Field:",
            Some("api_key"),
            "the secret's field holding the key",
        )?)
        .filter(|f| f != "api_key"),
    };
    let auth = match args.vault_auth {
        Some(a) => a,
        None => choose(
            "Vault auth method:",
            "how ccgw logs in to Vault",
            vec![
                Choice {
                    value: VaultAuth::Token,
                    label: "token       $VAULT_TOKEN, ~/.vault-token or the keyring",
                },
                Choice {
                    value: VaultAuth::Approle,
                    label: "approle     role id + secret id",
                },
                Choice {
                    value: VaultAuth::Kubernetes,
                    label: "kubernetes  the pod's service account",
                },
                Choice {
                    value: VaultAuth::Jwt,
                    label: "jwt         a JWT from a file",
                },
                Choice {
                    value: VaultAuth::Userpass,
                    label: "userpass    user name; password from the keyring",
                },
            ],
        )?,
    };
    let mut v = VaultAnswers {
        addr,
        mount,
        path,
        field,
        auth,
        ..VaultAnswers::default()
    };
    let file = |s: Option<String>| s.map(PathBuf::from);
    match auth {
        VaultAuth::Token => {}
        VaultAuth::Approle => {
            v.role_id = Some(match &args.vault_role_id {
                Some(r) => r.clone(),
                None => required("AppRole role id:", None, "")?,
            });
            v.secret_id_file = match &args.vault_secret_id_file {
                Some(f) => Some(f.clone()),
                None => file(optional(
                    "File holding the secret id (empty: the keyring):",
                    "",
                )?),
            };
        }
        VaultAuth::Kubernetes => {
            v.role = Some(match &args.vault_role {
                Some(r) => r.clone(),
                None => required("Vault role:", None, "")?,
            });
            v.jwt_file = args.vault_jwt_file.clone();
        }
        VaultAuth::Jwt => {
            v.jwt_file = Some(match &args.vault_jwt_file {
                Some(f) => f.clone(),
                None => PathBuf::from(required("File holding the JWT:", None, "")?),
            });
            v.role = match &args.vault_role {
                Some(r) => Some(r.clone()),
                None => optional("Vault role (empty: the mount's default):", "")?,
            };
        }
        VaultAuth::Userpass => {
            v.username = Some(match &args.vault_username {
                Some(u) => u.clone(),
                None => required(
                    "Vault user name:",
                    None,
                    "the password is read from the keyring",
                )?,
            });
        }
    }
    Ok(v)
}

/// A secret, typed without echo. One entry, no confirmation: a mistyped key shows up at once
/// in the doctor run that ends `init`, and `ccgw secret set` replaces it.
fn ask_secret(kind: SecretKind) -> Result<Secret> {
    let message = format!("{} (hidden):", capitalised(kind.what()));
    let mut p = Password::new(&message)
        .without_confirmation()
        .with_help_message("stored in the OS keyring, never in a file");
    p = match kind {
        SecretKind::GatewayKey => p.with_validator(|s: &str| {
            Ok(match check_gateway_key(s) {
                Ok(()) => Validation::Valid,
                Err(e) => Validation::Invalid(e.into()),
            })
        }),
        SecretKind::JwtSigningKey => p.with_validator(|s: &str| {
            Ok(if s.trim().is_empty() {
                Validation::Invalid("the signing key is empty".into())
            } else {
                Validation::Valid
            })
        }),
    };
    Ok(Secret(answer(p.prompt())?))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Repeated one-line answers until an empty one.
fn ask_pairs(
    message: &str,
    help: &str,
    parse: fn(&str) -> Result<(String, String), String>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let line = answer(
            Text::new(message)
                .with_help_message(help)
                .with_validator(move |s: &str| {
                    Ok(match s.trim() {
                        "" => Validation::Valid,
                        t => match parse(t) {
                            Ok(_) => Validation::Valid,
                            Err(e) => Validation::Invalid(e.into()),
                        },
                    })
                })
                .prompt(),
        )?;
        if line.trim().is_empty() {
            return Ok(out);
        }
        out.push(parse(line.trim()).map_err(|e| error::config(e, None))?);
    }
}

/// The model: a Select of what the gateway lists when it answers, else free text. Only in the
/// Messages-API modes: in bedrock/vertex the model id is the provider's, which the gateway's
/// list does not name.
fn ask_model(a: &Answers, secret: Option<&Secret>) -> Result<Option<String>> {
    const NONE: &str = "(none: Claude Code's default)";
    const OTHER: &str = "(another name…)";
    let listed = match a.mode {
        Mode::Unified | Mode::Anthropic => {
            let profile = profile_from_answers(a);
            let base = crate::plan::plan(
                &a.name,
                &profile,
                &crate::plan::HelperSpec {
                    program: String::new(),
                    config: None,
                },
            )
            .get("ANTHROPIC_BASE_URL")
            .map(str::to_owned)
            .unwrap_or_else(|| profile.gateway_base().to_owned());
            let key = match (secret, &a.key) {
                (Some(s), KeyAnswers::Keyring) => Some(s.0.clone()),
                (_, KeyAnswers::Keyring) => None,
                // Other sources: ask them now, as `ccgw key` would; no key is fine too.
                _ => crate::key::fetch(&a.name, &profile).ok().map(|f| f.key),
            };
            eprintln!("asking {base}/v1/models for the gateway's models…");
            models::list(&base, &profile, key.as_deref())
        }
        Mode::Bedrock | Mode::Vertex => Vec::new(),
    };
    if !listed.is_empty() {
        let mut options: Vec<String> = vec![NONE.to_owned()];
        options.extend(listed);
        options.push(OTHER.to_owned());
        let picked = answer(
            Select::new("Model (ANTHROPIC_MODEL):", options)
                .with_help_message("the models the gateway lists; type to filter")
                .with_page_size(10)
                .prompt(),
        )?;
        return match picked.as_str() {
            NONE => Ok(None),
            OTHER => optional("Model name:", "")?.map_or(Ok(None), |m| Ok(Some(m))),
            _ => Ok(Some(picked)),
        };
    }
    optional(
        "Model (empty: Claude Code's default):",
        "a model name the gateway knows, for ANTHROPIC_MODEL",
    )
}

fn ask_scope() -> Result<Option<Scope>> {
    choose(
        "Where should Claude Code's settings be written?",
        "ccgw writes only the gateway keys (env + apiKeyHelper) and can undo them with `ccgw settings remove`",
        vec![
            Choice {
                value: Some(Scope::User),
                label: "user     ~/.claude/settings.json: every project (recommended)",
            },
            Choice {
                value: Some(Scope::Project),
                label: "project  .claude/settings.json here, shared in git; applied after Claude Code's workspace trust prompt",
            },
            Choice {
                value: Some(Scope::Local),
                label: "local    .claude/settings.local.json here, not committed; applied after the workspace trust prompt",
            },
            Choice {
                value: Some(Scope::Managed),
                label: "managed  machine-wide managed settings, for administrators (needs root)",
            },
            Choice {
                value: None,
                label: "none     no settings file: use `eval \"$(ccgw env)\"` or `ccgw exec -- claude`",
            },
        ],
    )
}
