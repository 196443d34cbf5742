//! Exit codes and the few typed errors whose exit code or hint matters. Everything else is
//! `anyhow` with context and exits 1.

use std::fmt;

use crate::redact::terminal_safe;

/// Exit codes are a contract (README, man page): keep them stable.
pub mod code {
    pub const OK: u8 = 0;
    /// A failure, including `ccgw doctor` finding a failing check.
    pub const FAILURE: u8 = 1;
    /// A usage or configuration error.
    pub const USAGE: u8 = 2;
    /// No key could be had: authentication or key-source failure.
    pub const AUTH: u8 = 4;
    /// Interrupted at a prompt (Ctrl-C): 128 + SIGINT, as shells report it.
    pub const INTERRUPTED: u8 = 130;
}

/// An error that carries its exit code and an optional `hint:` line.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// A configuration or usage error (exit 2).
pub fn config(message: impl Into<String>, hint: Option<String>) -> anyhow::Error {
    Failure {
        code: code::USAGE,
        message: message.into(),
        hint,
    }
    .into()
}

/// A key or authentication error (exit 4).
pub fn auth(message: impl Into<String>, hint: Option<String>) -> anyhow::Error {
    Failure {
        code: code::AUTH,
        message: message.into(),
        hint,
    }
    .into()
}

/// Exit with this code and print nothing more (the command already said what it had to say,
/// or the code is a child's, as with `ccgw exec`).
#[derive(Debug)]
pub struct SilentExit(pub u8);

impl fmt::Display for SilentExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for SilentExit {}

/// Report an error on stderr the way every command does and return its exit code.
///
/// One line (`error: outer: inner: root`), then a `hint:` line when one is known: Claude Code
/// shows an apiKeyHelper's stderr to the user, so it must read well on its own.
pub fn report(err: &anyhow::Error) -> u8 {
    if let Some(SilentExit(code)) = err.downcast_ref::<SilentExit>() {
        return *code;
    }
    // A closed stdout (`ccgw env | head`) is not an error worth a message.
    if let Some(io) = err.downcast_ref::<std::io::Error>()
        && io.kind() == std::io::ErrorKind::BrokenPipe
    {
        return code::OK;
    }
    // Messages may carry text from a server or a file: print it inert (no ESC, CR, OSC).
    eprintln!("error: {}", terminal_safe(&format!("{err:#}")));
    let failure = err.chain().find_map(|e| e.downcast_ref::<Failure>());
    if let Some(hint) = failure.and_then(|f| f.hint.as_deref()) {
        eprintln!("hint: {}", terminal_safe(hint));
    }
    failure.map_or(code::FAILURE, |f| f.code)
}
