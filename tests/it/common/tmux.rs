//! A real terminal for interactive tests: a tmux server of the test's own (its own socket),
//! one pane running a command, keys sent with `send-keys`, the screen read with
//! `capture-pane`. A wrapper shell records the exit status; the pane stays after the command
//! exits so that its screen can still be read. The server is killed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{TestEnv, require};

/// Long enough for a prompt on a loaded machine; every wait is bounded by it.
const DEADLINE: Duration = Duration::from_secs(60);

pub struct Tmux {
    socket: PathBuf,
    /// Where the wrapper shell writes the command's exit status (tmux 3.3 sometimes marks a
    /// pane dead without ever recording the status).
    status: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Start `program args…` in a 200×60 pane, in `env`'s hermetic environment plus `vars`.
    pub fn start(env: &TestEnv, program: &Path, args: &[&str], vars: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ccgw-tmux-")
            .tempdir()
            .unwrap();
        let t = Self {
            socket: dir.path().join("sock"),
            status: dir.path().join("status"),
            _dir: dir,
        };
        let mut cmd = t.cmd();
        // The server inherits this environment, and the pane the server's.
        env.apply(&mut cmd);
        cmd.env("TERM", "xterm-256color");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.args([
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "60",
        ])
        .arg("-c")
        .arg(env.cwd())
        .arg(require("sh"))
        .arg("-c")
        .arg(r#"status="$1"; shift; "$@"; echo $? > "$status""#)
        .arg("sh")
        .arg(&t.status)
        .arg(program)
        .args(args);
        let out = cmd.output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Keep the screen after the command exits, for the assertions and panic messages.
        t.run(&["set-option", "-g", "remain-on-exit", "on"]);
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(require("tmux"));
        c.arg("-S").arg(&self.socket);
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane's screen and scrollback, as text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-S", "-200"])
    }

    /// Wait until the screen shows `text`; panics with the screen after the deadline.
    pub fn wait_for(&self, text: &str) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            if start.elapsed() > DEADLINE {
                panic!("waited {DEADLINE:?} for {text:?}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Type literal text (no key names interpreted).
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-l", text]);
    }

    /// Press keys by tmux name: `Enter`, `Down`, `C-c`, `Escape`.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Wait until `text` is on the screen `n` times (a question asked again).
    pub fn wait_for_nth(&self, text: &str, n: usize) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= n {
                return;
            }
            if start.elapsed() > DEADLINE {
                panic!("waited {DEADLINE:?} for {text:?} ×{n}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait for the prompt `prompt` (inquire starts it with `? `), then type `text` and press
    /// Enter.
    pub fn answer(&self, prompt: &str, text: &str) {
        self.wait_for(&format!("? {prompt}"));
        self.type_line(text);
    }

    /// Type `text` (if any) and press Enter.
    pub fn type_line(&self, text: &str) {
        if !text.is_empty() {
            self.type_text(text);
        }
        self.keys(&["Enter"]);
    }

    /// Wait for the Select `prompt`, move down `down` times, press Enter.
    pub fn select(&self, prompt: &str, down: usize) {
        self.wait_for(&format!("? {prompt}"));
        for _ in 0..down {
            self.keys(&["Down"]);
        }
        self.keys(&["Enter"]);
    }

    /// The command's exit status, once it has exited (bounded wait).
    pub fn exit_status(&self) -> i32 {
        let start = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.status)
                && let Ok(code) = text.trim().parse()
            {
                return code;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "the command did not exit within {DEADLINE:?}; the screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}
