//! Hostile or broken servers: a Vault that redirects elsewhere, streams an endless body or
//! answers nonsense, TLS certificates as private PKIs make them, a Secret Service that never
//! answers. Real OpenBao where the fault is real; small servers of the test's own (each says
//! which fault it reproduces) where no real component produces the fault on demand.

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TestEnv;
use crate::common::fakegw::Req;
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

/// `ccgw key` in `env` with VAULT_TOKEN set, run through `cmd_prefix` (e.g. `/usr/bin/time`).
fn run_key(env: &TestEnv, prefix: &[&str]) -> Out {
    let mut cmd = if prefix.is_empty() {
        Command::new(crate::common::ccgw_bin())
    } else {
        let mut c = Command::new(prefix[0]);
        c.args(&prefix[1..]).arg(crate::common::ccgw_bin());
        c
    };
    env.apply(&mut cmd);
    cmd.arg("key")
        .env("VAULT_TOKEN", TOKEN)
        .stdin(Stdio::null());
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let o = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        elapsed: started.elapsed(),
    };
    assert!(!o.stderr.contains(TOKEN), "the token leaked: {}", o.stderr);
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
