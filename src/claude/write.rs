//! The write service that `settings`, `init` and `profile use` share: work a profile's plan
//! into a settings file in memory (`prepare`), show it (`Prepared::diff`), write it with its
//! undo record (`commit`), take it out again (`remove`), and carry a new default profile into
//! every file written for the old one (`follow_default`, `make_default`).
//!
//! The checks that keep a planted or unusual target from being read or replaced live here too
//! (`read_target`), with the lock that serialises two writers of one file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::audit::{self, Delivery, Finding};
use super::layers::{self as cs, Scope, SettingsFile};
use super::merge::{self as sm, Edit, Refusal};
use super::undo;
use crate::config::{ConfigPath, Editor, Loaded, Profile};
use crate::error::{self, Failure};
use crate::fsutil;
use crate::plan::{self, GatewayEnv, HelperSpec};

/// The file a command acts on, and its layer when it is one of Claude Code's.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    pub scope: Option<Scope>,
}

/// The file of a settings layer, seen from the current directory.
pub fn scope_target(scope: Scope) -> Result<Target> {
    let cwd = std::env::current_dir().context("could not read the current directory")?;
    let path = cs::written_file(scope, &cwd).ok_or_else(|| {
        error::config(
            "no home directory for Claude Code's user settings",
            Some("set HOME or CLAUDE_CONFIG_DIR, or pass --file PATH".into()),
        )
    })?;
    Ok(Target {
        path,
        scope: Some(scope),
    })
}

/// How a command that changes a settings file goes about it.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Work out the change and write nothing (no lock either: nothing to serialise).
    pub dry_run: bool,
    /// Write a read-only file anyway (`--force`).
    pub force: bool,
}

/// A settings write worked out in memory: what the file holds now and what it will hold.
/// `init` shows its diff before asking; `settings write` and `profile use` commit it at once.
pub struct Prepared {
    pub target: Target,
    profile: String,
    config: PathBuf,
    existing: Option<String>,
    outcome: Edit,
    gw: GatewayEnv,
    /// Held from the read to the record's write (`None` for a dry run and managed settings).
    _lock: Option<std::fs::File>,
}

/// Merge profile `name` into `target` in memory (notes and warnings go to stderr now). Unless
/// it is a dry run, the file's lock is held until the `Prepared` is committed or dropped.
pub fn prepare(
    config: &ConfigPath,
    name: &str,
    profile: &Profile,
    target: Target,
    opts: WriteOptions,
) -> Result<Prepared> {
    let helper = if target.scope == Some(Scope::Project) {
        eprintln!(
            "warning: `{}` is shared in git: the helper is plain `ccgw` from PATH (everyone needs it installed), and Claude Code applies project `env` and `apiKeyHelper` only after the workspace trust dialog",
            target.path.display()
        );
        HelperSpec::on_path(config)
    } else {
        HelperSpec::this_binary(config)
    };
    let gw = plan::plan(name, profile, &helper);
    let lock = lock_unless_dry(&target, opts)?;
    let existing = read_target(&target, opts)?;
    let outcome = if target.scope == Some(Scope::Managed) {
        managed_outcome(&gw)?
    } else {
        let prior = undo::load_record(&target.path)?;
        sm::merge(existing.as_deref(), &gw, prior.as_ref()).map_err(|r| refusal(&target.path, r))?
    };
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    Ok(Prepared {
        target,
        profile: name.to_owned(),
        config: config.path.clone(),
        existing,
        outcome,
        gw,
        _lock: lock,
    })
}

impl Prepared {
    /// A unified diff of the change; empty when the file would not change.
    pub fn diff(&self) -> Diff {
        Diff::new(
            &self.target.path,
            self.existing.as_deref(),
            self.outcome.text.as_deref(),
        )
    }

    /// Write the file (and its undo record first), then warn about other layers.
    pub fn commit(self) -> Result<()> {
        let written = self.commit_quietly()?;
        audit::report(&written.audit(&[]));
        Ok(())
    }

    /// Write the file; the caller looks at the other layers (`Written::audit`) once it has
    /// written all it writes.
    pub fn commit_quietly(self) -> Result<Written> {
        let Prepared {
            target,
            profile,
            config,
            existing,
            outcome,
            gw,
            _lock,
        } = self;
        let new_text = outcome.text.as_deref().unwrap_or_default();
        if target.scope == Some(Scope::Managed) {
            write_managed(&target.path, new_text)?;
        } else {
            let changed = existing.as_deref() != Some(new_text);
            if changed {
                fsutil::write_atomic(&target.path, new_text.as_bytes(), fsutil::PRIVATE_FILE)?;
            }
            // The record only once the file is written: a record for a write that failed would
            // undo something that never happened. If the record cannot be stored, the file
            // goes back to what it was: a write without its record could never be undone.
            if let Some(record) = &outcome.record {
                let record = sm::UndoRecord {
                    profile: profile.clone(),
                    config: undo::canonical_path(&config).display().to_string(),
                    scope: target.scope.map_or("", Scope::as_str).to_owned(),
                    ..record.clone()
                };
                if let Err(e) = undo::save_record(&target.path, &record) {
                    if changed {
                        put_back(&target.path, existing.as_deref());
                    }
                    return Err(e.context(format!(
                        "`{}` was left as it was: ccgw could not store its undo record",
                        target.path.display()
                    )));
                }
            }
        }
        if existing.as_deref() == Some(new_text) {
            eprintln!("`{}` is already up to date", target.path.display());
        } else {
            eprintln!(
                "wrote profile `{profile}` to `{}` (apiKeyHelper and {} env variables)",
                target.path.display(),
                gw.vars.len()
            );
        }
        Ok(Written {
            target,
            plan: gw,
            profile,
        })
    }
}

/// A settings file just written for a profile.
pub struct Written {
    pub target: Target,
    pub plan: GatewayEnv,
    pub profile: String,
}

impl Written {
    /// What the other layers (and this shell) do against this write, as `audit` finds it. The
    /// files in `also_ours` were just written too and are not "other".
    pub fn audit(&self, also_ours: &[PathBuf]) -> Vec<Finding> {
        let Ok(cwd) = std::env::current_dir() else {
            return Vec::new();
        };
        let ours: Vec<PathBuf> = std::iter::once(&self.target.path)
            .chain(also_ours)
            .map(|p| undo::canonical_path(p))
            .collect();
        let others: Vec<SettingsFile> = cs::read_layers(&cwd)
            .into_iter()
            .filter(|f| !ours.contains(&undo::canonical_path(&f.path)))
            .collect();
        let scope = self.target.scope;
        audit::audit_here(&others, &self.plan, &self.profile, Delivery::File { scope })
    }
}

/// Rewrite every settings file ccgw wrote for profile `old` of `config` so that it carries
/// profile `new` instead (`profile use`, `init` making a new default or replacing a profile),
/// except `skip` (a file just written). Returns the files rewritten; a file that cannot be
/// rewritten is reported and the others still are.
pub fn follow_default(
    config: &ConfigPath,
    old: (&str, Option<&Profile>),
    new: (&str, &Profile),
    skip: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    let (old_name, old_profile) = old;
    let ours = undo::canonical_path(&config.path).display().to_string();
    let mut targets: Vec<Target> = undo::all_records()?
        .into_iter()
        .filter(|r| r.profile == old_name && r.config == ours)
        .map(|r| Target {
            path: PathBuf::from(&r.settings_path),
            scope: Scope::ALL.into_iter().find(|s| s.as_str() == r.scope),
        })
        .filter(|t| t.path.exists())
        .collect();
    let skip = skip.map(undo::canonical_path);
    // The managed drop-in has no undo record (ccgw owns the whole file): it was written for
    // `old` when its helper is exactly the one this binary would write for `old`.
    if let (Some(p), Ok(managed)) = (old_profile, scope_target(Scope::Managed)) {
        let helper = plan::plan(old_name, p, &HelperSpec::this_binary(config)).api_key_helper;
        let file = cs::SettingsFile::read(Scope::Managed, managed.path.clone());
        if file.api_key_helper() == Some(helper.as_str()) {
            targets.push(managed);
        }
    }
    let mut rewritten = Vec::new();
    let mut written: Vec<Written> = Vec::new();
    let mut failed = 0;
    for target in targets {
        let path = target.path.clone();
        if skip.as_ref() == Some(&undo::canonical_path(&path)) {
            continue;
        }
        match prepare(config, new.0, new.1, target, WriteOptions::default())
            .and_then(Prepared::commit_quietly)
        {
            Ok(done) => {
                rewritten.push(path);
                written.push(done);
            }
            Err(e) => {
                failed += 1;
                error::report(&e.context(format!("could not rewrite `{}`", path.display())));
            }
        }
    }
    // Only now, with every file rewritten: one of them still holding `old`'s variables
    // midway is not a conflict. The same finding from several targets is said once.
    let findings: Vec<Finding> = written.iter().flat_map(|w| w.audit(&rewritten)).collect();
    audit::report(&findings);
    if failed > 0 {
        return Err(Failure {
            code: error::code::FAILURE,
            message: format!(
                "{failed} settings file(s) written for `{old_name}` still carry it (see above)"
            ),
            hint: Some(format!(
                "fix the cause, then run `ccgw --profile {new} settings write` for each",
                new = new.0
            )),
        }
        .into());
    }
    Ok(rewritten)
}

/// `settings remove`: take ccgw's keys out of `target` again, as its undo record says. A dry
/// run changes nothing and returns the diff it would make.
pub fn remove(target: &Target, opts: WriteOptions) -> Result<Option<Diff>> {
    let dry_run = opts.dry_run;
    let _lock = lock_unless_dry(target, opts)?;
    let existing = read_target(target, opts)?;
    let outcome = if target.scope == Some(Scope::Managed) {
        // ccgw owns the whole drop-in: undoing it is deleting it.
        Edit {
            text: None,
            record: None,
            notes: Vec::new(),
        }
    } else {
        let Some(record) = undo::load_record(&target.path)? else {
            eprintln!(
                "ccgw has no record of writing `{}`; nothing to remove",
                target.path.display()
            );
            return Ok(None);
        };
        sm::unmerge(existing.as_deref(), &record).map_err(|r| refusal(&target.path, r))?
    };
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    if dry_run {
        return Ok(Some(Diff::new(
            &target.path,
            existing.as_deref(),
            outcome.text.as_deref(),
        )));
    }
    match (&outcome.text, &existing) {
        (Some(text), Some(old)) if text == old => {}
        (Some(text), _) => {
            fsutil::write_atomic(&target.path, text.as_bytes(), fsutil::PRIVATE_FILE)?
        }
        (None, Some(_)) => std::fs::remove_file(&target.path).map_err(|e| {
            not_writable(
                &target.path,
                target.scope == Some(Scope::Managed),
                e.into(),
                "remove",
            )
        })?,
        (None, None) => {}
    }
    if target.scope != Some(Scope::Managed) {
        undo::delete_record(&target.path)?;
    }
    if existing.is_some() {
        eprintln!("removed ccgw's keys from `{}`", target.path.display());
    } else {
        eprintln!(
            "`{}` does not exist; nothing to remove",
            target.path.display()
        );
    }
    Ok(None)
}

/// Undo a settings write whose record could not be stored (best effort: the error that
/// brought us here is the one reported).
fn put_back(path: &Path, text: Option<&str>) {
    let _ = match text {
        Some(text) => fsutil::write_atomic(path, text.as_bytes(), fsutil::PRIVATE_FILE),
        None => std::fs::remove_file(path).map_err(Into::into),
    };
}

/// How long a settings write waits for another one on the same file (a `ccgw init` at its
/// confirmation prompt holds the lock) before it gives up.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The lock of a settings file, unless this is a dry run or the managed drop-in (ccgw owns
/// that whole file and keeps no record of it).
fn lock_unless_dry(target: &Target, opts: WriteOptions) -> Result<Option<std::fs::File>> {
    if opts.dry_run || target.scope == Some(Scope::Managed) {
        return Ok(None);
    }
    lock_settings(&target.path, LOCK_WAIT).map(Some)
}

/// Serialise changes to one settings file: an advisory `flock` on a lock file in ccgw's state
/// directory (`locks/` beside `undo/`, never beside the user's file), named by the same hash
/// as the file's undo record, held across read, merge, file write and record write, so the
/// record always matches the file. The kernel drops it when the holder exits, however it
/// exits; the lock file stays and is reused.
fn lock_settings(settings: &Path, wait: std::time::Duration) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let record = undo::record_path(settings)?;
    let (Some(undo), Some(name)) = (record.parent(), record.file_stem()) else {
        anyhow::bail!("no directory for ccgw's lock of `{}`", settings.display());
    };
    let locks = undo.with_file_name("locks");
    let path = locks.join(name).with_extension("lock");
    fsutil::ensure_private_dir(&locks)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(fsutil::PRIVATE_FILE)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&path)
        .with_context(|| format!("could not open `{}`", path.display()))?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Failure {
                    code: error::code::FAILURE,
                    message: format!(
                        "another ccgw has been changing `{}` for over {}s",
                        settings.display(),
                        wait.as_secs()
                    ),
                    hint: Some("let it finish (a `ccgw init` may be waiting at its prompt), then run this again".into()),
                }
                .into());
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("could not lock `{}`", path.display()));
            }
        }
    }
}

/// The settings file's text, `None` when it does not exist, after the checks that keep a
/// planted or unusual target from being read or replaced: it must be a regular file (a FIFO
/// would hang the read, a device or socket is no settings file), UTF-8, writable unless
/// `--force`, and a project or local file must not lead out of the repository.
fn read_target(target: &Target, opts: WriteOptions) -> Result<Option<String>> {
    let path = &target.path;
    if matches!(target.scope, Some(Scope::Project | Scope::Local)) {
        check_stays_in_repository(path)?;
    }
    let shown = path.display();
    let (text, meta) = match cs::read_text(path) {
        Ok(None) => return Ok(None),
        Ok(Some(read)) => read,
        Err(cs::Unreadable::Io(e)) => {
            return Err(e).with_context(|| format!("could not read `{shown}`"));
        }
        Err(why) => {
            let hint = matches!(why, cs::Unreadable::NotUtf8(_))
                .then(|| "settings files are UTF-8 JSON: re-save it as UTF-8".to_owned());
            return Err(error::config(
                format!("`{shown}` {why}; ccgw changed nothing"),
                hint,
            ));
        }
    };
    // Managed settings have their own rule: without root, the write fails with the sudo hint.
    let managed = target.scope == Some(Scope::Managed);
    if !opts.force && !managed && is_read_only(path, &meta) {
        return Err(error::config(
            format!("`{shown}` is read-only; ccgw changed nothing"),
            Some("pass --force to change it anyway (it stays read-only)".into()),
        ));
    }
    Ok(Some(text))
}

/// No write permission for us (or, for root, for anyone: a 0444 file says "leave me alone").
fn is_read_only(path: &Path, meta: &std::fs::Metadata) -> bool {
    meta.permissions().readonly() || rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_err()
}

/// A project or local settings file that is (or sits in) a symlink leading outside the
/// repository is refused: a cloned repository could otherwise point ccgw at any file of the
/// user's. The repository is the nearest directory above the file holding `.git`, else the
/// directory holding `.claude`.
fn check_stays_in_repository(path: &Path) -> Result<()> {
    let Some(project) = path.parent().and_then(Path::parent) else {
        return Ok(());
    };
    let Ok(project) = project.canonicalize() else {
        return Ok(());
    };
    let root = project
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&project)
        .to_path_buf();
    let real = undo::canonical_path(path);
    if leaves(&real, &root) {
        return Err(error::config(
            format!(
                "`{}` leads to `{}`, outside the repository `{}`; ccgw changed nothing",
                path.display(),
                real.display(),
                root.display()
            ),
            Some(format!(
                "to change that file on purpose, pass `--file {}`",
                real.display()
            )),
        ));
    }
    Ok(())
}

/// `real` (a canonical path) is not inside `root` (canonical too).
fn leaves(real: &Path, root: &Path) -> bool {
    !real.starts_with(root)
}

/// One line, exit 2, the file untouched.
fn refusal(path: &Path, r: Refusal) -> anyhow::Error {
    match r {
        Refusal::Document(why) => error::config(
            format!("{}: {why}; ccgw changed nothing", path.display()),
            None,
        ),
        Refusal::Plan(why) => error::config(why, None),
    }
}

/// The drop-in holds only ccgw's keys: the plan, nothing else.
fn managed_outcome(gw: &GatewayEnv) -> Result<Edit> {
    let outcome =
        sm::merge(None, gw, None).map_err(|r| refusal(Path::new(cs::MANAGED_DROPIN), r))?;
    Ok(Edit {
        record: None,
        ..outcome
    })
}

fn write_managed(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().expect("the drop-in has a parent");
    // Every user's Claude Code reads managed settings: the directory and file must be
    // world-readable (0755/0644), unlike ccgw's private files.
    if !dir.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|e| not_writable(dir, true, e.into(), "create"))?;
    }
    fsutil::write_atomic(path, text.as_bytes(), 0o644)
        .map_err(|e| not_writable(path, true, e, "write"))
}

/// A write without permission: exit 1, and for managed settings say how to get it.
fn not_writable(path: &Path, managed: bool, err: anyhow::Error, verb: &str) -> anyhow::Error {
    let denied = err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
    });
    if !denied {
        return err.context(format!("could not {verb} `{}`", path.display()));
    }
    let hint = managed.then(|| {
        "managed settings belong to root: run `sudo ccgw settings write --scope managed` (add `--config /etc/ccgw/config.toml` so every user's helper reads a shared config)".to_owned()
    });
    Failure {
        code: error::code::FAILURE,
        message: format!("could not {verb} `{}`: permission denied", path.display()),
        hint,
    }
    .into()
}

/// A unified diff of a settings file's change.
pub struct Diff {
    pub path: PathBuf,
    /// Empty when nothing changes.
    pub text: String,
}

impl Diff {
    pub fn new(path: &Path, old: Option<&str>, new: Option<&str>) -> Self {
        let (old, new) = (old.unwrap_or(""), new.unwrap_or(""));
        let name = path.display().to_string();
        let text = if old == new {
            String::new()
        } else {
            similar::TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header(&name, &format!("{name} (ccgw)"))
                .to_string()
        };
        Self {
            path: path.to_path_buf(),
            text,
        }
    }
}

/// Make `name` (a profile of `loaded`) the default. `init` ends here too, and this is where
/// a change of default reaches the settings files ccgw wrote: every file written for the
/// previous `default_profile` (of this config) is rewritten to carry `name`, so switching
/// gateway is one command. Only an explicit `default_profile` counts as previous: a file
/// written for a profile that was merely the only one names it with `--profile` and keeps
/// working.
pub fn make_default(loaded: &Loaded, name: &str) -> Result<()> {
    let path = loaded.path.path.display();
    let previous = loaded.file.default_profile.as_deref();
    if previous == Some(name) {
        eprintln!("`{name}` is already the default profile in `{path}`");
        return Ok(());
    }
    let mut editor = Editor::open(loaded)?;
    editor.set_default(name);
    editor.save()?;
    eprintln!("`{name}` is now the default profile in `{path}`");
    let Some(previous) = previous else {
        return Ok(());
    };
    let profile = &loaded.file.profiles[name];
    let old_profile = loaded.file.profiles.get(previous);
    let rewritten = follow_default(&loaded.path, (previous, old_profile), (name, profile), None)?;
    if !rewritten.is_empty() {
        eprintln!(
            "rewrote {} settings file(s) written for `{previous}` to use `{name}`",
            rewritten.len()
        );
    }
    Ok(())
}
