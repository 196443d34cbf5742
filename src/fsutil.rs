//! Atomic, private file writes: temp file in the same directory, fsync, rename.
//!
//! Two kinds of files, two sets of rules:
//! - the user's files (the config, Claude Code's settings): [`write_atomic`] and
//!   [`write_private`] follow symlinks, so that a dotfiles-repo link stays a link;
//! - ccgw's own files (cache entries, lock files, Vault login entries, undo records, their temp
//!   files): [`own_dir`], [`read_own`], [`write_own`] and [`open_own_lock`] never follow a
//!   symlink and trust only a regular file of this user that nobody else may read or write.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rustix::fs::OFlags;

use crate::error;

/// Mode of files ccgw creates: they may hold secrets (the cache) or point at them.
pub const PRIVATE_FILE: u32 = 0o600;
/// Mode of directories ccgw creates for its own files.
pub const PRIVATE_DIR: u32 = 0o700;

/// Create `dir` (and parents) with mode 0700 if missing. Existing directories keep their mode.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(dir)
        .with_context(|| format!("could not create `{}`", dir.display()))
}

/// Follow symlinks to the file that really holds the data, so that a dotfiles-repo link stays
/// a link and its target is what changes.
pub fn resolve_symlinks(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&current)
                    .with_context(|| format!("could not read link `{}`", current.display()))?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    anyhow::bail!("too many levels of symlinks at `{}`", path.display())
}

/// Write `bytes` to `path` atomically. An existing file keeps its mode; a new one gets `new_mode`.
/// The parent directory is created (0700) when missing.
pub fn write_atomic(path: &Path, bytes: &[u8], new_mode: u32) -> Result<()> {
    let target = resolve_symlinks(path)?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    ensure_private_dir(dir)?;
    let mode = fs::metadata(&target).map_or(new_mode, |m| m.permissions().mode() & 0o7777);
    let mut tmp = tempfile::Builder::new()
        .prefix(".ccgw-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .with_context(|| format!("could not create a temporary file in `{}`", dir.display()))?;
    // tempfile applies the mode through the umask; set it again so 0600 stays 0600 exactly.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("could not write `{}`", target.display()))?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// `write_atomic` for files that must be private (0600) whatever their previous mode.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes, PRIVATE_FILE)?;
    let target = resolve_symlinks(path)?;
    fs::set_permissions(&target, fs::Permissions::from_mode(PRIVATE_FILE))?;
    Ok(())
}

/// Open flags for ccgw's own files: never through a symlink (`ELOOP` instead), and never block
/// on a FIFO planted where a file should be (the `fstat` check then refuses it).
fn own_flags() -> i32 {
    // The flag bits are small positive constants: the cast cannot truncate.
    (OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The trust rule for one of ccgw's own files, pure: a regular file, owned by this user, with no
/// group or other permission bits. `None` when it holds; else what is wrong.
pub fn own_file_problem(is_file: bool, uid: u32, mode: u32, my_uid: u32) -> Option<String> {
    if !is_file {
        Some("is not a regular file".into())
    } else if uid != my_uid {
        Some(format!(
            "is owned by uid {uid}, not by this user (uid {my_uid})"
        ))
    } else if mode & 0o077 != 0 {
        Some(format!(
            "is open to other users (mode {:o}, not 600)",
            mode & 0o7777
        ))
    } else {
        None
    }
}

/// Returns the file's size, so that a reader can read it in one call.
fn check_own_file(file: &File, path: &Path) -> Result<u64> {
    let meta = file
        .metadata()
        .with_context(|| format!("could not stat `{}`", path.display()))?;
    match own_file_problem(meta.is_file(), meta.uid(), meta.mode(), euid()) {
        None => Ok(meta.len()),
        Some(problem) => anyhow::bail!("`{}` {problem}", path.display()),
    }
}

/// `path` names a symlink (the `ELOOP` of an `O_NOFOLLOW` open): say so rather than "too many
/// levels of symbolic links".
fn open_error(e: std::io::Error, path: &Path) -> anyhow::Error {
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        anyhow::anyhow!(
            "`{}` is a symlink; ccgw never follows one to its own files",
            path.display()
        )
    } else {
        anyhow::Error::new(e).context(format!("could not open `{}`", path.display()))
    }
}

/// Read one of ccgw's own files, at most `max_len` bytes. Missing → `Ok(None)`. A symlink, a
/// non-regular file, a file of another user or one open to others is refused with an error that
/// says which, and so is a file longer than `max_len`.
pub fn read_own(path: &Path, max_len: u64) -> Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(own_flags())
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(open_error(e, path)),
    };
    let size = check_own_file(&file, path)?;
    // Room for the whole file and the read that sees its end: one read() on the cache-hit path.
    let mut bytes = Vec::with_capacity(size.min(max_len) as usize + 1);
    file.take(max_len + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("could not read `{}`", path.display()))?;
    if bytes.len() as u64 > max_len {
        anyhow::bail!("`{}` is larger than {max_len} bytes", path.display());
    }
    Ok(Some(bytes))
}

/// Write one of ccgw's own files: a new temp file (`O_CREAT|O_EXCL`, so never through a link),
/// 0600 on the descriptor, fsync, then `rename` over `path`. A symlink planted at `path` is
/// replaced, never written through: its target keeps its bytes and mode. The directory must be
/// one of ours ([`own_dir`]).
pub fn write_own(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    own_dir(dir)?;
    // tempfile opens with `create_new` (O_CREAT|O_EXCL) in `dir`.
    let mut tmp = tempfile::Builder::new()
        .prefix(".ccgw-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(PRIVATE_FILE))
        .tempfile_in(dir)
        .with_context(|| format!("could not create a temporary file in `{}`", dir.display()))?;
    // fchmod: the umask may have narrowed the mode, never let it widen.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(PRIVATE_FILE))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("could not write `{}`", path.display()))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Open (creating it 0600 when `create`) one of ccgw's own lock files, never through a symlink.
/// A lock file holds nothing, so a mode that is too open is repaired on the descriptor; a
/// symlink, a non-regular file or a file of another user is refused. Missing and not `create`
/// → `Ok(None)`.
pub fn open_own_lock(path: &Path, create: bool) -> Result<Option<File>> {
    let file = match OpenOptions::new()
        .write(true)
        .create(create)
        .truncate(false)
        .mode(PRIVATE_FILE)
        .custom_flags(own_flags())
        .open(path)
    {
        Ok(f) => f,
        Err(e) if !create && e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(open_error(e, path)),
    };
    let meta = file.metadata()?;
    if meta.is_file() && meta.uid() == euid() && meta.mode() & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(PRIVATE_FILE))?;
    }
    check_own_file(&file, path)?;
    Ok(Some(file))
}

/// What to do about a directory of ccgw's own, pure: `Ok(true)` when its mode must be repaired
/// to 0700, an error message when it may not be used at all.
pub fn own_dir_problem(is_dir: bool, uid: u32, mode: u32, my_uid: u32) -> Result<bool, String> {
    if !is_dir {
        Err("is not a directory".into())
    } else if uid != my_uid {
        Err(format!(
            "is owned by uid {uid}, not by this user (uid {my_uid})"
        ))
    } else {
        Ok(mode & 0o777 != PRIVATE_DIR)
    }
}

/// Make sure `dir` is a directory of ccgw's own, checked on every use: created 0700 when
/// missing, its mode repaired to 0700 when something loosened it; one that belongs to another
/// user (or is not a directory) is refused, exit 4 with a hint.
pub fn own_dir(dir: &Path) -> Result<()> {
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(PRIVATE_DIR)
                .create(dir)
                .with_context(|| format!("could not create `{}`", dir.display()))?;
            fs::metadata(dir)?
        }
        Err(e) => return Err(e).with_context(|| format!("could not stat `{}`", dir.display())),
    };
    match own_dir_problem(meta.is_dir(), meta.uid(), meta.mode(), euid()) {
        Ok(false) => Ok(()),
        Ok(true) => fs::set_permissions(dir, fs::Permissions::from_mode(PRIVATE_DIR))
            .with_context(|| format!("could not make `{}` private (0700)", dir.display())),
        Err(problem) => Err(error::auth(
            format!("ccgw's directory `{}` {problem}", dir.display()),
            Some(
                "ccgw keeps keys and records only in a directory of your own: remove it, or set \
                 XDG_CACHE_HOME / XDG_STATE_HOME to a directory you own"
                    .into(),
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_file_is_private_and_existing_mode_kept() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/f.json");
        write_atomic(&p, b"a", PRIVATE_FILE).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(p.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&p, b"b", PRIVATE_FILE).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(fs::read(&p).unwrap(), b"b");
    }

    #[test]
    fn writes_through_a_symlink() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.json");
        let link = d.path().join("link.json");
        fs::write(&real, "x").unwrap();
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomic(&link, b"y", PRIVATE_FILE).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"y");
    }

    fn mode_of(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn own_file_rule() {
        assert_eq!(own_file_problem(true, 7, 0o100600, 7), None);
        assert_eq!(own_file_problem(true, 7, 0o100400, 7), None);
        assert_eq!(
            own_file_problem(false, 7, 0o600, 7).as_deref(),
            Some("is not a regular file")
        );
        assert_eq!(
            own_file_problem(true, 8, 0o600, 7).as_deref(),
            Some("is owned by uid 8, not by this user (uid 7)")
        );
        for loose in [0o640, 0o604, 0o610, 0o601, 0o620, 0o602] {
            assert_eq!(
                own_file_problem(true, 7, 0o100000 | loose, 7),
                Some(format!("is open to other users (mode {loose:o}, not 600)"))
            );
        }
    }

    #[test]
    fn own_dir_rule() {
        assert_eq!(own_dir_problem(true, 7, 0o40700, 7), Ok(false));
        assert_eq!(own_dir_problem(true, 7, 0o40755, 7), Ok(true));
        assert_eq!(own_dir_problem(true, 7, 0o40500, 7), Ok(true));
        assert_eq!(
            own_dir_problem(true, 8, 0o40700, 7),
            Err("is owned by uid 8, not by this user (uid 7)".into())
        );
        assert_eq!(
            own_dir_problem(false, 7, 0o700, 7),
            Err("is not a directory".into())
        );
    }

    #[test]
    fn own_files_are_never_read_or_written_through_a_symlink() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("own");
        let victim = d.path().join("victim");
        fs::write(&victim, "victim bytes").unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
        own_dir(&dir).unwrap();
        let link = dir.join("entry.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();

        let err = read_own(&link, 1024).unwrap_err().to_string();
        assert!(err.contains("is a symlink"), "{err}");
        assert!(open_own_lock(&link, true).is_err());

        write_own(&link, b"mine").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"victim bytes");
        assert_eq!(mode_of(&victim), 0o644);
        assert!(fs::symlink_metadata(&link).unwrap().is_file());
        assert_eq!(mode_of(&link), 0o600);
        assert_eq!(read_own(&link, 1024).unwrap().unwrap(), b"mine");
    }

    #[test]
    fn read_own_refuses_what_ccgw_did_not_make() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        assert_eq!(read_own(&p, 16).unwrap(), None);
        fs::write(&p, "0123456789").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_own(&p, 16).unwrap_err().to_string();
        assert!(err.contains("open to other users (mode 644"), "{err}");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_own(&p, 10).unwrap().unwrap(), b"0123456789");
        let err = read_own(&p, 9).unwrap_err().to_string();
        assert!(err.contains("larger than 9 bytes"), "{err}");
        // A FIFO would block a plain open: refused at once instead.
        let fifo = d.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        fs::set_permissions(&fifo, fs::Permissions::from_mode(0o600)).unwrap();
        let err = read_own(&fifo, 16).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let err = read_own(d.path(), 16).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn lock_files_are_created_private_and_repaired() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("e.lock");
        assert!(open_own_lock(&p, false).unwrap().is_none());
        assert!(open_own_lock(&p, true).unwrap().is_some());
        assert_eq!(mode_of(&p), 0o600);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(open_own_lock(&p, false).unwrap().is_some());
        assert_eq!(mode_of(&p), 0o600);
    }

    #[test]
    fn own_dir_is_created_and_repaired() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("a/b");
        own_dir(&dir).unwrap();
        assert_eq!(mode_of(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        own_dir(&dir).unwrap();
        assert_eq!(mode_of(&dir), 0o700);
        let file = d.path().join("plain");
        fs::write(&file, "").unwrap();
        let err = own_dir(&file).unwrap_err().to_string();
        assert!(err.contains("is not a directory"), "{err}");
    }
}
