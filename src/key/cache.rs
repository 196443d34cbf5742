//! The key cache: one small JSON file per profile and source under `<cache dir>/ccgw/`, 0600 in
//! a 0700 directory, plus a `.lock` file beside it that serialises fetches.
//!
//! An entry's name is the profile name and a short SHA-256 fingerprint of the source's config, so
//! changing the source (or the key's lifetime) invalidates it without any bookkeeping.
//!
//! Freshness is the pure function [`freshness`]. The refresh-ahead rule: an entry is refreshed
//! once half of its lifetime (`expires_at - fetched_at`) has passed. Claude Code re-runs the
//! helper every [`crate::plan::helper_ttl`] (a quarter of the lifetime) and keeps sending the old
//! value while a refresh runs, so a key it holds is always at least a quarter-lifetime from expiry.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Profile;
use crate::fsutil;

/// What one cache file holds. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub profile: String,
    /// `vault`, `keyring`, `jwt`, `command`, or `vault-login` for a cached Vault login token.
    pub source: String,
    pub fetched_at: u64,
    pub expires_at: u64,
    pub key: String,
}

/// Why an entry cannot be served as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    Missing,
    Expired,
    /// Still valid, but past the refresh-ahead point: fetch, and serve it if the fetch fails.
    ExpiringSoon,
    /// `ccgw key --refresh`.
    Forced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale(StaleReason),
}

/// When an entry fetched at `fetched_at` and valid until `expires_at` should be refreshed.
pub fn refresh_at(fetched_at: u64, expires_at: u64) -> u64 {
    fetched_at + expires_at.saturating_sub(fetched_at) / 2
}

/// The freshness rule, pure: `now` is Unix seconds.
pub fn freshness(entry: Option<&Entry>, now: u64, forced: bool) -> Freshness {
    let Some(e) = entry else {
        return Freshness::Stale(StaleReason::Missing);
    };
    if now >= e.expires_at {
        Freshness::Stale(StaleReason::Expired)
    } else if forced {
        Freshness::Stale(StaleReason::Forced)
    } else if now >= refresh_at(e.fetched_at, e.expires_at) {
        Freshness::Stale(StaleReason::ExpiringSoon)
    } else {
        Freshness::Fresh
    }
}

/// Whether an entry may still be handed out when its source is down.
pub fn usable(entry: &Entry, now: u64) -> bool {
    now < entry.expires_at
}

pub fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

pub fn now() -> u64 {
    unix(SystemTime::now())
}

/// `<cache dir>/ccgw` (`$XDG_CACHE_HOME/ccgw` on Linux).
pub fn dir() -> Result<PathBuf> {
    dirs::cache_dir().map(|d| d.join("ccgw")).ok_or_else(|| {
        anyhow::anyhow!("no cache directory for this user (set HOME or XDG_CACHE_HOME)")
    })
}

/// A short, stable fingerprint of whatever `parts` describe (hex of the first 6 bytes of SHA-256).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A profile name made safe for a file name (the fingerprint keeps distinct names distinct).
fn file_stem(profile: &str) -> String {
    profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The key entry of `name`: the fingerprint covers the profile name, the source's config and
/// the key's lifetime, so editing any of them starts a new entry.
pub fn key_entry_path(dir: &Path, name: &str, profile: &Profile) -> PathBuf {
    let source = serde_json::to_string(&profile.key).unwrap_or_default();
    let lifetime = profile.key_lifetime().as_secs().to_string();
    let fp = fingerprint(&[name, &source, &lifetime]);
    dir.join(format!("{}-{fp}.json", file_stem(name)))
}

/// A side entry (the Vault login token) of `name`, fingerprinted by `parts`.
pub fn side_entry_path(dir: &Path, name: &str, kind: &str, parts: &[&str]) -> PathBuf {
    let mut all = vec![name, kind];
    all.extend_from_slice(parts);
    let fp = fingerprint(&all);
    dir.join(format!("{}-{fp}.{kind}.json", file_stem(name)))
}

/// Read an entry. Missing → `None`. Unreadable, corrupt, or not private → `None` with a warning:
/// the next fetch replaces it, so a bad file is never fatal.
pub fn read(path: &Path) -> Option<Entry> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return None,
        Err(e) => {
            eprintln!("warning: ignoring cache file `{}`: {e}", path.display());
            return None;
        }
    };
    match serde_json::from_slice::<Entry>(&bytes) {
        Ok(e) if e.expires_at >= e.fetched_at => Some(e),
        _ => {
            eprintln!(
                "warning: ignoring corrupt cache file `{}`; it will be replaced",
                path.display()
            );
            None
        }
    }
}

/// Write an entry atomically, 0600, in a 0700 directory.
pub fn write(path: &Path, entry: &Entry) -> Result<()> {
    let dir = path.parent().context("cache path has no directory")?;
    ensure_dir(dir)?;
    let mut json = serde_json::to_vec_pretty(entry)?;
    json.push(b'\n');
    fsutil::write_private(path, &json)
}

/// Create the cache directory, and keep it 0700 even if something loosened it.
fn ensure_dir(dir: &Path) -> Result<()> {
    fsutil::ensure_private_dir(dir)?;
    let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode != fsutil::PRIVATE_DIR {
        fs::set_permissions(dir, fs::Permissions::from_mode(fsutil::PRIVATE_DIR))
            .with_context(|| format!("could not make `{}` private", dir.display()))?;
    }
    Ok(())
}

/// Remove an entry and its lock file; missing files are fine.
pub fn remove(path: &Path) -> Result<bool> {
    let _ = fs::remove_file(lock_path(path));
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("could not remove `{}`", path.display())),
    }
}

/// Every entry in the cache directory, with its path (corrupt files are skipped).
pub fn list(dir: &Path) -> Result<Vec<(PathBuf, Entry)>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("could not read `{}`", dir.display())),
    };
    let mut out = Vec::new();
    for de in rd.flatten() {
        let path = de.path();
        if path.extension().is_some_and(|x| x == "json")
            && let Some(entry) = fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Entry>(&b).ok())
        {
            out.push((path, entry));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Drop the other key entries of this profile (an old fingerprint: the config changed).
pub fn remove_superseded(current: &Path, profile: &str) {
    let Some(dir) = current.parent() else { return };
    for (path, entry) in list(dir).unwrap_or_default() {
        let is_key_entry = entry.source != "vault-login";
        if path != current && entry.profile == profile && is_key_entry {
            let _ = remove(&path);
        }
    }
}

fn lock_path(entry: &Path) -> PathBuf {
    entry.with_extension("lock")
}

/// Default time to wait for another `ccgw key` that is fetching the same key.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Hold the entry's lock (released on drop).
///
/// This is an advisory `flock`: the kernel drops it when its holder exits, however it exits
/// (even SIGKILL), so a lock left by a dead process is recovered without any stale-lock
/// heuristics; the lock file itself stays and is reused. A live holder that takes longer than
/// `wait` (a hung source) does not block us forever: we warn and fetch anyway.
pub fn lock(entry: &Path, wait: Duration) -> Result<Option<File>> {
    let dir = entry.parent().context("cache path has no directory")?;
    ensure_dir(dir)?;
    let path = lock_path(entry);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(fsutil::PRIVATE_FILE)
        .open(&path)
        .with_context(|| format!("could not open `{}`", path.display()))?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                eprintln!(
                    "warning: another `ccgw key` has held `{}` for over {}s; fetching anyway",
                    path.display(),
                    wait.as_secs()
                );
                return Ok(None);
            }
            Err(fs::TryLockError::Error(e)) => {
                eprintln!("warning: could not lock `{}`: {e}", path.display());
                return Ok(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fetched_at: u64, expires_at: u64) -> Entry {
        Entry {
            profile: "work".into(),
            source: "vault".into(),
            fetched_at,
            expires_at,
            key: "k".into(),
        }
    }

    #[test]
    fn freshness_rule() {
        let e = entry(1000, 2000);
        assert_eq!(
            freshness(None, 1000, false),
            Freshness::Stale(StaleReason::Missing)
        );
        assert_eq!(freshness(Some(&e), 1000, false), Freshness::Fresh);
        assert_eq!(freshness(Some(&e), 1499, false), Freshness::Fresh);
        assert_eq!(
            freshness(Some(&e), 1500, false),
            Freshness::Stale(StaleReason::ExpiringSoon)
        );
        assert_eq!(
            freshness(Some(&e), 1999, false),
            Freshness::Stale(StaleReason::ExpiringSoon)
        );
        assert_eq!(
            freshness(Some(&e), 2000, false),
            Freshness::Stale(StaleReason::Expired)
        );
        assert_eq!(
            freshness(Some(&e), 1200, true),
            Freshness::Stale(StaleReason::Forced)
        );
        // Forced or not, an expired entry is expired (it may not be served on a failed fetch).
        assert_eq!(
            freshness(Some(&e), 2500, true),
            Freshness::Stale(StaleReason::Expired)
        );
        assert!(usable(&e, 1999) && !usable(&e, 2000));
        // A zero-lifetime entry is never fresh.
        assert_eq!(
            freshness(Some(&entry(5, 5)), 5, false),
            Freshness::Stale(StaleReason::Expired)
        );
    }

    /// The refresh-ahead point and Claude Code's helper TTL (`plan::helper_ttl`) fit together:
    /// a key served just before its refresh point and kept by Claude Code for a whole helper TTL
    /// is still valid for another quarter of its lifetime, the margin that covers Claude Code's
    /// stale-while-revalidate refresh and the request in flight.
    #[test]
    fn refresh_ahead_is_consistent_with_the_helper_ttl() {
        for secs in [10u64, 60, 3300, 3600, 86_400] {
            let lifetime = Duration::from_secs(secs);
            let helper = crate::plan::helper_ttl(lifetime).as_secs();
            let refresh = refresh_at(0, secs);
            assert_eq!(refresh, secs / 2);
            assert!(refresh + helper < secs, "lifetime {secs}s");
            assert!(
                secs - (refresh + helper) >= secs / 4 - 1,
                "lifetime {secs}s"
            );
            // And Claude Code asks at least once before the refresh point.
            assert!(helper <= refresh);
        }
    }

    #[test]
    fn fingerprint_changes_with_the_source() {
        let a = fingerprint(&["work", "{\"source\":\"env\",\"var\":\"A\"}", "3600"]);
        let b = fingerprint(&["work", "{\"source\":\"env\",\"var\":\"B\"}", "3600"]);
        assert_eq!(a.len(), 12);
        assert_ne!(a, b);
        assert_eq!(
            a,
            fingerprint(&["work", "{\"source\":\"env\",\"var\":\"A\"}", "3600"])
        );
        assert_eq!(file_stem("a/b c"), "a_b_c");
    }

    #[test]
    fn write_read_and_corrupt() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("ccgw");
        let p = dir.join("work-abc.json");
        assert_eq!(read(&p), None);
        let e = entry(1, 2);
        write(&p, &e).unwrap();
        assert_eq!(read(&p), Some(e));
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        fs::write(&p, "{not json").unwrap();
        assert_eq!(read(&p), None);
    }

    #[test]
    fn lock_is_exclusive_and_the_wait_is_bounded() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ccgw/work-abc.json");
        let held = lock(&p, Duration::from_secs(1)).unwrap();
        assert!(held.is_some());
        // flock locks belong to the open file description, so a second open conflicts even in
        // the same process: the wait ends after the timeout without the lock.
        let start = Instant::now();
        assert!(lock(&p, Duration::from_millis(200)).unwrap().is_none());
        assert!(start.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(lock(&p, Duration::from_millis(200)).unwrap().is_some());
    }
}
