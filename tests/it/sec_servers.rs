//! Hostile or broken servers: a Vault that redirects elsewhere, streams an endless body or
//! answers nonsense, TLS certificates as private PKIs make them, a Secret Service that never
//! answers. Real OpenBao where the fault is real; small servers of the test's own (each says
//! which fault it reproduces) where no real component produces the fault on demand.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TestEnv;
use crate::common::fakegw::Req;
use crate::common::openbao::{OpenBao, ROOT_TOKEN};
use crate::common::rawserver::RawServer;

/// The Vault token every test hands ccgw (through the environment, never argv).
const TOKEN: &str = "hvs.sec-servers-token-4e1b7c";
const KEY: &str = "sk-sec-servers-key-9d2f";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// `ccgw key` in `env` with VAULT_TOKEN set, run through `prefix` (e.g. `/usr/bin/time`).
fn run_key(env: &TestEnv, prefix: &[&str]) -> Out {
    run_key_token(env, prefix, TOKEN)
}

/// `ccgw key` with this Vault token.
fn run_key_with(env: &TestEnv, token: &str) -> Out {
    run_key_token(env, &[], token)
}

fn run_key_token(env: &TestEnv, prefix: &[&str], token: &str) -> Out {
    let mut cmd = if prefix.is_empty() {
        Command::new(crate::common::ccgw_bin())
    } else {
        let mut c = Command::new(prefix[0]);
        c.args(&prefix[1..]).arg(crate::common::ccgw_bin());
        c
    };
    env.apply(&mut cmd);
    cmd.arg("key")
        .env("VAULT_TOKEN", token)
        .stdin(Stdio::null());
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let o = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        elapsed: started.elapsed(),
    };
    assert!(!o.stderr.contains(token), "the token leaked: {}", o.stderr);
    o
}

fn vault_config(addr: &str, extra: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\
         key_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"vault\"\naddr = \"{addr}\"\n\
         path = \"gw\"\n{extra}"
    )
}

/// Exit 4, nothing on stdout, `error:` and `hint:` lines.
fn assert_exit_4(o: &Out) {
    assert_eq!(o.code, 4, "stderr: {}", o.stderr);
    assert_eq!(o.stdout, "");
    assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
}

fn http_answer(stream: &mut TcpStream, status: &str, headers: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn kv2_answer(key: &str) -> String {
    serde_json::json!({ "data": { "data": { "api_key": key }, "metadata": {
        "created_time": "2026-12-01T00:00:00Z", "custom_metadata": null, "deletion_time": "",
        "destroyed": false, "version": 1 } } })
    .to_string()
}

/// Reproduces: a Vault (or something posing as one) answering 307 to another host, as a
/// standby node or a hijacked proxy would; OpenBao redirects only to its own active node.
#[test]
fn a_redirect_to_another_origin_is_not_followed_and_the_token_stays_home() {
    let elsewhere = RawServer::start(|_req: &Req, s: &mut TcpStream| {
        http_answer(
            s,
            "200 OK",
            "content-type: application/json\r\n",
            &kv2_answer("sk-elsewhere"),
        );
    });
    let target = format!("{}/v1/secret/data/gw", elsewhere.base());
    let vault = RawServer::start(move |_req: &Req, s: &mut TcpStream| {
        http_answer(
            s,
            "307 Temporary Redirect",
            &format!("location: {target}\r\n"),
            "",
        );
    });
    let env = TestEnv::new();
    env.write_config(&vault_config(&vault.base(), "kv_version = 2\n"));
    let o = run_key(&env, &[]);
    assert_eq!(elsewhere.requests().len(), 0, "the redirect was followed");
    assert_exit_4(&o);
    assert!(
        o.stderr.contains("another origin") && o.stderr.contains(&elsewhere.base()),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("hint: ") && o.stderr.contains("`addr`"),
        "{}",
        o.stderr
    );
    assert_eq!(vault.requests().len(), 1);
    assert_eq!(vault.requests()[0].header("x-vault-token"), Some(TOKEN));
}

/// Reproduces: a Vault behind a proxy that moves its API within the same origin; the redirect is
/// followed and the token goes along (it goes to the same origin it was meant for).
#[test]
fn a_same_origin_redirect_is_followed_with_the_token() {
    let vault = RawServer::start(|req: &Req, s: &mut TcpStream| match req.path() {
        "/v1/secret/data/gw" => http_answer(
            s,
            "307 Temporary Redirect",
            "location: /moved/v1/secret/data/gw\r\n",
            "",
        ),
        "/moved/v1/secret/data/gw" if req.header("x-vault-token") == Some(TOKEN) => http_answer(
            s,
            "200 OK",
            "content-type: application/json\r\n",
            &kv2_answer(KEY),
        ),
        _ => http_answer(
            s,
            "403 Forbidden",
            "",
            r#"{"errors":["permission denied"]}"#,
        ),
    });
    let env = TestEnv::new();
    env.write_config(&vault_config(&vault.base(), "kv_version = 2\n"));
    let o = run_key(&env, &[]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, format!("{KEY}\n").as_str()),
        "{}",
        o.stderr
    );
    let paths: Vec<String> = vault
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(paths, ["/v1/secret/data/gw", "/moved/v1/secret/data/gw"]);
}

/// A status line and headers, then `total` bytes of a JSON-looking body as fast as the peer
/// reads, then silence until the peer hangs up (or 30 s).
fn endless_body(s: &mut TcpStream, total: usize) {
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"data\":\"");
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        if s.write_all(&chunk).is_err() {
            return;
        }
        sent += chunk.len();
    }
    std::thread::sleep(Duration::from_secs(30));
}

/// Peak resident memory of the command `/usr/bin/time` ran, in KiB.
fn peak_rss_kib(time_file: &Path) -> u64 {
    let text = std::fs::read_to_string(time_file).unwrap();
    text.lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no RSS in {text:?}"))
}

/// Reproduces: a Vault (or a port posing as one) that streams a body without end; no real
/// Vault does. The server stops after 256 MiB and then holds the connection, so that the old
/// read-it-all code shows up as hundreds of MiB without endangering the machine.
#[test]
fn an_endless_body_is_cut_at_the_limit_with_bounded_memory() {
    let vault = RawServer::start(|_req: &Req, s: &mut TcpStream| endless_body(s, 256 << 20));
    let env = TestEnv::new();
    env.write_config(&vault_config(&vault.base(), "kv_version = 2\n"));
    let time_file = env.root.path().join("time.txt");
    // GNU time: `%M` is the peak resident set size in KiB.
    let time = crate::common::require("time");
    let o = run_key(
        &env,
        &[
            time.to_str().unwrap(),
            "-f",
            "%M",
            "-o",
            time_file.to_str().unwrap(),
        ],
    );
    assert_exit_4(&o);
    assert!(
        o.stderr.contains("unexpected answer from Vault"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("larger than 1 MiB"), "{}", o.stderr);
    // The request deadline is 10 s; the limit ends it long before.
    assert!(o.elapsed < Duration::from_secs(10), "{:?}", o.elapsed);
    let peak = peak_rss_kib(&time_file);
    eprintln!("peak RSS of `ccgw key` against the endless body: {peak} KiB");
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
}

/// Reproduces: a Vault that answers its headers and then trickles a byte every 200 ms for
/// ever (a stuck proxy); no real Vault does. The 10 s deadline covers the body.
#[test]
fn a_trickling_body_ends_at_the_request_deadline() {
    let vault = RawServer::start(|_req: &Req, s: &mut TcpStream| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{",
        );
        // At most 60 s, then the server gives up by itself.
        for _ in 0..300 {
            if s.write_all(b" ").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let env = TestEnv::new();
    env.write_config(&vault_config(&vault.base(), "kv_version = 2\n"));
    let o = run_key(&env, &[]);
    assert_exit_4(&o);
    assert!(o.stderr.contains("within 10s"), "{}", o.stderr);
    assert!(
        o.elapsed >= Duration::from_secs(9) && o.elapsed < Duration::from_secs(30),
        "{:?}",
        o.elapsed
    );
}

/// Reproduces: something at `addr` that answers 200 but is not Vault's API (a web page, a
/// misrouted proxy, a wrong port), which a real Vault never does.
#[test]
fn an_answer_that_is_not_vaults_is_reported_as_unexpected() {
    let vault = RawServer::start(|req: &Req, s: &mut TcpStream| match req.path() {
        // The KV version detection gets a web page.
        "/v1/sys/internal/ui/mounts/secret" => http_answer(
            s,
            "200 OK",
            "content-type: text/html\r\n",
            "<html><body>Welcome</body></html>",
        ),
        // The read gets JSON of the wrong shape.
        _ => http_answer(
            s,
            "200 OK",
            "content-type: application/json\r\n",
            r#"{"hello":"world"}"#,
        ),
    });
    let env = TestEnv::new();

    env.write_config(&vault_config(&vault.base(), ""));
    let o = run_key(&env, &[]);
    assert_exit_4(&o);
    assert!(
        o.stderr.contains("unexpected answer from Vault") && o.stderr.contains("not JSON"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("could not reach"), "{}", o.stderr);
    assert!(
        !o.stderr.contains("Welcome"),
        "the answer was echoed: {}",
        o.stderr
    );

    env.write_config(&vault_config(&vault.base(), "kv_version = 2\n"));
    let o = run_key(&env, &[]);
    assert_exit_4(&o);
    assert!(
        o.stderr.contains("unexpected answer from Vault") && o.stderr.contains("`data.data`"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("could not reach"), "{}", o.stderr);
}

/// A certificate as `openssl req -x509` makes it by default: self-signed, `CA:TRUE`, for
/// 127.0.0.1. Returns (certificate, key) paths.
fn openssl_self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}-key.pem")),
    );
    let out = Command::new(crate::common::require("openssl"))
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-days",
            "30",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new(crate::common::require("openssl"))
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("CA:TRUE"),
        "openssl did not make a CA:TRUE certificate"
    );
    (cert, key)
}

/// A self-signed `CA:TRUE` certificate for 127.0.0.1 that expired in 2021 (rcgen: openssl makes
/// no certificate in the past).
fn expired_self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("expired.pem"), dir.join("expired-key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

/// A port whose next one is free too (bao binds PORT+1 for each listener's cluster traffic).
fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let p = crate::common::free_port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no two free adjacent ports on 127.0.0.1");
}

fn tls_listener(port: u16, cert: &Path, key: &Path) -> String {
    format!(
        "listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  tls_cert_file = \"{}\"\n  \
         tls_key_file = \"{}\"\n}}\n",
        cert.display(),
        key.display()
    )
}

/// A real OpenBao holding the key, with two extra TLS listeners: one with a fresh
/// `openssl req -x509` certificate, one with an expired self-signed CA certificate.
struct TlsBao {
    bao: OpenBao,
    certs: tempfile::TempDir,
    good_port: u16,
    good_cert: PathBuf,
    expired_port: u16,
    expired_cert: PathBuf,
}

fn tls_bao() -> TlsBao {
    let certs = tempfile::Builder::new()
        .prefix("ccgw-certs-")
        .tempdir()
        .unwrap();
    let (good_cert, good_key) = openssl_self_signed(certs.path(), "vault");
    let (expired_cert, expired_key) = expired_self_signed(certs.path());
    let good_port = free_port_pair();
    let expired_port = free_port_pair();
    let bao = OpenBao::start_with_config(&format!(
        "{}{}",
        tls_listener(good_port, &good_cert, &good_key),
        tls_listener(expired_port, &expired_cert, &expired_key)
    ));
    bao.run(&["kv", "put", "secret/gw", &format!("api_key={KEY}")]);
    TlsBao {
        bao,
        certs,
        good_port,
        good_cert,
        expired_port,
        expired_cert,
    }
}

fn ca_file_line(path: &Path) -> String {
    format!("ca_file = \"{}\"\n", path.display())
}

/// Error line and hint line of a failed run.
fn error_and_hint(o: &Out) -> (&str, &str) {
    let mut lines = o.stderr.lines();
    (lines.next().unwrap_or(""), lines.next().unwrap_or(""))
}

#[test]
fn vault_trusts_a_self_signed_ca_certificate_in_ca_file_and_names_each_tls_failure() {
    let tb = tls_bao();
    let env = TestEnv::new();
    let good = format!("https://127.0.0.1:{}", tb.good_port);

    // curl trusts it as its own CA: the certificate is what a private PKI hands out.
    let curl = Command::new(crate::common::require("curl"))
        .args(["-sS", "-o", "/dev/null", "--cacert"])
        .arg(&tb.good_cert)
        .arg(format!("{good}/v1/sys/health"))
        .output()
        .unwrap();
    assert!(
        curl.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&curl.stderr)
    );

    // So does ccgw, given the certificate in `ca_file` (and the KV version detection with it).
    env.write_config(&vault_config(&good, &ca_file_line(&tb.good_cert)));
    let o = run_key_with(&env, ROOT_TOKEN);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, format!("{KEY}\n").as_str()),
        "{}",
        o.stderr
    );

    // The same certificate under a name it was not issued for.
    let by_name = format!("https://localhost:{}", tb.good_port);
    env.write_config(&vault_config(&by_name, &ca_file_line(&tb.good_cert)));
    let o = run_key_with(&env, ROOT_TOKEN);
    assert_exit_4(&o);
    let (error, hint) = error_and_hint(&o);
    assert!(
        error.contains("TLS") && error.contains("not valid for this host name"),
        "{error}"
    );
    assert!(hint.contains("`addr`"), "{hint}");

    // A CA certificate as the server's own, not the one in `ca_file`.
    env.write_config(&vault_config(&good, &ca_file_line(&tb.expired_cert)));
    let o = run_key_with(&env, ROOT_TOKEN);
    assert_exit_4(&o);
    let (error, hint) = error_and_hint(&o);
    assert!(
        error.contains("TLS") && error.contains("CA certificate (CA:TRUE)"),
        "{error}"
    );
    assert!(hint.contains("`ca_file`"), "{hint}");

    // Byte-identical to `ca_file`, but expired: still refused.
    let expired = format!("https://127.0.0.1:{}", tb.expired_port);
    env.write_config(&vault_config(&expired, &ca_file_line(&tb.expired_cert)));
    let o = run_key_with(&env, ROOT_TOKEN);
    assert_exit_4(&o);
    let (error, hint) = error_and_hint(&o);
    assert!(
        error.contains("TLS") && error.contains("expired"),
        "{error}"
    );
    assert!(hint.contains("ca_file"), "{hint}");

    assert_eq!(tb.bao.count_requests("secret/data/gw", "read"), 1);
    drop(tb.certs);
}

/// `ccgw doctor --only network` against the real OpenBao TLS listener (any HTTP answer proves
/// the TLS chain), with the certificate in `tls.ca_file` or only in NODE_EXTRA_CA_CERTS.
#[test]
fn doctor_trusts_a_self_signed_ca_certificate_like_node_does() {
    let tb = tls_bao();
    let env = TestEnv::new();
    let gateway = format!("https://127.0.0.1:{}", tb.good_port);
    let config = |extra: &str| {
        format!(
            "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{gateway}\"\n{extra}\n\
             [profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n"
        )
    };
    let network = |node_extra: Option<&Path>| {
        let mut cmd = env.ccgw();
        cmd.env("CCGW_TEST_KEY", KEY).args([
            "doctor",
            "--json",
            "--only",
            "network",
            "--timeout",
            "10s",
        ]);
        if let Some(p) = node_extra {
            cmd.env("NODE_EXTRA_CA_CERTS", p);
        }
        let out = cmd.timeout(Duration::from_secs(60)).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "network")
            .cloned()
            .unwrap()
    };

    env.write_config(&config(""));
    let check = network(None);
    assert_eq!(check["status"], "fail", "{check:#}");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("CA certificate (CA:TRUE)"),
        "{check:#}"
    );
    let hint = check["hint"].as_str().unwrap();
    assert!(
        hint.contains("tls.ca_file") && hint.contains("NODE_EXTRA_CA_CERTS"),
        "{hint}"
    );

    env.write_config(&config(&format!(
        "tls = {{ ca_file = \"{}\" }}",
        tb.good_cert.display()
    )));
    let check = network(None);
    assert_eq!(check["status"], "pass", "{check:#}");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("TLS verified with tls.ca_file"),
        "{check:#}"
    );

    env.write_config(&config(""));
    let check = network(Some(&tb.good_cert));
    assert_eq!(check["status"], "pass", "{check:#}");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("TLS verified with NODE_EXTRA_CA_CERTS"),
        "{check:#}"
    );
}

/// Reproduces: a session bus that accepts the connection and then never says a word (a hung
/// dbus-daemon or Secret Service); no real bus does that on demand. Holds every connection
/// open, silent, until dropped (or 90 s).
struct SilentBus {
    dir: tempfile::TempDir,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SilentBus {
    fn start() -> Self {
        use std::sync::atomic::Ordering;
        let dir = tempfile::Builder::new()
            .prefix("ccgw-silent-bus-")
            .tempdir()
            .unwrap();
        let listener = std::os::unix::net::UnixListener::bind(dir.path().join("bus")).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(90);
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline {
                if let Ok((conn, _)) = listener.accept()
                    && held.len() < 50
                {
                    held.push(conn);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self {
            dir,
            stop,
            thread: Some(thread),
        }
    }

    fn address(&self) -> String {
        format!("unix:path={}", self.dir.path().join("bus").display())
    }
}

impl Drop for SilentBus {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Wait for `child` at most `limit`; kill it if it is still running then (`None`).
fn wait_bounded(
    mut child: std::process::Child,
    limit: Duration,
) -> Option<(std::process::Output, Duration)> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return Some((child.wait_with_output().unwrap(), started.elapsed()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn a_secret_service_that_never_answers_is_exit_4_in_bounded_time_and_frees_the_lock() {
    let bus = SilentBus::start();
    let env = TestEnv::new();
    env.write_config(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\n\
         [profiles.work.key]\nsource = \"keyring\"\n",
    );
    // Two callers at once, as two claude processes would be: the second waits for the first's
    // cache lock, so the first must give it up in bounded time.
    let spawn = || {
        let mut cmd = Command::new(crate::common::ccgw_bin());
        env.apply(&mut cmd);
        cmd.arg("key")
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let first = wait_bounded(first, Duration::from_secs(60));
    let second = wait_bounded(second, Duration::from_secs(60));
    for run in [&first, &second] {
        let Some((out, took)) = run else {
            panic!("a `ccgw key` still ran after 60 s (killed)");
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.contains("did not answer within 10s"), "{stderr}");
        assert!(stderr.contains("hint: "), "{stderr}");
        // One 10 s wait each, the second after the first: far below the 30 s lock wait + more.
        assert!(*took < Duration::from_secs(35), "{took:?}: {stderr}");
    }
}

/// Reproduces: a gateway whose health route streams without end (a misrouted port, a broken
/// proxy); LiteLLM does not. The doctor's body reader is the same bounded one as Vault's.
#[test]
fn doctor_reads_at_most_the_body_limit_and_says_so() {
    let gateway = RawServer::start(|_req: &Req, s: &mut TcpStream| endless_body(s, 256 << 20));
    let env = TestEnv::new();
    env.write_config(&format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{}\"\n\n\
         [profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n",
        gateway.base()
    ));
    let started = Instant::now();
    let out = env
        .ccgw()
        .env("CCGW_TEST_KEY", KEY)
        .args([
            "doctor",
            "--json",
            "--timeout",
            "10s",
            "--only",
            "network",
            "gateway",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let took = started.elapsed();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "gateway")
        .cloned()
        .unwrap();
    assert_eq!(check["status"], "fail", "{check:#}");
    assert!(
        check["summary"]
            .as_str()
            .unwrap()
            .contains("larger than 1 MiB"),
        "{check:#}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");
}
