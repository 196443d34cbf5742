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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Unified,
    Anthropic,
    Bedrock,
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
}

impl KeySource {
    pub fn kind(&self) -> &'static str {
        match self {
            KeySource::Keyring(_) => "keyring",
            KeySource::Vault(_) => "vault",
            KeySource::Jwt(_) => "jwt",
            KeySource::Command(_) => "command",
            KeySource::Env(_) => "env",
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Secret path inside the mount.
    pub path: String,
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
        validate(profile).map_err(|(field, msg)| {
            let keys = ["profiles", name.as_str(), field];
            let line = line_of(text, &keys)
                .or_else(|| line_of(text, &keys[..2]))
                .map_or(String::new(), |l| format!(":{l}"));
            error::config(
                format!("{file}{line}: profiles.{name}.{field}: {msg}"),
                None,
            )
        })?;
    }
    Ok(parsed)
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

/// Checks serde cannot express: a usable URL, the mode's own fields.
fn validate(p: &Profile) -> std::result::Result<(), (&'static str, String)> {
    match reqwest::Url::parse(&p.gateway) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        Ok(_) => return Err(("gateway", format!("`{}` is not an http(s) URL", p.gateway))),
        Err(e) => return Err(("gateway", format!("`{}` is not a URL: {e}", p.gateway))),
    }
    if p.key_ttl < Duration::from_secs(10) {
        return Err(("key_ttl", "must be at least 10s".into()));
    }
    match p.mode {
        Mode::Bedrock if p.bedrock.is_none() => Err((
            "bedrock",
            "bedrock mode needs `bedrock = { region = \"…\" }`".into(),
        )),
        Mode::Vertex if p.vertex.is_none() => Err((
            "vertex",
            "vertex mode needs `vertex = { project = \"…\" }`".into(),
        )),
        _ => Ok(()),
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

    fn err(text: &str) -> String {
        format!("{:#}", parse(Path::new("c.toml"), text).unwrap_err())
    }

    const GOOD: &str = "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.work.key]\nsource = \"env\"\nvar = \"K\"\n";

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
}
