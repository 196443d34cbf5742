//! The key: sources (vault, keyring, jwt, command, env, oidc) and the shared TTL cache.
//!
//! `resolve` is the one entry point: cache first (a hit reads one small file: no async runtime,
//! no TLS, no network, no keyring), then the profile's source under a lock. A key in the OS
//! keyring is read from the keyring every time, never copied into the cache. With the source
//! down, a still-valid key is served at once; failed refreshes are recorded so that callers
//! back off instead of queueing (see `refresh_ahead`).

pub mod cache;
pub mod claims;
pub mod command;
pub mod jwt;
pub mod keyring;
pub mod oidc;
pub mod vault;

use std::path::Path;
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
pub enum CacheUse {
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
        KeySource::Oidc(src) => oidc::fetch(name, src),
    }?;
    check_key(&fetched.key, profile.key.kind())?;
    Ok(fetched)
}

/// The key rule, pure: Claude Code (≥ 2.1.227) takes only one printable-ASCII token of at most
/// 16384 characters. `None` when `key` is one; else what is wrong, never echoing the value. The
/// cache applies the same rule to what it serves.
pub fn key_problem(key: &str) -> Option<String> {
    if key.is_empty() {
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
    }
}

/// [`key_problem`] as an error of the `source` source (exit 4 with a hint).
pub fn check_key(key: &str, source: &str) -> Result<()> {
    match key_problem(key) {
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
/// only hide a change of its value. A keyring key stays in the keyring: the cache is a plaintext
/// file, and a key the user put in the OS keyring is never copied into one.
fn cacheable(profile: &Profile) -> bool {
    !matches!(profile.key, KeySource::Env(_) | KeySource::Keyring(_))
}

/// The environment a source reads to find its key: part of the cache entry's identity, so that
/// another `VAULT_ADDR` is another entry, not the other Vault's key.
fn source_inputs(profile: &Profile) -> Vec<String> {
    match &profile.key {
        KeySource::Vault(v) if v.addr.is_none() => {
            vec![format!(
                "VAULT_ADDR={}",
                std::env::var("VAULT_ADDR").unwrap_or_default()
            )]
        }
        _ => Vec::new(),
    }
}

/// The longest one fetch from this source may take: its own timeout.
fn source_timeout(profile: &Profile) -> Duration {
    match &profile.key {
        KeySource::Command(c) => c.timeout.unwrap_or(command::DEFAULT_TIMEOUT),
        // A fetch makes at most five requests: the KV-version lookup and the read with a cached
        // login token, a new login when that token was refused, then the lookup and read again.
        KeySource::Vault(_) => vault::REQUEST_TIMEOUT * 5,
        // Discovery and the refresh grant, and the keyring read and write around them.
        KeySource::Oidc(_) => {
            crate::oidc::REQUEST_TIMEOUT * 2 + keyring::SECRET_SERVICE_TIMEOUT * 2
        }
        KeySource::Jwt(_) | KeySource::Keyring(_) | KeySource::Env(_) => cache::LOCK_WAIT,
    }
}

/// How long to wait for another `ccgw key` fetching the same key: never less than the source's
/// own timeout (plus a margin for starting and storing), so a slow but working fetch is waited
/// for, not duplicated.
fn lock_wait(profile: &Profile) -> Duration {
    (source_timeout(profile) + Duration::from_secs(5)).max(cache::LOCK_WAIT)
}

/// The key for profile `name` of the config file `config`: from the cache when fresh, else from
/// the source.
pub fn resolve(name: &str, profile: &Profile, config: &Path, mode: CacheUse) -> Result<String> {
    if mode == CacheUse::NoCache || !cacheable(profile) {
        let key = fetch(name, profile)?.key;
        if matches!(profile.key, KeySource::Keyring(_))
            && let Ok(dir) = cache::dir()
            && dir.is_dir()
        {
            // An older ccgw cached keyring keys: no copy of this one stays on disk.
            cache::remove_entries_of(&dir, name, profile.key.kind());
        }
        return Ok(key);
    }
    let dir = match cache::dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("warning: {e:#}; fetching without a cache");
            return Ok(fetch(name, profile)?.key);
        }
    };
    // A cache directory of another user is refused (exit 4); a loosened one is repaired.
    cache::check_dir(&dir)?;
    let entry = cache::KeyEntry::new(&dir, name, profile, config, &source_inputs(profile));

    // The fast path: one small file, nothing else.
    if mode == CacheUse::Cached
        && let Some(record) = entry.read()
    {
        match cache::freshness(Some(&record.entry), cache::now(), false) {
            cache::Freshness::Fresh => return Ok(record.entry.key),
            cache::Freshness::Stale(cache::StaleReason::ExpiringSoon) => {
                return refresh_ahead(name, profile, &entry, record);
            }
            cache::Freshness::Stale(_) => {}
        }
    }

    // No key to serve (or --refresh): one fetch at a time per entry, waiting at least the
    // source's timeout. Whoever held the lock before us may have just fetched, so look again.
    let _lock = cache::lock(&entry.path, lock_wait(profile)).unwrap_or_else(|e| {
        eprintln!("warning: {e:#}; fetching without the lock");
        None
    });
    let record = entry.read();
    let forced = mode == CacheUse::Refresh;
    if let Some(r) = &record
        && cache::freshness(Some(&r.entry), cache::now(), forced) == cache::Freshness::Fresh
    {
        return Ok(r.entry.key.clone());
    }
    match fetch_and_store(name, profile, &entry) {
        Ok(key) => Ok(key),
        Err(err) => match record {
            Some(r) if !forced && cache::usable(&r.entry, cache::now()) => Ok(serve_cached(
                &r.entry,
                &format!("could not refresh the key ({err:#})"),
            )),
            _ => Err(err),
        },
    }
}

/// A still-valid key past its refresh point. Every caller gets a key at once: at most one
/// caller per back-off window tries the source (and waits for it, one source timeout at most);
/// the others serve the cached key. A failed attempt is recorded in the entry so that the next
/// callers back off instead of queueing on the lock behind a source that is down.
fn refresh_ahead(
    name: &str,
    profile: &Profile,
    entry: &cache::KeyEntry,
    record: cache::Record,
) -> Result<String> {
    if cache::backing_off(&record, cache::now()) {
        return Ok(serve_cached(&record.entry, &last_failure(&record)));
    }
    let _lock = match cache::try_lock(&entry.path) {
        Ok(Some(lock)) => lock,
        Ok(None) => {
            return Ok(serve_cached(
                &record.entry,
                "another `ccgw key` is refreshing the key",
            ));
        }
        Err(e) => return Ok(serve_cached(&record.entry, &format!("{e:#}"))),
    };
    // The holder before us may have refreshed the key, or failed to.
    let record = match entry.read() {
        Some(r) if cache::usable(&r.entry, cache::now()) => r,
        _ => record,
    };
    let now = cache::now();
    if cache::freshness(Some(&record.entry), now, false) == cache::Freshness::Fresh {
        return Ok(record.entry.key);
    }
    if cache::backing_off(&record, now) {
        return Ok(serve_cached(&record.entry, &last_failure(&record)));
    }
    match fetch_and_store(name, profile, entry) {
        Ok(key) => Ok(key),
        Err(err) => {
            if let Err(e) = entry.write(&record.entry, Some(cache::now())) {
                eprintln!("warning: could not record the failed refresh: {e:#}");
            }
            Ok(serve_cached(
                &record.entry,
                &format!("could not refresh the key ({err:#})"),
            ))
        }
    }
}

fn last_failure(record: &cache::Record) -> String {
    let failed = record.refresh_failed_at.unwrap_or_default();
    let now = cache::now();
    format!(
        "the last refresh of the key failed {} ago; the next try is in {}",
        human(now.saturating_sub(failed)),
        human(cache::retry_at(&record.entry, failed).saturating_sub(now))
    )
}

/// Hand out a cached, still-valid key, saying why on stderr.
fn serve_cached(entry: &cache::Entry, why: &str) -> String {
    let left = entry.expires_at.saturating_sub(cache::now());
    eprintln!(
        "warning: {why}; serving the cached key, which expires in {}",
        human(left)
    );
    entry.key.clone()
}

fn human(secs: u64) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_secs(secs))
}

/// Run `f` holding the cache lock of profile `name`'s entry, as a fetch by `resolve` does:
/// signing in or out then never interleaves with a refresh that reads and rotates the same
/// refresh token. Without a usable cache directory `f` runs unlocked (there is no refresh to
/// race with a cache either).
pub fn with_entry_lock<T>(
    name: &str,
    profile: &Profile,
    config: &Path,
    f: impl FnOnce() -> T,
) -> T {
    let entry = cache::dir()
        .ok()
        .filter(|d| cache::check_dir(d).is_ok())
        .map(|dir| cache::KeyEntry::new(&dir, name, profile, config, &source_inputs(profile)));
    let _lock = entry.and_then(|e| {
        cache::lock(&e.path, lock_wait(profile)).unwrap_or_else(|e| {
            eprintln!("warning: {e:#}; going on without the lock");
            None
        })
    });
    f()
}

/// Put a key just had from the source (`ccgw login`'s first token) in the cache, as a fetch by
/// `resolve` would, so that the next `ccgw key` is a cache hit. A cache that cannot be written
/// costs one refresh later, not the sign-in.
pub fn seed(name: &str, profile: &Profile, config: &Path, fetched: Fetched) {
    if !cacheable(profile) || check_key(&fetched.key, profile.key.kind()).is_err() {
        return;
    }
    let Ok(dir) = cache::dir() else { return };
    if let Err(e) = cache::check_dir(&dir) {
        eprintln!("warning: {e:#}; the token is not cached");
        return;
    }
    let entry = cache::KeyEntry::new(&dir, name, profile, config, &source_inputs(profile));
    let new = entry.entry(
        fetched.key,
        cache::now(),
        fetched.expires_at.map(cache::unix),
    );
    match entry.write(&new, None) {
        Ok(()) => cache::remove_superseded(&entry),
        Err(e) => eprintln!("warning: could not cache the key: {e:#}"),
    }
}

/// Fetch from the source and store the key as `entry`; a cache we cannot write costs speed,
/// not the key.
fn fetch_and_store(name: &str, profile: &Profile, entry: &cache::KeyEntry) -> Result<String> {
    let fetched = fetch(name, profile)?;
    let new = entry.entry(
        fetched.key,
        cache::now(),
        fetched.expires_at.map(cache::unix),
    );
    if let Err(e) = entry.write(&new, None) {
        eprintln!("warning: could not cache the key: {e:#}");
    } else {
        cache::remove_superseded(entry);
    }
    Ok(new.key)
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

    fn profile(key: &str) -> Profile {
        let text =
            format!("[profiles.p]\ngateway = \"http://127.0.0.1:4000\"\n[profiles.p.key]\n{key}");
        crate::config::parse(Path::new("c.toml"), &text)
            .unwrap()
            .profiles["p"]
            .clone()
    }

    #[test]
    fn the_lock_wait_covers_the_source_timeout() {
        let secs = |key: &str| lock_wait(&profile(key)).as_secs();
        assert_eq!(
            secs("source = \"command\"\ncommand = \"x\"\ntimeout = \"60s\"\n"),
            65
        );
        assert_eq!(
            secs("source = \"command\"\ncommand = \"x\"\ntimeout = \"2s\"\n"),
            30
        );
        assert_eq!(secs("source = \"command\"\ncommand = \"x\"\n"), 35);
        assert_eq!(secs("source = \"vault\"\npath = \"gw\"\n"), 55);
        assert_eq!(
            secs("source = \"jwt\"\nalgorithm = \"HS256\"\nsecret_env = \"S\"\n"),
            35
        );
    }

    #[test]
    fn keyring_and_env_keys_are_never_cached() {
        assert!(!cacheable(&profile("source = \"keyring\"\n")));
        assert!(!cacheable(&profile("source = \"env\"\nvar = \"K\"\n")));
        assert!(cacheable(&profile(
            "source = \"command\"\ncommand = \"x\"\n"
        )));
    }

    #[test]
    fn vault_addr_from_the_environment_is_an_input_of_the_entry() {
        assert!(source_inputs(&profile("source = \"command\"\ncommand = \"x\"\n")).is_empty());
        assert!(
            source_inputs(&profile(
                "source = \"vault\"\npath = \"gw\"\naddr = \"http://127.0.0.1:1\"\n"
            ))
            .is_empty()
        );
        let inputs = source_inputs(&profile("source = \"vault\"\npath = \"gw\"\n"));
        assert_eq!(inputs.len(), 1);
        assert!(inputs[0].starts_with("VAULT_ADDR="));
    }
}
