//! `ccgw init`: from answers to a profile, and from a profile to the files it becomes.
//!
//! Three steps, each its own module, so that nothing is written before every question is
//! answered (Ctrl-C at any prompt leaves no trace):
//! 1. collect [`Answers`]: from flags alone ([`answers_from_flags`], pure) or from the wizard
//!    (`wizard`, which asks only what the flags left open);
//! 2. turn them into a [`config::Profile`] ([`profile_from_answers`], pure);
//! 3. `cmd::init` shows what will be written, asks, then writes: secret, config, settings.

pub mod models;
pub mod wizard;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use indexmap::IndexMap;

use crate::claude::layers::Scope;
use crate::cli::{InitArgs, InitScopeArg};
use crate::config::{
    self, Bedrock, CommandSource, EnvSource, JwtSource, KeySource, KeyringSource, Mode, Profile,
    SourceKind, VaultAuth, VaultSource, Vertex,
};
use crate::error;

/// The profile name when neither `--profile` nor `CCGW_PROFILE` names one (the wizard offers
/// it as the default answer).
pub const DEFAULT_PROFILE_NAME: &str = "default";
/// LiteLLM's default address, offered as the gateway.
pub const DEFAULT_GATEWAY: &str = "http://localhost:4000";
/// Everything `init` needs to know, however it was learnt. Holds no secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    pub name: String,
    pub gateway: String,
    pub mode: Mode,
    pub bedrock_region: Option<String>,
    pub vertex_project: Option<String>,
    pub vertex_region: Option<String>,
    /// `None`: the config's default (`config::DEFAULT_KEY_TTL`), written out explicitly.
    pub key_ttl: Option<Duration>,
    pub model: Option<String>,
    pub headers: Vec<(String, String)>,
    pub key: KeyAnswers,
    /// `None`: write no settings file (shell/exec only).
    pub scope: Option<Scope>,
}

/// The key source and its fields.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyAnswers {
    /// The gateway key goes into the keyring under service `ccgw`, account = the profile name.
    Keyring,
    Vault(VaultAnswers),
    Jwt(JwtAnswers),
    Command(String),
    Env(String),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VaultAnswers {
    pub addr: Option<String>,
    pub mount: Option<String>,
    pub path: String,
    pub field: Option<String>,
    pub auth: VaultAuth,
    pub role_id: Option<String>,
    pub secret_id_file: Option<PathBuf>,
    pub role: Option<String>,
    pub jwt_file: Option<PathBuf>,
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JwtAnswers {
    pub algorithm: String,
    pub signing: Signing,
    pub ttl: Option<Duration>,
    pub claims: Vec<(String, String)>,
}

/// Where the JWT signing key lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Signing {
    Env(String),
    File(PathBuf),
    /// The keyring (`<profile>:jwt-signing-key`); `init` stores it.
    Keyring,
}

impl Answers {
    /// Which secret `init` must take and store in the keyring, if any.
    pub fn secret_kind(&self) -> Option<SecretKind> {
        match &self.key {
            KeyAnswers::Keyring => Some(SecretKind::GatewayKey),
            KeyAnswers::Jwt(j) if j.signing == Signing::Keyring => Some(SecretKind::JwtSigningKey),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    GatewayKey,
    JwtSigningKey,
}

impl SecretKind {
    pub fn what(self) -> &'static str {
        match self {
            SecretKind::GatewayKey => "gateway key",
            SecretKind::JwtSigningKey => "JWT signing key",
        }
    }
}

/// A secret on its way to the keyring. Never printed: `Debug` says only that it is there.
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why the flags alone do not make a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagError {
    /// A required flag is missing: its name (`--gateway`, `--jwt-secret-env or --jwt-key-file`).
    Missing(&'static str),
    /// A flag's value is unusable: the one-line reason.
    Invalid(String),
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlagError::Missing(flag) => write!(f, "{flag} is required with --non-interactive"),
            FlagError::Invalid(why) => f.write_str(why),
        }
    }
}

impl From<FlagError> for anyhow::Error {
    fn from(e: FlagError) -> Self {
        error::config(e.to_string(), None)
    }
}

fn need<T: Clone>(v: &Option<T>, flag: &'static str) -> Result<T, FlagError> {
    v.clone().ok_or(FlagError::Missing(flag))
}

/// The answers `--non-interactive` takes from flags alone. Missing flags are reported in the
/// order the wizard would ask: gateway, the mode's fields, key source, the source's fields.
pub fn answers_from_flags(args: &InitArgs, name: &str) -> Result<Answers, FlagError> {
    let gateway = need(&args.gateway, "--gateway")?;
    check_gateway(&gateway).map_err(|e| FlagError::Invalid(format!("--gateway: {e}")))?;
    let mode = args.mode.unwrap_or_default();
    let bedrock_region = match mode {
        Mode::Bedrock => Some(need(&args.bedrock_region, "--bedrock-region")?),
        _ => None,
    };
    let (vertex_project, vertex_region) = match mode {
        Mode::Vertex => (
            Some(need(&args.vertex_project, "--vertex-project")?),
            args.vertex_region.clone(),
        ),
        _ => (None, None),
    };
    let source = need(&args.key_source, "--key-source")?;
    let key = key_from_flags(args, source)?;
    if let Some(ttl) = args.key_ttl {
        check_ttl(ttl).map_err(|e| FlagError::Invalid(format!("--key-ttl: {e}")))?;
    }
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h).map_err(|e| FlagError::Invalid(format!("--header: {e}"))))
        .collect::<Result<_, _>>()?;
    Ok(Answers {
        name: name.to_owned(),
        gateway,
        mode,
        bedrock_region,
        vertex_project,
        vertex_region,
        key_ttl: args.key_ttl,
        model: args.model.clone().filter(|m| !m.trim().is_empty()),
        headers,
        key,
        scope: args.scope.unwrap_or(InitScopeArg::User).scope(),
    })
}

fn key_from_flags(args: &InitArgs, source: SourceKind) -> Result<KeyAnswers, FlagError> {
    Ok(match source {
        SourceKind::Keyring => KeyAnswers::Keyring,
        SourceKind::Vault => {
            let auth = args.vault_auth.unwrap_or_default();
            let mut v = VaultAnswers {
                addr: args.vault_addr.clone(),
                mount: args.vault_mount.clone(),
                path: need(&args.vault_path, "--vault-path")?,
                field: args.vault_field.clone(),
                auth,
                ..VaultAnswers::default()
            };
            match auth {
                VaultAuth::Token => {}
                VaultAuth::Approle => {
                    v.role_id = Some(need(&args.vault_role_id, "--vault-role-id")?);
                    v.secret_id_file = args.vault_secret_id_file.clone();
                }
                VaultAuth::Kubernetes => {
                    v.role = Some(need(&args.vault_role, "--vault-role")?);
                    v.jwt_file = args.vault_jwt_file.clone();
                }
                VaultAuth::Jwt => {
                    v.jwt_file = Some(need(&args.vault_jwt_file, "--vault-jwt-file")?);
                    v.role = args.vault_role.clone();
                }
                VaultAuth::Userpass => {
                    v.username = Some(need(&args.vault_username, "--vault-username")?);
                }
            }
            KeyAnswers::Vault(v)
        }
        SourceKind::Jwt => {
            let algorithm = need(&args.jwt_algorithm, "--jwt-algorithm")?;
            let algorithm = check_algorithm(&algorithm)
                .map_err(|e| FlagError::Invalid(format!("--jwt-algorithm: {e}")))?;
            let signing = match (&args.jwt_secret_env, &args.jwt_key_file) {
                (Some(_), Some(_)) => {
                    return Err(FlagError::Invalid(
                        "--jwt-secret-env and --jwt-key-file exclude each other: the signing key has one home".into(),
                    ));
                }
                (Some(var), None) => Signing::Env(var.clone()),
                (None, Some(file)) => Signing::File(file.clone()),
                // Neither: the signing key is read from stdin into the keyring.
                (None, None) => Signing::Keyring,
            };
            if let Some(ttl) = args.jwt_ttl {
                check_ttl(ttl).map_err(|e| FlagError::Invalid(format!("--jwt-ttl: {e}")))?;
            }
            let claims = args
                .jwt_claims
                .iter()
                .map(|c| {
                    parse_claim(c).map_err(|e| FlagError::Invalid(format!("--jwt-claim: {e}")))
                })
                .collect::<Result<_, _>>()?;
            KeyAnswers::Jwt(JwtAnswers {
                algorithm,
                signing,
                ttl: args.jwt_ttl,
                claims,
            })
        }
        SourceKind::Command => KeyAnswers::Command(need(&args.command, "--command")?),
        SourceKind::Env => KeyAnswers::Env(need(&args.env_var, "--env-var")?),
    })
}

/// The profile the answers describe.
pub fn profile_from_answers(a: &Answers) -> Profile {
    let key = match &a.key {
        KeyAnswers::Keyring => KeySource::Keyring(KeyringSource::default()),
        KeyAnswers::Vault(v) => KeySource::Vault(VaultSource {
            addr: v.addr.clone(),
            mount: v.mount.clone(),
            path: v.path.clone(),
            field: v.field.clone(),
            auth: v.auth,
            role_id: v.role_id.clone(),
            secret_id_file: v.secret_id_file.clone(),
            role: v.role.clone(),
            jwt_file: v.jwt_file.clone(),
            username: v.username.clone(),
            ..VaultSource::default()
        }),
        KeyAnswers::Jwt(j) => KeySource::Jwt(JwtSource {
            algorithm: j.algorithm.clone(),
            secret_env: match &j.signing {
                Signing::Env(v) => Some(v.clone()),
                _ => None,
            },
            key_file: match &j.signing {
                Signing::File(f) => Some(f.clone()),
                _ => None,
            },
            ttl: j.ttl,
            claims: j
                .claims
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
            ..JwtSource::default()
        }),
        KeyAnswers::Command(c) => KeySource::Command(CommandSource {
            command: c.clone(),
            ..CommandSource::default()
        }),
        KeyAnswers::Env(var) => KeySource::Env(EnvSource { var: var.clone() }),
    };
    Profile {
        gateway: a.gateway.clone(),
        mode: a.mode,
        key_ttl: a.key_ttl.unwrap_or(config::DEFAULT_KEY_TTL),
        model: a.model.clone(),
        models: Default::default(),
        headers: a.headers.iter().cloned().collect::<IndexMap<_, _>>(),
        env: IndexMap::new(),
        model_discovery: false,
        bedrock: a.bedrock_region.clone().map(|region| Bedrock { region }),
        vertex: a.vertex_project.clone().map(|project| Vertex {
            project,
            region: a.vertex_region.clone(),
        }),
        tls: None,
        key,
    }
}

/// What a profile's `gateway` must be (`config::rules::gateway`).
pub fn check_gateway(url: &str) -> Result<(), String> {
    config::rules::gateway(url).map_err(String::from)
}

/// A key lifetime the config accepts (`config::rules::key_lifetime`); said before anything is
/// written.
pub fn check_ttl(ttl: Duration) -> Result<(), String> {
    config::rules::key_lifetime(ttl).map_err(String::from)
}

/// `55m`, `1h 30m`, …: a humantime duration the config accepts as a key lifetime.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}`: {e}"))?;
    check_ttl(d)?;
    Ok(d)
}

/// The algorithm's canonical spelling (`config::rules::jwt_algorithm`), or why it is not one.
pub fn check_algorithm(alg: &str) -> Result<String, String> {
    config::rules::jwt_algorithm(alg.trim())
        .map(str::to_owned)
        .map_err(String::from)
}

/// `Name: value` → (name, value), by the config's header rule (`config::rules::header`).
pub fn parse_header(h: &str) -> Result<(String, String), String> {
    let Some((name, value)) = h.split_once(':') else {
        return Err(format!("`{h}` is not `Name: value`"));
    };
    let (name, value) = (name.trim(), value.trim());
    config::rules::header(name, value).map_err(String::from)?;
    Ok((name.to_owned(), value.to_owned()))
}

/// `k=v` → (k, v).
pub fn parse_claim(c: &str) -> Result<(String, String), String> {
    match c.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("`{c}` is not `name=value`")),
    }
}

/// A new profile's name: what the config accepts (`config::rules::profile_name`), and plain
/// (a bare TOML key, a keyring account anyone can type).
pub fn check_name(name: &str) -> Result<(), String> {
    config::rules::profile_name(name).map_err(String::from)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        return Err(format!(
            "`{name}`: use letters, digits and `-_.@` only in a profile name"
        ));
    }
    Ok(())
}

/// Claude Code takes a helper's output only as one token of printable ASCII.
pub fn check_gateway_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the gateway key is empty".into());
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "the gateway key must be one token of printable ASCII (no spaces or newlines)".into(),
        );
    }
    Ok(())
}

/// `--non-interactive` with a keyring secret: the secret from stdin (a pipe or a file), one
/// trailing newline dropped; empty is refused. A terminal on stdin is refused too: reading
/// it would be a prompt.
pub fn secret_from_stdin(kind: SecretKind) -> Result<Secret> {
    use std::io::IsTerminal;
    let what = kind.what();
    let hint = "pipe it in: `printf %s \"$SECRET\" | ccgw init --non-interactive …` (never on the command line)";
    if std::io::stdin().is_terminal() {
        return Err(error::config(
            format!("--non-interactive reads the {what} from stdin, which is a terminal"),
            Some(hint.to_owned()),
        ));
    }
    let s = crate::secret_input::from_pipe(what, hint)?.0;
    if kind == SecretKind::GatewayKey {
        check_gateway_key(&s).map_err(|e| error::config(e, None))?;
    }
    Ok(Secret(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> InitArgs {
        let mut argv = vec!["ccgw", "init", "--non-interactive"];
        argv.extend_from_slice(flags);
        match crate::cli::Cli::parse_from(argv).command {
            crate::cli::Command::Init(a) => a,
            _ => unreachable!(),
        }
    }

    fn answers(flags: &[&str]) -> Result<Answers, FlagError> {
        answers_from_flags(&args(flags), "p")
    }

    fn profile(flags: &[&str]) -> Profile {
        profile_from_answers(&answers(flags).unwrap())
    }

    /// The profile survives the config's own parser (what `Editor::save` checks).
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

    const ENV: &[&str] = &["--key-source", "env", "--env-var", "GW_KEY"];

    #[test]
    fn the_first_missing_flag_is_named() {
        assert_eq!(answers(&[]), Err(FlagError::Missing("--gateway")));
        let gw = ["--gateway", "http://gw:4000"];
        assert_eq!(answers(&gw), Err(FlagError::Missing("--key-source")));
        let bedrock = [&gw[..], &["--mode", "bedrock"]].concat();
        assert_eq!(
            answers(&bedrock),
            Err(FlagError::Missing("--bedrock-region"))
        );
        let vertex = [&gw[..], &["--mode", "vertex", "--key-source", "env"]].concat();
        assert_eq!(
            answers(&vertex),
            Err(FlagError::Missing("--vertex-project"))
        );
        for (source, flag) in [
            ("vault", "--vault-path"),
            ("jwt", "--jwt-algorithm"),
            ("command", "--command"),
            ("env", "--env-var"),
        ] {
            let a = [&gw[..], &["--key-source", source]].concat();
            assert_eq!(answers(&a), Err(FlagError::Missing(flag)), "{source}");
        }
        let approle = [
            &gw[..],
            &[
                "--key-source",
                "vault",
                "--vault-path",
                "p",
                "--vault-auth",
                "approle",
            ],
        ]
        .concat();
        assert_eq!(
            answers(&approle),
            Err(FlagError::Missing("--vault-role-id"))
        );
        assert_eq!(
            FlagError::Missing("--gateway").to_string(),
            "--gateway is required with --non-interactive"
        );
    }

    #[test]
    fn bad_values_are_refused() {
        let with = |extra: &[&str]| answers(&[&["--gateway", "http://gw"], ENV, extra].concat());
        for (extra, why) in [
            (&["--header", "no colon"][..], "--header: `no colon`"),
            (&["--key-ttl", "2s"][..], "--key-ttl: must be at least 10s"),
        ] {
            match with(extra) {
                Err(FlagError::Invalid(m)) => assert!(m.starts_with(why), "{m}"),
                other => panic!("{extra:?}: {other:?}"),
            }
        }
        assert!(matches!(
            answers(&[&["--gateway", "ftp://gw"], ENV].concat()),
            Err(FlagError::Invalid(m)) if m.contains("not an http(s) URL")
        ));
    }

    #[test]
    fn unified_env_defaults() {
        let a = answers(&[&["--gateway", "http://gw:4000"], ENV].concat()).unwrap();
        assert_eq!(a.scope, Some(Scope::User));
        assert_eq!(a.secret_kind(), None);
        let p = round_trip(&profile_from_answers(&a));
        assert_eq!(p.mode, Mode::Unified);
        assert_eq!(p.key_ttl, config::DEFAULT_KEY_TTL);
        assert!(matches!(&p.key, KeySource::Env(e) if e.var == "GW_KEY"));
        assert!(p.bedrock.is_none() && p.vertex.is_none() && p.model.is_none());
    }

    #[test]
    fn each_mode_gets_its_fields() {
        let base = ["--gateway", "https://gw.example"];
        let p = round_trip(&profile(
            &[&base[..], ENV, &["--mode", "anthropic"]].concat(),
        ));
        assert_eq!(p.mode, Mode::Anthropic);
        let p = round_trip(&profile(
            &[
                &base[..],
                ENV,
                &["--mode", "bedrock", "--bedrock-region", "eu-west-1"],
            ]
            .concat(),
        ));
        assert_eq!(p.bedrock.unwrap().region, "eu-west-1");
        let p = round_trip(&profile(
            &[
                &base[..],
                ENV,
                &["--mode", "vertex", "--vertex-project", "proj"],
            ]
            .concat(),
        ));
        let v = p.vertex.unwrap();
        assert_eq!((v.project.as_str(), v.region), ("proj", None));
        // A region flag for another mode is ignored, not written.
        let p = profile(&[&base[..], ENV, &["--bedrock-region", "x"]].concat());
        assert!(p.bedrock.is_none());
    }

    #[test]
    fn each_key_source_gets_its_fields() {
        let base = ["--gateway", "https://gw.example", "--key-ttl", "55m"];
        let p = round_trip(&profile(
            &[&base[..], &["--key-source", "keyring"]].concat(),
        ));
        assert!(
            matches!(&p.key, KeySource::Keyring(k) if k.service.is_none() && k.account.is_none())
        );
        assert_eq!(p.key_ttl, Duration::from_secs(55 * 60));

        let p = round_trip(&profile(
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
        ));
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
        let a = answers(&jwt).unwrap();
        assert_eq!(a.secret_kind(), Some(SecretKind::JwtSigningKey));
        let p = round_trip(&profile(
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
        ));
        let KeySource::Jwt(j) = &p.key else { panic!() };
        assert_eq!(j.algorithm, "HS256");
        assert_eq!(j.secret_env.as_deref(), Some("SIGN"));
        assert_eq!(j.ttl, Some(Duration::from_secs(300)));
        assert_eq!(j.claims["team"], "{env:TEAM}");

        let p = round_trip(&profile(
            &[
                &base[..],
                &["--key-source", "command", "--command", "pass show gw"],
            ]
            .concat(),
        ));
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
    }

    #[test]
    fn validators() {
        assert!(check_name("work-1").is_ok());
        assert!(check_name("a b").is_err() && check_name("").is_err());
        assert_eq!(parse_ttl("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_ttl("soon").is_err());
        assert!(check_gateway_key("sk-1").is_ok() && check_gateway_key("a b").is_err());
        assert_eq!(parse_claim("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_header("x y: 1").is_err());
        // The config's own rules (config::rules), not copies of them.
        assert!(parse_header("x-a: 1\r\nx-evil: yes").is_err());
        assert!(parse_header("x-a: \u{2603}").is_err());
        assert!(check_name("-x").unwrap_err().contains("starts with `-`"));
        let e = check_gateway("https://u:hunter2@gw.example").unwrap_err();
        assert!(
            e.contains("user name or password") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(check_gateway("http://gw.example ").is_err());
        assert!(check_ttl(Duration::from_secs(u64::MAX)).is_err());
        assert_eq!(format!("{:?}", Secret("sk-live".into())), "Secret(…)");
    }
}
