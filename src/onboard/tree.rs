//! The question tree of `ccgw init`: which question follows which answer, and the profile
//! the answers make. Walked the same way whoever answers (`ask::Ask`); a flag given on the
//! command line answers its question, held to the question's rule, and is not asked.
//!
//! Order: gateway, mode and the mode's fields, key source and the source's fields (with the
//! secret typed for the keyring), key TTL, headers, model, settings scope. With
//! `--non-interactive` a missing flag is named in that order.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use indexmap::IndexMap;

use super::ask::{Ask, Text};
use super::questions::{self as q, SigningKey};
use super::{FlagError, SecretKind, parse_claim, parse_header, parse_ttl};
use crate::claude::layers::Scope;
use crate::cli::InitArgs;
use crate::config::{
    self, Bedrock, CommandSource, EnvSource, JwtSource, KeySource, KeyringSource, Mode, OidcSource,
    Profile, SourceKind, VaultAuth, VaultSource, Vertex, rules,
};
use crate::error;
use crate::secret_input::NewSecret;

/// What `init` writes: the profile, the settings layer (`None`: no settings file) and the
/// secret it stores in the keyring.
#[derive(Debug)]
pub struct Setup {
    pub profile: Profile,
    pub scope: Option<Scope>,
    pub secret: Option<(SecretKind, NewSecret)>,
}

/// The new profile's name: `--profile` (held to the name rule), else asked.
pub fn profile_name(ask: &mut dyn Ask, given: Option<&str>) -> Result<String> {
    text(ask, &q::NAME, given)
}

/// Every question the flags leave open, in order.
pub fn walk(ask: &mut dyn Ask, args: &InitArgs, name: &str) -> Result<Setup> {
    let gateway = text(ask, &q::GATEWAY, args.gateway.as_deref())?;
    let mode = picked(ask, &q::MODE, args.mode)?;
    let (bedrock, vertex) = provider(ask, args, mode)?;
    let source = picked(ask, &q::KEY_SOURCE, args.key_source)?;
    let mut secret = None;
    let key = key_source(ask, args, source, &mut secret)?;
    let key_ttl = duration(ask, &q::KEY_TTL, args.key_ttl)?.unwrap_or(config::DEFAULT_KEY_TTL);
    let headers = pairs(ask, &q::HEADER, &args.headers, parse_header)?;
    let mut profile = Profile {
        gateway,
        mode,
        key_ttl,
        model: None,
        models: config::Models::default(),
        headers: headers.into_iter().collect(),
        env: IndexMap::new(),
        model_discovery: false,
        hint_headers: false,
        bedrock,
        vertex,
        tls: None,
        key,
    };
    let typed = secret.as_ref().and_then(|s: &Pending| s.typed.as_ref());
    profile.model = model(ask, args, name, &profile, typed)?;
    let scope = picked(ask, &q::SCOPE, args.scope)?.scope();
    let secret = match secret {
        Some(Pending {
            kind,
            typed: Some(s),
        }) => Some((kind, s)),
        Some(Pending { kind, typed: None }) => Some((kind, ask.secret(kind)?)),
        None => None,
    };
    Ok(Setup {
        profile,
        scope,
        secret,
    })
}

/// What is left to ask when a published profile (`init --from`) answered the rest: the
/// secret it gives no other home (a keyring gateway key, a keyring JWT signing key), and where
/// to write Claude Code's settings.
pub fn published(ask: &mut dyn Ask, args: &InitArgs, profile: Profile) -> Result<Setup> {
    let kind = match &profile.key {
        KeySource::Keyring(_) => Some(SecretKind::GatewayKey),
        KeySource::Jwt(j) if j.secret_env.is_none() && j.key_file.is_none() => {
            Some(SecretKind::JwtSigningKey)
        }
        _ => None,
    };
    let pending = kind.map(|k| pending(ask, k)).transpose()?;
    let scope = picked(ask, &q::SCOPE, args.scope)?.scope();
    let secret = match pending {
        Some(Pending {
            kind,
            typed: Some(s),
        }) => Some((kind, s)),
        Some(Pending { kind, typed: None }) => Some((kind, ask.secret(kind)?)),
        None => None,
    };
    Ok(Setup {
        profile,
        scope,
        secret,
    })
}

/// A secret the answers call for: typed where its question stands, or (an asker that
/// defers secrets) after the last question.
struct Pending {
    kind: SecretKind,
    typed: Option<NewSecret>,
}

fn pending(ask: &mut dyn Ask, kind: SecretKind) -> Result<Pending> {
    let typed = if ask.defers_secrets() {
        None
    } else {
        Some(ask.secret(kind)?)
    };
    Ok(Pending { kind, typed })
}

/// A flag's value, held to its question's rule.
fn flag_value<'a>(q: &Text, value: &'a str) -> Result<&'a str> {
    (q.check)(value).map_err(|e| FlagError::Invalid(format!("{}: {e}", q.flag)))?;
    Ok(value)
}

/// A required text answer.
fn text(ask: &mut dyn Ask, q: &Text, given: Option<&str>) -> Result<String> {
    match given {
        Some(v) => Ok(flag_value(q, v)?.to_owned()),
        None => ask
            .text(q)?
            .ok_or_else(|| FlagError::Missing(q.flag).into()),
    }
}

/// An optional text answer.
fn optional(ask: &mut dyn Ask, q: &Text, given: Option<&str>) -> Result<Option<String>> {
    match given {
        Some(v) => Ok(Some(flag_value(q, v)?.to_owned())),
        None => ask.text(q),
    }
}

/// A text answer whose default is the consumer's own: answering the default (or, with
/// `--non-interactive`, giving no flag) leaves it out of the profile; a flag is kept as given.
fn unless_default(ask: &mut dyn Ask, q: &Text, given: Option<&str>) -> Result<Option<String>> {
    match given {
        Some(v) => Ok(Some(flag_value(q, v)?.to_owned())),
        None => Ok(ask
            .text(q)?
            .filter(|a| Some(a.as_str()) != q.default_text())),
    }
}

fn path(ask: &mut dyn Ask, q: &Text, given: Option<&PathBuf>) -> Result<PathBuf> {
    match given {
        Some(p) => Ok(p.clone()),
        None => text(ask, q, None).map(PathBuf::from),
    }
}

fn optional_path(ask: &mut dyn Ask, q: &Text, given: Option<&PathBuf>) -> Result<Option<PathBuf>> {
    match given {
        Some(p) => Ok(Some(p.clone())),
        None => Ok(ask.text(q)?.map(PathBuf::from)),
    }
}

/// A key lifetime (`config::rules::key_lifetime`); `None`: no answer.
fn duration(ask: &mut dyn Ask, q: &Text, given: Option<Duration>) -> Result<Option<Duration>> {
    if let Some(d) = given {
        rules::key_lifetime(d)
            .map_err(|b| FlagError::Invalid(format!("{}: {}", q.flag, String::from(b))))?;
        return Ok(Some(d));
    }
    ask.text(q)?
        .map(|t| parse_ttl(&t).map_err(|e| error::config(e, None)))
        .transpose()
}

/// Repeated pairs: the flags' (each held to `parse`), else asked until an empty answer.
fn pairs(
    ask: &mut dyn Ask,
    q: &Text,
    given: &[String],
    parse: fn(&str) -> Result<(String, String), String>,
) -> Result<Vec<(String, String)>> {
    if !given.is_empty() {
        return given
            .iter()
            .map(|g| parse(g).map_err(|e| FlagError::Invalid(format!("{}: {e}", q.flag)).into()))
            .collect();
    }
    let mut out = Vec::new();
    while let Some(line) = ask.text(q)? {
        out.push(parse(&line).map_err(|e| error::config(e, None))?);
    }
    Ok(out)
}

/// A menu's value: the flag's, else picked.
fn picked<T: Copy + PartialEq>(ask: &mut dyn Ask, m: &q::Menu<T>, given: Option<T>) -> Result<T> {
    match given {
        Some(v) => Ok(v),
        None => m.ask(ask),
    }
}

/// The mode's own fields.
fn provider(
    ask: &mut dyn Ask,
    args: &InitArgs,
    mode: Mode,
) -> Result<(Option<Bedrock>, Option<Vertex>)> {
    Ok(match mode {
        Mode::Bedrock => {
            let region = text(ask, &q::BEDROCK_REGION, args.bedrock_region.as_deref())?;
            (Some(Bedrock { region }), None)
        }
        Mode::Vertex => {
            let project = text(ask, &q::VERTEX_PROJECT, args.vertex_project.as_deref())?;
            let region = unless_default(ask, &q::VERTEX_REGION, args.vertex_region.as_deref())?;
            (None, Some(Vertex { project, region }))
        }
        Mode::Unified | Mode::Anthropic => (None, None),
    })
}

fn key_source(
    ask: &mut dyn Ask,
    args: &InitArgs,
    kind: SourceKind,
    secret: &mut Option<Pending>,
) -> Result<KeySource> {
    Ok(match kind {
        SourceKind::Keyring => {
            *secret = Some(pending(ask, SecretKind::GatewayKey)?);
            KeySource::Keyring(KeyringSource::default())
        }
        SourceKind::Vault => KeySource::Vault(vault(ask, args)?),
        SourceKind::Jwt => KeySource::Jwt(jwt(ask, args, secret)?),
        SourceKind::Command => KeySource::Command(CommandSource {
            command: text(ask, &q::COMMAND, args.command.as_deref())?,
            ..CommandSource::default()
        }),
        SourceKind::Env => KeySource::Env(EnvSource {
            var: text(ask, &q::ENV_VAR, args.env_var.as_deref())?,
        }),
        SourceKind::Oidc => KeySource::Oidc(oidc(ask, args)?),
    })
}

fn oidc(ask: &mut dyn Ask, args: &InitArgs) -> Result<OidcSource> {
    let issuer = text(ask, &q::OIDC_ISSUER, args.oidc_issuer.as_deref())?;
    let client_id = text(ask, &q::OIDC_CLIENT_ID, args.oidc_client_id.as_deref())?;
    let flow = picked(ask, &q::OIDC_FLOW, args.oidc_flow)?;
    let token = picked(ask, &q::OIDC_TOKEN, args.oidc_token)?;
    let scopes = pairs(ask, &q::OIDC_SCOPE, &args.oidc_scopes, |s| {
        (q::OIDC_SCOPE.check)(s).map(|()| (s.to_owned(), String::new()))
    })?;
    Ok(OidcSource {
        issuer,
        client_id,
        scopes: oidc_scopes(scopes.into_iter().map(|(s, _)| s).collect()),
        audience: args.oidc_audience.clone(),
        flow,
        token,
        ..OidcSource::default()
    })
}

/// The scopes asked for: none given is the default; `openid` is always among them (an OpenID
/// Connect sign-in without it gets no ID token and no `sub`).
fn oidc_scopes(given: Vec<String>) -> Vec<String> {
    if given.is_empty() {
        return crate::config::default_oidc_scopes();
    }
    let mut scopes = given;
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    scopes.dedup();
    scopes
}

fn vault(ask: &mut dyn Ask, args: &InitArgs) -> Result<VaultSource> {
    // Struct fields are evaluated in the order written: the order they are asked.
    let addr = optional(ask, &q::VAULT_ADDR, args.vault_addr.as_deref())?;
    let kv_flags =
        args.vault_path.is_some() || args.vault_mount.is_some() || args.vault_field.is_some();
    let reads = match (&args.vault_identity_role, kv_flags) {
        (Some(_), _) => q::VaultReads::IdentityToken,
        (None, true) => q::VaultReads::Secret,
        (None, false) => q::VAULT_READS.ask(ask)?,
    };
    let mut v = match reads {
        q::VaultReads::Secret => VaultSource {
            addr,
            mount: unless_default(ask, &q::VAULT_MOUNT, args.vault_mount.as_deref())?,
            path: text(ask, &q::VAULT_PATH, args.vault_path.as_deref())?,
            field: unless_default(ask, &q::VAULT_FIELD, args.vault_field.as_deref())?,
            ..VaultSource::default()
        },
        q::VaultReads::IdentityToken => VaultSource {
            addr,
            identity_role: Some(text(
                ask,
                &q::VAULT_IDENTITY_ROLE,
                args.vault_identity_role.as_deref(),
            )?),
            ..VaultSource::default()
        },
    };
    v.auth = picked(ask, &q::VAULT_AUTH, args.vault_auth)?;
    match v.auth {
        VaultAuth::Token => {}
        VaultAuth::Approle => {
            v.role_id = Some(text(ask, &q::VAULT_ROLE_ID, args.vault_role_id.as_deref())?);
            v.secret_id_file = optional_path(
                ask,
                &q::VAULT_SECRET_ID_FILE,
                args.vault_secret_id_file.as_ref(),
            )?;
        }
        VaultAuth::Kubernetes => {
            v.role = Some(text(ask, &q::VAULT_ROLE, args.vault_role.as_deref())?);
            v.jwt_file = args.vault_jwt_file.clone();
        }
        VaultAuth::Jwt => {
            v.jwt_file = Some(path(ask, &q::VAULT_JWT_FILE, args.vault_jwt_file.as_ref())?);
            v.role = optional(ask, &q::VAULT_JWT_ROLE, args.vault_role.as_deref())?;
        }
        VaultAuth::Userpass => {
            v.username = Some(text(
                ask,
                &q::VAULT_USERNAME,
                args.vault_username.as_deref(),
            )?);
        }
    }
    Ok(v)
}

fn jwt(ask: &mut dyn Ask, args: &InitArgs, secret: &mut Option<Pending>) -> Result<JwtSource> {
    let algorithm = match &args.jwt_algorithm {
        Some(a) => rules::jwt_algorithm(a.trim())
            .map_err(|b| FlagError::Invalid(format!("--jwt-algorithm: {}", String::from(b))))?,
        None => rules::JWT_ALGORITHMS[ask.choose(&q::jwt_algorithm())?],
    };
    let (secret_env, key_file) = match (&args.jwt_secret_env, &args.jwt_key_file) {
        (Some(_), Some(_)) => {
            return Err(FlagError::Invalid(
                "--jwt-secret-env and --jwt-key-file exclude each other: the signing key has one home".into(),
            )
            .into());
        }
        (Some(var), None) => (Some(var.clone()), None),
        (None, Some(file)) => (None, Some(file.clone())),
        (None, None) => match q::SIGNING_KEY.ask(ask)? {
            SigningKey::Keyring => {
                *secret = Some(pending(ask, SecretKind::JwtSigningKey)?);
                (None, None)
            }
            SigningKey::Env => (Some(text(ask, &q::JWT_SECRET_ENV, None)?), None),
            SigningKey::File => (None, Some(path(ask, &q::JWT_KEY_FILE, None)?)),
        },
    };
    let ttl = duration(ask, &q::JWT_TTL, args.jwt_ttl)?;
    let claims = pairs(ask, &q::JWT_CLAIM, &args.jwt_claims, parse_claim)?
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    Ok(JwtSource {
        algorithm: algorithm.to_owned(),
        secret_env,
        key_file,
        ttl,
        claims,
        ..JwtSource::default()
    })
}

/// The model: the flag's (empty: none), else picked from what the gateway lists, else typed.
/// Only the Messages-API modes list: in bedrock/vertex the model id is the provider's, which
/// the gateway's list does not name.
fn model(
    ask: &mut dyn Ask,
    args: &InitArgs,
    name: &str,
    profile: &Profile,
    secret: Option<&NewSecret>,
) -> Result<Option<String>> {
    if let Some(m) = &args.model {
        return Ok(Some(m.clone()).filter(|m| !m.trim().is_empty()));
    }
    let listed = match profile.mode {
        Mode::Unified | Mode::Anthropic => ask.models(name, profile, secret),
        Mode::Bedrock | Mode::Vertex => Vec::new(),
    };
    if listed.is_empty() {
        return ask.text(&q::MODEL);
    }
    Ok(match ask.choose(&q::listed_models(&listed))? {
        0 => None,
        i if i > listed.len() => ask.text(&q::MODEL_NAME)?,
        i => Some(listed[i - 1].clone()),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::onboard::ask::{FlagsOnly, Reply, Scripted};
    use crate::onboard::questions::{NO_MODEL, OTHER_MODEL};

    use Reply::{Pick, Secret, Text as T};

    fn args(flags: &[&str]) -> InitArgs {
        let argv = ["ccgw", "init"].iter().chain(flags);
        match crate::cli::Cli::parse_from(argv).command {
            crate::cli::Command::Init(a) => a,
            _ => unreachable!(),
        }
    }

    /// `--non-interactive` with `sk-stdin` on stdin.
    fn flags(flags: &[&str]) -> Result<Setup> {
        let mut ask = FlagsOnly::with_stdin(|_| Ok(NewSecret("sk-stdin".into())));
        walk(&mut ask, &args(flags), "p")
    }

    /// The wizard with `flags` on its command line, answered by `script`.
    fn wizard(flags: &[&str], script: &[(&'static str, Reply)]) -> (Setup, Scripted) {
        wizard_listing(flags, &[], script)
    }

    fn wizard_listing(
        flags: &[&str],
        models: &[&str],
        script: &[(&'static str, Reply)],
    ) -> (Setup, Scripted) {
        let mut ask = Scripted::new(script);
        ask.models = models.iter().map(|m| (*m).to_owned()).collect();
        let setup = walk(&mut ask, &args(flags), "p").unwrap();
        ask.finish();
        (setup, ask)
    }

    /// The message of a config error (exit 2).
    fn refusal(r: Result<Setup>) -> String {
        let e = r.unwrap_err();
        let f = e.downcast_ref::<error::Failure>().expect("a Failure");
        assert_eq!(f.code, error::code::USAGE, "{e:#}");
        f.message.clone()
    }

    /// The profile survives the config's own parser (what `Editor::render` checks).
    fn round_trip(p: &Profile) -> Profile {
        let file = config::ConfigFile {
            default_profile: None,
            profiles: [("p".to_owned(), p.clone())].into_iter().collect(),
        };
        let text = toml::to_string(&file).unwrap();
        config::parse(std::path::Path::new("t.toml"), &text)
            .unwrap_or_else(|e| panic!("{e:#}\n{text}"))
            .profiles["p"]
            .clone()
    }

    fn profile(f: &[&str]) -> Profile {
        round_trip(&flags(f).unwrap().profile)
    }

    const ENV: &[&str] = &["--key-source", "env", "--env-var", "GW_KEY"];
    const GW: &[&str] = &["--gateway", "http://gw:4000"];

    #[test]
    fn the_first_missing_flag_is_named() {
        let missing = |f: &[&str]| refusal(flags(f));
        let named = |flag: &str| format!("{flag} is required with --non-interactive");
        assert_eq!(missing(&[]), named("--gateway"));
        assert_eq!(missing(GW), named("--key-source"));
        assert_eq!(
            missing(&[GW, &["--mode", "bedrock"]].concat()),
            named("--bedrock-region")
        );
        assert_eq!(
            missing(&[GW, &["--mode", "vertex", "--key-source", "env"]].concat()),
            named("--vertex-project")
        );
        for (source, flag) in [
            ("vault", "--vault-path"),
            ("jwt", "--jwt-algorithm"),
            ("command", "--command"),
            ("env", "--env-var"),
        ] {
            let f = [GW, &["--key-source", source]].concat();
            assert_eq!(missing(&f), named(flag), "{source}");
        }
        let vault = [GW, &["--key-source", "vault", "--vault-path", "p"]].concat();
        for (auth, flag) in [
            ("approle", "--vault-role-id"),
            ("kubernetes", "--vault-role"),
            ("jwt", "--vault-jwt-file"),
            ("userpass", "--vault-username"),
        ] {
            let f = [&vault[..], &["--vault-auth", auth]].concat();
            assert_eq!(missing(&f), named(flag), "{auth}");
        }
    }

    #[test]
    fn bad_values_are_refused() {
        let with = |extra: &[&str]| refusal(flags(&[GW, ENV, extra].concat()));
        for (extra, why) in [
            (&["--header", "no colon"][..], "--header: `no colon`"),
            (&["--key-ttl", "2s"][..], "--key-ttl: must be at least 10s"),
        ] {
            let m = with(extra);
            assert!(m.starts_with(why), "{m}");
        }
        let m = refusal(flags(&[&["--gateway", "ftp://gw"], ENV].concat()));
        assert!(
            m.starts_with("--gateway: ") && m.contains("not an http(s) URL"),
            "{m}"
        );
        let jwt = [GW, &["--key-source", "jwt", "--jwt-algorithm"]].concat();
        let m = refusal(flags(&[&jwt[..], &["none"]].concat()));
        assert!(
            m.starts_with("--jwt-algorithm: unknown JWT algorithm `none`"),
            "{m}"
        );
        let m = refusal(flags(&[&jwt[..], &["HS256", "--jwt-ttl", "1s"]].concat()));
        assert_eq!(m, "--jwt-ttl: must be at least 10s");
        let m = refusal(flags(&[&jwt[..], &["HS256", "--jwt-claim", "x"]].concat()));
        assert_eq!(m, "--jwt-claim: `x` is not `name=value`");
        let vault = [GW, &["--key-source", "vault", "--vault-path", "p"]].concat();
        let m = refusal(flags(
            &[&vault[..], &["--vault-addr", "vault:8200"]].concat(),
        ));
        assert!(m.starts_with("--vault-addr: "), "{m}");
    }

    #[test]
    fn unified_env_defaults() {
        let s = flags(&[GW, ENV].concat()).unwrap();
        assert_eq!(s.scope, Some(Scope::User));
        assert!(s.secret.is_none());
        let p = round_trip(&s.profile);
        assert_eq!(p.mode, Mode::Unified);
        assert_eq!(p.key_ttl, config::DEFAULT_KEY_TTL);
        assert!(matches!(&p.key, KeySource::Env(e) if e.var == "GW_KEY"));
        assert!(p.bedrock.is_none() && p.vertex.is_none() && p.model.is_none());
        assert!(p.headers.is_empty());
        let none = flags(&[GW, ENV, &["--scope", "none"]].concat()).unwrap();
        assert_eq!(none.scope, None);
    }

    #[test]
    fn each_mode_gets_its_fields() {
        let base = [&["--gateway", "https://gw.example"], ENV].concat();
        let p = profile(&[&base[..], &["--mode", "anthropic"]].concat());
        assert_eq!(p.mode, Mode::Anthropic);
        let p = profile(
            &[
                &base[..],
                &["--mode", "bedrock", "--bedrock-region", "eu-west-1"],
            ]
            .concat(),
        );
        assert_eq!(p.bedrock.unwrap().region, "eu-west-1");
        let p = profile(&[&base[..], &["--mode", "vertex", "--vertex-project", "proj"]].concat());
        let v = p.vertex.unwrap();
        assert_eq!((v.project.as_str(), v.region), ("proj", None));
        // A region flag is kept as given, even when it is the default.
        let vertex = [
            "--mode",
            "vertex",
            "--vertex-project",
            "proj",
            "--vertex-region",
        ];
        let p = profile(&[&base[..], &vertex[..], &["us-east5"]].concat());
        assert_eq!(p.vertex.unwrap().region.as_deref(), Some("us-east5"));
        // A region flag for another mode is ignored, not written.
        let p = profile(&[&base[..], &["--bedrock-region", "x"]].concat());
        assert!(p.bedrock.is_none());
    }

    #[test]
    fn each_key_source_gets_its_fields() {
        let base = ["--gateway", "https://gw.example", "--key-ttl", "55m"];
        let s = flags(&[&base[..], &["--key-source", "keyring"]].concat()).unwrap();
        let (kind, secret) = s.secret.unwrap();
        assert_eq!(
            (kind, secret.0.as_str()),
            (SecretKind::GatewayKey, "sk-stdin")
        );
        let p = round_trip(&s.profile);
        assert!(
            matches!(&p.key, KeySource::Keyring(k) if k.service.is_none() && k.account.is_none())
        );
        assert_eq!(p.key_ttl, Duration::from_secs(55 * 60));

        let p = profile(
            &[
                &base[..],
                &[
                    "--key-source",
                    "vault",
                    "--vault-addr",
                    "http://127.0.0.1:8200",
                    "--vault-path",
                    "team/gw",
                    "--vault-field",
                    "key",
                    "--vault-auth",
                    "approle",
                    "--vault-role-id",
                    "rid",
                    "--vault-secret-id-file",
                    "/s",
                ],
            ]
            .concat(),
        );
        let KeySource::Vault(v) = &p.key else {
            panic!()
        };
        assert_eq!(v.addr.as_deref(), Some("http://127.0.0.1:8200"));
        assert_eq!(
            (v.path.as_str(), v.field.as_deref()),
            ("team/gw", Some("key"))
        );
        assert_eq!(v.auth, VaultAuth::Approle);
        assert_eq!(v.role_id.as_deref(), Some("rid"));
        assert_eq!(
            v.secret_id_file.as_deref(),
            Some(std::path::Path::new("/s"))
        );
        assert!(v.mount.is_none());

        let jwt = [
            &base[..],
            &["--key-source", "jwt", "--jwt-algorithm", "hs256"],
        ]
        .concat();
        let s = flags(&jwt).unwrap();
        assert_eq!(s.secret.unwrap().0, SecretKind::JwtSigningKey);
        let p = profile(
            &[
                &jwt[..],
                &[
                    "--jwt-secret-env",
                    "SIGN",
                    "--jwt-ttl",
                    "5m",
                    "--jwt-claim",
                    "team={env:TEAM}",
                ],
            ]
            .concat(),
        );
        let KeySource::Jwt(j) = &p.key else { panic!() };
        assert_eq!(j.algorithm, "HS256");
        assert_eq!(j.secret_env.as_deref(), Some("SIGN"));
        assert_eq!(j.ttl, Some(Duration::from_secs(300)));
        assert_eq!(j.claims["team"], "{env:TEAM}");
        let both = [&jwt[..], &["--jwt-secret-env", "S", "--jwt-key-file", "/k"]].concat();
        assert!(refusal(flags(&both)).contains("exclude each other"));

        let p = profile(
            &[
                &base[..],
                &["--key-source", "command", "--command", "pass show gw"],
            ]
            .concat(),
        );
        assert!(matches!(&p.key, KeySource::Command(c) if c.command == "pass show gw" && !c.shell));
    }

    #[test]
    fn headers_and_model() {
        let p = profile(
            &[
                &["--gateway", "http://gw", "--model", "claude-x"],
                ENV,
                &["--header", "x-team: platform", "--header", "X-B:2"],
            ]
            .concat(),
        );
        assert_eq!(p.model.as_deref(), Some("claude-x"));
        let h: Vec<_> = p.headers.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(h, ["x-team=platform", "X-B=2"]);
        // An empty --model is no model.
        assert!(
            profile(&[GW, ENV, &["--model", " "]].concat())
                .model
                .is_none()
        );
    }

    /// `--non-interactive` reads stdin only once every flag has passed: a bad flag after the
    /// key source is named, and the secret is not read.
    #[test]
    fn flags_only_reads_the_secret_last() {
        let mut ask = FlagsOnly::with_stdin(|_| panic!("stdin read before the flags were judged"));
        let a = args(&[GW, &["--key-source", "keyring", "--header", "bad"]].concat());
        assert!(refusal(walk(&mut ask, &a, "p")).starts_with("--header: "));
    }

    /// The tmux test's answers, by script: the same profile as the flags.
    #[test]
    fn the_wizard_makes_what_the_flags_make() {
        let (s, ask) = wizard(
            &[],
            &[
                ("Gateway URL:", T("http://gw:4000")),
                ("How should Claude Code reach the gateway?", Pick("bedrock")),
                ("AWS region:", T("eu-west-1")),
                ("Where does the gateway key come from?", Pick("command")),
                ("Command that prints the key:", T("pass show litellm")),
                ("Key TTL:", T("40m")),
                ("Extra request header", T("x-team: platform")),
                ("Extra request header", T("")),
                ("Model (empty: Claude Code's default):", T("claude-x")),
                (
                    "Where should Claude Code's settings be written?",
                    Pick("local"),
                ),
            ],
        );
        assert!(ask.refused.is_empty());
        let f = flags(
            &[
                GW,
                &["--mode", "bedrock", "--bedrock-region", "eu-west-1"],
                &["--key-source", "command", "--command", "pass show litellm"],
                &[
                    "--key-ttl",
                    "40m",
                    "--header",
                    "x-team: platform",
                    "--model",
                    "claude-x",
                ],
                &["--scope", "local"],
            ]
            .concat(),
        )
        .unwrap();
        assert_eq!(s.scope, Some(Scope::Local));
        assert_eq!(s.scope, f.scope);
        let toml = |p: &Profile| toml::to_string(p).unwrap();
        assert_eq!(toml(&s.profile), toml(&f.profile));
    }

    /// Flags answer their questions, which are then not put; the rest take their defaults.
    #[test]
    fn flags_answer_their_questions_and_defaults_apply() {
        let (s, _) = wizard(
            &[GW, ENV, &["--mode", "vertex", "--key-ttl", "1h"]].concat(),
            &[
                ("GCP project:", T("proj")),
                ("Vertex region:", T("")),
                ("Extra request header", T("")),
                ("Model (empty", T("")),
                (
                    "Where should Claude Code's settings be written?",
                    Pick("none"),
                ),
            ],
        );
        assert_eq!(s.scope, None);
        let v = s.profile.vertex.unwrap();
        // The default region is Claude Code's own: left out.
        assert_eq!((v.project.as_str(), v.region), ("proj", None));
        assert_eq!(s.profile.model, None);
        // The default key TTL is the config's.
        let (s, _) = wizard(
            &[GW, ENV, &["--mode", "unified", "--scope", "user"]].concat(),
            &[
                ("Key TTL:", T("")),
                ("Extra request header", T("")),
                ("Model", T("")),
            ],
        );
        assert_eq!(s.profile.key_ttl, config::DEFAULT_KEY_TTL);
    }

    #[test]
    fn refused_answers_are_asked_again() {
        let (s, ask) = wizard(
            &[ENV, &["--mode", "unified", "--scope", "user"]].concat(),
            &[
                ("Gateway URL:", T("ftp://gw")),
                ("Gateway URL:", T("https://u:pw@gw")),
                ("Gateway URL:", T("https://gw")),
                ("Key TTL:", T("2s")),
                ("Key TTL:", T("soon")),
                ("Key TTL:", T("90m")),
                ("Extra request header", T("x y: 1")),
                ("Extra request header", T("x-a: 1")),
                ("Extra request header", T("")),
                ("Model", T("")),
            ],
        );
        assert_eq!(s.profile.gateway, "https://gw");
        assert_eq!(s.profile.key_ttl, Duration::from_secs(90 * 60));
        assert_eq!(s.profile.headers["x-a"], "1");
        assert_eq!(ask.refused.len(), 5, "{:?}", ask.refused);
        assert!(ask.refused[0].contains("not an http(s) URL"));
        assert!(
            ask.refused[1].contains("user name or password") && !ask.refused[1].contains("pw@")
        );
        assert!(ask.refused[2].contains("at least 10s"));
        assert!(
            ask.refused[4].contains("is not a header name"),
            "{}",
            ask.refused[4]
        );
    }

    /// The keyring key is typed where its question stands (before the TTL), and refused
    /// until it is one token.
    #[test]
    fn the_keyring_secret_is_typed_in_place() {
        let (s, ask) = wizard(
            &[GW, &["--mode", "unified", "--scope", "user"]].concat(),
            &[
                ("Where does the gateway key come from?", Pick("keyring")),
                ("Gateway key (hidden):", Secret("two words")),
                ("Gateway key (hidden):", Secret("sk-typed")),
                ("Key TTL:", T("")),
                ("Extra request header", T("")),
                ("Model", T("")),
            ],
        );
        assert_eq!(ask.refused.len(), 1);
        assert!(ask.refused[0].contains("one token of printable ASCII"));
        let (kind, secret) = s.secret.unwrap();
        assert_eq!(
            (kind, secret.0.as_str()),
            (SecretKind::GatewayKey, "sk-typed")
        );
        assert!(matches!(s.profile.key, KeySource::Keyring(_)));
    }

    #[test]
    fn where_the_jwt_signing_key_lives() {
        let base = [
            GW,
            &[
                "--key-source",
                "jwt",
                "--mode",
                "unified",
                "--key-ttl",
                "1h",
                "--scope",
                "user",
            ],
        ]
        .concat();
        let tail = [
            ("JWT lifetime", T("")),
            ("Extra claim", T("team={env:TEAM}")),
            ("Extra claim", T("")),
            ("Extra request header", T("")),
            ("Model", T("")),
        ];
        let script = |where_: &'static str, then: &[(&'static str, Reply)]| {
            let mut s = vec![
                ("JWT signing algorithm:", Pick("ES256")),
                ("Where is the signing key?", Pick(where_)),
            ];
            s.extend_from_slice(then);
            s.extend_from_slice(&tail);
            s
        };
        let (s, _) = wizard(&base, &script("env", &[("Variable holding", T("SIGN"))]));
        let KeySource::Jwt(j) = &s.profile.key else {
            panic!()
        };
        assert_eq!(
            (j.algorithm.as_str(), j.secret_env.as_deref()),
            ("ES256", Some("SIGN"))
        );
        assert_eq!(j.claims["team"], "{env:TEAM}");
        assert!(s.secret.is_none());
        let (s, _) = wizard(&base, &script("file", &[("PEM file:", T("/k.pem"))]));
        let KeySource::Jwt(j) = &s.profile.key else {
            panic!()
        };
        assert_eq!(j.key_file.as_deref(), Some(std::path::Path::new("/k.pem")));
        let (s, _) = wizard(
            &base,
            &script("keyring", &[("JWT signing key (hidden):", Secret("k"))]),
        );
        assert_eq!(s.secret.unwrap().0, SecretKind::JwtSigningKey);
        // A flag says where: not asked. Both flags: refused, by the wizard too.
        let flagged = [
            &base[..],
            &["--jwt-algorithm", "EdDSA", "--jwt-key-file", "/k"],
        ]
        .concat();
        let (s, _) = wizard(&flagged, &tail);
        let KeySource::Jwt(j) = &s.profile.key else {
            panic!()
        };
        assert_eq!(j.algorithm, "EdDSA");
        let both = [&flagged[..], &["--jwt-secret-env", "S"]].concat();
        let mut ask = Scripted::new(&[]);
        assert!(refusal(walk(&mut ask, &args(&both), "p")).contains("exclude each other"));
    }

    /// `--vault-identity-role` (or picking "identity") asks the role instead of the KV
    /// questions; `--non-interactive` with neither it nor `--vault-path` names both flags.
    #[test]
    fn a_vault_identity_role_replaces_the_kv_questions() {
        let base = [
            GW,
            &[
                "--key-source",
                "vault",
                "--mode",
                "unified",
                "--key-ttl",
                "1h",
                "--scope",
                "user",
            ],
        ]
        .concat();
        let p = profile(
            &[
                &base[..],
                &[
                    "--vault-identity-role",
                    "gw",
                    "--vault-auth",
                    "userpass",
                    "--vault-username",
                    "ada",
                ],
            ]
            .concat(),
        );
        let KeySource::Vault(v) = &p.key else {
            panic!()
        };
        assert_eq!(v.identity_role.as_deref(), Some("gw"));
        assert_eq!((v.path.as_str(), &v.mount, &v.field), ("", &None, &None));
        assert_eq!(v.auth, VaultAuth::Userpass);

        let bad = flags(&[&base[..], &["--vault-identity-role", "a/b"]].concat());
        assert!(refusal(bad).contains("--vault-identity-role: "));
        let missing = flags(&base);
        assert!(refusal(missing).contains("--vault-path"));

        let (setup, _) = wizard(
            &base,
            &[
                ("Vault address", T("")),
                ("What does ccgw read from Vault?", Pick("identity")),
                ("Identity token role:", T("dev")),
                ("Vault auth method:", Pick("token")),
                ("Extra request header", T("")),
                ("Model", T("")),
            ],
        );
        let KeySource::Vault(v) = setup.profile.key else {
            panic!()
        };
        assert_eq!(v.identity_role.as_deref(), Some("dev"));
        assert!(v.path.is_empty());
    }

    #[test]
    fn vault_questions_follow_the_auth_method() {
        let base = [
            GW,
            &[
                "--key-source",
                "vault",
                "--mode",
                "unified",
                "--key-ttl",
                "1h",
                "--scope",
                "user",
            ],
        ]
        .concat();
        let tail = [("Extra request header", T("")), ("Model", T(""))];
        let start = [
            ("Vault address", T("")),
            ("What does ccgw read from Vault?", Pick("secret")),
            ("KV mount:", T("")),
            ("Secret path:", T("team/gw")),
            ("Field:", T("key")),
        ];
        let run = |auth: &'static str, asked: &[(&'static str, Reply)]| {
            let mut s = start.to_vec();
            s.push(("Vault auth method:", Pick(auth)));
            s.extend_from_slice(asked);
            s.extend_from_slice(&tail);
            let (setup, _) = wizard(&base, &s);
            let KeySource::Vault(v) = setup.profile.key else {
                panic!()
            };
            v
        };
        let v = run("token", &[]);
        assert_eq!((v.addr, v.mount), (None, None));
        assert_eq!(
            (v.path.as_str(), v.field.as_deref()),
            ("team/gw", Some("key"))
        );
        let v = run(
            "approle",
            &[
                ("AppRole role id:", T("rid")),
                ("File holding the secret id", T("")),
            ],
        );
        assert_eq!(
            (v.role_id.as_deref(), v.secret_id_file),
            (Some("rid"), None)
        );
        let v = run("kubernetes", &[("Vault role:", T("r"))]);
        assert_eq!((v.role.as_deref(), v.jwt_file), (Some("r"), None));
        let v = run(
            "jwt",
            &[
                ("File holding the JWT:", T("/t")),
                ("Vault role (empty", T("")),
            ],
        );
        assert_eq!(v.jwt_file.as_deref(), Some(std::path::Path::new("/t")));
        assert_eq!(v.role, None);
        let v = run("userpass", &[("Vault user name:", T("me"))]);
        assert_eq!(v.username.as_deref(), Some("me"));
    }

    #[test]
    fn the_model_is_picked_from_the_gateways_list() {
        let base = [GW, ENV, &["--key-ttl", "1h", "--scope", "user"]].concat();
        let unified = [&base[..], &["--mode", "unified"]].concat();
        let pick = |name: &'static str, then: &[(&'static str, Reply)]| {
            let mut s = vec![
                ("Extra request header", T("")),
                ("Model (ANTHROPIC_MODEL):", Pick(name)),
            ];
            s.extend_from_slice(then);
            wizard_listing(&unified, &["m-1", "m-2"], &s)
                .0
                .profile
                .model
        };
        assert_eq!(pick("m-2", &[]), Some("m-2".into()));
        assert_eq!(pick(NO_MODEL, &[]), None);
        assert_eq!(
            pick(OTHER_MODEL, &[("Model name:", T("m-9"))]),
            Some("m-9".into())
        );
        // Bedrock's model ids are the provider's: no list, a name.
        let bedrock = [&base[..], &["--mode", "bedrock", "--bedrock-region", "r"]].concat();
        let (s, _) = wizard_listing(
            &bedrock,
            &["m-1"],
            &[
                ("Extra request header", T("")),
                ("Model (empty", T("b-model")),
            ],
        );
        assert_eq!(s.profile.model.as_deref(), Some("b-model"));
    }
}
