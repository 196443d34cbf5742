//! Managed settings the real Claude Code reads, one test at a time.
//!
//! Claude Code reads managed settings from a fixed path (`/etc/claude-code` on Linux) that no
//! variable moves, while ccgw reads `$CCGW_MANAGED_DIR` (the `TestEnv`'s `managed_dir()`). So a
//! command that must see a test's managed settings runs in a private mount namespace
//! (`unshare -m`, root only) where `/etc/claude-code` is that test's `managed_dir()`: parallel
//! tests never see each other's managed files, and the machine's `/etc` is never written.
//!
//! How: in the namespace an overlay covers `/etc` (the real `/etc` as its read-only lower
//! layer, an upper layer in the test's temp dir), `/etc/claude-code` is created in the upper
//! layer, and `managed_dir()` is bind-mounted onto it. Creating the directory in the real `/etc`
//! and removing it afterwards would race between parallel test processes (one's `rmdir`
//! detaches another's mount), so nothing is created outside the test's temp dir. The overlay
//! shows the files of the filesystem under `/etc`, not mounts on top of them (a container's
//! bind-mounted `/etc/hosts`); `isolate` fails loudly if `/etc` has such a mount.
//!
//! ```ignore
//! let run = claude::run(managed::isolate(&env, claude::print(&env, "hi")), TIMEOUT);
//! ```

use std::ffi::OsString;
use std::process::Command;

use super::{TestEnv, require};

/// Claude Code's managed-settings directory on Linux.
pub const ETC_DIR: &str = "/etc/claude-code";

/// Runs in the new namespace with `$1` = managed dir, `$2` = overlay upper, `$3` = overlay work,
/// then the command. Each step fails the run with a message naming it.
const SCRIPT: &str = r#"set -e
managed=$1 upper=$2 work=$3
shift 3
mount -t overlay ccgw-etc -o "lowerdir=/etc,upperdir=$upper,workdir=$work" /etc ||
    { echo "managed fixture: overlay on /etc failed" >&2; exit 97; }
mkdir -p /etc/claude-code
mount --bind "$managed" /etc/claude-code ||
    { echo "managed fixture: bind mount of $managed failed" >&2; exit 97; }
exec "$@"
"#;

/// `cmd` (program, arguments, environment changes and working directory kept) run where
/// `/etc/claude-code` is `env.managed_dir()`. The result runs as `unshare` → `sh` → `exec cmd`,
/// so the returned command's process is, in the end, `cmd`'s program (process groups and kills
/// work as for `cmd` itself).
pub fn isolate(env: &TestEnv, cmd: Command) -> Command {
    assert_no_mounts_under_etc();
    let overlay = env.root.path().join("etc-overlay");
    let (upper, work) = (overlay.join("upper"), overlay.join("work"));
    for d in [&upper, &work] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut wrapped = Command::new(require("unshare"));
    wrapped
        .args([
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            SCRIPT,
        ])
        .arg("managed-ns")
        .arg(env.managed_dir())
        .arg(&upper)
        .arg(&work)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

/// The overlay would hide a mount on a path under `/etc`: refuse rather than run a test on a
/// different `/etc/hosts` than the machine's.
fn assert_no_mounts_under_etc() {
    let info = std::fs::read_to_string("/proc/self/mountinfo").expect("read mountinfo");
    let under: Vec<OsString> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with("/etc/") || *m == "/etc")
        .map(OsString::from)
        .collect();
    assert!(
        under.is_empty(),
        "managed fixture: mounts under /etc ({under:?}) would be hidden by the overlay"
    );
}
