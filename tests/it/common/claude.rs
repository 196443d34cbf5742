//! The real Claude Code (`claude`, from npm `@anthropic-ai/claude-code`) in a `TestEnv`, bounded.
//!
//! Claude Code retries a refused request for a long time (a run against a 401 never ended by
//! itself in 40 s), and it starts helpers (`apiKeyHelper` → `/bin/sh -c ccgw key …`). So every
//! run here goes in a process group of its own, with a deadline: on timeout — or if the test
//! panics while it runs — the whole group is killed, helpers included.
//!
//! Offline settings (claude-code-wire.md): an isolated HOME (the `TestEnv`'s),
//! `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` (no telemetry, update or feature-flag traffic),
//! `TERM=dumb`, and few retries unless a test is about retries.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{TestEnv, dep, deps_dir};

/// The Claude Code versions the suite runs against (`scripts/deps.sh` installs each in
/// `$CCGW_TEST_DEPS/claude/VERSION`): the oldest supported and the current one.
pub const VERSIONS: [Claude; 2] = [Claude("2.1.197"), Claude("2.1.332")];

/// One installed Claude Code version of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claude(pub &'static str);

impl Claude {
    pub const OLDEST: Claude = VERSIONS[0];
    pub const CURRENT: Claude = VERSIONS[1];

    pub fn version(self) -> &'static str {
        self.0
    }

    /// Its `claude` launcher, or a loud panic when the setup script has not installed it.
    pub fn bin(self) -> std::path::PathBuf {
        let p = deps_dir()
            .join("claude")
            .join(self.0)
            .join("node_modules/.bin/claude");
        assert!(
            p.exists(),
            "Claude Code {} is missing at {}; run scripts/deps.sh --claude",
            self.0,
            p.display()
        );
        p
    }

    /// The directory holding its `claude`, to put first on PATH.
    pub fn bin_dir(self) -> std::path::PathBuf {
        self.bin().parent().unwrap().to_path_buf()
    }

    /// `claude -p PROMPT` of this version in `env` (see [`print`]).
    pub fn print(self, env: &TestEnv, prompt: &str) -> Command {
        let mut cmd = Command::new(self.bin());
        offline(env, &mut cmd, 0);
        cmd.args(["-p", prompt]);
        cmd
    }
}

/// One `#[test]` per Claude Code version of [`VERSIONS`], so a failure names the version:
/// `each_claude!(fn name(claude) { … })` makes `name::v2_1_197` and `name::v2_1_332`, each
/// calling the body with its [`Claude`].
#[macro_export]
macro_rules! each_claude {
    ($(#[$meta:meta])* fn $name:ident($claude:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn body($claude: $crate::common::claude::Claude) $body
            #[test]
            fn v2_1_197() {
                body($crate::common::claude::VERSIONS[0]);
            }
            #[test]
            fn v2_1_332() {
                body($crate::common::claude::VERSIONS[1]);
            }
        }
    };
}

/// Generous: a healthy run takes a few seconds, but two cores are shared by many builds.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// What a bounded run left behind.
#[derive(Debug)]
pub struct Run {
    /// `None` when it was killed (deadline reached, or `run_until`'s condition met).
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn killed(&self) -> bool {
        self.status.is_none()
    }

    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// Panic with everything it printed unless it exited 0.
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "claude run failed: {self:#?}");
        self
    }
}

/// The environment every `claude` run gets on top of `env.apply`: the offline switches, and
/// `CLAUDE_CODE_MAX_RETRIES` (how often it retries a failed request).
pub fn offline(env: &TestEnv, cmd: &mut Command, max_retries: u32) {
    env.apply(cmd);
    cmd.env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("TERM", "dumb")
        .env("CLAUDE_CODE_MAX_RETRIES", max_retries.to_string());
}

/// `claude -p PROMPT` in `env`, reading whatever settings the environment holds (the default
/// `claude`, the oldest version: [`Claude::print`] picks one).
pub fn print(env: &TestEnv, prompt: &str) -> Command {
    let mut cmd = Command::new(dep("claude"));
    offline(env, &mut cmd, 0);
    cmd.args(["-p", prompt]);
    cmd
}

/// Run `cmd` (claude itself, or a launcher such as `ccgw exec -- claude …` that becomes it) in
/// a new process group, with no stdin, for at most `timeout`.
pub fn run(cmd: Command, timeout: Duration) -> Run {
    run_until(cmd, timeout, || false)
}

/// Like `run`, but also kill the group as soon as `done()` holds (polled every 50 ms): for a
/// run that would retry on and on, once the test has seen what it waits for.
pub fn run_until(mut cmd: Command, timeout: Duration, done: impl Fn() -> bool) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = Group(cmd.spawn().expect("start claude"));
    let out = drain(child.0.stdout.take().unwrap());
    let err = drain(child.0.stderr.take().unwrap());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() >= deadline || done() {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Always kill the group: helpers or stragglers must not outlive the run (and keep the
    // pipes open, which would block the readers below).
    drop(child);
    Run {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// A child that leads its own process group; dropping it kills the group.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
