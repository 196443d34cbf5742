//! The key: sources (vault, keyring, jwt, command, env) and the shared TTL cache.
//!
//! `resolve` is the one entry point: cache first (a hit reads one small file: no async runtime,
//! no TLS, no network, no keyring), then the profile's source under a lock.

pub mod cache;
pub mod command;
pub mod jwt;
pub mod keyring;
pub mod vault;

use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::config::{KeySource, Profile};
use crate::error;

/// A key fresh from its source, with the expiry the source itself imposes (a JWT's `exp`, a
/// Vault lease), if any. The cache takes the earliest of this and the profile's `key_ttl`.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub key: String,
    pub expires_at: Option<SystemTime>,
}

/// How `resolve` uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Serve a fresh cached key; otherwise fetch (under the lock) and store.
    Cached,
    /// `--refresh`: fetch and store, whatever the cache holds; a failed fetch is an error.
    Refresh,
    /// `--no-cache`: fetch; neither read nor write the key cache.
    NoCache,
}

/// Longest key Claude Code accepts (from 2.1.227 on).
pub const MAX_KEY_LEN: usize = 16_384;

/// Fetch straight from the profile's source (no cache), and check the key is usable.
pub fn fetch(name: &str, profile: &Profile) -> Result<Fetched> {
    let fetched = match &profile.key {
        KeySource::Env(src) => match std::env::var(&src.var) {
            Ok(v) if !v.trim().is_empty() => Ok(Fetched {
                key: v.trim().to_owned(),
                expires_at: None,
            }),
            _ => Err(error::auth(
                format!("environment variable `{}` is not set", src.var),
                Some(format!("export {} before running claude", src.var)),
            )),
        },
        KeySource::Jwt(src) => jwt::mint(name, profile, src),
        KeySource::Keyring(src) => keyring::read(name, src),
        KeySource::Vault(src) => vault::fetch(name, src),
        KeySource::Command(src) => command::run(src),
    }?;
    check_key(&fetched.key, profile.key.kind())?;
    Ok(fetched)
}

/// Claude Code (≥ 2.1.227) takes only one printable-ASCII token of at most 16384 characters.
/// Say what is wrong without ever echoing the value.
pub fn check_key(key: &str, source: &str) -> Result<()> {
    let problem = if key.is_empty() {
        Some("is empty".to_owned())
    } else if key.len() > MAX_KEY_LEN {
        Some(format!(
            "is {} characters long (at most {MAX_KEY_LEN})",
            key.len()
        ))
    } else if key.chars().any(|c| c.is_ascii_whitespace()) {
        Some("contains whitespace".to_owned())
    } else if !key.bytes().all(|b| b.is_ascii_graphic()) {
        Some("contains characters that are not printable ASCII".to_owned())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(error::auth(
            format!("the key from the `{source}` source {p}"),
            Some(
                "Claude Code accepts only a single printable-ASCII token; make the source hold just the key"
                    .into(),
            ),
        )),
    }
}

/// Does this source go through the cache? An env var is already in memory, and caching it would
/// only hide a change of its value.
fn cacheable(profile: &Profile) -> bool {
    !matches!(profile.key, KeySource::Env(_))
}

/// The key for profile `name`: from the cache when fresh, else from the source.
pub fn resolve(name: &str, profile: &Profile, mode: Mode) -> Result<String> {
    if mode == Mode::NoCache || !cacheable(profile) {
        return Ok(fetch(name, profile)?.key);
    }
    let dir = match cache::dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("warning: {e:#}; fetching without a cache");
            return Ok(fetch(name, profile)?.key);
        }
    };
    let path = cache::key_entry_path(&dir, name, profile);

    // The fast path: one small file, nothing else.
    if mode == Mode::Cached
        && let Some(entry) = cache::read(&path)
        && cache::freshness(Some(&entry), cache::now(), false) == cache::Freshness::Fresh
    {
        return Ok(entry.key);
    }

    // The slow path: one fetch at a time per entry. Whoever held the lock before us may have
    // just fetched, so look again once we hold it.
    let _lock = cache::lock(&path, cache::LOCK_WAIT).unwrap_or_else(|e| {
        eprintln!("warning: {e:#}; fetching without the lock");
        None
    });
    let entry = cache::read(&path);
    let forced = mode == Mode::Refresh;
    if let Some(e) = &entry
        && cache::freshness(Some(e), cache::now(), forced) == cache::Freshness::Fresh
    {
        return Ok(e.key.clone());
    }

    match fetch(name, profile) {
        Ok(fetched) => {
            let fetched_at = SystemTime::now();
            let ttl_end = fetched_at + profile.key_lifetime();
            let expires = fetched.expires_at.map_or(ttl_end, |e| e.min(ttl_end));
            let new = cache::Entry {
                profile: name.to_owned(),
                source: profile.key.kind().to_owned(),
                fetched_at: cache::unix(fetched_at),
                expires_at: cache::unix(expires).max(cache::unix(fetched_at)),
                key: fetched.key,
            };
            // A cache we cannot write costs speed, not the key.
            if let Err(e) = cache::write(&path, &new) {
                eprintln!("warning: could not cache the key: {e:#}");
            } else {
                cache::remove_superseded(&path, name);
            }
            Ok(new.key)
        }
        Err(err) => match entry {
            Some(e) if !forced && cache::usable(&e, cache::now()) => {
                let left = Duration::from_secs(e.expires_at - cache::now());
                eprintln!(
                    "warning: could not refresh the key ({err:#}); serving the cached key, which expires in {}",
                    humantime::format_duration(left)
                );
                Ok(e.key)
            }
            _ => Err(err),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_check() {
        assert!(check_key("sk-abc_123.XYZ", "env").is_ok());
        assert!(check_key(&"a".repeat(MAX_KEY_LEN), "env").is_ok());
        for bad in [
            "",
            "two words",
            "tab\there",
            "caf\u{e9}",
            "bell\u{7}",
            "line\nbreak",
        ] {
            let err = check_key(bad, "command").unwrap_err().to_string();
            assert!(
                err.starts_with("the key from the `command` source"),
                "{err}"
            );
            assert!(bad.is_empty() || !err.contains(bad), "{err}");
        }
        let long = check_key(&"a".repeat(MAX_KEY_LEN + 1), "vault").unwrap_err();
        assert!(long.to_string().contains("16385 characters"));
    }
}
