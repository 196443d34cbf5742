//! The undo-record store: one record per settings file ccgw wrote, in ccgw's state directory
//! (never beside the user's file), read and written by `fsutil`'s own-file rules. The records
//! themselves, and what they mean, are `merge`'s.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::merge::{UndoRecord, sha256_hex};
use crate::fsutil;

/// The undo records' directory: `<state dir>/ccgw/undo` (`$XDG_STATE_HOME`), or the data dir
/// where the OS has no state dir (macOS).
pub fn undo_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_dir)
        .map(|d| d.join("ccgw").join("undo"))
}

/// The settings file's real path: through symlinks, absolute, canonical as far as it exists.
pub fn canonical_path(path: &Path) -> PathBuf {
    let target = fsutil::resolve_symlinks(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(p) = target.canonicalize() {
        return p;
    }
    let absolute = std::path::absolute(&target).unwrap_or(target);
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map_or_else(|_| absolute.clone(), |d| d.join(name)),
        _ => absolute,
    }
}

/// The undo record's file for a settings file: named by the SHA-256 of its canonical path.
pub fn record_path(settings: &Path) -> Result<PathBuf> {
    let dir = undo_dir().context("no state or data directory for ccgw's undo records")?;
    let canonical = canonical_path(settings);
    let name = sha256_hex(canonical.as_os_str().as_encoded_bytes());
    Ok(dir.join(format!("{name}.json")))
}

/// Largest undo record ccgw reads (they hold fingerprints and small values).
const MAX_RECORD_BYTES: u64 = 4 << 20;

/// Check the undo directory (and ccgw's state directory above it) before any use: ours and 0700,
/// or exit 4. Only when present: reading creates nothing.
fn check_undo_dir(dir: &Path) -> Result<bool> {
    if !dir.exists() {
        return Ok(false);
    }
    if let Some(state) = dir.parent() {
        fsutil::own_dir(state)?;
    }
    fsutil::own_dir(dir)?;
    Ok(true)
}

/// One undo record file, only if ccgw made it (see `fsutil::read_own`): a symlink, a file of
/// another user or one open to others is ignored with a warning, as if it were not there.
fn read_record_file(path: &Path) -> Option<String> {
    match fsutil::read_own(path, MAX_RECORD_BYTES) {
        Ok(bytes) => bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
        Err(e) => {
            eprintln!("warning: ignoring undo record: {e:#}");
            None
        }
    }
}

/// Load the undo record of `settings`, if ccgw wrote one.
pub fn load_record(settings: &Path) -> Result<Option<UndoRecord>> {
    let path = record_path(settings)?;
    if !check_undo_dir(path.parent().expect("record path has a parent"))? {
        return Ok(None);
    }
    let Some(text) = read_record_file(&path) else {
        return Ok(None);
    };
    let record: UndoRecord = serde_json::from_str(&text).map_err(|e| {
        crate::error::config(
            format!("undo record `{}` is unreadable: {e}", path.display()),
            Some("delete it to let ccgw start a new record (remove will then not undo the old write)".into()),
        )
    })?;
    Ok(Some(record))
}

/// Store the undo record (0600, in 0700 directories), never through a symlink.
pub fn save_record(settings: &Path, record: &UndoRecord) -> Result<()> {
    let path = record_path(settings)?;
    let mut record = record.clone();
    record.settings_path = canonical_path(settings).display().to_string();
    let mut text = serde_json::to_string_pretty(&record)?;
    text.push('\n');
    let dir = path.parent().expect("record path has a parent");
    if let Some(state) = dir.parent() {
        fsutil::own_dir(state)?;
    }
    fsutil::write_own(&path, text.as_bytes())
}

/// Every undo record ccgw keeps, for any settings file. Unreadable records are skipped: they
/// belong to a settings file, and `settings remove` on that file reports them.
pub fn all_records() -> Result<Vec<UndoRecord>> {
    let Some(dir) = undo_dir() else {
        return Ok(Vec::new());
    };
    if !check_undo_dir(&dir)? {
        return Ok(Vec::new());
    }
    let entries =
        std::fs::read_dir(&dir).with_context(|| format!("could not read `{}`", dir.display()))?;
    let mut records = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        if let Some(record) =
            read_record_file(&path).and_then(|t| serde_json::from_str::<UndoRecord>(&t).ok())
        {
            records.push(record);
        }
    }
    // read_dir's order is the file system's: sort for stable messages.
    records.sort_by(|a, b| a.settings_path.cmp(&b.settings_path));
    Ok(records)
}

/// Forget the undo record of `settings` (after `remove`).
pub fn delete_record(settings: &Path) -> Result<()> {
    let path = record_path(settings)?;
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("could not delete `{}`", path.display()))
        }
        _ => Ok(()),
    }
}
