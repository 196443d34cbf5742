//! Claude Code settings files: where each layer lives, reading them, and (in `merge`) the pure
//! merge of ccgw's keys with its undo record.
//!
//! Precedence, lowest first: user < project < local < managed (Claude Code's own order;
//! `--settings` sits between local and managed). A settings `env` value beats a shell export.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Overrides the managed-settings directory (tests, packaging, unusual installs).
pub const MANAGED_DIR_VAR: &str = "CCGW_MANAGED_DIR";

/// A settings layer by scope (also `--scope` of `ccgw settings`: the doc comments are its help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Scope {
    /// `~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`)
    User,
    /// `.claude/settings.json` in the current directory (shared in git)
    Project,
    /// `.claude/settings.local.json` in the current directory (not committed)
    Local,
    /// The machine-wide managed settings (administrators)
    Managed,
}

impl Scope {
    /// Lowest precedence first.
    pub const ALL: [Scope; 4] = [Scope::User, Scope::Project, Scope::Local, Scope::Managed];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Project => "project",
            Scope::Local => "local",
            Scope::Managed => "managed",
        }
    }
}

/// Claude Code's user directory: `$CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn claude_user_dir() -> Option<PathBuf> {
    match std::env::var_os("CLAUDE_CONFIG_DIR") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => dirs::home_dir().map(|h| h.join(".claude")),
    }
}

/// The managed-settings directory of this OS (or `$CCGW_MANAGED_DIR`).
pub fn managed_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(MANAGED_DIR_VAR).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/ClaudeCode")
    } else if cfg!(windows) {
        PathBuf::from(r"C:\Program Files\ClaudeCode")
    } else {
        PathBuf::from("/etc/claude-code")
    }
}

/// The managed drop-in ccgw owns. ccgw never edits an administrator's `managed-settings.json`:
/// Claude Code merges `managed-settings.d/*.json` after it, alphabetically, so a file of ccgw's
/// own adds the gateway keys without the risk of clobbering the admin's policy, and removing
/// it is just deleting it. `50-` leaves room before and after for the admin's own drop-ins.
pub const MANAGED_DROPIN: &str = "managed-settings.d/50-ccgw.json";

/// The file ccgw writes for a layer (`None`: no home directory for the user layer). For
/// user, project and local settings it is the layer's one file; for managed settings ccgw's
/// own drop-in.
pub fn written_file(scope: Scope, cwd: &Path) -> Option<PathBuf> {
    Some(match scope {
        Scope::User => claude_user_dir()?.join("settings.json"),
        Scope::Project => cwd.join(".claude").join("settings.json"),
        Scope::Local => cwd.join(".claude").join("settings.local.json"),
        Scope::Managed => managed_dir().join(MANAGED_DROPIN),
    })
}

/// The files of one layer, in the order Claude Code merges them. Managed settings are
/// `managed-settings.json` then the `managed-settings.d/*.json` drop-ins, alphabetically
/// (hidden and non-JSON files ignored).
pub fn layer_files(scope: Scope, cwd: &Path) -> Vec<PathBuf> {
    match scope {
        Scope::User | Scope::Project | Scope::Local => {
            written_file(scope, cwd).into_iter().collect()
        }
        Scope::Managed => {
            let dir = managed_dir();
            let mut files = vec![dir.join("managed-settings.json")];
            let mut dropins: Vec<PathBuf> = std::fs::read_dir(dir.join("managed-settings.d"))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    !name.starts_with('.') && name.ends_with(".json")
                })
                .collect();
            dropins.sort();
            files.extend(dropins);
            files
        }
    }
}

/// One settings file as read.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    pub scope: Scope,
    pub path: PathBuf,
    pub state: FileState,
}

#[derive(Debug, Clone)]
pub enum FileState {
    Missing,
    /// Parsed; a JSON object.
    Ok(Map<String, Value>),
    /// Unreadable, invalid JSON, or not an object: the reason.
    Invalid(String),
}

/// Why a settings file's text cannot be had.
#[derive(Debug)]
pub enum Unreadable {
    /// A FIFO, socket, directory or device: what it is.
    NotRegular(&'static str),
    /// Not UTF-8: the offset of the first bad byte.
    NotUtf8(usize),
    Io(std::io::Error),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::NotRegular(kind) => write!(f, "is {kind}, not a settings file"),
            Unreadable::NotUtf8(at) => write!(f, "is not UTF-8 text (byte {at})"),
            Unreadable::Io(e) => write!(f, "could not be read: {e}"),
        }
    }
}

/// A settings file's text and metadata, `None` when it does not exist. Only a regular file is
/// read: a planted FIFO would block the read for ever, a device or socket is no settings file.
/// The path is checked, then opened without blocking and the file opened checked again (so a
/// swap after the check cannot make the read hang either).
pub fn read_text(path: &Path) -> Result<Option<(String, std::fs::Metadata)>, Unreadable> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let meta = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(Unreadable::Io)?,
    };
    regular(&meta)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(Unreadable::Io)?;
    regular(&file.metadata().map_err(Unreadable::Io)?)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(Unreadable::Io)?;
    let text =
        String::from_utf8(bytes).map_err(|e| Unreadable::NotUtf8(e.utf8_error().valid_up_to()))?;
    Ok(Some((text, meta)))
}

fn regular(meta: &std::fs::Metadata) -> Result<(), Unreadable> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let kind = if t.is_file() {
        return Ok(());
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    Err(Unreadable::NotRegular(kind))
}

impl SettingsFile {
    pub fn read(scope: Scope, path: PathBuf) -> Self {
        let state = match read_text(&path) {
            Ok(None) => FileState::Missing,
            Err(Unreadable::Io(e)) => FileState::Invalid(format!("could not read: {e}")),
            Err(why) => FileState::Invalid(why.to_string()),
            Ok(Some((text, _))) => match parse_object(&text) {
                Ok(map) => FileState::Ok(map),
                Err(e) => FileState::Invalid(e),
            },
        };
        Self { scope, path, state }
    }

    pub fn doc(&self) -> Option<&Map<String, Value>> {
        match &self.state {
            FileState::Ok(m) => Some(m),
            _ => None,
        }
    }

    /// The `env` block's string values (numbers coerced, as Claude Code does).
    pub fn env(&self) -> Vec<(String, String)> {
        let Some(Value::Object(env)) = self.doc().and_then(|d| d.get("env")) else {
            return Vec::new();
        };
        env.iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k.clone(), s.clone())),
                Value::Number(n) => Some((k.clone(), n.to_string())),
                Value::Bool(b) => Some((k.clone(), b.to_string())),
                _ => None,
            })
            .collect()
    }

    pub fn api_key_helper(&self) -> Option<&str> {
        self.doc()
            .and_then(|d| d.get("apiKeyHelper"))
            .and_then(Value::as_str)
    }
}

/// Read a settings document as Claude Code does: valid JSON and an object (empty text is an
/// empty document), else the reason. The one reader: `merge::parse_document` adds what an edit
/// needs on top.
pub fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!(
            "not a JSON object (the document is {})",
            kind(&other)
        )),
        Err(e) => {
            // serde_json's message ends with " at line L column C"; say it once, our way.
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            Err(format!(
                "invalid JSON at line {}, column {}: {msg}",
                e.line(),
                e.column()
            ))
        }
    }
}

/// What kind of JSON value `v` is, as a message names it.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Every settings file Claude Code would read from `cwd`, lowest precedence first.
pub fn read_layers(cwd: &Path) -> Vec<SettingsFile> {
    Scope::ALL
        .iter()
        .flat_map(|&scope| {
            layer_files(scope, cwd)
                .into_iter()
                .map(move |p| SettingsFile::read(scope, p))
        })
        .collect()
}

/// Where a value Claude Code will see comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Shell,
    File { scope: Scope, path: PathBuf },
}

/// The effective value of env variable `name` for Claude Code started in `cwd` with `shell`
/// as its inherited environment: the highest layer that sets it, else the shell.
pub fn effective_env(
    layers: &[SettingsFile],
    shell_value: Option<&str>,
    name: &str,
) -> Option<(String, Origin)> {
    let from_files = layers.iter().rev().find_map(|f| {
        f.env().into_iter().find(|(k, _)| k == name).map(|(_, v)| {
            (
                v,
                Origin::File {
                    scope: f.scope,
                    path: f.path.clone(),
                },
            )
        })
    });
    from_files.or_else(|| shell_value.map(|v| (v.to_owned(), Origin::Shell)))
}

/// The effective `apiKeyHelper` and the file it comes from.
pub fn effective_helper(layers: &[SettingsFile]) -> Option<(String, Scope, PathBuf)> {
    layers.iter().rev().find_map(|f| {
        f.api_key_helper()
            .map(|h| (h.to_owned(), f.scope, f.path.clone()))
    })
}

/// A parsed settings file at `/<scope>.json`, for the unit tests of every module that reads
/// layers.
#[cfg(test)]
pub fn test_layer(scope: Scope, json: &str) -> SettingsFile {
    SettingsFile {
        scope,
        path: PathBuf::from(format!("/{}.json", scope.as_str())),
        state: FileState::Ok(parse_object(json).unwrap()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use test_layer as file;

    #[test]
    fn higher_layer_wins_and_shell_is_last() {
        let layers = [
            file(Scope::User, r#"{"env":{"A":"user","N":5}}"#),
            file(Scope::Local, r#"{"env":{"A":"local"}}"#),
        ];
        assert_eq!(effective_env(&layers, Some("sh"), "A").unwrap().0, "local");
        assert_eq!(effective_env(&layers, None, "N").unwrap().0, "5");
        assert_eq!(
            effective_env(&layers, Some("sh"), "B").unwrap().1,
            Origin::Shell
        );
        assert!(effective_env(&layers, None, "B").is_none());
    }

    #[test]
    fn refuses_non_objects() {
        assert!(parse_object("[1]").is_err());
        assert!(parse_object("{").unwrap_err().contains("line 1"));
        assert!(parse_object("").unwrap().is_empty());
    }
}
