//! ccgw's own config file: the TOML types (field names are the contract in ARCHITECTURE.md),
//! loading with errors that name the file, the line and the field, profile selection, and
//! comment-preserving edits for `init` and `profile use|remove`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error;
use crate::fsutil;

/// Used when a profile sets no `key_ttl`.
pub const DEFAULT_KEY_TTL: Duration = Duration::from_secs(60 * 60);
/// Vertex's own default region (Claude Code falls back to it too).
pub const DEFAULT_VERTEX_REGION: &str = "us-east5";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: IndexMap<String, Profile>,
}

/// How Claude Code reaches the gateway (also `ccgw init --mode`: the doc comments are its help).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The gateway's Anthropic-compatible endpoint (recommended)
    #[default]
    Unified,
    /// The gateway's `/anthropic` pass-through route
    Anthropic,
    /// The gateway's `/bedrock` pass-through route
    Bedrock,
    /// The gateway's `/vertex_ai` pass-through route
    Vertex,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Unified => "unified",
            Mode::Anthropic => "anthropic",
            Mode::Bedrock => "bedrock",
            Mode::Vertex => "vertex",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Base URL of the gateway; in unified mode exactly `ANTHROPIC_BASE_URL`.
    pub gateway: String,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default = "default_key_ttl", with = "humantime_serde")]
    pub key_ttl: Duration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Models::is_empty")]
    pub models: Models,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub model_discovery: bool,
    /// Claude Code 2.1.332+: request-class hint headers on every request, for a gateway that
    /// routes background traffic on them (`CLAUDE_CODE_GATEWAY_HINT_HEADERS=1`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hint_headers: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bedrock: Option<Bedrock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertex: Option<Vertex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    pub key: KeySource,
}

fn default_key_ttl() -> Duration {
    DEFAULT_KEY_TTL
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Models {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opus: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sonnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub haiku: Option<String>,
}

impl Models {
    pub fn is_empty(&self) -> bool {
        self.opus.is_none() && self.sonnet.is_none() && self.haiku.is_none()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bedrock {
    pub region: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vertex {
    pub project: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
}

/// Where the key comes from: exactly one source per profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum KeySource {
    Keyring(KeyringSource),
    Vault(VaultSource),
    Jwt(JwtSource),
    Command(CommandSource),
    Env(EnvSource),
    Oidc(OidcSource),
}

impl KeySource {
    /// The source's name, as `source = "…"` spells it.
    pub fn kind(&self) -> &'static str {
        self.source_kind().as_str()
    }

    pub fn source_kind(&self) -> SourceKind {
        match self {
            KeySource::Keyring(_) => SourceKind::Keyring,
            KeySource::Vault(_) => SourceKind::Vault,
            KeySource::Jwt(_) => SourceKind::Jwt,
            KeySource::Command(_) => SourceKind::Command,
            KeySource::Env(_) => SourceKind::Env,
            KeySource::Oidc(_) => SourceKind::Oidc,
        }
    }
}

/// The kinds of [`KeySource`], without their fields (also `ccgw init --key-source`: the doc
/// comments are its help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceKind {
    /// The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service)
    Keyring,
    /// HashiCorp Vault or OpenBao
    Vault,
    /// A short-lived JWT minted and signed locally
    Jwt,
    /// The first line printed by a command
    Command,
    /// An environment variable
    Env,
    /// Sign-in with the organisation's OpenID Connect identity provider (`ccgw login`)
    Oidc,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Keyring => "keyring",
            SourceKind::Vault => "vault",
            SourceKind::Jwt => "jwt",
            SourceKind::Command => "command",
            SourceKind::Env => "env",
            SourceKind::Oidc => "oidc",
        }
    }
}

/// Which OS keyring backend a keyring secret lives in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyringBackend {
    /// The platform's keyring: Keychain, Credential Manager, or the Secret Service on Linux.
    #[default]
    Default,
    /// The Linux kernel keyring (keyutils): headless machines; lost at logout/reboot.
    Keyutils,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringSource {
    /// Keyring service name [default: "ccgw"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Keyring account [default: the profile name].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Keyring backend [default: the platform's].
    #[serde(default, skip_serializing_if = "is_default")]
    pub backend: KeyringBackend,
}

/// How ccgw logs in to Vault (also `ccgw init --vault-auth`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum VaultAuth {
    #[default]
    Token,
    Approle,
    Kubernetes,
    Jwt,
    Userpass,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSource {
    /// Vault address [default: $VAULT_ADDR].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// KV mount [default: "secret"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount: Option<String>,
    /// Secret path inside the mount (a KV secret; not with `identity_role`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Serve the identity token of `identity/oidc/token/NAME` instead of a KV secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_role: Option<String>,
    /// Field holding the key [default: "api_key"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// KV version 1 or 2 [default: detected from the mount].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_version: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub auth: VaultAuth,
    /// Where the auth method is mounted [default: the method's name, e.g. "approle"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_id_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSource {
    /// HS256/384/512, RS256/384/512, PS256/384/512, ES256/384, EdDSA.
    pub algorithm: String,
    /// Environment variable holding the signing secret (HS*) or PEM key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    /// PEM file holding the signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Lifetime of each token [default: the profile's key_ttl].
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "humantime_serde"
    )]
    pub ttl: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Extra claims; string values may use {user} {host} {profile} {env:VAR}.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub claims: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSource {
    pub command: String,
    /// Run through `/bin/sh -c` instead of splitting the words ourselves.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shell: bool,
    /// Time limit for the command [default: 30s].
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "humantime_serde"
    )]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSource {
    pub var: String,
}

/// How `ccgw login` signs in (also `ccgw init --oidc-flow`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OidcFlow {
    /// Device authorization grant (RFC 8628): a code to enter on any device's browser
    #[default]
    Device,
    /// Authorization code with PKCE and a loopback redirect (RFC 8252) on this machine
    Browser,
}

/// Which token of the IdP's answer the gateway is sent (also `ccgw init --oidc-token`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OidcToken {
    #[default]
    #[value(name = "access_token")]
    AccessToken,
    #[value(name = "id_token")]
    IdToken,
}

pub fn default_oidc_scopes() -> Vec<String> {
    vec!["openid".into(), "offline_access".into()]
}

fn is_default_oidc_scopes(s: &[String]) -> bool {
    s == default_oidc_scopes().as_slice()
}

/// An OpenID Connect sign-in. The refresh token lives in the keyring (service `service`,
/// account `<profile>:oidc-refresh-token`), never in a file; a client secret, for a
/// confidential client, only in the keyring too.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSource {
    /// The issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Scopes asked for [default: ["openid", "offline_access"]].
    #[serde(
        default = "default_oidc_scopes",
        skip_serializing_if = "is_default_oidc_scopes"
    )]
    pub scopes: Vec<String>,
    /// The resource (RFC 8707) / audience the token is for, when the IdP needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub flow: OidcFlow,
    #[serde(default, skip_serializing_if = "is_default")]
    pub token: OidcToken,
    /// Keyring account (service `service`) holding the client secret of a confidential client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_account: Option<String>,
    /// Keyring service of the refresh token and client secret [default: "ccgw"].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Keyring backend [default: the platform's].
    #[serde(default, skip_serializing_if = "is_default")]
    pub backend: KeyringBackend,
    /// PEM CA file the IdP's certificate is checked against, on top of the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl Profile {
    /// The gateway URL without trailing slashes, so that routes can be appended.
    pub fn gateway_base(&self) -> &str {
        self.gateway.trim_end_matches('/')
    }

    /// How long a key from this profile's source lives at most, before any lease or `exp`.
    pub fn key_lifetime(&self) -> Duration {
        match &self.key {
            KeySource::Jwt(jwt) => jwt.ttl.map_or(self.key_ttl, |t| t.min(self.key_ttl)),
            _ => self.key_ttl,
        }
    }
}

/// Where the config file is, and whether the user chose it (then helpers must name it too).
#[derive(Debug, Clone)]
pub struct ConfigPath {
    pub path: PathBuf,
    pub explicit: bool,
}

impl ConfigPath {
    pub fn resolve(flag: Option<&Path>) -> Result<Self> {
        if let Some(p) = flag {
            let path = std::path::absolute(p)
                .with_context(|| format!("could not resolve `{}`", p.display()))?;
            return Ok(Self {
                path,
                explicit: true,
            });
        }
        let dir = dirs::config_dir().ok_or_else(|| {
            error::config(
                "no config directory for this user",
                Some("set HOME or XDG_CONFIG_HOME, or pass --config FILE".into()),
            )
        })?;
        Ok(Self {
            path: dir.join("ccgw").join("config.toml"),
            explicit: false,
        })
    }
}

/// The config as loaded: the parsed file plus its text (for line numbers and edits).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: ConfigPath,
    pub text: String,
    pub file: ConfigFile,
}

impl Loaded {
    /// Load the config; a missing file is an empty config (so `init` can create it).
    pub fn load(path: ConfigPath) -> Result<Self> {
        let text = match std::fs::read_to_string(&path.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(error::config(
                    format!("could not read `{}`: {e}", path.path.display()),
                    None,
                ));
            }
        };
        let file = parse(&path.path, &text)?;
        Ok(Self { path, text, file })
    }

    pub fn exists(&self) -> bool {
        self.path.path.exists()
    }

    /// The profile to act on: `--profile`/`CCGW_PROFILE`, else `default_profile`, else the only one.
    pub fn select(&self, requested: Option<&str>) -> Result<(String, &Profile)> {
        let file = self.path.path.display();
        let name = match requested.or(self.file.default_profile.as_deref()) {
            Some(n) => n.to_owned(),
            None if self.file.profiles.len() == 1 => {
                self.file.profiles.keys().next().unwrap().clone()
            }
            None if self.file.profiles.is_empty() => {
                return Err(error::config(
                    format!("no profiles in `{file}`"),
                    Some("run `ccgw init` to create one".into()),
                ));
            }
            None => {
                return Err(error::config(
                    format!("`{file}` has several profiles and no `default_profile`"),
                    Some("pass --profile NAME or run `ccgw profile use NAME`".into()),
                ));
            }
        };
        match self.file.profiles.get(&name) {
            Some(p) => Ok((name, p)),
            None => {
                let known: Vec<&str> = self.file.profiles.keys().map(String::as_str).collect();
                let line = if requested.is_none() {
                    line_of(&self.text, &["default_profile"])
                        .map_or(String::new(), |l| format!(":{l}"))
                } else {
                    String::new()
                };
                Err(error::config(
                    format!("{file}{line}: profile `{name}` does not exist"),
                    Some(if known.is_empty() {
                        "run `ccgw init` to create it".into()
                    } else {
                        format!("known profiles: {}", known.join(", "))
                    }),
                ))
            }
        }
    }
}

/// Parse and validate a config file's text. Errors read `FILE:LINE: FIELD: what is wrong`.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
    let file = path.display();
    let de = toml::Deserializer::parse(text).map_err(|e| {
        let line = e
            .span()
            .map_or(String::new(), |s| format!(":{}", line_at(text, s.start)));
        error::config(
            format!("{file}{line}: invalid TOML: {}", e.message().trim()),
            None,
        )
    })?;
    let parsed: ConfigFile = serde_path_to_error::deserialize(de).map_err(|e| {
        if let Some((field, line, message)) = key_table_error(text, e.path()) {
            return error::config(format!("{file}:{line}: {field}: {message}"), None);
        }
        let field = e.path().to_string();
        let inner = e.into_inner();
        let line = inner
            .span()
            .map(|s| line_at(text, s.start))
            .or_else(|| line_of(text, &field.split('.').collect::<Vec<_>>()))
            .map_or(String::new(), |l| format!(":{l}"));
        error::config(
            format!("{file}{line}: {field}: {}", inner.message().trim()),
            None,
        )
    })?;
    for (name, profile) in &parsed.profiles {
        let invalid = match rules::profile_name(name) {
            Err(b) => Invalid::from(b),
            Ok(()) => match validate(profile) {
                Ok(()) => continue,
                Err(i) => i,
            },
        };
        let mut keys = vec!["profiles", name.as_str()];
        keys.extend(invalid.path.iter().map(String::as_str));
        // The value's own line, else the nearest enclosing table's.
        let line = (2..=keys.len())
            .rev()
            .find_map(|n| line_of(text, &keys[..n]))
            .map_or(String::new(), |l| format!(":{l}"));
        let field: Vec<String> = keys.iter().map(|k| field_key(k)).collect();
        return Err(error::config(
            format!("{file}{line}: {}: {}", field.join("."), invalid.message),
            invalid.hint,
        ));
    }
    Ok(parsed)
}

/// A profile a platform team publishes for `ccgw init --from`: a ccgw config file holding
/// exactly one `[profiles.NAME]` table (with its subtables, as in config.toml), read with every rule
/// of the loader. A value that carries a secret is refused first (by [`rules::carried_secret`]),
/// naming its line and field: a published file is read by everyone, so it holds no secret.
/// `origin` names the file or URL in messages.
pub fn parse_published(origin: &str, text: &str) -> Result<(String, Profile)> {
    let path = Path::new(origin);
    // The secret check runs on the raw TOML, before serde: a field the loader does not know
    // (`token`, `api_key`) is named as the secret it is, not as an unknown field.
    if let Ok(doc) = toml::from_str::<toml::Table>(text)
        && let Some(keys) = rules::carried_secret(&doc)
    {
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let line = (1..=refs.len())
            .rev()
            .find_map(|n| line_of(text, &refs[..n]))
            .map_or(String::new(), |l| format!(":{l}"));
        let field: Vec<String> = refs.iter().map(|k| field_key(k)).collect();
        return Err(error::config(
            format!(
                "{origin}{line}: {}: a published profile must not carry a secret",
                field.join(".")
            ),
            Some("publish where the secret comes from (keyring, vault, a file or an environment variable); each developer's init asks for a keyring secret".into()),
        ));
    }
    let file = parse(path, text)?;
    let mut profiles = file.profiles.into_iter();
    match (profiles.next(), profiles.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(error::config(
            format!("{origin}: no profile in it"),
            Some("a published profile is one `[profiles.NAME]` table with its subtables, as in config.toml".into()),
        )),
        (Some(_), Some(_)) => Err(error::config(
            format!("{origin}: more than one profile in it"),
            Some("publish one `[profiles.NAME]` table per file".into()),
        )),
    }
}

/// `[profiles.NAME.key]` is an internally tagged enum (`source = "…"`): serde reads it whole
/// before choosing the variant, so its errors name only the table. Read that table again as
/// the chosen source's own struct to name the field and its line. `None` when the error is
/// not inside a key table (or the source is unknown: serde's message then says so).
fn key_table_error(
    text: &str,
    path: &serde_path_to_error::Path,
) -> Option<(String, usize, String)> {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let [
        Segment::Map { key: profiles },
        Segment::Map { key: name },
        Segment::Map { key },
    ] = segments.as_slice()
    else {
        return None;
    };
    if profiles != "profiles" || key != "key" {
        return None;
    }
    let doc: toml::Table = toml::from_str(text).ok()?;
    let mut table = doc
        .get("profiles")?
        .get(name.as_str())?
        .get("key")?
        .as_table()?
        .clone();
    let source = table.remove("source")?.as_str()?.to_owned();
    let value = toml::Value::Table(table);
    let (inner, message) = match source.as_str() {
        "keyring" => field_error::<KeyringSource>(value),
        "vault" => field_error::<VaultSource>(value),
        "jwt" => field_error::<JwtSource>(value),
        "command" => field_error::<CommandSource>(value),
        "env" => field_error::<EnvSource>(value),
        "oidc" => field_error::<OidcSource>(value),
        _ => None,
    }?;
    let mut keys = vec!["profiles", name.as_str(), "key"];
    let field = if inner.is_empty() || inner == "." {
        format!("profiles.{name}.key")
    } else {
        keys.extend(inner.split('.').take(1));
        format!("profiles.{name}.key.{inner}")
    };
    let line = line_of(text, &keys).or_else(|| line_of(text, &keys[..3]))?;
    Some((field, line, message))
}

/// The field path and message of deserializing `value` as `T`, if that fails.
fn field_error<T: serde::de::DeserializeOwned>(value: toml::Value) -> Option<(String, String)> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => None,
        Err(e) => Some((
            e.path().to_string(),
            e.into_inner().message().trim().to_owned(),
        )),
    }
}

/// A value of a profile that breaks a rule in [`rules`]: where (relative to the profile, e.g.
/// `["headers", "x-team"]`), what is wrong, and the fix when the message alone does not say it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Invalid {
    path: Vec<String>,
    message: String,
    hint: Option<String>,
}

impl Invalid {
    fn at(path: &[&str], message: String) -> Self {
        Self {
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message,
            hint: None,
        }
    }
}

impl From<rules::Broken> for Invalid {
    fn from(b: rules::Broken) -> Self {
        Self {
            path: Vec::new(),
            message: b.message,
            hint: b.hint,
        }
    }
}

/// Apply a rule to the value at `path`.
fn check(path: &[&str], rule: Result<(), rules::Broken>) -> Result<(), Invalid> {
    rule.map_err(|b| Invalid {
        path: path.iter().map(|s| (*s).to_owned()).collect(),
        ..b.into()
    })
}

/// Checks serde cannot express: the [`rules`] for each value, the mode's own fields.
fn validate(p: &Profile) -> std::result::Result<(), Invalid> {
    check(&["gateway"], rules::gateway(&p.gateway))?;
    check(&["key_ttl"], rules::key_lifetime(p.key_ttl))?;
    for (name, value) in &p.headers {
        check(&["headers", name], rules::header(name, value))?;
    }
    for (name, value) in &p.env {
        check(&["env", name], rules::env_var(name, value))?;
    }
    if let KeySource::Vault(v) = &p.key {
        vault_target(v)?;
        if let Some(version) = v.kv_version {
            check(&["key", "kv_version"], rules::kv_version(version))?;
        }
    }
    if let KeySource::Jwt(jwt) = &p.key {
        check(
            &["key", "algorithm"],
            rules::jwt_algorithm(&jwt.algorithm).map(drop),
        )?;
    }
    match &p.key {
        KeySource::Jwt(JwtSource { ttl: Some(ttl), .. }) => {
            check(&["key", "ttl"], rules::key_lifetime(*ttl))?;
        }
        KeySource::Command(CommandSource {
            timeout: Some(t), ..
        }) => check(&["key", "timeout"], rules::command_timeout(*t))?,
        KeySource::Vault(VaultSource {
            addr: Some(addr), ..
        }) => check(&["key", "addr"], rules::service_url("addr", addr))?,
        KeySource::Oidc(o) => {
            check(&["key", "issuer"], rules::idp_url("issuer", &o.issuer))?;
            if o.client_id.trim().is_empty() {
                return Err(Invalid::at(&["key", "client_id"], "is empty".into()));
            }
            if !o.scopes.iter().any(|s| s == "openid") {
                return Err(Invalid::at(
                    &["key", "scopes"],
                    "must include `openid`".into(),
                ));
            }
        }
        _ => {}
    }
    match p.mode {
        Mode::Bedrock if p.bedrock.is_none() => Err(Invalid::at(
            &["bedrock"],
            "bedrock mode needs `bedrock = { region = \"…\" }`".into(),
        )),
        Mode::Vertex if p.vertex.is_none() => Err(Invalid::at(
            &["vertex"],
            "vertex mode needs `vertex = { project = \"…\" }`".into(),
        )),
        _ => Ok(()),
    }
}

/// A vault source reads either a KV secret (`path`, with `mount`, `field`, `kv_version`) or an
/// identity token (`identity_role`), never both.
fn vault_target(v: &VaultSource) -> std::result::Result<(), Invalid> {
    let Some(role) = &v.identity_role else {
        if v.path.is_empty() {
            return Err(Invalid {
                hint: Some(
                    "set `path` to the KV secret holding the key, or `identity_role` to serve a Vault identity token".into(),
                ),
                ..Invalid::at(&["key"], "missing field `path`".into())
            });
        }
        return Ok(());
    };
    check(&["key", "identity_role"], rules::identity_role(role))?;
    let kv_fields = [
        ("path", !v.path.is_empty()),
        ("mount", v.mount.is_some()),
        ("field", v.field.is_some()),
        ("kv_version", v.kv_version.is_some()),
    ];
    match kv_fields.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(Invalid {
            hint: Some(format!(
                "remove `{field}`, or `identity_role` to read a KV secret instead"
            )),
            ..Invalid::at(
                &["key", field],
                format!(
                    "`{field}` is for a KV secret; this source serves the identity token of `identity_role`"
                ),
            )
        }),
        None => Ok(()),
    }
}

/// A key of a dotted field path as a person reads it: bare when TOML allows that, else quoted
/// (and escaped: a header name may hold anything).
fn field_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// The rules a profile's values follow. The loader applies every one of them, so a config that
/// loads is one every command can use; `init` and `doctor` call the same functions rather
/// than keeping copies. Messages are lowercase and never repeat a secret (a gateway URL's
/// password is not echoed).
pub mod rules {
    use std::time::Duration;

    /// Why a value breaks a rule, and the fix when the message alone does not say it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Broken {
        pub message: String,
        pub hint: Option<String>,
    }

    impl std::fmt::Display for Broken {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.message)
        }
    }

    impl From<Broken> for String {
        fn from(b: Broken) -> Self {
            match b.hint {
                Some(h) => format!("{} ({h})", b.message),
                None => b.message,
            }
        }
    }

    fn broken(message: impl Into<String>, hint: Option<&str>) -> Broken {
        Broken {
            message: message.into(),
            hint: hint.map(str::to_owned),
        }
    }

    /// Shortest key lifetime (`key_ttl`, a JWT's `ttl`): Claude Code re-asks after a quarter.
    pub const MIN_KEY_LIFETIME: Duration = Duration::from_secs(10);
    /// Longest key lifetime: a year (humantime's `1y`). Longer is never what is meant, and far
    /// longer overflows the clock arithmetic of the cache and of a JWT's `exp`.
    pub const MAX_KEY_LIFETIME: Duration = Duration::from_secs(31_557_600);
    /// Shortest time limit for a key command.
    pub const MIN_COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
    /// Longest time limit for a key command: Claude Code itself gives an apiKeyHelper 10 minutes.
    pub const MAX_COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

    fn within(d: Duration, min: Duration, max: Duration) -> Result<(), Broken> {
        let show = |d: Duration| humantime::format_duration(d).to_string();
        if d < min {
            return Err(broken(format!("must be at least {}", show(min)), None));
        }
        if d > max {
            return Err(broken(format!("must be at most {}", show(max)), None));
        }
        Ok(())
    }

    /// `key_ttl` and a JWT's `ttl`.
    pub fn key_lifetime(d: Duration) -> Result<(), Broken> {
        within(d, MIN_KEY_LIFETIME, MAX_KEY_LIFETIME)
    }

    /// A Vault source's `kv_version`: the two KV engines there are.
    pub fn kv_version(v: u8) -> Result<(), Broken> {
        match v {
            1 | 2 => Ok(()),
            _ => Err(broken(
                format!("must be 1 or 2, not {v}"),
                Some("leave it out and ccgw asks Vault which version the mount is"),
            )),
        }
    }

    /// A vault `identity_role`: one path segment of `identity/oidc/token/NAME`.
    pub fn identity_role(name: &str) -> Result<(), Broken> {
        let ok = !name.is_empty()
            && name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && name != "."
            && name != "..";
        if ok {
            Ok(())
        } else {
            Err(broken(
                format!("{name:?} is not a role name"),
                Some("the name of an `identity/oidc/role`: letters, digits, `-`, `_`, `.`"),
            ))
        }
    }

    /// A command source's `timeout`.
    pub fn command_timeout(d: Duration) -> Result<(), Broken> {
        within(d, MIN_COMMAND_TIMEOUT, MAX_COMMAND_TIMEOUT)
    }

    /// `gateway`: an http(s) URL with a host, exactly as Claude Code gets it (so no whitespace
    /// or control character, which URL parsers drop silently but the variable would keep), and
    /// no user or password in it: a credential there would end up in settings files, shell
    /// exports and doctor's output, none of which treat it as a secret.
    pub fn gateway(url: &str) -> Result<(), Broken> {
        service_url("gateway", url)
    }

    /// The URL rule of [`gateway`] for any server ccgw sends credentials to (`gateway`, a
    /// Vault `addr` or `VAULT_ADDR`): `field` names where the URL came from in the hints.
    pub fn service_url(field: &str, url: &str) -> Result<(), Broken> {
        if let Some(at) = url.find(|c: char| c.is_whitespace() || c.is_control()) {
            let what = if url[at..].starts_with(char::is_control) {
                "a control character"
            } else {
                "whitespace"
            };
            return Err(Broken {
                message: format!("the URL holds {what} (at byte {at})"),
                hint: Some(format!(
                    "write the base URL alone in `{field}`, e.g. https://gw.example.com"
                )),
            });
        }
        let shown = without_userinfo(url);
        let parsed = match reqwest::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return Err(broken(format!("`{shown}` is not a URL: {e}"), None)),
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Broken {
                message: format!("`{shown}` carries a user name or password"),
                hint: Some(format!(
                    "remove `user:password@` from `{field}`: credentials come from the profile's key source"
                )),
            });
        }
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(broken(format!("`{shown}` is not an http(s) URL"), None));
        }
        Ok(())
    }

    /// Whether `url`'s host is this machine (`localhost`, 127.0.0.0/8, `::1`), where plain http
    /// crosses no network: the one reading of it, for every URL rule and doctor.
    pub fn is_loopback(url: &reqwest::Url) -> bool {
        let host = url.host_str().unwrap_or_default();
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// An identity provider's URL (an OIDC `issuer`, an endpoint its discovery names): the
    /// [`service_url`] rule, and HTTPS unless the host is a loopback address, where nothing
    /// crosses a network (RFC 8252 allows plain http only there).
    pub fn idp_url(field: &str, url: &str) -> Result<(), Broken> {
        service_url(field, url)?;
        let parsed = reqwest::Url::parse(url).map_err(|e| broken(e.to_string(), None))?;
        let loopback = is_loopback(&parsed);
        if parsed.scheme() != "https" && !loopback {
            return Err(Broken {
                message: format!("`{}` is not an https URL", without_userinfo(url)),
                hint: Some(format!(
                    "an identity provider is reached over HTTPS (plain http only on 127.0.0.1, ::1 or localhost): fix `{field}`"
                )),
            });
        }
        Ok(())
    }

    /// `url` with everything from after `scheme://` (or from the start, without one) to its
    /// last `@` replaced by `…`, so that a message about the URL never repeats a password in
    /// it, however malformed the URL (masking a path's `@` too costs nothing).
    fn without_userinfo(url: &str) -> String {
        let start = url.find("://").map_or(0, |i| i + 3);
        match url[start..].rfind('@') {
            Some(at) => format!("{}…{}", &url[..start], &url[start + at..]),
            None => url.to_owned(),
        }
    }

    /// Where `ccgw init --from` may download a published profile from: `https`, or plain
    /// `http` to a loopback address only (a profile decides where every key is sent, so it must
    /// not be open to tampering on the way). Files are read directly and need no rule.
    pub fn published_url(url: &str) -> Result<(), Broken> {
        service_url("--from", url)?;
        let parsed = reqwest::Url::parse(url).expect("service_url parsed it");
        let loopback = is_loopback(&parsed);
        if parsed.scheme() == "http" && !loopback {
            return Err(Broken {
                message: format!("`{url}` is plain http to another machine"),
                hint: Some("publish the profile over https (plain http only to localhost)".into()),
            });
        }
        Ok(())
    }

    /// Where a published profile carries a secret: the key path of the first string value
    /// that is one (e.g. `["profiles", "acme", "key", "token"]`), by the one secret rule
    /// (`redact::secret_shaped`, `redact::secret_header` for `headers`). A field that names
    /// where a secret is (`…_file`, `…_env`, `…_path`, `…_dir`) is judged by its value alone.
    pub fn carried_secret(doc: &toml::Table) -> Option<Vec<String>> {
        fn walk(path: &mut Vec<String>, value: &toml::Value) -> bool {
            match value {
                toml::Value::String(s) => {
                    let leaf = path.last().map_or("", String::as_str);
                    let in_headers = path.len() >= 2 && path[path.len() - 2] == "headers";
                    let location = ["_file", "_env", "_path", "_dir"]
                        .iter()
                        .any(|suffix| leaf.ends_with(suffix));
                    if in_headers {
                        crate::redact::secret_header(leaf, s)
                    } else if location {
                        crate::redact::secret_shaped("VALUE", s)
                    } else {
                        crate::redact::secret_shaped(leaf, s)
                    }
                }
                toml::Value::Table(t) => t.iter().any(|(k, v)| {
                    path.push(k.clone());
                    let found = walk(path, v);
                    if !found {
                        path.pop();
                    }
                    found
                }),
                toml::Value::Array(a) => a.iter().any(|v| walk(path, v)),
                _ => false,
            }
        }
        let mut path = Vec::new();
        walk(&mut path, &toml::Value::Table(doc.clone())).then_some(path)
    }

    /// A header name is an HTTP token (RFC 9110): letters, digits and ``!#$%&'*+-.^_`|~``.
    pub fn header_name(name: &str) -> Result<(), Broken> {
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(broken(
                format!("{name:?} is not a header name"),
                Some("a header name has letters, digits and `-` only, e.g. x-team"),
            ));
        }
        Ok(())
    }

    /// A header value is one line that Claude Code can send: no CR, LF, NUL or other control
    /// character but tab (a line break in `ANTHROPIC_CUSTOM_HEADERS` starts another header on
    /// every request), and nothing above U+00FF (Claude Code 2.1.227+ refuses the whole
    /// variable then).
    pub fn header_value(name: &str, value: &str) -> Result<(), Broken> {
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(broken(
                format!("the value of `{name}` holds a line break or control character"),
                Some("a header value is one line of text"),
            ));
        }
        if value.chars().any(|c| u32::from(c) > 0xFF) {
            return Err(broken(
                format!("the value of `{name}` holds characters beyond Latin-1"),
                Some("Claude Code sends header values of Latin-1 text only"),
            ));
        }
        Ok(())
    }

    /// One `headers` entry.
    pub fn header(name: &str, value: &str) -> Result<(), Broken> {
        header_name(name)?;
        header_value(name, value)
    }

    /// An environment variable name every shell and Claude Code's settings accept: letters,
    /// digits and `_`, not starting with a digit.
    pub fn env_name(name: &str) -> Result<(), Broken> {
        let mut chars = name.chars();
        let ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(())
        } else {
            Err(broken(
                format!(
                    "`{}` is not a valid environment variable name",
                    name.escape_debug()
                ),
                Some(
                    "use letters, digits and `_`, not starting with a digit, in the profile's `env`",
                ),
            ))
        }
    }

    /// One entry of a profile's extra `env`: a valid name, a value without NUL (no process
    /// environment can hold one), and the rules of the variable's own kind, so the extras cannot
    /// smuggle in what `headers` and `gateway` refuse: each line of `ANTHROPIC_CUSTOM_HEADERS`
    /// is a header, and a base URL follows the gateway rule.
    pub fn env_var(name: &str, value: &str) -> Result<(), Broken> {
        env_name(name)?;
        if value.contains('\0') {
            return Err(broken(
                format!("`{name}` contains a NUL character, which no environment can hold"),
                None,
            ));
        }
        match name {
            "ANTHROPIC_CUSTOM_HEADERS" => {
                for line in value.split('\n').filter(|l| !l.trim().is_empty()) {
                    let Some((h, v)) = line.split_once(':') else {
                        return Err(broken(
                            format!("`{name}` has a line that is not `Name: value`"),
                            Some("put headers in the profile's `headers` table instead"),
                        ));
                    };
                    header(h.trim(), v.trim())?;
                }
                Ok(())
            }
            "ANTHROPIC_BASE_URL" | "ANTHROPIC_BEDROCK_BASE_URL" | "ANTHROPIC_VERTEX_BASE_URL" => {
                gateway(value)
            }
            _ => Ok(()),
        }
    }

    /// The JWT algorithms a `jwt` source can sign with, by their JOSE names.
    pub const JWT_ALGORITHMS: [&str; 12] = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
        "ES384", "EdDSA",
    ];

    /// A `jwt` source's `algorithm`: one of [`JWT_ALGORITHMS`], in any ASCII case; the
    /// canonical spelling.
    pub fn jwt_algorithm(name: &str) -> Result<&'static str, Broken> {
        JWT_ALGORITHMS
            .into_iter()
            .find(|a| a.eq_ignore_ascii_case(name))
            .ok_or_else(|| Broken {
                message: format!("unknown JWT algorithm `{}`", name.escape_debug()),
                hint: Some(format!("use one of {}", JWT_ALGORITHMS.join(" "))),
            })
    }

    /// A profile name goes into the apiKeyHelper line (`ccgw key --profile NAME`), a keyring
    /// account and messages: not empty, no leading `-` (the helper would read it as an
    /// option), no control character.
    pub fn profile_name(name: &str) -> Result<(), Broken> {
        if name.is_empty() {
            return Err(broken("the profile name is empty", None));
        }
        if name.starts_with('-') {
            return Err(broken(
                format!(
                    "profile name `{name}` starts with `-`: `ccgw key --profile {name}` would read it as an option"
                ),
                Some("rename the profile"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(broken(
                format!("profile name {name:?} holds a control character"),
                Some("rename the profile"),
            ));
        }
        Ok(())
    }
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The line where the key at `path` (e.g. `["profiles", "work", "mode"]`) is defined.
fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut item = doc.as_item();
    let mut span = None;
    for key in path {
        let table = item.as_table_like()?;
        let (k, v) = table.get_key_value(key)?;
        span = k.span().or_else(|| v.span());
        item = v;
    }
    span.map(|s| line_at(text, s.start))
}

/// Comment-preserving edits of the config file, written atomically (0600: it may name
/// secrets' locations, never secrets).
pub struct Editor {
    path: PathBuf,
    doc: toml_edit::DocumentMut,
}

impl Editor {
    pub fn open(loaded: &Loaded) -> Result<Self> {
        let doc = loaded
            .text
            .parse::<toml_edit::DocumentMut>()
            .with_context(|| format!("could not parse `{}`", loaded.path.path.display()))?;
        Ok(Self {
            path: loaded.path.path.clone(),
            doc,
        })
    }

    pub fn set_default(&mut self, name: &str) {
        match self
            .doc
            .get_mut("default_profile")
            .and_then(toml_edit::Item::as_value_mut)
        {
            // Keep the decor: a comment after the old value stays after the new one.
            Some(v) => {
                let decor = v.decor().clone();
                *v = name.into();
                *v.decor_mut() = decor;
            }
            None => self.doc["default_profile"] = toml_edit::value(name),
        }
    }

    pub fn clear_default(&mut self) {
        self.doc.remove("default_profile");
    }

    /// Insert or replace `[profiles.NAME]`.
    pub fn put_profile(&mut self, name: &str, profile: &Profile) -> Result<()> {
        let text = toml::to_string(profile).context("could not serialise the profile")?;
        let mut table = text.parse::<toml_edit::DocumentMut>()?.as_table().clone();
        // A blank line before a new profile that follows other content, as a person writes it.
        if !self.doc.as_table().is_empty() {
            table.decor_mut().set_prefix("\n");
        }
        let profiles = self.doc.entry("profiles").or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        });
        let profiles = profiles
            .as_table_mut()
            .ok_or_else(|| error::config("`profiles` is not a table", None))?;
        // A replaced profile keeps the comments above it.
        if let Some(old) = profiles.get(name).and_then(toml_edit::Item::as_table) {
            *table.decor_mut() = old.decor().clone();
        }
        profiles.insert(name, toml_edit::Item::Table(table));
        Ok(())
    }

    pub fn remove_profile(&mut self, name: &str) -> bool {
        self.doc
            .get_mut("profiles")
            .and_then(|p| p.as_table_mut())
            .and_then(|t| t.remove(name))
            .is_some()
    }

    /// The edited document, validated as a whole (what `save` would write).
    pub fn render(&self) -> Result<String> {
        let text = self.doc.to_string();
        parse(&self.path, &text)?;
        Ok(text)
    }

    /// Validate the edited document as a whole, then write it.
    pub fn save(self) -> Result<()> {
        let text = self.render()?;
        fsutil::write_private(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_localhost_and_the_loopback_addresses_only() {
        let at = |u: &str| rules::is_loopback(&reqwest::Url::parse(u).unwrap());
        for yes in [
            "http://localhost:4000",
            "http://LOCALHOST",
            "http://127.0.0.1",
            "http://127.8.9.10:1",
            "http://[::1]:4000/x",
        ] {
            assert!(at(yes), "{yes}");
        }
        for no in [
            "http://example.com",
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
            "http://0.0.0.0",
        ] {
            assert!(!at(no), "{no}");
        }
        // The rules that allow plain http only there.
        assert!(rules::published_url("http://127.0.0.1:8080/p.toml").is_ok());
        assert!(rules::published_url("http://10.1.1.1/p.toml").is_err());
        assert!(rules::idp_url("issuer", "http://[::1]:9000").is_ok());
        assert!(rules::idp_url("issuer", "http://idp.example.com").is_err());
    }

    fn err(text: &str) -> String {
        format!("{:#}", parse(Path::new("c.toml"), text).unwrap_err())
    }

    const GOOD: &str = "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.work.key]\nsource = \"env\"\nvar = \"K\"\n";

    #[test]
    fn an_oidc_source_is_checked_at_load() {
        let base = "[profiles.p]\ngateway = \"http://127.0.0.1:4000\"\n[profiles.p.key]\nsource = \"oidc\"\nclient_id = \"cli\"\n";
        let ok = parse(
            Path::new("c.toml"),
            &format!("{base}issuer = \"https://idp.example.com/realms/r\"\n"),
        )
        .unwrap();
        let KeySource::Oidc(o) = &ok.profiles["p"].key else {
            panic!("not oidc")
        };
        assert_eq!(o.scopes, ["openid", "offline_access"]);
        assert_eq!(
            (o.flow, o.token),
            (OidcFlow::Device, OidcToken::AccessToken)
        );
        assert!(
            parse(
                Path::new("c.toml"),
                &format!("{base}issuer = \"http://[::1]:8080\"\n")
            )
            .is_ok()
        );
        let plain = err(&format!("{base}issuer = \"http://idp.example.com\"\n"));
        assert!(plain.contains("c.toml:6: profiles.p.key.issuer"), "{plain}");
        assert!(plain.contains("not an https URL"), "{plain}");
        let inline = err(&format!(
            "{base}issuer = \"https://idp.example.com\"\nclient_secret = \"s3cr3t-value\"\n"
        ));
        assert!(inline.contains("profiles.p.key.client_secret"), "{inline}");
        assert!(!inline.contains("s3cr3t-value"), "{inline}");
        let scopes = err(&format!(
            "{base}issuer = \"https://idp.example.com\"\nscopes = [\"email\"]\n"
        ));
        assert!(scopes.contains("must include `openid`"), "{scopes}");
        let flow = err(&format!(
            "{base}issuer = \"https://idp.example.com\"\nflow = \"magic\"\n"
        ));
        assert!(flow.contains("profiles.p.key.flow"), "{flow}");
    }

    #[test]
    fn parses_the_contract_example() {
        let f = parse(Path::new("c.toml"), GOOD).unwrap();
        let p = &f.profiles["work"];
        assert_eq!(p.mode, Mode::Unified);
        assert_eq!(p.key_ttl, DEFAULT_KEY_TTL);
        assert!(matches!(&p.key, KeySource::Env(e) if e.var == "K"));
    }

    #[test]
    fn unknown_mode_names_line_and_field() {
        let e = err(&GOOD.replace("gateway =", "mode = \"bogus\"\ngateway ="));
        assert!(
            e.starts_with("c.toml:4: profiles.work.mode: unknown variant `bogus`"),
            "{e}"
        );
    }

    #[test]
    fn missing_gateway_names_the_profile() {
        let e = err(&GOOD.replace("gateway = \"http://127.0.0.1:4000\"\n", ""));
        assert!(
            e.contains("c.toml:3: profiles.work: missing field `gateway`"),
            "{e}"
        );
    }

    #[test]
    fn syntax_error_names_the_line() {
        let e = err("[profiles.work]\ngateway = \n");
        assert!(e.starts_with("c.toml:2: invalid TOML"), "{e}");
    }

    #[test]
    fn a_wrong_key_field_is_named_with_its_own_line() {
        let e = err(&GOOD.replace(
            "source = \"env\"\nvar = \"K\"\n",
            "source = \"command\"\ncommand = [\"sh\", \"-c\"]\n",
        ));
        assert!(
            e.starts_with("c.toml:8: profiles.work.key.command: invalid type: sequence"),
            "{e}"
        );
        let e = err(&GOOD.replace("var = \"K\"", "var = \"K\"\nvarr = \"L\""));
        assert!(
            e.starts_with("c.toml:9: profiles.work.key.varr: unknown field `varr`"),
            "{e}"
        );
        let e = err(&GOOD.replace("var = \"K\"\n", ""));
        assert!(
            e.starts_with("c.toml:6: profiles.work.key: missing field `var`"),
            "{e}"
        );
        let e = err(&GOOD.replace(
            "source = \"env\"",
            "source = \"vault\"\nkv_version = \"two\"",
        ));
        assert!(
            e.starts_with("c.toml:8: profiles.work.key.kv_version: invalid type: string"),
            "{e}"
        );
        // An unknown source: serde's own message lists the sources.
        let e = err(&GOOD.replace("source = \"env\"", "source = \"vaulty\""));
        assert!(
            e.starts_with("c.toml:7: profiles.work.key.source: unknown variant `vaulty`"),
            "{e}"
        );
    }

    #[test]
    fn bedrock_without_region_is_refused() {
        let e = err(&GOOD.replace("gateway =", "mode = \"bedrock\"\ngateway ="));
        assert!(
            e.contains("profiles.work.bedrock: bedrock mode needs"),
            "{e}"
        );
    }

    fn hint(text: &str) -> Option<String> {
        let e = parse(Path::new("c.toml"), text).unwrap_err();
        e.chain()
            .find_map(|c| c.downcast_ref::<error::Failure>())
            .and_then(|f| f.hint.clone())
    }

    /// The extra `env` cannot carry what `headers` and `gateway` refuse, nor a name or value no
    /// environment can hold.
    #[test]
    fn extra_env_follows_the_header_gateway_and_name_rules() {
        let with_env = |table: &str| {
            GOOD.replace(
                "\n[profiles.work.key]",
                &format!("env = {table}\n\n[profiles.work.key]"),
            )
        };
        for (table, field, wanted) in [
            (
                r#"{ "A=B" = "1" }"#,
                r#"env."A=B""#,
                "not a valid environment variable name",
            ),
            (
                r#"{ "1X" = "1" }"#,
                "env.1X",
                "not a valid environment variable name",
            ),
            (r#"{ X = "a\u0000b" }"#, "env.X", "contains a NUL character"),
            (
                r#"{ ANTHROPIC_CUSTOM_HEADERS = "x-a: 1\nx-b: 2\rInjected: yes" }"#,
                "env.ANTHROPIC_CUSTOM_HEADERS",
                "line break or control character",
            ),
            (
                r#"{ ANTHROPIC_CUSTOM_HEADERS = "no colon here" }"#,
                "env.ANTHROPIC_CUSTOM_HEADERS",
                "not `Name: value`",
            ),
            (
                r#"{ ANTHROPIC_CUSTOM_HEADERS = "bad name: 1" }"#,
                "env.ANTHROPIC_CUSTOM_HEADERS",
                "is not a header name",
            ),
            (
                r#"{ ANTHROPIC_BASE_URL = "https://u:hunter2@gw.example.com" }"#,
                "env.ANTHROPIC_BASE_URL",
                "carries a user name or password",
            ),
        ] {
            let e = err(&with_env(table));
            assert!(
                e.contains(&format!("profiles.work.{field}: ")),
                "{table}: {e}"
            );
            assert!(e.contains(wanted), "{table}: {e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
        let ok = with_env(
            r#"{ ANTHROPIC_CUSTOM_HEADERS = "x-a: 1\nx-b: two words", DISABLE_PROMPT_CACHING = "1" }"#,
        );
        assert!(parse(Path::new("c.toml"), &ok).is_ok());
    }

    /// `identity_role` replaces the KV secret: with any KV field beside it, or with neither,
    /// the load fails naming the file, the line and the field.
    #[test]
    fn a_vault_source_reads_a_secret_or_an_identity_token_not_both() {
        let vault = |body: &str| GOOD.replace("source = \"env\"\nvar = \"K\"", body);
        let ok = parse(
            Path::new("c.toml"),
            &vault("source = \"vault\"\nidentity_role = \"gw\"\nauth = \"userpass\"\nusername = \"ada\""),
        )
        .unwrap();
        assert!(matches!(
            &ok.profiles["work"].key,
            KeySource::Vault(v) if v.identity_role.as_deref() == Some("gw") && v.path.is_empty()
        ));
        for (field, value) in [
            ("path", "\"gw\""),
            ("mount", "\"kv\""),
            ("field", "\"token\""),
            ("kv_version", "2"),
        ] {
            let text = vault(&format!(
                "source = \"vault\"\nidentity_role = \"gw\"\n{field} = {value}"
            ));
            let e = err(&text);
            assert!(
                e.starts_with(&format!(
                    "c.toml:9: profiles.work.key.{field}: `{field}` is for a KV secret"
                )),
                "{e}"
            );
            assert!(hint(&text).unwrap().contains(&format!("remove `{field}`")));
        }
        let neither = vault("source = \"vault\"\nauth = \"token\"");
        let e = err(&neither);
        assert!(
            e.starts_with("c.toml:6: profiles.work.key: missing field `path`"),
            "{e}"
        );
        assert!(hint(&neither).unwrap().contains("identity_role"));
        for bad in ["", "a/b", "..", "x y", "gw?"] {
            let text = vault(&format!("source = \"vault\"\nidentity_role = {bad:?}"));
            let e = err(&text);
            assert!(
                e.starts_with("c.toml:8: profiles.work.key.identity_role: ")
                    && e.contains("is not a role name"),
                "{bad}: {e}"
            );
        }
    }

    /// A Vault address follows the same URL rule as the gateway, at load.
    #[test]
    fn a_vault_addr_with_a_password_is_refused_at_load() {
        let text = GOOD.replace(
            "source = \"env\"\nvar = \"K\"",
            "source = \"vault\"\npath = \"gw\"\naddr = \"http://root:hunter2@127.0.0.1:8200\"",
        );
        let e = err(&text);
        assert!(
            e.contains("profiles.work.key.addr: `")
                && e.contains("carries a user name or password"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        assert!(hint(&text).unwrap().contains("from `addr`"));
    }

    #[test]
    fn a_password_in_the_gateway_url_is_refused_without_echoing_it() {
        for url in [
            "http://user:hunter2-secret@127.0.0.1:4000",
            "https://sk-hunter2-secret@gw.example.com",
            "https://:hunter2-secret@gw.example.com/x",
        ] {
            let text = GOOD.replace("http://127.0.0.1:4000", url);
            let e = err(&text);
            assert!(
                e.starts_with("c.toml:4: profiles.work.gateway: `")
                    && e.contains("carries a user name or password"),
                "{e}"
            );
            assert!(!e.contains("hunter2"), "the password is echoed: {e}");
            assert!(hint(&text).unwrap().contains("remove `user:password@`"));
        }
    }

    #[test]
    fn a_message_about_a_gateway_url_never_shows_its_userinfo() {
        // Not even when the URL is broken in some other way too.
        let e = rules::gateway("http://u:hunter2@[::1")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("`http://…@[::1` is not a URL"), "{e}");
        for url in [
            "ftp://u:hunter2@host/x@y",
            "u:hunter2@host",
            "//u:hunter2@host",
        ] {
            let e = rules::gateway(url).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn whitespace_or_controls_in_the_gateway_url_are_refused() {
        for url in [
            "http://127.0.0.1:4000 ",
            " http://127.0.0.1:4000",
            "http://127.0.0.1:4000\\n",
            "http://127.0.0.1:4000/a\\tb",
            "http://127.0.0.1:4000\\u0000",
        ] {
            let e = err(&GOOD.replace("http://127.0.0.1:4000", url));
            assert!(
                e.starts_with("c.toml:4: profiles.work.gateway: the URL holds"),
                "{url:?}: {e}"
            );
        }
    }

    #[test]
    fn header_names_must_be_tokens_and_values_one_line() {
        let with =
            |headers: &str| GOOD.replace("gateway =", &format!("headers = {headers}\ngateway ="));
        assert!(
            parse(
                Path::new("c.toml"),
                &with(r#"{ "x-team" = "eng", "X_B" = "a\tb é" }"#)
            )
            .is_ok()
        );
        for (headers, field, what) in [
            (
                r#"{ "x-a" = "1\r\nx-evil: yes" }"#,
                "headers.x-a",
                "line break or control",
            ),
            (
                r#"{ "x-a" = "1\nx-evil: yes" }"#,
                "headers.x-a",
                "line break or control",
            ),
            (
                r#"{ "x-a" = "1\u0000" }"#,
                "headers.x-a",
                "line break or control",
            ),
            (r#"{ "x-a" = "\u2603" }"#, "headers.x-a", "beyond Latin-1"),
            (
                r#"{ "x a" = "1" }"#,
                "headers.\"x a\"",
                "is not a header name",
            ),
            (
                r#"{ "x:a" = "1" }"#,
                "headers.\"x:a\"",
                "is not a header name",
            ),
            (
                r#"{ "x\na" = "1" }"#,
                "headers.\"x\\na\"",
                "is not a header name",
            ),
            (r#"{ "" = "1" }"#, "headers.\"\"", "is not a header name"),
        ] {
            let e = err(&with(headers));
            assert!(
                e.starts_with(&format!("c.toml:4: profiles.work.{field}: ")) && e.contains(what),
                "{headers}: {e}"
            );
        }
    }

    #[test]
    fn durations_out_of_range_are_config_errors_naming_the_field() {
        let e = err(&GOOD.replace("gateway =", "key_ttl = \"500000000000y\"\ngateway ="));
        assert!(
            e.starts_with("c.toml:4: profiles.work.key_ttl: must be at most 1year"),
            "{e}"
        );
        let e = err(&GOOD.replace("gateway =", "key_ttl = \"5s\"\ngateway ="));
        assert!(
            e.starts_with("c.toml:4: profiles.work.key_ttl: must be at least 10s"),
            "{e}"
        );
        let jwt = |ttl: &str| {
            GOOD.replace(
                "source = \"env\"\nvar = \"K\"\n",
                &format!(
                    "source = \"jwt\"\nalgorithm = \"HS256\"\nsecret_env = \"S\"\nttl = \"{ttl}\"\n"
                ),
            )
        };
        let e = err(&jwt("500000000000y"));
        assert!(
            e.starts_with("c.toml:10: profiles.work.key.ttl: must be at most 1year"),
            "{e}"
        );
        assert!(parse(Path::new("c.toml"), &jwt("5m")).is_ok());
        let command = |timeout: &str| {
            GOOD.replace(
                "source = \"env\"\nvar = \"K\"\n",
                &format!("source = \"command\"\ncommand = \"x\"\ntimeout = \"{timeout}\"\n"),
            )
        };
        let e = err(&command("500000000000y"));
        assert!(
            e.starts_with("c.toml:9: profiles.work.key.timeout: must be at most 10m"),
            "{e}"
        );
        let e = err(&command("0s"));
        assert!(
            e.starts_with("c.toml:9: profiles.work.key.timeout: must be at least 1s"),
            "{e}"
        );
        assert!(parse(Path::new("c.toml"), &command("2m")).is_ok());
    }

    #[test]
    fn kv_version_is_one_or_two() {
        let vault = |v: &str| {
            GOOD.replace(
                "source = \"env\"\nvar = \"K\"\n",
                &format!("source = \"vault\"\npath = \"gw\"\nkv_version = {v}\n"),
            )
        };
        let e = err(&vault("0"));
        assert!(
            e.starts_with("c.toml:9: profiles.work.key.kv_version: must be 1 or 2, not 0"),
            "{e}"
        );
        assert!(err(&vault("3")).contains("not 3"));
        for ok in ["1", "2"] {
            assert!(parse(Path::new("c.toml"), &vault(ok)).is_ok(), "{ok}");
        }
        assert_eq!(rules::kv_version(2), Ok(()));
    }

    #[test]
    fn a_profile_name_that_would_break_the_helper_line_is_refused() {
        let named = |name: &str| GOOD.replace("profiles.work", &format!("profiles.{name}"));
        let e = err(&named("\"-x\""));
        assert!(
            e.starts_with("c.toml:3: profiles.-x: profile name `-x` starts with `-`"),
            "{e}"
        );
        assert_eq!(
            hint(&named("\"-x\"")).as_deref(),
            Some("rename the profile")
        );
        let e = err(&named("\"a\\u001bb\""));
        assert!(e.contains("holds a control character"), "{e}");
        let e = err(&named("\"\""));
        assert!(e.contains("the profile name is empty"), "{e}");
        assert!(parse(Path::new("c.toml"), &named("\"a-b c\"")).is_ok());
    }
}
