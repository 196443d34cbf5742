//! A real OpenID Provider on 127.0.0.1: panva's `oidc-provider` (npm, installed by
//! `scripts/deps.sh --oidc` into `$CCGW_TEST_DEPS/oidc-provider`) run by
//! `tests/fixtures/oidc_provider.mjs` with the device flow, dev interactions, revocation,
//! rotating refresh tokens and JWT access tokens for one audience. It picks its own port and
//! logs every request and grant as JSON lines, which tests count. Killed on drop.
//!
//! `approve` does what a person does in a browser: the user-code, sign-in and consent forms,
//! over HTTP with a cookie jar (tests/fixtures/oidc_approve.py, Python `requests`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{deps_dir, scrub};

/// The audience (RFC 8707 resource) the provider issues access tokens for.
pub const AUDIENCE: &str = "urn:ccgw:gateway";
/// The client the provider knows: public, native, device + code + refresh grants.
pub const CLIENT_ID: &str = "ccgw-cli";

pub struct OidcProvider {
    child: Child,
    pub issuer: String,
    pub dir: tempfile::TempDir,
    log: PathBuf,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

impl OidcProvider {
    /// A provider whose access tokens live `access_token_ttl` seconds.
    pub fn start(access_token_ttl: u64) -> Self {
        let module = deps_dir().join("oidc-provider/node_modules/oidc-provider/lib/index.js");
        assert!(
            module.is_file(),
            "required test component oidc-provider is missing ({}); run scripts/deps.sh --oidc",
            module.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("ccgw-oidc-")
            .tempdir()
            .unwrap();
        let config = dir.path().join("config.json");
        std::fs::write(
            &config,
            serde_json::json!({"module": module, "access_token_ttl": access_token_ttl,
                "audience": AUDIENCE})
            .to_string(),
        )
        .unwrap();
        let log = dir.path().join("events.jsonl");
        let mut cmd = Command::new(super::require("node"));
        scrub(&mut cmd);
        let child = cmd
            .arg(fixture("oidc_provider.mjs"))
            .arg(&config)
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("start node");
        let mut op = Self {
            child,
            issuer: String::new(),
            dir,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(ready) = op.events().into_iter().find(|e| e["event"] == "ready") {
                op.issuer = ready["issuer"].as_str().unwrap().to_owned();
                return op;
            }
            if let Ok(Some(status)) = op.child.try_wait() {
                panic!(
                    "oidc-provider exited at start-up ({status}):\n{}",
                    op.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "oidc-provider not ready in 60 s:\n{}",
                op.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Every event logged so far, in order.
    pub fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// How many requests reached the provider so far.
    pub fn requests(&self) -> usize {
        self.events()
            .iter()
            .filter(|e| e["event"] == "request")
            .count()
    }

    /// How many token grants of `grant_type` succeeded so far.
    pub fn grants(&self, grant_type: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| e["event"] == "grant.success" && e["grant_type"] == grant_type)
            .count()
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer)
    }

    /// A `[profiles.NAME.key]` for this provider: its refresh token in the kernel keyring under
    /// `service` (a file of no test's HOME; unique per test).
    pub fn key_toml(&self, service: &str, extra: &str) -> String {
        format!(
            "source = \"oidc\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nscopes = [\"openid\", \"offline_access\", \"gateway\"]\naudience = \"{AUDIENCE}\"\nbackend = \"keyutils\"\nservice = \"{service}\"\n{extra}",
            self.issuer
        )
    }

    /// Approve the sign-in at `url` as user `user` (`--deny`: refuse it), as a browser would.
    pub fn approve(&self, url: &str, user: &str, user_code: Option<&str>) -> String {
        let mut cmd = Command::new(super::dep("python"));
        scrub(&mut cmd);
        if let Some(code) = user_code {
            cmd.env("CCGW_USER_CODE", code);
        }
        let out = cmd
            .arg(fixture("oidc_approve.py"))
            .arg(url)
            .arg(user)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "approving the sign-in failed: {}\nprovider:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.stderr()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Verify `token` with PyJWT against this issuer's JWKS: signature, iss, aud, exp. Returns
    /// the verified claims; panics when the token does not verify.
    pub fn verify(&self, token: &str, audience: &str) -> Value {
        let script = r#"
import json, sys
import jwt
token = sys.stdin.read().strip()
issuer, jwks_url, audience = sys.argv[1:4]
key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer,
                    options={"require": ["exp", "iss", "aud", "sub"]})
print(json.dumps(claims))
"#;
        let mut cmd = Command::new(super::dep("python"));
        scrub(&mut cmd);
        let mut child = cmd
            .args(["-c", script, &self.issuer, &self.jwks_url(), audience])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(token.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "the token does not verify against the issuer's JWKS: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A "browser" for `CCGW_BROWSER`: a script that appends each URL it is given to `urls` in
/// `dir` and, when `approve_as` is given, approves it at once as that user (in the background,
/// as a browser window would: ccgw does not wait for it).
pub fn browser_script(dir: &Path, approve_as: Option<&str>) -> PathBuf {
    let script = dir.join("browser.sh");
    let urls = dir.join("urls");
    let approve = match approve_as {
        Some(user) => format!(
            "'{}' '{}' \"$1\" '{user}' >>'{}' 2>&1 &\n",
            super::dep("python").display(),
            fixture("oidc_approve.py").display(),
            dir.join("approve.log").display()
        ),
        None => String::new(),
    };
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >>'{}'\n{approve}",
            urls.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// The URLs the browser script was given so far.
pub fn opened_urls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("urls"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}
