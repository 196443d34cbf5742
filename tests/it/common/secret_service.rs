//! A real, private Secret Service for a test: a session D-Bus of its own plus an unlocked
//! gnome-keyring (components=secrets), both with their own HOME, XDG dirs and runtime dir, so
//! no real keyring of the developer is touched. Both are killed on drop.
//!
//! The bus is started from a config file of our own without service activation: an
//! activatable `org.freedesktop.secrets` would start a second gnome-keyring with whatever
//! environment the bus has (the real HOME). `SecretService::bare_bus()` gives a bus with no
//! Secret Service at all, for the "D-Bus but no keyring" case.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{quietly_succeeds, require, scrub};

/// The login keyring's password (it is a throwaway keyring in a temp dir).
const PASSWORD: &str = "ccgw-test";

pub struct SecretService {
    bus: Child,
    keyring: Option<Child>,
    /// `DBUS_SESSION_BUS_ADDRESS` of the private bus.
    pub address: String,
    pub dir: tempfile::TempDir,
}

impl SecretService {
    /// A private bus with an unlocked gnome-keyring on it.
    pub fn start() -> Self {
        let mut ss = Self::bare_bus();
        let mut cmd = Command::new(require("gnome-keyring-daemon"));
        ss.isolate(&mut cmd);
        cmd.args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start gnome-keyring-daemon");
        // `--unlock` reads the password from stdin up to EOF: write it and close.
        child
            .stdin
            .take()
            .unwrap()
            .write_all(PASSWORD.as_bytes())
            .unwrap();
        ss.keyring = Some(child);
        ss.wait_for_secrets();
        ss
    }

    /// A private session bus with nothing on it.
    pub fn bare_bus() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ccgw-ss-")
            .tempdir()
            .unwrap();
        for d in ["home", "run", "data", "config", "cache"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        set_mode_700(&dir.path().join("run"));
        let socket = dir.path().join("run/bus");
        let conf = dir.path().join("bus.conf");
        std::fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new(require("dbus-daemon"));
        cmd.arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut bus = cmd.spawn().expect("start dbus-daemon");
        let mut line = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("dbus-daemon prints its address");
        let address = line.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        Self {
            bus,
            keyring: None,
            address,
            dir,
        }
    }

    /// Point a command at this bus (and nothing of the real session).
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    }

    /// Run the daemon side with the private dirs only.
    fn isolate(&self, cmd: &mut Command) {
        scrub(cmd);
        let d = self.dir.path();
        self.apply(cmd);
        cmd.env("HOME", d.join("home"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_CACHE_HOME", d.join("cache"))
            .env("XDG_RUNTIME_DIR", d.join("run"));
    }

    /// `secret-tool ARGS…` against this Secret Service.
    pub fn secret_tool(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(require("secret-tool"));
        self.isolate(&mut cmd);
        cmd.args(args).stdin(Stdio::null());
        cmd
    }

    /// The files the keyring daemon keeps (its encrypted keyring lives here).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn wait_for_secrets(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.keyring.as_mut().unwrap().try_wait().unwrap() {
                panic!("gnome-keyring-daemon exited early: {status}");
            }
            // A search for nothing succeeds once the service and its collection answer.
            if quietly_succeeds(&mut self.secret_tool(&["search", "--all", "ccgw-probe", "none"])) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the Secret Service did not come up on {}", self.address);
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(k) = self.keyring.as_mut() {
            let _ = k.kill();
            let _ = k.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

fn set_mode_700(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700)).unwrap();
}
