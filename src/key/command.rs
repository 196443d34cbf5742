//! The `command` source: run the user's own helper and take the first line of its stdout.
//!
//! No shell unless `shell = true`: the words are split here (POSIX-like quoting), so a command
//! line in the config means the same thing everywhere. The child's stderr passes through (Claude
//! Code shows a helper's stderr on failure); its stdout may be a secret and is never echoed.
//!
//! The command lives no longer than `ccgw key`: it runs in a process group of its own, which
//! ccgw kills on a timeout and a watchdog kills when ccgw ends any other way (SIGKILL, a
//! signal's default action, an abort); on Linux the kernel also kills the command itself when
//! ccgw dies (`PR_SET_PDEATHSIG`), even should the watchdog be gone.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::config::CommandSource;
use crate::error;
use crate::key::{Fetched, MAX_KEY_LEN};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Output read after the first line before ccgw closes the pipe: enough for any chatty helper
/// to finish; an endless one then gets SIGPIPE, which is not held against it.
const DRAIN_LIMIT: u64 = 1 << 20;

/// Run the command and return the first line of its stdout.
pub fn run(src: &CommandSource) -> Result<Fetched> {
    let words = if src.shell {
        vec!["/bin/sh".to_owned(), "-c".to_owned(), src.command.clone()]
    } else {
        crate::shell::split_words(&src.command)
            .map_err(|e| error::config(format!("key command: {e}"), None))?
    };
    let Some((program, args)) = words.split_first() else {
        return Err(error::config("key command is empty", None));
    };
    let timeout = src.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        // Its own process group, so that a timeout kills the whole helper (a script's children too).
        .process_group(0);
    #[cfg(target_os = "linux")]
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| {
        error::auth(
            format!("could not run key command `{program}`: {e}"),
            Some("check `command` in the profile's key".into()),
        )
    })?;
    // Disarmed when this function returns; fires if ccgw ends first.
    let _watchdog = Watchdog::start(child.id());

    // The first line arrives on a channel as soon as it is read; the reader then drains what
    // follows (up to DRAIN_LIMIT) so the child never blocks on a full pipe. A background
    // grandchild holding the pipe open cannot make us wait past the first line.
    let stdout = child.stdout.take().expect("stdout is piped");
    let closed_early = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn({
        let closed_early = Arc::clone(&closed_early);
        move || read_first_line(stdout, &tx, &closed_early)
    });

    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            kill(&mut child);
            return Err(error::auth(
                format!(
                    "key command `{program}` timed out after {} and was killed",
                    humantime::format_duration(timeout)
                ),
                Some("raise `timeout` in the profile's key, or make the command faster".into()),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // A SIGPIPE after ccgw closed the pipe is ccgw's doing, not the command failing.
    let ok = status.success() || (closed_early.load(Ordering::SeqCst) && died_of_sigpipe(status));
    if !ok {
        let how = match status.code() {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(error::auth(
            format!("key command `{program}` {how}"),
            Some("run it by hand to see why (ccgw passes on its stderr, never its stdout)".into()),
        ));
    }
    let wait = deadline.saturating_duration_since(Instant::now());
    let line = match rx.recv_timeout(wait) {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => {
            return Err(error::auth(
                format!("could not read the output of key command `{program}`: {e}"),
                None,
            ));
        }
        Err(_) => Vec::new(),
    };
    // Not UTF-8 is not a key either: `check_key` says so without echoing it.
    let line = String::from_utf8_lossy(&line);
    let key = line.trim();
    if key.is_empty() {
        return Err(error::auth(
            format!("key command `{program}` printed nothing on stdout"),
            Some("the first line of its output must be the key".into()),
        ));
    }
    Ok(Fetched {
        key: key.to_owned(),
        expires_at: None,
    })
}

/// Send the first line of `stdout` (at most a key's length and its line break: a longer one
/// is cut there, and `check_key` refuses it), then drain up to DRAIN_LIMIT and close. Sets
/// `closed_early` when it closes before the end of the output, so that the SIGPIPE the command
/// may get then is known to be ccgw's doing.
fn read_first_line(
    stdout: impl Read,
    tx: &mpsc::Sender<std::io::Result<Vec<u8>>>,
    closed_early: &AtomicBool,
) {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    let longest = MAX_KEY_LEN as u64 + 2; // `\r\n`
    let first = (&mut reader)
        .take(longest)
        .read_until(b'\n', &mut line)
        .map(|_| line);
    let _ = tx.send(first);
    let drained = std::io::copy(&mut (&mut reader).take(DRAIN_LIMIT), &mut std::io::sink());
    if !matches!(drained, Ok(n) if n < DRAIN_LIMIT) {
        closed_early.store(true, Ordering::SeqCst);
    }
}

/// Killed by SIGPIPE, or a shell reporting that its last command was (128 + 13).
fn died_of_sigpipe(status: ExitStatus) -> bool {
    let sigpipe = rustix::process::Signal::PIPE.as_raw();
    status.signal() == Some(sigpipe) || status.code() == Some(128 + sigpipe)
}

fn kill(child: &mut Child) {
    let pid = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

/// Have the kernel SIGKILL the command when ccgw dies (`PR_SET_PDEATHSIG`), however it dies.
/// The one place ccgw uses `unsafe`: `pre_exec` is the only way to run code in the child
/// between fork and exec.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(cmd: &mut Command) {
    use rustix::process::{Signal, getpid, getppid, set_parent_process_death_signal};
    let parent = getpid();
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // calls are sound. It makes two raw system calls through rustix (prctl, getppid), which
    // neither allocate nor take locks, and touches no state but a copied `Pid`.
    unsafe {
        cmd.pre_exec(move || {
            set_parent_process_death_signal(Some(Signal::KILL))?;
            // ccgw died before the prctl: the signal will never come, so do not run at all.
            if getppid() != Some(parent) {
                return Err(rustix::io::Errno::SRCH.into());
            }
            Ok(())
        });
    }
}

/// A `/bin/sh` that waits on a pipe from ccgw and kills the command's process group when the
/// pipe closes without a word: ccgw is gone, SIGKILL or signal or abort alike, and can no
/// longer kill the group itself. It ignores the terminal's signals (a Ctrl-C reaches ccgw's
/// whole process group) so as to outlive ccgw, and leads a process group of its own so that a
/// kill of ccgw's job does not take it along. Dropping it disarms it: ccgw saw the command end,
/// or killed the group itself.
struct Watchdog {
    child: Child,
    disarm: Option<ChildStdin>,
}

const WATCHDOG_SCRIPT: &str =
    "trap '' HUP INT TERM QUIT; if read -r _; then exit 0; fi; kill -s KILL -- \"-$1\"";

impl Watchdog {
    /// `None` if no shell could be started: the kernel still kills the command itself (Linux),
    /// and ccgw's own timeout the whole group.
    fn start(group: u32) -> Option<Self> {
        let mut child = Command::new("/bin/sh")
            .args([
                "-c",
                WATCHDOG_SCRIPT,
                "ccgw-key-watchdog",
                &group.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        let disarm = child.stdin.take();
        Some(Self { child, disarm })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // A panic unwinding through here is ccgw going down: leave the watchdog armed.
        if std::thread::panicking() {
            return;
        }
        if let Some(mut pipe) = self.disarm.take() {
            let _ = pipe.write_all(b"\n");
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_line(output: &[u8]) -> (Vec<u8>, bool) {
        let (tx, rx) = mpsc::channel();
        let closed_early = AtomicBool::new(false);
        read_first_line(output, &tx, &closed_early);
        (
            rx.recv().unwrap().unwrap(),
            closed_early.load(Ordering::SeqCst),
        )
    }

    #[test]
    fn the_first_line_is_bounded_and_closing_early_is_recorded() {
        assert_eq!(first_line(b"sk-1\nmore\n"), (b"sk-1\n".to_vec(), false));
        // A first line longer than any key is cut (check_key then refuses it).
        let long = vec![b'a'; MAX_KEY_LEN * 4];
        let (line, _) = first_line(&long);
        assert_eq!(line.len(), MAX_KEY_LEN + 2);
        // More than DRAIN_LIMIT after the key: ccgw stops reading before the end.
        let mut chatty = b"sk-1\n".to_vec();
        chatty.resize(DRAIN_LIMIT as usize * 2, b'x');
        assert_eq!(first_line(&chatty), (b"sk-1\n".to_vec(), true));
    }

    #[test]
    fn sigpipe_is_recognised_from_a_signal_or_a_shells_status() {
        assert!(died_of_sigpipe(ExitStatus::from_raw(13)));
        assert!(died_of_sigpipe(ExitStatus::from_raw(141 << 8)));
        assert!(!died_of_sigpipe(ExitStatus::from_raw(15)));
        assert!(!died_of_sigpipe(ExitStatus::from_raw(1 << 8)));
    }
}
