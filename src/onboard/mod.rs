//! `ccgw init`: the questions, and the profile their answers make.
//!
//! Every question is written once ([`questions`]: its flag, prompt, help, default and rule),
//! and one tree ([`tree`]) says which question follows which answer and builds the
//! [`config::Profile`] from them. Whoever answers is an [`ask::Ask`]: [`ask::FlagsOnly`] for
//! `--non-interactive` (a missing flag is named), the inquire wizard ([`wizard::Inquire`]),
//! or a script in unit tests. A flag given on the command line answers its question for all
//! of them. Nothing is written here: `cmd::init` shows what the answers make, asks, and only
//! then writes (Ctrl-C at any prompt leaves no trace).

pub mod ask;
pub mod models;
pub mod published;
pub mod questions;
pub mod tree;
pub mod wizard;

use std::fmt;
use std::time::Duration;

use crate::config;
use crate::error;

/// The profile name when neither `--profile` nor `CCGW_PROFILE` names one (the wizard offers
/// it as the default answer).
pub const DEFAULT_PROFILE_NAME: &str = "default";
/// LiteLLM's default address, offered as the gateway.
pub const DEFAULT_GATEWAY: &str = "http://localhost:4000";

/// The secrets `init` takes and stores in the keyring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The gateway key of a `keyring` source (service `ccgw`, account = the profile name).
    GatewayKey,
    /// The signing key of a `jwt` source with neither `secret_env` nor `key_file`.
    JwtSigningKey,
}

impl SecretKind {
    pub fn what(self) -> &'static str {
        match self {
            SecretKind::GatewayKey => "gateway key",
            SecretKind::JwtSigningKey => "JWT signing key",
        }
    }

    /// What a secret of this kind must be: a gateway key follows the key rule; a signing key
    /// is anything but empty (its format is the algorithm's, checked when it signs).
    pub fn rule(self) -> fn(&str) -> Result<(), String> {
        match self {
            SecretKind::GatewayKey => crate::secret_input::gateway_key,
            SecretKind::JwtSigningKey => |s| {
                if s.trim().is_empty() {
                    Err("the signing key is empty".into())
                } else {
                    Ok(())
                }
            },
        }
    }
}

/// Why the flags do not make a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagError {
    /// A required flag is missing with `--non-interactive`: its name (`--gateway`).
    Missing(&'static str),
    /// A flag's value is unusable: `--flag: the one-line reason`.
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

/// `55m`, `1h 30m`, …: a humantime duration the config accepts as a key lifetime
/// (`config::rules::key_lifetime`).
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| format!("`{text}`: {e}"))?;
    config::rules::key_lifetime(d)?;
    Ok(d)
}

/// `Name: value` → (name, value), by the config's header rule (`config::rules::header`).
pub fn parse_header(h: &str) -> Result<(String, String), String> {
    let Some((name, value)) = h.split_once(':') else {
        return Err(format!("`{h}` is not `Name: value`"));
    };
    let (name, value) = (name.trim(), value.trim());
    config::rules::header(name, value)?;
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
    config::rules::profile_name(name)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(check_name("work-1").is_ok());
        assert!(check_name("a b").is_err() && check_name("").is_err());
        assert_eq!(parse_ttl("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_ttl("soon").is_err());
        assert!(parse_ttl("5s").unwrap_err().contains("at least 10s"));
        assert_eq!(parse_claim("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_claim("=b").is_err());
        assert!(parse_header("x y: 1").is_err());
        // The config's own rules (config::rules), not copies of them.
        assert!(parse_header("x-a: 1\r\nx-evil: yes").is_err());
        assert!(parse_header("x-a: \u{2603}").is_err());
        assert!(check_name("-x").unwrap_err().contains("starts with `-`"));
        assert_eq!(
            FlagError::Missing("--gateway").to_string(),
            "--gateway is required with --non-interactive"
        );
    }
}
