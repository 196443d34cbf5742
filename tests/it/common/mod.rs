//! Shared test fixtures: a hermetic `TestEnv` (temp HOME and XDG dirs, scrubbed environment)
//! and the location of the real components the setup script installs.

#![allow(dead_code)]

pub mod claude;
pub mod fakegw;
pub mod jwks_gateway;
pub mod litellm;
pub mod managed;
pub mod oidc_provider;
pub mod openbao;
pub mod rawserver;
pub mod run;
pub mod secret_service;
pub mod shells;
pub mod tmux;
pub mod upstream;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub use run::{Ccgw, Config, Profile};

/// Environment prefixes that must not leak from the developer's shell into a test.
const SCRUBBED_PREFIXES: &[&str] = &[
    // A test must never reach the developer's real keyring; keyring tests start their own bus.
    "DBUS_",
    "ANTHROPIC_",
    "CLAUDE_",
    "VAULT_",
    "BAO_",
    "CCGW_",
    "AWS_",
    "CLOUD_ML_",
    "GOOGLE_",
    "NODE_EXTRA_CA",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "ALL_PROXY",
];

/// Remove every variable a test must not inherit from a command.
pub fn scrub(cmd: &mut std::process::Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if SCRUBBED_PREFIXES.iter().any(|p| k.starts_with(p)) {
            cmd.env_remove(&k);
        }
    }
}

/// A temporary HOME with XDG dirs, a working directory and a managed-settings dir, and a way to
/// run `ccgw` inside it.
pub struct TestEnv {
    pub root: TempDir,
}

impl TestEnv {
    pub fn new() -> Self {
        let root = tempfile::Builder::new()
            .prefix("ccgw-it-")
            .tempdir()
            .expect("tempdir");
        let env = Self { root };
        for d in [
            env.home(),
            env.config_home(),
            env.cache_home(),
            env.cwd(),
            env.managed_dir(),
        ] {
            std::fs::create_dir_all(d).unwrap();
        }
        env
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }
    pub fn config_home(&self) -> PathBuf {
        self.home().join(".config")
    }
    pub fn cache_home(&self) -> PathBuf {
        self.home().join(".cache")
    }
    /// The working directory of every command: project and local settings live under it.
    pub fn cwd(&self) -> PathBuf {
        self.root.path().join("project")
    }
    /// Stands in for `/etc/claude-code` (`CCGW_MANAGED_DIR`).
    pub fn managed_dir(&self) -> PathBuf {
        self.root.path().join("managed")
    }
    /// `~/.claude` of this environment.
    pub fn claude_dir(&self) -> PathBuf {
        self.home().join(".claude")
    }
    pub fn user_settings(&self) -> PathBuf {
        self.claude_dir().join("settings.json")
    }
    /// The default config file path ccgw reads in this environment.
    pub fn config_path(&self) -> PathBuf {
        self.config_home().join("ccgw").join("config.toml")
    }

    /// A TestEnv with [`SIMPLE_CONFIG`] and `~/.claude/settings.json` holding `text` (when given).
    pub fn with_user_settings(text: Option<&[u8]>) -> Self {
        let env = Self::new();
        env.write_config(SIMPLE_CONFIG);
        if let Some(text) = text {
            env.write_user_settings(text);
        }
        env
    }

    /// Write `~/.claude/settings.json` (its directory created).
    pub fn write_user_settings(&self, text: impl AsRef<[u8]>) {
        std::fs::create_dir_all(self.claude_dir()).unwrap();
        std::fs::write(self.user_settings(), text).unwrap();
    }

    /// `$XDG_STATE_HOME/ccgw` of this environment: undo records and settings locks.
    pub fn ccgw_state(&self) -> PathBuf {
        self.home().join(".local/state/ccgw")
    }

    /// The undo records ccgw keeps in this environment (none when the directory is missing).
    pub fn undo_records(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.ccgw_state().join("undo"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    pub fn write_config(&self, toml: &str) {
        let p = self.config_path();
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, toml).unwrap();
    }

    /// Apply the hermetic environment to any command (ccgw, a shell, claude).
    pub fn apply(&self, cmd: &mut std::process::Command) {
        scrub(cmd);
        cmd.current_dir(self.cwd())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.config_home())
            .env("XDG_CACHE_HOME", self.cache_home())
            .env("XDG_DATA_HOME", self.home().join(".local/share"))
            .env("XDG_STATE_HOME", self.home().join(".local/state"))
            .env("CCGW_MANAGED_DIR", self.managed_dir())
            .env("NO_COLOR", "1");
    }

    /// `ccgw` in this environment.
    pub fn ccgw(&self) -> Command {
        let mut std_cmd = std::process::Command::new(ccgw_bin());
        self.apply(&mut std_cmd);
        Command::from_std(std_cmd)
    }
}

/// The ccgw binary under test.
pub fn ccgw_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ccgw"))
}

/// Where `scripts/test.sh` installs the real components (`CCGW_TEST_DEPS`).
pub fn deps_dir() -> PathBuf {
    std::env::var_os("CCGW_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs_home().join(".cache").join("ccgw-test"))
}

fn dirs_home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME must be set for the tests"))
}

/// A program the setup script installs (`bao`, `litellm`, `python`, `claude`), or a loud panic:
/// a test that needs a real component must fail, never skip, when it is missing.
pub fn dep(name: &str) -> PathBuf {
    let candidates = [
        // Native binaries out of npm packages whose `.bin` entry is a node launcher (nu).
        deps_dir().join("bin").join(name),
        deps_dir().join("venv/bin").join(name),
        deps_dir().join("npm/node_modules/.bin").join(name),
    ];
    for c in &candidates {
        if c.exists() {
            return c.clone();
        }
    }
    if let Ok(p) = which(name) {
        return p;
    }
    panic!(
        "required test component `{name}` is missing (looked in {:?} and PATH); run scripts/test.sh, which installs it",
        candidates
    )
}

/// A system program (bash, zsh, fish, secret-tool, …) on PATH, or a loud panic.
pub fn which(name: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!("`{name}` not found on PATH"))
}

pub fn require(name: &str) -> PathBuf {
    which(name)
        .unwrap_or_else(|e| panic!("required test component missing: {e}; run scripts/test.sh"))
}

/// Whether `cmd` exits 0, its output discarded (a readiness probe polled until it does).
pub fn quietly_succeeds(cmd: &mut std::process::Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A free TCP port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref())
        .unwrap_or_else(|e| panic!("read {}: {e}", p.as_ref().display()))
}

/// A config with one unified profile `work` whose key comes from the env var `CCGW_TEST_KEY`.
pub const SIMPLE_CONFIG: &str = r#"default_profile = "work"

[profiles.work]
gateway = "http://127.0.0.1:4000"
mode = "unified"
key_ttl = "40m"

[profiles.work.key]
source = "env"
var = "CCGW_TEST_KEY"
"#;
