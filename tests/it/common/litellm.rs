//! A real LiteLLM proxy on 127.0.0.1 (PyPI `litellm[proxy]` + `prisma`, as the setup script
//! installs it): one model `claude-sonnet-5-5` whose `api_base` is an Anthropic-shaped upstream
//! of the tests' own (`common::upstream`, see why there), and a master key, no database.
//!
//! It takes ~8 s to start, so tests share ONE proxy per test binary (`LiteLlm::shared()`). A
//! static is never dropped, so every proxy runs in its own process group with a small reaper
//! shell that kills the group as soon as the test binary's process is gone; `Drop` (for a
//! proxy of one test's own, `LiteLlm::start(&upstream)`) kills it at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::upstream::Upstream;
use super::{dep, free_port, scrub};

/// `general_settings.master_key`: without a database the only key LiteLLM accepts.
pub const MASTER_KEY: &str = "sk-ccgw-test-master-1234";
/// The model the proxy serves (Claude Code 2.1.332's `sonnet` for a gateway; answered by the
/// test upstream, never leaves the machine).
pub const MODEL: &str = "claude-sonnet-5-5";

/// Start-up is ~8 s on an idle machine and has been seen at 13 s; allow for a busy one (1.108
/// with two proxies starting at once on a 2-core machine at load 7 took over 90 s).
const START_DEADLINE: Duration = Duration::from_secs(180);

pub struct LiteLlm {
    child: Child,
    reaper: Child,
    pub base: String,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// More for a proxy's configuration: YAML lines under `general_settings:` (indented two
/// spaces), files put beside `config.yaml` (e.g. a `custom_auth` module, which LiteLLM loads
/// from the config's directory), and environment variables.
#[derive(Default)]
pub struct Extra {
    pub general_settings: String,
    pub files: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
}

impl LiteLlm {
    /// The proxy shared by every test in this binary (started on first use).
    pub fn shared() -> &'static LiteLlm {
        static UPSTREAM: OnceLock<Upstream> = OnceLock::new();
        static SHARED: OnceLock<LiteLlm> = OnceLock::new();
        SHARED.get_or_init(|| LiteLlm::start(UPSTREAM.get_or_init(Upstream::start)))
    }

    /// A proxy of the caller's own, killed on drop. `free_port` releases the port before
    /// the proxy binds it, so another process can take it in between: a proxy that dies at
    /// start-up is retried on a new port (bounded), and the last log is shown if all fail.
    pub fn start(upstream: &Upstream) -> Self {
        Self::start_with(upstream, &Extra::default())
    }

    /// A proxy of the caller's own with more configuration (see [`Extra`]).
    pub fn start_with(upstream: &Upstream, extra: &Extra) -> Self {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(upstream, extra) {
                Ok(proxy) => return proxy,
                Err(log) => last = log,
            }
        }
        panic!("LiteLLM did not answer /health/liveliness in 3 attempts; last log:\n{last}");
    }

    fn try_start(upstream: &Upstream, extra: &Extra) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("ccgw-litellm-")
            .tempdir()
            .unwrap();
        let config = dir.path().join("config.yaml");
        std::fs::write(
            &config,
            format!(
                "model_list:\n  - model_name: {MODEL}\n    litellm_params:\n      model: anthropic/{MODEL}\n      api_key: sk-ant-fake-not-used\n      api_base: {}\ngeneral_settings:\n  master_key: {MASTER_KEY}\n{}",
                upstream.base(),
                extra.general_settings
            ),
        )
        .unwrap();
        for (name, text) in &extra.files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("litellm.log")).unwrap();
        let mut cmd = Command::new(dep("litellm"));
        scrub(&mut cmd);
        cmd.arg("--config")
            .arg(&config)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // Without it start-up fetches a price list from the internet.
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .env("HOME", dir.path())
            .envs(extra.env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0);
        let child = cmd.spawn().expect("start litellm");
        let reaper = reaper(child.id());
        let mut proxy = Self {
            child,
            reaper,
            base: format!("http://127.0.0.1:{port}"),
            port,
            dir,
        };
        proxy.wait_ready()?;
        Ok(proxy)
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("litellm.log")
    }

    /// Ready, or `Err(proxy log)` when it exited at start-up (e.g. its port was taken).
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        while Instant::now() < deadline {
            if alive(self.port) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.log()).unwrap_or_default();
                return Err(format!("(exited: {status})\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        // Alive but silent: a new port would not help, so no retry.
        panic!(
            "LiteLLM did not answer /health/liveliness within {START_DEADLINE:?}; log:\n{}",
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
    }
}

/// `GET /health/liveliness` answers LiteLLM's "I'm alive!".
fn alive(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health/liveliness HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.take(4096).read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.starts_with("HTTP/1.1 200") && text.contains("I'm alive!")
}

/// A shell that waits for this test process to end, then kills the proxy's process group.
fn reaper(pgid: u32) -> Child {
    let me = std::process::id();
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 1; done; kill -TERM -{pgid} 2>/dev/null; sleep 3; kill -KILL -{pgid} 2>/dev/null; exit 0"
    );
    Command::new("/bin/sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the reaper")
}

impl Drop for LiteLlm {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        let _ = self.reaper.kill();
        let _ = self.reaper.wait();
    }
}
