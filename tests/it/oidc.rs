//! `source = "oidc"`, `ccgw login` and `ccgw logout` against a real OpenID Provider (panva's
//! oidc-provider): the device and browser flows approved as a person would, every token
//! verified with PyJWT against the issuer's JWKS, refresh tokens only in the kernel keyring.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::claude::{self, TIMEOUT};
use crate::common::jwks_gateway::JwksGateway;
use crate::common::litellm::MODEL;
use crate::common::oidc_provider::{self, AUDIENCE, OidcProvider};
use crate::common::{Ccgw, Config, Profile, TestEnv, ccgw_bin, dep, require};

/// Access tokens live 66 s, so ccgw (which stops serving one 60 s before its `exp`) caches each
/// for 6 s: a test sees the refresh without waiting a minute.
const TOKEN_TTL: u64 = 66;
/// Long enough for a cached token to be past its expiry.
const PAST_EXPIRY: Duration = Duration::from_secs(7);

/// The kernel keyring entry of a profile's refresh token (removed on drop).
struct RefreshKey(String);

impl RefreshKey {
    fn new(profile: &str, service: &str) -> Self {
        Self(format!("keyring-rs:{profile}:oidc-refresh-token@{service}"))
    }

    fn id(&self) -> Option<String> {
        let out = Command::new(require("keyctl"))
            .args(["search", "@u", "user", &self.0])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned())
    }

    /// The refresh token held, if any.
    fn value(&self) -> Option<String> {
        let id = self.id()?;
        let out = Command::new(require("keyctl"))
            .args(["pipe", &id])
            .output()
            .unwrap();
        assert!(out.status.success());
        Some(String::from_utf8(out.stdout).unwrap())
    }
}

impl Drop for RefreshKey {
    fn drop(&mut self) {
        if let Some(id) = self.id() {
            let _ = Command::new("keyctl").args(["invalidate", &id]).status();
        }
    }
}

/// A unique keyring service per test (the kernel keyring is the user's, shared by all tests).
fn service(test: &str) -> String {
    format!("ccgw-it-oidc-{test}-{}", std::process::id())
}

struct Setup {
    op: OidcProvider,
    env: TestEnv,
    rt: RefreshKey,
    browser: std::path::PathBuf,
}

/// A provider, a TestEnv with profile `sso` of it, and a browser that approves as `alice`.
fn setup(test: &str, extra_key: &str) -> Setup {
    setup_with_ttl(test, extra_key, TOKEN_TTL)
}

fn setup_with_ttl(test: &str, extra_key: &str, token_ttl: u64) -> Setup {
    setup_for(test, extra_key, token_ttl, Profile::new("sso"))
}

fn setup_for(test: &str, extra_key: &str, token_ttl: u64, mut profile: Profile) -> Setup {
    let op = OidcProvider::start(token_ttl);
    let env = TestEnv::new();
    let service = service(test);
    for line in op.key_toml(&service, extra_key).lines() {
        let (k, v) = line.split_once(" = ").unwrap();
        profile = profile.key_raw(k, v);
    }
    env.write_config(&Config::new().profile(profile).build());
    let browser = oidc_provider::browser_script(env.root.path(), Some("alice"));
    Setup {
        op,
        env,
        rt: RefreshKey::new("sso", &service),
        browser,
    }
}

impl Setup {
    fn ccgw(&self) -> Ccgw<'_> {
        Ccgw::new(&self.env).env("CCGW_BROWSER", self.browser.display().to_string())
    }

    fn login(&self) {
        self.ccgw()
            .args(["login"])
            .code(0)
            .stderr_has("signed in as alice")
            .run();
    }

    fn key(&self) -> String {
        let out = self.ccgw().args(["key"]).code(0).run();
        assert!(out.stdout.ends_with('\n'));
        out.stdout.trim_end().to_owned()
    }
}

/// Ask the provider's token endpoint for a refresh with `refresh_token` (as another client
/// holding it would): the HTTP status.
fn refresh_status(op: &OidcProvider, refresh_token: &str) -> u16 {
    post_form(
        op,
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", oidc_provider::CLIENT_ID),
            ("resource", AUDIENCE),
        ],
    )
}

fn post_form(op: &OidcProvider, path: &str, form: &[(&str, &str)]) -> u16 {
    let script = "import json, sys, requests\nr = requests.post(sys.argv[1], data=json.loads(sys.stdin.read()), timeout=10)\nprint(r.status_code)";
    let data: serde_json::Map<String, serde_json::Value> = form
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).into()))
        .collect();
    let mut child = Command::new(dep("python"))
        .args(["-c", script, &format!("{}{path}", op.issuer)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::Value::Object(data).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            let ft = entry.file_type().unwrap();
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file()
                && let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                found.push(p.display().to_string());
            }
        }
    }
    found
}

#[test]
fn login_key_cache_refresh_logout_against_the_real_idp() {
    let s = setup("cycle", "");
    let login = s
        .ccgw()
        .args(["login"])
        .code(0)
        .stderr_has(format!(
            "To sign in, open {}/device?user_code=",
            s.op.issuer
        ))
        .stderr_has("signed in as alice")
        .stdout_is("")
        .run();
    assert_eq!(
        oidc_provider::opened_urls(s.env.root.path()).len(),
        1,
        "{}",
        login.stderr
    );
    let rt1 =
        s.rt.value()
            .expect("the refresh token is in the kernel keyring");

    // The first key is the sign-in's token, from the cache: no request reaches the IdP.
    let before = s.op.requests();
    let key1 = s.key();
    assert_eq!(s.key(), key1);
    assert_eq!(s.op.requests(), before, "cache hits never ask the IdP");
    let claims = s.op.verify(&key1, AUDIENCE);
    assert_eq!(claims["sub"], "alice");

    // Past its expiry: one silent refresh, a new verified token, a rotated refresh token kept.
    std::thread::sleep(PAST_EXPIRY);
    let key2 = s.key();
    assert_eq!(s.key(), key2, "the refreshed token is cached");
    assert_ne!(key2, key1);
    assert_eq!(s.op.verify(&key2, AUDIENCE)["sub"], "alice");
    assert_eq!(s.op.grants("refresh_token"), 1);
    let rt2 = s.rt.value().expect("still signed in");
    assert_ne!(rt2, rt1, "the rotated refresh token replaced the spent one");

    // No refresh token in any file of the test's tree (HOME, the cache, the config).
    for rt in [&rt1, &rt2] {
        let found = files_containing(s.env.root.path(), rt);
        assert!(found.is_empty(), "a refresh token is in {found:?}");
    }

    // Sign-out revokes at the IdP, forgets the token here, and `ccgw key` then says to sign in.
    s.ccgw()
        .args(["logout"])
        .code(0)
        .stderr_has("revoked the refresh token at the identity provider")
        .stderr_has("signed out of profile `sso`")
        .run();
    assert!(s.rt.value().is_none(), "the keyring entry is gone");
    assert_eq!(refresh_status(&s.op, &rt2), 400, "revoked at the IdP");
    let out = s
        .ccgw()
        .args(["key"])
        .code(4)
        .stdout_is("")
        .stderr_has("hint: run `ccgw login --profile sso`")
        .run();
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
}

#[test]
fn concurrent_keys_at_expiry_make_one_refresh() {
    // Tokens cached for 16 s: the refreshed one stays before its refresh-ahead point (8 s)
    // while all six callers, started at once on a loaded machine, ask for it.
    let s = setup_with_ttl("concurrent", "", 76);
    s.login();
    let first = s.key();
    std::thread::sleep(Duration::from_secs(17));
    let children: Vec<_> = (0..6)
        .map(|_| {
            let mut cmd = Command::new(ccgw_bin());
            s.env.apply(&mut cmd);
            cmd.arg("key")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let keys: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        })
        .collect();
    let distinct: std::collections::BTreeSet<_> = keys.iter().map(|k| &k[k.len() - 12..]).collect();
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "one token for all: {distinct:?}, {} refreshes, first {}",
        s.op.grants("refresh_token"),
        &first[first.len() - 12..]
    );
    assert_ne!(keys[0], first);
    assert_eq!(
        s.op.grants("refresh_token"),
        1,
        "exactly one refresh at the IdP"
    );
    s.op.verify(&keys[0], AUDIENCE);
}

#[test]
fn a_revoked_refresh_token_is_a_clean_exit_4() {
    let s = setup("revoked", "");
    s.login();
    let rt = s.rt.value().unwrap();
    // The IdP admin (or another device's sign-out) revokes the grant.
    let status = post_form(
        &s.op,
        "/token/revocation",
        &[
            ("token", &rt),
            ("token_type_hint", "refresh_token"),
            ("client_id", oidc_provider::CLIENT_ID),
        ],
    );
    assert_eq!(status, 200);
    std::thread::sleep(PAST_EXPIRY);
    let out = s
        .ccgw()
        .args(["key"])
        .code(4)
        .stdout_is("")
        .stderr_has("no longer accepts the sign-in of profile `sso`")
        .stderr_has("invalid_grant")
        .stderr_has("hint: run `ccgw login --profile sso`")
        .run();
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    assert!(!out.stderr.contains(&rt));
}

#[test]
fn device_flow_without_a_browser_prints_the_url_and_code() {
    let s = setup("nobrowser", "");
    let mut cmd = Command::new(ccgw_bin());
    s.env.apply(&mut cmd);
    let mut child = cmd
        .args(["login", "--no-browser"])
        .env("CCGW_BROWSER", &s.browser)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut shown = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "{shown}");
        shown.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("To sign in, open ") {
            break url.to_owned();
        }
    };
    let mut code_line = String::new();
    stderr.read_line(&mut code_line).unwrap();
    let code = url.split("user_code=").nth(1).unwrap();
    assert!(code_line.contains(code), "{code_line}");
    // The person opens the URL on another device.
    s.op.approve(&url, "bob", None);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{shown}{rest}");
    assert!(rest.contains("signed in as bob"), "{rest}");
    assert!(
        oidc_provider::opened_urls(s.env.root.path()).is_empty(),
        "--no-browser opened nothing"
    );
    let key = s.key();
    assert_eq!(s.op.verify(&key, AUDIENCE)["sub"], "bob");
}

#[test]
fn browser_flow_signs_in_and_refuses_a_forged_state() {
    let s = setup("browser", "flow = \"browser\"\n");
    s.login();
    let urls = oidc_provider::opened_urls(s.env.root.path());
    assert_eq!(urls.len(), 1);
    assert!(
        urls[0].starts_with(&format!("{}/auth?", s.op.issuer)),
        "{}",
        urls[0]
    );
    assert!(urls[0].contains("code_challenge_method=S256"));
    let key = s.key();
    assert_eq!(s.op.verify(&key, AUDIENCE)["sub"], "alice");
    let codes = s.op.grants("authorization_code");
    assert_eq!(codes, 1);

    // A browser that only records the URL; the test delivers a forged callback instead.
    let dir = tempfile::tempdir().unwrap();
    let recorder = oidc_provider::browser_script(dir.path(), None);
    let mut cmd = Command::new(ccgw_bin());
    s.env.apply(&mut cmd);
    let child = cmd
        .arg("login")
        .env("CCGW_BROWSER", &recorder)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = loop {
        if let Some(u) = oidc_provider::opened_urls(dir.path()).pop() {
            break u;
        }
        assert!(Instant::now() < deadline, "ccgw login opened no URL");
        std::thread::sleep(Duration::from_millis(50));
    };
    let parsed: Vec<(String, String)> = url
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let redirect = &parsed.iter().find(|(k, _)| k == "redirect_uri").unwrap().1;
    let port: u16 = redirect
        .split("%3A")
        .nth(2)
        .unwrap()
        .split("%2F")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.write_all(b"GET /callback?code=stolen&state=forged HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("another `state`"), "{stderr}");
    assert_eq!(
        s.op.grants("authorization_code"),
        codes,
        "the forged code was never redeemed"
    );
    assert_eq!(s.key(), key, "the earlier sign-in still stands");
}

/// End to end: the real Claude Code, through `ccgw exec` and then through the settings file
/// `ccgw settings write` leaves, sends the signed-in user's token to a gateway (the real
/// LiteLLM) that verifies it against the IdP's JWKS.
#[test]
fn claude_code_reaches_a_jwks_verifying_gateway_with_the_signed_in_token() {
    const ANSWER: &str = crate::common::upstream::ANSWER;
    let gw = JwksGateway::shared();
    // Tokens cached for 9 minutes: no refresh while claude runs.
    let profile = Profile::new("sso")
        .gateway(gw.base())
        .set("model", MODEL)
        .set("key_ttl", "1h");
    let s = setup_for("e2e", "", 600, profile);
    gw.trust(&s.op.issuer, &s.op.jwks_url(), AUDIENCE);
    s.login();

    let mut cmd = Command::new(ccgw_bin());
    claude::offline(&s.env, &mut cmd, 0);
    cmd.args(["exec", "--"])
        .arg(dep("claude"))
        .args(["-p", "say hello"]);
    let run = claude::run(cmd, TIMEOUT);
    run.assert_success();
    assert!(run.stdout.contains(ANSWER), "{run:#?}\n{}", gw.log());

    Ccgw::new(&s.env)
        .args(["settings", "write", "--scope", "user"])
        .code(0)
        .run();
    let run = claude::run(claude::print(&s.env, "say hello"), TIMEOUT);
    run.assert_success();
    assert!(run.stdout.contains(ANSWER), "{run:#?}\n{}", gw.log());

    let calls = gw.calls(&s.op.issuer);
    let ok: Vec<_> = calls.iter().filter(|c| c.verdict == "ok").collect();
    assert!(ok.len() >= 2, "{calls:#?}");
    assert!(calls.iter().all(|c| c.verdict == "ok"), "{calls:#?}");
    assert!(
        ok.iter().all(|c| c.sub.as_deref() == Some("alice")),
        "{calls:#?}"
    );
    assert_eq!(
        s.op.grants("refresh_token"),
        0,
        "both runs used the cached token"
    );
}

/// `ccgw init --key-source oidc` (non-interactive: no browser) writes the profile from the one
/// question tree, then signs in; `ccgw doctor`'s key check then says who is signed in, that a
/// refresh token is held and that the IdP answers, and never prints a token. The refresh token
/// sits in the platform keyring (a real gnome-keyring Secret Service), as it would by default.
#[test]
fn init_signs_in_and_doctor_says_who_is_signed_in() {
    // Tokens that outlive the helper TTL of the default key_ttl (1h / 4): doctor passes.
    let op = OidcProvider::start(4000);
    let ss = crate::common::secret_service::SecretService::start();
    let env = TestEnv::new();
    let mut cmd = Command::new(ccgw_bin());
    env.apply(&mut cmd);
    ss.apply(&mut cmd);
    let mut child = cmd
        .args([
            "init",
            "--non-interactive",
            "--no-doctor",
            "--profile",
            "sso",
        ])
        .args(["--gateway", "http://127.0.0.1:4000", "--scope", "none"])
        .args(["--key-source", "oidc", "--oidc-issuer", &op.issuer])
        .args(["--oidc-client-id", oidc_provider::CLIENT_ID])
        .args(["--oidc-scope", "offline_access", "--oidc-scope", "gateway"])
        .args(["--oidc-audience", AUDIENCE])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut shown = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "{shown}");
        shown.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("To sign in, open ") {
            break url.to_owned();
        }
    };
    s_approve(&op, &url);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{shown}{rest}");
    assert!(rest.contains("signed in as carol"), "{shown}{rest}");
    let config = crate::common::read(env.config_path());
    assert!(config.contains("source = \"oidc\""), "{config}");
    assert!(
        config.contains("scopes = [\"openid\", \"offline_access\", \"gateway\"]"),
        "{config}"
    );

    let mut cmd = Command::new(ccgw_bin());
    env.apply(&mut cmd);
    ss.apply(&mut cmd);
    let key = cmd.arg("key").output().unwrap();
    assert!(key.status.success(), "{key:?}");
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    assert_eq!(op.verify(&key, AUDIENCE)["sub"], "carol");

    let mut cmd = Command::new(ccgw_bin());
    env.apply(&mut cmd);
    ss.apply(&mut cmd);
    let doctor = cmd.args(["doctor", "--only", "key"]).output().unwrap();
    let report = String::from_utf8_lossy(&doctor.stdout).into_owned()
        + &String::from_utf8_lossy(&doctor.stderr);
    assert!(report.contains("JWT for `carol`"), "{report}");
    assert!(report.contains("valid for"), "{report}");
    assert!(report.contains("refresh token held: yes"), "{report}");
    assert!(report.contains("the identity provider answers"), "{report}");
    assert!(!report.contains(&key), "{report}");
    assert!(!report.contains(&key[key.len() - 20..]), "{report}");

    // The cache shows the token's own expiry, never the token.
    let mut cmd = Command::new(ccgw_bin());
    env.apply(&mut cmd);
    let status = cmd.args(["cache", "status"]).output().unwrap();
    let status = String::from_utf8(status.stdout).unwrap();
    assert!(status.contains("TOKEN EXP"), "{status}");
    let row = status
        .lines()
        .find(|l| l.contains("sso") && l.contains("oidc"))
        .unwrap_or_else(|| panic!("no oidc entry: {status}"));
    assert_ne!(row.split_whitespace().last(), Some("-"), "{status}");
    assert!(!status.contains(&key), "{status}");
}

fn s_approve(op: &OidcProvider, url: &str) {
    op.approve(url, "carol", None);
}
