//! The key cache: one small JSON file per profile and source under `<cache dir>/ccgw/`, 0600 in
//! a 0700 directory, plus a `.lock` file beside it that serialises fetches. Every file is one of
//! ccgw's own ([`fsutil::read_own`], [`fsutil::write_own`]): never through a symlink, never one
//! this user did not make.
//!
//! An entry's name is the profile name and a short SHA-256 fingerprint of everything that
//! decides where its key comes from (the config file, the source's config, the key's lifetime,
//! the environment the source reads), so changing any of them starts a new entry, and two config
//! files with a profile of the same name have two entries.
//!
//! Reading is the pure [`parse_entry`]: an entry counts only if it says it is this very file,
//! holds a key Claude Code would take, and has sane times; anything else is corrupt and replaced.
//! Freshness is the pure [`freshness`]. The refresh-ahead rule: an entry is refreshed once half
//! of its lifetime (`expires_at - fetched_at`) has passed. Claude Code re-runs the helper every
//! [`crate::plan::helper_ttl`] (a quarter of the lifetime) and keeps sending the old value while
//! a refresh runs, so a key it holds is always at least a quarter-lifetime from expiry.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Profile;
use crate::fsutil;

/// What one cache entry holds. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub profile: String,
    /// `vault`, `jwt`, `command`, or `vault-login` for a cached Vault login token.
    pub source: String,
    pub fetched_at: u64,
    pub expires_at: u64,
    pub key: String,
}

/// What one cache file holds: the entry, and what ties it to its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The file name it was written as: a copied or renamed entry is not that file's entry.
    pub file: String,
    /// The canonical path of the config file a key entry belongs to (none for a login entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    #[serde(flatten)]
    pub entry: Entry,
    /// When a refresh of this still-valid key last failed: other callers serve the key until
    /// [`retry_at`] instead of trying (and waiting) again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_failed_at: Option<u64>,
}

/// The longest lifetime any entry may claim (a login token with no key lifetime to bound it):
/// past this an expiry is absurd, not a long lease.
pub const ABSURD_LIFETIME: u64 = 10 * 366 * 24 * 3600;

/// No entry file is larger than this (a key is at most `MAX_KEY_LEN` characters).
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// What a record must match to count, besides holding a good key and sane times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect<'a> {
    /// The name of the file it was read from.
    pub file: &'a str,
    /// A key entry's profile, source and config; `None` accepts any (a login entry, a listing).
    pub owner: Option<Owner<'a>>,
    /// The longest `expires_at - fetched_at` that is not corrupt.
    pub max_lifetime: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner<'a> {
    pub profile: &'a str,
    pub source: &'a str,
    pub config: &'a str,
}

/// Why a cache file is not served (it is then replaced by the next fetch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Corrupt {
    Unparsable(String),
    NotThisFile,
    NotThisProfile,
    NotThisSource,
    NotThisConfig,
    BadKey(String),
    /// Expires before it was fetched, or lives longer than its source allows.
    BadTimes,
}

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unparsable(e) => write!(f, "not a cache entry: {e}"),
            Self::NotThisFile => f.write_str("it was written as another file"),
            Self::NotThisProfile => f.write_str("it belongs to another profile"),
            Self::NotThisSource => f.write_str("it belongs to another key source"),
            Self::NotThisConfig => f.write_str("it belongs to another config file"),
            Self::BadKey(p) => write!(f, "its key {p}"),
            Self::BadTimes => f.write_str("its expiry is impossible"),
        }
    }
}

/// The read rule, pure: parse `bytes` and check the record against `expect`.
pub fn parse_entry(bytes: &[u8], expect: &Expect<'_>) -> Result<Record, Corrupt> {
    let record: Record =
        serde_json::from_slice(bytes).map_err(|e| Corrupt::Unparsable(e.to_string()))?;
    let e = &record.entry;
    // The name is `<stem>-<fingerprint>…`: a record names its own file and profile.
    let stem = format!("{}-", file_stem(&e.profile));
    if record.file != expect.file || !record.file.starts_with(&stem) {
        return Err(Corrupt::NotThisFile);
    }
    if let Some(owner) = &expect.owner {
        if e.profile != owner.profile {
            return Err(Corrupt::NotThisProfile);
        }
        if e.source != owner.source {
            return Err(Corrupt::NotThisSource);
        }
        if record.config.as_deref() != Some(owner.config) {
            return Err(Corrupt::NotThisConfig);
        }
    }
    if let Some(problem) = super::key_problem(&e.key) {
        return Err(Corrupt::BadKey(problem));
    }
    let lifetime = e.expires_at.checked_sub(e.fetched_at);
    if lifetime.is_none_or(|l| l > expect.max_lifetime) {
        return Err(Corrupt::BadTimes);
    }
    Ok(record)
}

/// Why an entry cannot be served as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    Missing,
    /// Expired, or fetched "in the future" (the clock moved back, or a hand edit).
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
    if !usable(e, now) {
        Freshness::Stale(StaleReason::Expired)
    } else if forced {
        Freshness::Stale(StaleReason::Forced)
    } else if now >= refresh_at(e.fetched_at, e.expires_at) {
        Freshness::Stale(StaleReason::ExpiringSoon)
    } else {
        Freshness::Fresh
    }
}

/// Whether an entry may be handed out at `now` at all: fetched no later than now, not expired.
pub fn usable(entry: &Entry, now: u64) -> bool {
    entry.fetched_at <= now && now < entry.expires_at
}

/// After a refresh failed at `failed_at`, the next attempt is due one helper TTL (a quarter of
/// the key's lifetime) later: at most one attempt per window in which every Claude Code asks once.
pub fn retry_at(entry: &Entry, failed_at: u64) -> u64 {
    let lifetime = Duration::from_secs(entry.expires_at.saturating_sub(entry.fetched_at));
    failed_at.saturating_add(crate::plan::helper_ttl(lifetime).as_secs().max(1))
}

/// Whether a refresh of this record is to be held back at `now`: one failed recently. A failure
/// recorded "in the future" (the clock moved back) holds nothing back.
pub fn backing_off(record: &Record, now: u64) -> bool {
    record
        .refresh_failed_at
        .is_some_and(|f| f <= now && now < retry_at(&record.entry, f))
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

/// Check the cache directory before any use: ours and 0700 (created or repaired), or exit 4.
pub fn check_dir(dir: &Path) -> Result<()> {
    fsutil::own_dir(dir)
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

/// The key entry of one profile of one config file: where it is and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub path: PathBuf,
    pub profile: String,
    pub source: String,
    /// The config file's canonical path.
    pub config: String,
    /// The longest a key of this source lives (seconds): no entry claims more.
    pub lifetime: u64,
}

impl KeyEntry {
    /// The entry of profile `name` of the config file `config`. `inputs` are the environment
    /// values the source reads to find its key (such as `VAULT_ADDR=…`): they are part of the
    /// fingerprint, as are the profile name, the source's config, the lifetime and the config.
    pub fn new(
        dir: &Path,
        name: &str,
        profile: &Profile,
        config: &Path,
        inputs: &[String],
    ) -> Self {
        let config = fs::canonicalize(config)
            .unwrap_or_else(|_| config.to_path_buf())
            .display()
            .to_string();
        let source = serde_json::to_string(&profile.key).unwrap_or_default();
        let lifetime = profile.key_lifetime().as_secs();
        let lifetime_text = lifetime.to_string();
        let mut parts = vec![name, &source, &lifetime_text, &config];
        parts.extend(inputs.iter().map(String::as_str));
        let fp = fingerprint(&parts);
        Self {
            path: dir.join(format!("{}-{fp}.json", file_stem(name))),
            profile: name.to_owned(),
            source: profile.key.kind().to_owned(),
            config,
            lifetime,
        }
    }

    /// The entry for a key fetched at `fetched_at` that its source lets live until `until`:
    /// it expires at the earlier of that and the key's lifetime.
    pub fn entry(&self, key: String, fetched_at: u64, until: Option<u64>) -> Entry {
        let ttl_end = fetched_at.saturating_add(self.lifetime);
        Entry {
            profile: self.profile.clone(),
            source: self.source.clone(),
            fetched_at,
            expires_at: until.map_or(ttl_end, |u| u.min(ttl_end)).max(fetched_at),
            key,
        }
    }

    fn expect(&self) -> Expect<'_> {
        Expect {
            file: file_name(&self.path),
            owner: Some(Owner {
                profile: &self.profile,
                source: &self.source,
                config: &self.config,
            }),
            max_lifetime: self.lifetime,
        }
    }

    /// Read this entry: `None` when missing or not to be trusted (with a warning).
    pub fn read(&self) -> Option<Record> {
        read_record(&self.path, &self.expect())
    }

    /// Store `entry` (and a failed refresh, if any) as this entry.
    pub fn write(&self, entry: &Entry, refresh_failed_at: Option<u64>) -> Result<()> {
        write_record(
            &self.path,
            Record {
                file: file_name(&self.path).to_owned(),
                config: Some(self.config.clone()),
                entry: entry.clone(),
                refresh_failed_at,
            },
        )
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// A side entry (the Vault login token) of `name`, fingerprinted by `parts`.
pub fn side_entry_path(dir: &Path, name: &str, kind: &str, parts: &[&str]) -> PathBuf {
    let mut all = vec![name, kind];
    all.extend_from_slice(parts);
    let fp = fingerprint(&all);
    dir.join(format!("{}-{fp}.{kind}.json", file_stem(name)))
}

/// What any entry of `path` must match when nothing more is known of its owner (a login entry,
/// a listing): its own file name and, for a side entry `<stem>-<fp>.<kind>.json`, its kind.
fn expect_any(path: &Path) -> Expect<'_> {
    Expect {
        file: file_name(path),
        owner: None,
        max_lifetime: ABSURD_LIFETIME,
    }
}

fn read_record(path: &Path, expect: &Expect<'_>) -> Option<Record> {
    if let Some(dir) = path.parent()
        && let Err(e) = check_dir(dir)
    {
        eprintln!("warning: not using the cache: {e:#}");
        return None;
    }
    let bytes = match fsutil::read_own(path, MAX_ENTRY_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => {
            eprintln!("warning: ignoring cache file: {e:#}; it will be replaced");
            return None;
        }
    };
    match parse_entry(&bytes, expect) {
        Ok(r) => Some(r),
        Err(why) => {
            eprintln!(
                "warning: ignoring corrupt cache file `{}` ({why}); it will be replaced",
                path.display()
            );
            None
        }
    }
}

/// Read any entry (the Vault login token). Missing → `None`. Unreadable, corrupt, not private,
/// a symlink, or not this file's own entry → `None` with a warning: the next fetch replaces it.
pub fn read(path: &Path) -> Option<Entry> {
    read_record(path, &expect_any(path)).map(|r| r.entry)
}

fn write_record(path: &Path, record: Record) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(&record)?;
    json.push(b'\n');
    fsutil::write_own(path, &json)
}

/// Write any entry (the Vault login token) atomically, 0600, in a 0700 directory.
pub fn write(path: &Path, entry: &Entry) -> Result<()> {
    write_record(
        path,
        Record {
            file: file_name(path).to_owned(),
            config: None,
            entry: entry.clone(),
            refresh_failed_at: None,
        },
    )
}

/// Remove an entry, and its lock file unless someone holds it; missing files are fine.
pub fn remove(path: &Path) -> Result<bool> {
    remove_lock(&lock_path(path));
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("could not remove `{}`", path.display())),
    }
}

/// Every trustworthy entry in the cache directory, with its path (others are skipped).
pub fn list(dir: &Path) -> Result<Vec<(PathBuf, Record)>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("could not read `{}`", dir.display())),
    };
    let mut out = Vec::new();
    for de in rd.flatten() {
        let path = de.path();
        if path.extension().is_some_and(|x| x == "json")
            && let Ok(Some(bytes)) = fsutil::read_own(&path, MAX_ENTRY_BYTES)
            && let Ok(record) = parse_entry(&bytes, &expect_any(&path))
        {
            out.push((path, record));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Drop the other key entries of this profile of this config file (an old fingerprint: the
/// profile changed). Entries of another config file with a profile of the same name stay.
pub fn remove_superseded(current: &KeyEntry) {
    let Some(dir) = current.path.parent() else {
        return;
    };
    for (path, record) in list(dir).unwrap_or_default() {
        let e = &record.entry;
        if path != current.path
            && e.profile == current.profile
            && record.config.as_deref() == Some(current.config.as_str())
        {
            let _ = remove(&path);
        }
    }
}

/// Drop every key entry of profile `name` that came from `source` (whatever its config): used
/// for the keyring, whose keys an older ccgw copied into the cache.
pub fn remove_entries_of(dir: &Path, name: &str, source: &str) {
    for (path, record) in list(dir).unwrap_or_default() {
        if record.entry.profile == name && record.entry.source == source {
            let _ = remove(&path);
        }
    }
}

fn lock_path(entry: &Path) -> PathBuf {
    entry.with_extension("lock")
}

/// The shortest time to wait for another `ccgw key` that is fetching the same key; the caller
/// waits at least its source's own timeout on top (see `key::lock_wait`).
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Whether `file` (a lock we hold) is still the file at `path`: `cache clear` may have unlinked
/// it while we waited, and a lock on an unlinked file guards nothing.
fn still_at(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
        _ => false,
    }
}

/// Take the lock of `entry` by `deadline`: `Ok(Some)` held, `Ok(None)` someone else holds it.
fn acquire(entry: &Path, deadline: Instant) -> Result<Option<File>> {
    let dir = entry.parent().context("cache path has no directory")?;
    check_dir(dir)?;
    let path = lock_path(entry);
    loop {
        let file = fsutil::open_own_lock(&path, true)?.context("lock file vanished")?;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("could not lock `{}`", path.display()));
                }
            }
        }
        if still_at(&file, &path) {
            return Ok(Some(file));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
    }
}

/// Hold the entry's lock (released on drop), waiting up to `wait` for another holder.
///
/// This is an advisory `flock`: the kernel drops it when its holder exits, however it exits
/// (even SIGKILL), so a lock left by a dead process is recovered without any stale-lock
/// heuristics; the lock file itself stays and is reused. A live holder that takes longer than
/// `wait` (a hung source) does not block us forever: we warn and fetch anyway.
pub fn lock(entry: &Path, wait: Duration) -> Result<Option<File>> {
    let held = acquire(entry, Instant::now() + wait)?;
    if held.is_none() {
        eprintln!(
            "warning: another `ccgw key` has held `{}` for over {}s; fetching anyway",
            lock_path(entry).display(),
            wait.as_secs()
        );
    }
    Ok(held)
}

/// Take the entry's lock if nobody holds it, without waiting.
pub fn try_lock(entry: &Path) -> Result<Option<File>> {
    acquire(entry, Instant::now())
}

/// Remove a lock file, only while holding its lock: a waiter that then gets the unlinked file
/// sees it is no longer at its path and takes the new one (see [`still_at`]). A held lock stays.
fn remove_lock(path: &Path) -> bool {
    let Ok(Some(file)) = fsutil::open_own_lock(path, false) else {
        return false;
    };
    if file.try_lock().is_err() || !still_at(&file, path) {
        return false;
    }
    fs::remove_file(path).is_ok()
}

/// Remove every lock file in `dir` nobody holds (`cache clear --all`).
pub fn remove_idle_locks(dir: &Path) {
    for de in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = de.path();
        if p.extension().is_some_and(|x| x == "lock") {
            remove_lock(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

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

    /// The clock moved back (or a hand edit): an entry fetched after `now` is not served, not
    /// even as a fallback, however far its expiry.
    #[test]
    fn an_entry_from_the_future_is_stale() {
        let e = entry(1000, 2000);
        assert!(usable(&e, 1000));
        assert!(!usable(&e, 999));
        assert_eq!(
            freshness(Some(&e), 999, false),
            Freshness::Stale(StaleReason::Expired)
        );
        assert_eq!(
            freshness(Some(&e), 0, true),
            Freshness::Stale(StaleReason::Expired)
        );
    }

    #[test]
    fn one_refresh_attempt_per_helper_ttl_after_a_failure() {
        // Lifetime 1000 s: the helper TTL, and so the back-off, is 250 s.
        let mut r = record(entry(1000, 2000));
        assert!(!backing_off(&r, 1600));
        r.refresh_failed_at = Some(1600);
        assert_eq!(retry_at(&r.entry, 1600), 1850);
        assert!(backing_off(&r, 1600));
        assert!(backing_off(&r, 1849));
        assert!(!backing_off(&r, 1850));
        // A failure "in the future" (the clock moved back) holds nothing back.
        assert!(!backing_off(&r, 1599));
        // The back-off is at least a second, and never overflows.
        assert_eq!(retry_at(&entry(5, 6), 10), 11);
        assert_eq!(retry_at(&entry(0, 8), u64::MAX), u64::MAX);
        assert_eq!(retry_at(&entry(9, 8), 10), 11);
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
        assert_eq!(refresh_at(100, 50), 100);
        assert_eq!(refresh_at(100, 301), 200);
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
        // Parts are separated: moving a character from one part to the next is another input.
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(file_stem("a/b c"), "a_b_c");
        assert_eq!(file_stem("Az09-_"), "Az09-_");
    }

    fn profile(toml: &str) -> Profile {
        profile_living("1h", toml)
    }

    fn profile_living(ttl: &str, toml: &str) -> Profile {
        let text = format!(
            "[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\nkey_ttl = \"{ttl}\"\n{toml}"
        );
        crate::config::parse(Path::new("c.toml"), &text)
            .unwrap()
            .profiles["work"]
            .clone()
    }

    const COMMAND: &str = "[profiles.work.key]\nsource = \"command\"\ncommand = \"true\"\n";

    #[test]
    fn the_key_entry_names_everything_that_decides_where_the_key_comes_from() {
        let d = tempfile::tempdir().unwrap();
        let p = profile(COMMAND);
        let a = KeyEntry::new(d.path(), "work", &p, Path::new("/etc/a.toml"), &[]);
        assert_eq!(a.profile, "work");
        assert_eq!(a.source, "command");
        assert_eq!(a.config, "/etc/a.toml");
        assert_eq!(a.lifetime, 3600);
        assert!(file_name(&a.path).starts_with("work-"));
        assert!(file_name(&a.path).ends_with(".json"));
        assert_eq!(a.path.parent(), Some(d.path()));
        let same = KeyEntry::new(d.path(), "work", &p, Path::new("/etc/a.toml"), &[]);
        assert_eq!(a, same);
        let paths = [
            KeyEntry::new(d.path(), "work", &p, Path::new("/etc/b.toml"), &[]).path,
            KeyEntry::new(d.path(), "work2", &p, Path::new("/etc/a.toml"), &[]).path,
            KeyEntry::new(
                d.path(),
                "work",
                &p,
                Path::new("/etc/a.toml"),
                &["X=1".into()],
            )
            .path,
            KeyEntry::new(
                d.path(),
                "work",
                &profile_living("2h", COMMAND),
                Path::new("/etc/a.toml"),
                &[],
            )
            .path,
            KeyEntry::new(
                d.path(),
                "work",
                &profile("[profiles.work.key]\nsource = \"command\"\ncommand = \"false\"\n"),
                Path::new("/etc/a.toml"),
                &[],
            )
            .path,
        ];
        for (i, p) in paths.iter().enumerate() {
            assert_ne!(p, &a.path, "variant {i}");
        }
        // The config path is canonical: a relative or dotted name of the same file is the same.
        let cfg = d.path().join("c.toml");
        fs::write(&cfg, "").unwrap();
        let dotted = d.path().join(".").join("c.toml");
        assert_eq!(
            KeyEntry::new(d.path(), "work", &p, &cfg, &[]).path,
            KeyEntry::new(d.path(), "work", &p, &dotted, &[]).path
        );
    }

    #[test]
    fn a_new_entry_expires_at_the_earlier_of_its_lifetime_and_the_source_expiry() {
        let d = tempfile::tempdir().unwrap();
        let k = KeyEntry::new(d.path(), "work", &profile(COMMAND), Path::new("/c"), &[]);
        let e = k.entry("sk-1".into(), 1000, None);
        assert_eq!(
            e,
            Entry {
                profile: "work".into(),
                source: "command".into(),
                fetched_at: 1000,
                expires_at: 4600,
                key: "sk-1".into(),
            }
        );
        assert_eq!(k.entry("sk-1".into(), 1000, Some(2000)).expires_at, 2000);
        assert_eq!(k.entry("sk-1".into(), 1000, Some(9000)).expires_at, 4600);
        // A source expiry in the past: the entry is born expired, never before it was fetched.
        assert_eq!(k.entry("sk-1".into(), 1000, Some(10)).expires_at, 1000);
        assert_eq!(k.entry("sk-1".into(), u64::MAX, None).expires_at, u64::MAX);
    }

    fn record(entry: Entry) -> Record {
        Record {
            file: "work-0123456789ab.json".into(),
            config: Some("/c.toml".into()),
            entry,
            refresh_failed_at: None,
        }
    }

    const OWNER: Owner<'static> = Owner {
        profile: "work",
        source: "vault",
        config: "/c.toml",
    };

    fn expect(max_lifetime: u64) -> Expect<'static> {
        Expect {
            file: "work-0123456789ab.json",
            owner: Some(OWNER),
            max_lifetime,
        }
    }

    fn parse(r: &Record, expect: &Expect<'_>) -> Result<Record, Corrupt> {
        parse_entry(&serde_json::to_vec(r).unwrap(), expect)
    }

    #[test]
    fn parse_accepts_its_own_entry() {
        let mut r = record(entry(1000, 4600));
        assert_eq!(parse(&r, &expect(3600)), Ok(r.clone()));
        r.refresh_failed_at = Some(3000);
        assert_eq!(parse(&r, &expect(3600)), Ok(r.clone()));
        // Any owner: a login entry or a listing.
        let any = Expect {
            owner: None,
            ..expect(3600)
        };
        r.config = None;
        assert_eq!(parse(&r, &any), Ok(r.clone()));
        // The longest key Claude Code takes.
        r.entry.key = "k".repeat(crate::key::MAX_KEY_LEN);
        assert_eq!(parse(&r, &any), Ok(r));
    }

    #[test]
    fn parse_refuses_what_is_not_this_entry() {
        let good = record(entry(1000, 4600));
        let e = expect(3600);
        let bad = |f: &dyn Fn(&mut Record)| {
            let mut r = good.clone();
            f(&mut r);
            parse(&r, &e).unwrap_err()
        };
        assert_eq!(
            bad(&|r| r.file = "work-ffffffffffff.json".into()),
            Corrupt::NotThisFile
        );
        // A record of another profile under this file's name, with or without a known owner.
        let other = bad(&|r| r.entry.profile = "play".into());
        assert_eq!(other, Corrupt::NotThisFile);
        let mut r = good.clone();
        r.entry.profile = "play".into();
        let any = Expect {
            owner: None,
            ..expect(3600)
        };
        assert_eq!(parse(&r, &any), Err(Corrupt::NotThisFile));
        // `work-…` is also the stem of profile `work` only, not `wor`.
        r.entry.profile = "wor".into();
        assert_eq!(parse(&r, &any), Err(Corrupt::NotThisFile));
        let owner = Owner {
            profile: "work2",
            ..OWNER
        };
        assert_eq!(
            parse(
                &good,
                &Expect {
                    owner: Some(owner),
                    ..expect(3600)
                }
            ),
            Err(Corrupt::NotThisProfile)
        );
        assert_eq!(
            bad(&|r| r.entry.source = "command".into()),
            Corrupt::NotThisSource
        );
        assert_eq!(
            bad(&|r| r.config = Some("/other.toml".into())),
            Corrupt::NotThisConfig
        );
        assert_eq!(bad(&|r| r.config = None), Corrupt::NotThisConfig);
    }

    #[test]
    fn parse_applies_the_key_rule() {
        let good = record(entry(1000, 4600));
        for (key, problem) in [
            ("", "is empty"),
            ("two words", "contains whitespace"),
            (
                "caf\u{e9}",
                "contains characters that are not printable ASCII",
            ),
            (
                "esc\u{1b}[2J",
                "contains characters that are not printable ASCII",
            ),
        ] {
            let mut r = good.clone();
            r.entry.key = key.into();
            assert_eq!(
                parse(&r, &expect(3600)),
                Err(Corrupt::BadKey(problem.into()))
            );
        }
        let mut r = good;
        r.entry.key = "k".repeat(crate::key::MAX_KEY_LEN + 1);
        assert!(matches!(
            parse(&r, &expect(3600)),
            Err(Corrupt::BadKey(p)) if p.contains("16385 characters")
        ));
    }

    #[test]
    fn parse_refuses_impossible_times() {
        let e = expect(3600);
        let times = |f: u64, x: u64| parse(&record(entry(f, x)), &e);
        assert!(times(1000, 1000).is_ok());
        assert!(times(1000, 4600).is_ok());
        assert_eq!(times(1000, 4601), Err(Corrupt::BadTimes));
        assert_eq!(times(1000, 999), Err(Corrupt::BadTimes));
        assert_eq!(times(0, u64::MAX), Err(Corrupt::BadTimes));
        assert_eq!(times(u64::MAX, 0), Err(Corrupt::BadTimes));
        assert!(times(u64::MAX, u64::MAX).is_ok());
    }

    #[test]
    fn parse_refuses_what_is_not_a_record() {
        let e = expect(3600);
        for text in [
            "",
            "{not json",
            "[]",
            "{\"profile\":\"work\"}",
            // An entry of an older ccgw: no `file`.
            "{\"profile\":\"work\",\"source\":\"vault\",\"fetched_at\":1,\"expires_at\":2,\"key\":\"k\"}",
            // Negative and fractional times.
            "{\"file\":\"work-0123456789ab.json\",\"config\":\"/c.toml\",\"profile\":\"work\",\"source\":\"vault\",\"fetched_at\":-1,\"expires_at\":2,\"key\":\"k\"}",
            "{\"file\":\"work-0123456789ab.json\",\"config\":\"/c.toml\",\"profile\":\"work\",\"source\":\"vault\",\"fetched_at\":1.5,\"expires_at\":2,\"key\":\"k\"}",
        ] {
            assert!(
                matches!(
                    parse_entry(text.as_bytes(), &e),
                    Err(Corrupt::Unparsable(_))
                ),
                "{text}"
            );
        }
        let ok = "{\"file\":\"work-0123456789ab.json\",\"config\":\"/c.toml\",\"profile\":\"work\",\"source\":\"vault\",\"fetched_at\":1,\"expires_at\":2,\"key\":\"k\"}";
        assert!(parse_entry(ok.as_bytes(), &e).is_ok());
    }

    #[test]
    fn corrupt_reasons_read_well() {
        for (c, text) in [
            (Corrupt::Unparsable("x".into()), "not a cache entry: x"),
            (Corrupt::NotThisFile, "it was written as another file"),
            (Corrupt::NotThisProfile, "it belongs to another profile"),
            (Corrupt::NotThisSource, "it belongs to another key source"),
            (Corrupt::NotThisConfig, "it belongs to another config file"),
            (Corrupt::BadKey("is empty".into()), "its key is empty"),
            (Corrupt::BadTimes, "its expiry is impossible"),
        ] {
            assert_eq!(c.to_string(), text);
        }
    }

    #[test]
    fn write_read_and_corrupt() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("ccgw");
        let k = KeyEntry::new(&dir, "work", &profile(COMMAND), Path::new("/c"), &[]);
        assert_eq!(k.read(), None);
        let e = k.entry("sk-1".into(), 1, None);
        k.write(&e, Some(2)).unwrap();
        let r = k.read().unwrap();
        assert_eq!((r.entry, r.refresh_failed_at), (e.clone(), Some(2)));
        assert_eq!(r.config.as_deref(), Some("/c"));
        let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode(&k.path), 0o600);
        assert_eq!(mode(&dir), 0o700);
        // The generic reader sees the same entry; the listing too.
        assert_eq!(read(&k.path), Some(e.clone()));
        assert_eq!(list(&dir).unwrap().len(), 1);
        // Copied under another name: not that file's entry.
        let copy = dir.join("work-ffffffffffff.json");
        fs::copy(&k.path, &copy).unwrap();
        assert_eq!(read(&copy), None);
        assert_eq!(list(&dir).unwrap().len(), 1);
        fs::write(&k.path, "{not json").unwrap();
        assert_eq!(k.read(), None);
        assert_eq!(read(&k.path), None);

        // A login entry written and read through the generic pair.
        let login = side_entry_path(&dir, "work", "vault-login", &["http://x"]);
        assert!(file_name(&login).ends_with(".vault-login.json"));
        let le = Entry {
            source: "vault-login".into(),
            ..e
        };
        write(&login, &le).unwrap();
        assert_eq!(read(&login), Some(le));
    }

    #[test]
    fn clock_and_places() {
        assert_eq!(unix(UNIX_EPOCH + Duration::from_secs(5)), 5);
        assert_eq!(unix(UNIX_EPOCH - Duration::from_secs(5)), 0);
        let t = now();
        assert!(t > 1_700_000_000 && t.abs_diff(unix(SystemTime::now())) <= 1);
        assert!(dir().unwrap().ends_with("ccgw"));
        let d = tempfile::tempdir().unwrap();
        let a = side_entry_path(d.path(), "work", "vault-login", &["http://a"]);
        let b = side_entry_path(d.path(), "work", "vault-login", &["http://b"]);
        let c = side_entry_path(d.path(), "work", "other", &["http://a"]);
        assert!(a != b && a != c && b != c);
        assert_eq!(a.parent(), Some(d.path()));
        assert!(file_name(&a).starts_with("work-"));
    }

    #[test]
    fn the_cache_directory_is_checked_on_use() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("ccgw");
        check_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        check_dir(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        // Reading repairs it too: the hit path checks the directory as well.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(read(&dir.join("work-0.json")), None);
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    }

    #[test]
    fn superseded_entries_of_this_config_go_and_others_stay() {
        let d = tempfile::tempdir().unwrap();
        let p = profile(COMMAND);
        let old = KeyEntry::new(d.path(), "work", &p, Path::new("/a"), &["X=old".into()]);
        let cur = KeyEntry::new(d.path(), "work", &p, Path::new("/a"), &["X=new".into()]);
        let other_config = KeyEntry::new(d.path(), "work", &p, Path::new("/b"), &[]);
        let other_profile = KeyEntry::new(d.path(), "play", &p, Path::new("/a"), &[]);
        for k in [&old, &cur, &other_config, &other_profile] {
            k.write(&k.entry("sk-1".into(), 1, None), None).unwrap();
        }
        remove_superseded(&cur);
        assert!(!old.path.exists());
        for k in [&cur, &other_config, &other_profile] {
            assert!(k.path.exists(), "{}", k.path.display());
        }
        remove_entries_of(d.path(), "work", "jwt");
        assert!(cur.path.exists());
        remove_entries_of(d.path(), "work", "command");
        assert!(!cur.path.exists() && !other_config.path.exists());
        assert!(other_profile.path.exists());
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
        assert!(try_lock(&p).unwrap().is_none());
        drop(held);
        assert!(lock(&p, Duration::from_millis(200)).unwrap().is_some());
        assert!(try_lock(&p).unwrap().is_some());
    }

    /// `cache clear` while a fetch holds the lock: the lock file stays, so a second fetcher
    /// still waits; once it is free, removing it is safe for a waiter that opened it before.
    #[test]
    fn a_held_lock_file_is_never_removed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ccgw/work-abc.json");
        let lock_file = lock_path(&p);
        let held = try_lock(&p).unwrap().unwrap();
        assert!(!remove_lock(&lock_file));
        remove(&p).unwrap();
        remove_idle_locks(&d.path().join("ccgw"));
        assert!(lock_file.exists());
        assert!(try_lock(&p).unwrap().is_none());
        drop(held);

        // A waiter's open file is unlinked under it: it must not count as the lock.
        let stale = fsutil::open_own_lock(&lock_file, false).unwrap().unwrap();
        assert!(remove_lock(&lock_file));
        assert!(!lock_file.exists());
        assert!(stale.try_lock().is_ok());
        assert!(!still_at(&stale, &lock_file));
        let fresh = try_lock(&p).unwrap();
        assert!(fresh.is_some() && lock_file.exists());
        assert!(still_at(fresh.as_ref().unwrap(), &lock_file));
        // Another file now at the path (same device, another inode) is not the one held.
        assert!(!still_at(&stale, &lock_file));
        assert!(!remove_lock(&lock_file));
        drop(fresh);
        remove_idle_locks(&d.path().join("ccgw"));
        assert!(!lock_file.exists());
    }

    /// A login entry (no key lifetime to bound it) may claim up to ten years, not more.
    #[test]
    fn a_login_entry_lives_at_most_ten_years() {
        let d = tempfile::tempdir().unwrap();
        let path = side_entry_path(d.path(), "work", "vault-login", &["http://v"]);
        let day = 24 * 3600;
        let login = |lifetime: u64| Entry {
            profile: "work".into(),
            source: "vault-login".into(),
            fetched_at: 1000,
            expires_at: 1000 + lifetime,
            key: "hvs.token".into(),
        };
        for (lifetime, kept) in [
            (3650 * day, true),
            (ABSURD_LIFETIME, true),
            (ABSURD_LIFETIME + 1, false),
            (3700 * day, false),
        ] {
            write(&path, &login(lifetime)).unwrap();
            assert_eq!(read(&path).is_some(), kept, "{lifetime}");
        }
    }

    /// The longest key Claude Code takes fits in an entry file that the reader accepts.
    #[test]
    fn an_entry_with_the_longest_key_reads_back() {
        let d = tempfile::tempdir().unwrap();
        let k = KeyEntry::new(d.path(), "work", &profile(COMMAND), Path::new("/c"), &[]);
        let e = k.entry("k".repeat(crate::key::MAX_KEY_LEN), 1, None);
        k.write(&e, Some(1)).unwrap();
        assert_eq!(k.read().map(|r| r.entry), Some(e));
        // The same record padded past the bound (JSON allows the blanks) is not read at all.
        let mut padded = fs::read(&k.path).unwrap();
        padded.resize(MAX_ENTRY_BYTES as usize + 1, b' ');
        fs::write(&k.path, &padded).unwrap();
        assert_eq!(k.read(), None);
        padded.truncate(MAX_ENTRY_BYTES as usize);
        fs::write(&k.path, &padded).unwrap();
        assert!(k.read().is_some());
    }

    /// Missing is fine for `remove` and `list`; any other failure is an error, not "nothing".
    #[test]
    fn only_a_missing_file_or_directory_is_nothing() {
        let d = tempfile::tempdir().unwrap();
        let missing = d.path().join("none");
        assert!(!remove(&missing.join("work-0.json")).unwrap());
        assert!(list(&missing).unwrap().is_empty());
        // A directory where an entry should be: it cannot be removed as a file.
        let dir_entry = d.path().join("work-1.json");
        fs::create_dir(&dir_entry).unwrap();
        assert!(remove(&dir_entry).is_err());
        // A file where the cache directory should be: it cannot be listed.
        let not_a_dir = d.path().join("file");
        fs::write(&not_a_dir, "x").unwrap();
        assert!(list(&not_a_dir).is_err());
    }

    /// A waiter whose lock file was unlinked while it waited takes the new one, within its
    /// wait, rather than giving up.
    #[test]
    fn a_waiter_takes_the_new_lock_file_after_an_unlink() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ccgw/work-abc.json");
        let held = try_lock(&p).unwrap().unwrap();
        let waiter = {
            let p = p.clone();
            std::thread::spawn(move || lock(&p, Duration::from_secs(20)).unwrap())
        };
        // Let the waiter open the file and block on it, then unlink it under both of us.
        std::thread::sleep(Duration::from_millis(300));
        fs::remove_file(lock_path(&p)).unwrap();
        drop(held);
        let got = waiter
            .join()
            .unwrap()
            .expect("the waiter takes the new lock file");
        assert!(still_at(&got, &lock_path(&p)));
    }
}
