//! `ccgw key` and `ccgw cache` against a real OpenBao (its audit log counts what reached it) and
//! real commands: the cache, the lock, the fallbacks, and that the key leaks nowhere.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::openbao::{OpenBao, ROOT_TOKEN};
use crate::common::run::{Ccgw, Config, Profile};
use crate::common::{TestEnv, free_port, read};

const KEY: &str = "sk-vault-7f3a9c1e5b";
const READ_GW: (&str, &str) = ("secret/data/gw", "read");

/// The result of one `ccgw key` run; the key must never be on stderr.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut assert_cmd::Command, secret: &str) -> Out {
    let out = cmd.output().unwrap();
    let o = Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(
        !o.stderr.contains(secret),
        "the key leaked to stderr: {}",
        o.stderr
    );
    o
}

fn key(env: &TestEnv, args: &[&str], secret: &str) -> Out {
    run(
        env.ccgw()
            .arg("key")
            .args(args)
            .env("VAULT_TOKEN", ROOT_TOKEN),
        secret,
    )
}

/// `ccgw key` printed exactly `secret` and a newline, and exited 0.
fn assert_key(o: &Out, secret: &str) {
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert_eq!(o.stdout, format!("{secret}\n"));
}

/// stdout empty, exit 4, one `error:` line and at most one `hint:` line.
fn assert_failed_cleanly(o: &Out) {
    assert_eq!(o.code, 4, "stderr: {}", o.stderr);
    assert_eq!(o.stdout, "");
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert!(
        matches!(lines.len(), 1 | 2) && lines[0].starts_with("error: "),
        "stderr: {}",
        o.stderr
    );
    if let Some(l) = lines.get(1) {
        assert!(l.starts_with("hint: "), "stderr: {}", o.stderr);
    }
}

fn vault_config(addr: &str, extra: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\
         key_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"vault\"\naddr = \"{addr}\"\n\
         path = \"gw\"\n{extra}"
    )
}

fn bao_with_key() -> OpenBao {
    let bao = OpenBao::start();
    bao.run(&["kv", "put", "secret/gw", &format!("api_key={KEY}")]);
    bao
}

fn cache_dir(env: &TestEnv) -> PathBuf {
    env.cache_home().join("ccgw")
}

/// The one key entry in the cache (not the Vault login entry).
fn key_entry(env: &TestEnv) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(cache_dir(env))
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.ends_with(".json") && !n.contains("vault-login")
        })
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

fn entry_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Move an entry's clock: fetched `age` seconds ago, expiring in `left` seconds (negative: past).
/// `age + left` must not exceed the key lifetime: a longer-lived entry is corrupt.
fn age_entry(path: &Path, age: u64, left: i64) {
    let mut e = entry_json(path);
    e["fetched_at"] = (now() - age).into();
    e["expires_at"] = (now() as i64 + left).into();
    std::fs::write(path, serde_json::to_string(&e).unwrap()).unwrap();
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn kv2_token_from_env_and_cache_hits_do_not_read_vault() {
    let bao = bao_with_key();
    let env = TestEnv::new();
    env.write_config(&vault_config(&bao.addr, ""));

    let first = key(&env, &[], KEY);
    assert_key(&first, KEY);
    assert_eq!(first.stderr, "");
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 1);
    for _ in 0..3 {
        assert_key(&key(&env, &[], KEY), KEY);
    }
    // Three hits, no new read (and no mount lookup either).
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 1);
    assert_eq!(
        bao.count_requests("sys/internal/ui/mounts/secret", "read"),
        1
    );

    // The entry: private file in a private dir, expiry = key_ttl (KV v2 has no lease).
    let entry = key_entry(&env);
    assert_eq!(mode(&cache_dir(&env)), 0o700);
    assert_eq!(mode(&entry), 0o600);
    let e = entry_json(&entry);
    assert_eq!(e["profile"], "work");
    assert_eq!(e["source"], "vault");
    assert_eq!(
        e["expires_at"].as_u64().unwrap() - e["fetched_at"].as_u64().unwrap(),
        3600
    );
}

#[test]
fn kv1_on_its_own_mount_with_a_vault_token_file_and_a_lease() {
    let bao = OpenBao::start();
    bao.run(&["secrets", "enable", "-path=kv1", "-version=1", "kv"]);
    // KV v1 returns `ttl` as the lease: the cache must expire with it, before key_ttl.
    bao.run(&["kv", "put", "kv1/gw", &format!("token={KEY}"), "ttl=300s"]);
    let env = TestEnv::new();
    env.write_config(&vault_config(
        &bao.addr,
        "mount = \"kv1\"\nfield = \"token\"\n",
    ));
    std::fs::write(env.home().join(".vault-token"), format!("{ROOT_TOKEN}\n")).unwrap();

    // No VAULT_TOKEN: the token comes from ~/.vault-token; the version is detected.
    let o = run(env.ccgw().arg("key"), KEY);
    assert_key(&o, KEY);
    assert_eq!(bao.count_requests("kv1/gw", "read"), 1);
    let e = entry_json(&key_entry(&env));
    let lifetime = e["expires_at"].as_u64().unwrap() - e["fetched_at"].as_u64().unwrap();
    assert!((299..=300).contains(&lifetime), "lifetime {lifetime}");

    // Without any token source: exit 4 naming what is missing.
    std::fs::remove_file(env.home().join(".vault-token")).unwrap();
    let o = run(env.ccgw().args(["key", "--no-cache"]), KEY);
    assert_failed_cleanly(&o);
    assert!(o.stderr.contains("VAULT_TOKEN"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("\nhint: log in with `vault login` or `bao login`"),
        "{}",
        o.stderr
    );
}

#[test]
fn sixteen_concurrent_cold_callers_read_the_secret_once() {
    let bao = bao_with_key();
    let env = TestEnv::new();
    env.write_config(&vault_config(&bao.addr, "kv_version = 2\n"));

    let children: Vec<_> = (0..16)
        .map(|_| {
            let mut c = std::process::Command::new(crate::common::ccgw_bin());
            env.apply(&mut c);
            c.arg("key")
                .env("VAULT_TOKEN", ROOT_TOKEN)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "stderr: {stderr}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{KEY}\n"));
        assert!(!stderr.contains(KEY));
    }
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 1);
}

/// An AppRole `ccgw` (with `bao_args` such as `-namespace=…`) whose token may read the key,
/// its secret id in a file of `env`; returns the profile lines that log in with it.
fn approle_login(bao: &OpenBao, env: &TestEnv, bao_args: &[&str]) -> String {
    // `bao SUBCOMMAND [bao_args] ARGS`: options go after the (one- or two-word) subcommand.
    let run = |subcommand: &[&str], args: &[&str]| bao.run(&[subcommand, bao_args, args].concat());
    run(&["auth", "enable"], &["approle"]);
    let policy = bao.dir.path().join("gw.hcl");
    std::fs::write(
        &policy,
        "path \"secret/data/gw\" { capabilities = [\"read\"] }\n\
         path \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }\n",
    )
    .unwrap();
    run(&["policy", "write"], &["gw", policy.to_str().unwrap()]);
    run(
        &["write"],
        &[
            "auth/approle/role/ccgw",
            "token_policies=gw",
            "token_ttl=1h",
        ],
    );
    let role_id = run(
        &["read"],
        &["-field=role_id", "auth/approle/role/ccgw/role-id"],
    );
    let secret_id = run(
        &["write"],
        &["-f", "-field=secret_id", "auth/approle/role/ccgw/secret-id"],
    );
    let sid_file = env.home().join("secret-id");
    std::fs::write(&sid_file, secret_id.trim()).unwrap();
    format!(
        "auth = \"approle\"\nrole_id = \"{}\"\nsecret_id_file = \"{}\"\n",
        role_id.trim(),
        sid_file.display()
    )
}

#[test]
fn approle_login_is_reused_from_the_token_cache() {
    let bao = bao_with_key();
    let env = TestEnv::new();
    env.write_config(&vault_config(&bao.addr, &approle_login(&bao, &env, &[])));
    let logins = || bao.count_requests("auth/approle/login", "update");
    let reads = || bao.count_requests(READ_GW.0, READ_GW.1);

    // No VAULT_TOKEN at all: the AppRole login is the only credential.
    let plain = |args: &[&str]| run(env.ccgw().arg("key").args(args), KEY);
    assert_key(&plain(&[]), KEY);
    assert_eq!((logins(), reads()), (1, 1));
    // Two more cold fetches reuse the cached login token.
    assert_key(&plain(&["--refresh"]), KEY);
    assert_key(&plain(&["--no-cache"]), KEY);
    assert_eq!((logins(), reads()), (1, 3));

    // `cache status` lists both entries and never a secret.
    let status = run(env.ccgw().args(["cache", "status"]), KEY);
    assert_eq!(status.code, 0);
    assert!(status.stdout.contains("vault-login"), "{}", status.stdout);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("work") && l.contains("fresh"))
    );
    let login_entry = std::fs::read_dir(cache_dir(&env))
        .unwrap()
        .map(|d| d.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".vault-login.json"))
        .expect("a cached login");
    assert_eq!(mode(&login_entry), 0o600);
    let token = entry_json(&login_entry)["key"].as_str().unwrap().to_owned();
    assert!(!status.stdout.contains(&token));

    // A revoked login token is noticed and replaced by one new login.
    bao.run(&["token", "revoke", &token]);
    assert_key(&plain(&["--refresh"]), KEY);
    assert_eq!(logins(), 2);

    // `cache clear` forgets the login too: the next fetch logs in again.
    let clear = run(env.ccgw().args(["cache", "clear"]), KEY);
    assert_eq!(clear.code, 0, "{}", clear.stderr);
    assert!(
        !cache_dir(&env)
            .join(login_entry.file_name().unwrap())
            .exists()
    );
    assert_key(&plain(&[]), KEY);
    assert_eq!(logins(), 3);
}

#[test]
fn vault_down_serves_a_still_valid_key_and_fails_cleanly_once_expired() {
    let bao = bao_with_key();
    let env = TestEnv::new();
    env.write_config(&vault_config(&bao.addr, ""));
    assert_key(&key(&env, &[], KEY), KEY);
    let entry = key_entry(&env);
    drop(bao);

    // Past the refresh point but not expired: the refresh fails, the cached key is served.
    age_entry(&entry, 3000, 600);
    let o = key(&env, &[], KEY);
    assert_key(&o, KEY);
    assert!(
        o.stderr.starts_with("warning: could not refresh the key")
            && o.stderr.contains("could not reach vault"),
        "{}",
        o.stderr
    );
    // An explicit --refresh does not fall back.
    assert_failed_cleanly(&key(&env, &["--refresh"], KEY));
    // Expired: nothing to serve.
    age_entry(&entry, 3601, -1);
    let o = key(&env, &[], KEY);
    assert_failed_cleanly(&o);
    assert!(o.stderr.contains("could not reach vault"), "{}", o.stderr);
}

#[test]
fn no_vault_and_no_cache_is_exit_4_with_one_line() {
    let env = TestEnv::new();
    // Nothing listens on this port: connection refused.
    env.write_config(&vault_config(
        &format!("http://127.0.0.1:{}", free_port()),
        "",
    ));
    let o = key(&env, &[], KEY);
    assert_failed_cleanly(&o);
    assert!(
        o.stderr.contains("could not reach vault at"),
        "{}",
        o.stderr
    );

    // A missing address is a configuration error (2), also without stdout.
    env.write_config(
        "[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n[profiles.work.key]\nsource = \"vault\"\npath = \"gw\"\n",
    );
    let o = key(&env, &[], KEY);
    assert_eq!((o.code, o.stdout.as_str()), (2, ""), "{}", o.stderr);
    assert!(o.stderr.contains("VAULT_ADDR"), "{}", o.stderr);
}

#[test]
fn a_corrupt_cache_file_is_replaced_and_the_key_stays_in_the_cache() {
    let bao = bao_with_key();
    let env = TestEnv::new();
    env.write_config(&vault_config(&bao.addr, ""));
    assert_key(&key(&env, &[], KEY), KEY);
    let entry = key_entry(&env);
    std::fs::write(&entry, "{\"profile\": tru").unwrap();
    let o = key(&env, &[], KEY);
    assert_key(&o, KEY);
    assert!(o.stderr.contains("corrupt"), "{}", o.stderr);
    assert_eq!(entry_json(&entry)["key"], KEY);
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 2);

    // The key is in the cache entry and in no other file of HOME, nor in any file name.
    let mut stack = vec![env.home()];
    while let Some(dir) = stack.pop() {
        for de in std::fs::read_dir(&dir).unwrap() {
            let p = de.unwrap().path();
            assert!(!p.to_string_lossy().contains(KEY), "{}", p.display());
            if p.is_dir() {
                stack.push(p);
            } else if p != entry {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(KEY),
                    "the key is in {}",
                    p.display()
                );
            }
        }
    }
}

fn command_config(command: &str, extra: &str) -> String {
    format!(
        "[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.work.key]\n\
         source = \"command\"\ncommand = '''{command}'''\n{extra}"
    )
}

#[test]
fn command_source_takes_the_first_line() {
    let env = TestEnv::new();
    env.write_config(&command_config(r"printf 'sk-cmd-1\nsecond line\n'", ""));
    assert_key(&run(env.ccgw().arg("key"), "second"), "sk-cmd-1");

    // Output Claude Code would reject: exit 4, a hint, the value not echoed.
    env.write_config(&command_config("echo 'two words'", ""));
    let o = run(env.ccgw().args(["key", "--no-cache"]), "two words");
    assert_failed_cleanly(&o);
    assert!(
        o.stderr.contains("whitespace") && o.stderr.contains("hint: "),
        "{}",
        o.stderr
    );
}

#[test]
fn command_source_nonzero_exit_names_the_status_and_never_echoes_stdout() {
    let env = TestEnv::new();
    env.write_config(&command_config(
        "echo sk-partial-output; echo helper-broke >&2; exit 3",
        "shell = true\n",
    ));
    let o = run(env.ccgw().arg("key"), "sk-partial-output");
    assert_eq!((o.code, o.stdout.as_str()), (4, ""));
    assert!(
        o.stderr.contains("helper-broke"),
        "child stderr passes through: {}",
        o.stderr
    );
    assert!(o.stderr.contains("exited with status 3"), "{}", o.stderr);
    assert!(o.stderr.contains("\nhint: run it by hand"), "{}", o.stderr);
    assert!(!cache_dir(&env).exists() || key_entries(&env) == 0);
}

fn key_entries(env: &TestEnv) -> usize {
    std::fs::read_dir(cache_dir(env))
        .map(|rd| {
            rd.filter(|d| {
                d.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn command_source_timeout_kills_the_whole_helper() {
    let env = TestEnv::new();
    let pidfile = env.home().join("sleeper.pid");
    env.write_config(&command_config(
        &format!("sleep 60 & echo $! > {}; wait", pidfile.display()),
        "shell = true\ntimeout = \"1s\"\n",
    ));
    let o = run(env.ccgw().arg("key"), "sk-never-printed");
    assert_failed_cleanly(&o);
    assert!(o.stderr.contains("timed out after 1s"), "{}", o.stderr);
    // The helper's own child (the background sleep) is gone too, not just the shell.
    let pid = read(&pidfile).trim().to_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for a reaper: either way no longer running.
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next();
        if stat.is_empty() || state == Some("Z") {
            break;
        }
        assert!(Instant::now() < deadline, "sleep {pid} survived: {stat}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn no_cache_and_refresh() {
    let env = TestEnv::new();
    let counter = env.home().join("count");
    // Each run prints a new key: sk-n1, sk-n2, …
    env.write_config(&command_config(
        &format!(
            "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; echo sk-n$n",
            c = counter.display()
        ),
        "shell = true\n",
    ));
    let k = |args: &[&str]| run(env.ccgw().arg("key").args(args), "sk-n");
    assert_key(&k(&[]), "sk-n1");
    assert_key(&k(&[]), "sk-n1");
    // --no-cache fetches and leaves the cache alone.
    assert_key(&k(&["--no-cache"]), "sk-n2");
    assert_key(&k(&[]), "sk-n1");
    // --refresh fetches and stores.
    assert_key(&k(&["--refresh"]), "sk-n3");
    assert_key(&k(&[]), "sk-n3");
    let o = run(env.ccgw().args(["key", "--no-cache", "--refresh"]), "sk-n");
    assert_eq!(o.code, 2, "{}", o.stderr);

    // `cache clear --all` empties the cache: the next call fetches.
    assert_eq!(
        run(env.ccgw().args(["cache", "clear", "--all"]), "sk-n").code,
        0
    );
    assert_eq!(key_entries(&env), 0);
    assert_key(&k(&[]), "sk-n4");
}

#[test]
fn env_source_is_not_cached() {
    let env = TestEnv::new();
    env.write_config(crate::common::SIMPLE_CONFIG);
    let o = run(
        env.ccgw().arg("key").env("CCGW_TEST_KEY", "sk-env-1"),
        "sk-env-1",
    );
    assert_key(&o, "sk-env-1");
    assert_eq!(key_entries(&env), 0);
    let o = run(env.ccgw().arg("key"), "sk-never-printed");
    assert_failed_cleanly(&o);
}

#[test]
fn a_lock_left_by_a_killed_process_does_not_block() {
    let flock = crate::common::require("flock");
    let env = TestEnv::new();
    let counter = env.home().join("count");
    env.write_config(&command_config(
        &format!(
            "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; echo sk-n$n",
            c = counter.display()
        ),
        "shell = true\n",
    ));
    assert_key(&run(env.ccgw().arg("key"), "sk-n"), "sk-n1");
    let entry = key_entry(&env);
    let lock = entry.with_extension("lock");
    assert!(lock.exists());
    age_entry(&entry, 3601, -1);

    // Another process takes the entry's lock (flock(1) with -o: only flock itself holds it)
    // and dies by SIGKILL without unlocking.
    let mut holder = std::process::Command::new(&flock)
        .args(["-o", lock.to_str().unwrap(), "sleep", "60"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::process::Command::new(&flock)
        .args(["-n", lock.to_str().unwrap(), "true"])
        .status()
        .unwrap()
        .success()
    {
        assert!(Instant::now() < deadline, "flock never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    holder.kill().unwrap();
    holder.wait().unwrap();

    // The kernel released it with the process: no wait, no warning, a fresh fetch.
    let o = run(env.ccgw().arg("key"), "sk-n");
    assert_key(&o, "sk-n2");
    assert_eq!(o.stderr, "");
}

/// A TLS-only server (its own dev CA) holding the key at `secret/gw`.
fn tls_bao_with_key() -> OpenBao {
    let bao = OpenBao::start_tls();
    assert!(bao.addr.starts_with("https://"), "{}", bao.addr);
    bao.run(&["kv", "put", "secret/gw", &format!("api_key={KEY}")]);
    bao
}

fn ca_file_line(path: &Path) -> String {
    format!("ca_file = \"{}\"\n", path.display())
}

#[test]
fn tls_vault_is_trusted_through_ca_file() {
    let bao = tls_bao_with_key();
    let env = TestEnv::new();
    let ca = bao.ca_file.clone().unwrap();
    env.write_config(&vault_config(&bao.addr, &ca_file_line(&ca)));

    // The KV version is detected over the same verified connection.
    let o = key(&env, &[], KEY);
    assert_key(&o, KEY);
    assert_eq!(o.stderr, "");
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 1);
    assert_eq!(
        bao.count_requests("sys/internal/ui/mounts/secret", "read"),
        1
    );
}

/// The TLS failure is named as such, with a hint naming `ca_file`, and nothing reached vault.
fn assert_untrusted_certificate(o: &Out, bao: &OpenBao) {
    assert_failed_cleanly(o);
    let mut lines = o.stderr.lines();
    let (error, hint) = (lines.next().unwrap(), lines.next().unwrap_or(""));
    assert!(
        error.contains("TLS") && error.contains("certificate") && error.contains(&bao.addr),
        "{}",
        o.stderr
    );
    assert!(
        hint.starts_with("hint: ") && hint.contains("`ca_file`"),
        "{}",
        o.stderr
    );
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 0);
}

#[test]
fn tls_vault_without_ca_file_or_with_another_ca_is_exit_4_naming_ca_file() {
    let bao = tls_bao_with_key();
    let env = TestEnv::new();

    // No ca_file: bao's dev CA is in no trust store of this machine.
    env.write_config(&vault_config(&bao.addr, ""));
    let o = key(&env, &[], KEY);
    assert_untrusted_certificate(&o, &bao);
    assert!(
        o.stderr.contains("not signed by a CA this machine trusts"),
        "{}",
        o.stderr
    );

    // A ca_file with a CA that did not sign bao's certificate.
    let other_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_ca = env.root.path().join("other-ca.pem");
    std::fs::write(&other_ca, params.self_signed(&other_key).unwrap().pem()).unwrap();
    env.write_config(&vault_config(&bao.addr, &ca_file_line(&other_ca)));
    let o = key(&env, &[], KEY);
    assert_untrusted_certificate(&o, &bao);
    assert!(
        o.stderr.contains(other_ca.to_str().unwrap()),
        "{}",
        o.stderr
    );
}

#[test]
fn https_to_a_plain_http_vault_says_the_port_does_not_speak_tls() {
    let bao = bao_with_key();
    let env = TestEnv::new();
    let https = bao.addr.replacen("http://", "https://", 1);
    env.write_config(&vault_config(&https, ""));
    let o = key(&env, &[], KEY);
    assert_failed_cleanly(&o);
    assert!(
        o.stderr.contains("does not speak TLS") && o.stderr.contains("http:// URL in `addr`"),
        "{}",
        o.stderr
    );
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 0);
}

#[test]
fn a_missing_ca_file_is_a_config_error() {
    let env = TestEnv::new();
    let missing = env.root.path().join("no-such-ca.pem");
    // Nothing listens there: exit 2 proves the file is checked before any connection.
    env.write_config(&vault_config(
        &format!("https://127.0.0.1:{}", free_port()),
        &ca_file_line(&missing),
    ));
    let o = key(&env, &[], KEY);
    assert_eq!((o.code, o.stdout.as_str()), (2, ""), "{}", o.stderr);
    assert!(
        o.stderr.starts_with("error: ") && o.stderr.contains(missing.to_str().unwrap()),
        "{}",
        o.stderr
    );
}

const NS: &str = "team-a";

/// A server whose key is only in namespace `team-a`, in a KV v2 mount at `secret/` there (the
/// root namespace has its own, empty `secret/`).
fn bao_with_key_in_namespace() -> OpenBao {
    let bao = OpenBao::start();
    let in_ns = format!("-namespace={NS}");
    bao.run(&["namespace", "create", NS]);
    bao.run(&[
        "secrets",
        "enable",
        &in_ns,
        "-path=secret",
        "-version=2",
        "kv",
    ]);
    bao.run(&["kv", "put", &in_ns, "secret/gw", &format!("api_key={KEY}")]);
    bao
}

#[test]
fn namespace_scopes_the_read_and_the_kv_version_detection() {
    let bao = bao_with_key_in_namespace();
    let env = TestEnv::new();
    env.write_config(&vault_config(&bao.addr, &format!("namespace = \"{NS}\"\n")));

    let o = key(&env, &["--no-cache"], KEY);
    assert_key(&o, KEY);
    assert_eq!(o.stderr, "");
    assert_eq!(bao.count_requests_in(NS, READ_GW.0, READ_GW.1), 1);
    assert_eq!(
        bao.count_requests_in(NS, "sys/internal/ui/mounts/secret", "read"),
        1
    );

    // Without the namespace the same path is looked up at the root, where it does not exist.
    env.write_config(&vault_config(&bao.addr, ""));
    let o = key(&env, &["--no-cache"], KEY);
    assert_failed_cleanly(&o);
    assert!(
        o.stderr.contains("nothing at `secret/gw`")
            && o.stderr.contains("hint: ")
            && o.stderr.contains("`namespace`"),
        "{}",
        o.stderr
    );
    assert_eq!(bao.count_requests(READ_GW.0, READ_GW.1), 2);
    assert_eq!(bao.count_requests_in(NS, READ_GW.0, READ_GW.1), 1);
}

#[test]
fn approle_login_inside_a_namespace() {
    let bao = bao_with_key_in_namespace();
    let env = TestEnv::new();
    let in_ns = format!("-namespace={NS}");
    let login = approle_login(&bao, &env, &[&in_ns]);
    env.write_config(&vault_config(
        &bao.addr,
        &format!("namespace = \"{NS}\"\n{login}"),
    ));

    // No VAULT_TOKEN: the login (to the namespace's approle; the root has none) is the only
    // credential, and its token reads the namespace's secret.
    let o = run(env.ccgw().arg("key"), KEY);
    assert_key(&o, KEY);
    assert_eq!(bao.count_requests_in(NS, "auth/approle/login", "update"), 1);
    assert_eq!(bao.count_requests_in(NS, READ_GW.0, READ_GW.1), 1);
    assert_eq!(bao.count_requests("auth/approle/login", "update"), 1);
}

/// `kv_version` is checked when the config loads, not when a key is fetched: every command that
/// reads the config refuses it, naming file, line and field, before anything reaches Vault.
#[test]
fn a_bad_kv_version_is_refused_when_the_config_loads() {
    let env = TestEnv::new();
    let config = Config::new()
        .profile(
            Profile::new("work")
                .key("vault", &[("addr", "http://127.0.0.1:9"), ("path", "gw")])
                .key_raw("kv_version", "3"),
        )
        .build();
    env.write_config(&config);
    let line = config
        .lines()
        .position(|l| l.starts_with("kv_version"))
        .unwrap()
        + 1;
    let want = format!(
        "{}:{line}: profiles.work.key.kv_version: must be 1 or 2, not 3",
        env.config_path().display()
    );
    for args in [
        &["key"][..],
        &["profile", "show"],
        &["env", "--shell", "bash"],
    ] {
        Ccgw::new(&env)
            .args(args)
            .code(2)
            .stdout_is("")
            .stderr_has(&want)
            .stderr_has("hint: leave it out and ccgw asks Vault which version the mount is")
            .run();
    }
}
