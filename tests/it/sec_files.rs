//! The files ccgw keeps (cache entries, lock files, undo records) under planted files, clock
//! jumps and a source that is down: real files, real processes, a real OpenBao and Secret
//! Service. Issue 9, items 1–5 and 13.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::openbao::{OpenBao, ROOT_TOKEN};
use crate::common::secret_service::SecretService;
use crate::common::{TestEnv, ccgw_bin, free_port, read};

/// A uid that owns nothing on the test machine: "another user".
const OTHER_UID: u32 = 4242;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn out_of(out: std::process::Output) -> Out {
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn ccgw(env: &TestEnv, args: &[&str]) -> Out {
    out_of(env.ccgw().args(args).output().unwrap())
}

fn assert_key(o: &Out, key: &str) {
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert_eq!(o.stdout, format!("{key}\n"), "stderr: {}", o.stderr);
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

fn cache_dir(env: &TestEnv) -> PathBuf {
    env.cache_home().join("ccgw")
}

/// The key entries in the cache (not the Vault login entries).
fn key_entries(env: &TestEnv) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache_dir(env))
        .map(|rd| rd.map(|d| d.unwrap().path()).collect())
        .unwrap_or_default();
    v.retain(|p| {
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        n.ends_with(".json") && !n.contains("vault-login") && !n.starts_with('.')
    });
    v.sort();
    v
}

fn only_entry(env: &TestEnv) -> PathBuf {
    let v = key_entries(env);
    assert_eq!(v.len(), 1, "{v:?}");
    v[0].clone()
}

fn edit_entry(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let mut e: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
    f(&mut e);
    std::fs::write(path, serde_json::to_string(&e).unwrap()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A `command` profile `name` whose every run prints a new key, `<prefix>1`, `<prefix>2`, …,
/// counting its runs in `counter`.
fn counting_profile(name: &str, prefix: &str, counter: &Path, extra: &str) -> String {
    format!(
        "[profiles.{name}]\ngateway = \"http://127.0.0.1:4000\"\nkey_ttl = \"1h\"\n\n\
         [profiles.{name}.key]\nsource = \"command\"\nshell = true\n\
         command = '''n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; echo {prefix}$n'''\n{extra}\n",
        c = counter.display()
    )
}

fn runs(counter: &Path) -> u32 {
    std::fs::read_to_string(counter)
        .map(|t| t.trim().parse().unwrap())
        .unwrap_or(0)
}

fn counting_env() -> (TestEnv, PathBuf) {
    let env = TestEnv::new();
    let counter = env.home().join("count");
    env.write_config(&format!(
        "default_profile = \"work\"\n\n{}",
        counting_profile("work", "sk-n", &counter, "")
    ));
    (env, counter)
}

fn spawn_key(env: &TestEnv, extra_env: &[(&str, &str)]) -> Child {
    let mut c = std::process::Command::new(ccgw_bin());
    env.apply(&mut c);
    c.arg("key")
        .envs(extra_env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait (bounded) until `cond` holds.
fn wait_until(what: &str, limit: Duration, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// Item 1: never through a symlink, never a file ccgw did not make.

#[test]
fn a_planted_symlink_at_an_entry_or_lock_is_neither_followed_nor_served() {
    let (env, counter) = counting_env();
    assert_key(&ccgw(&env, &["key"]), "sk-n1");
    let entry = only_entry(&env);
    let lock = entry.with_extension("lock");

    // The victims: a fresh-looking entry holding a planted key, and some other file.
    let victim = env.home().join("victim.json");
    std::fs::copy(&entry, &victim).unwrap();
    edit_entry(&victim, |e| {
        e["key"] = "sk-planted".into();
        e["fetched_at"] = now().into();
        e["expires_at"] = (now() + 3000).into();
    });
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let victim_lock = env.home().join("victim.lock");
    std::fs::write(&victim_lock, "not a lock").unwrap();
    std::fs::set_permissions(&victim_lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    let victim_bytes = std::fs::read(&victim).unwrap();

    std::fs::remove_file(&entry).unwrap();
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(&victim, &entry).unwrap();
    std::os::unix::fs::symlink(&victim_lock, &lock).unwrap();

    let o = ccgw(&env, &["key"]);
    assert_key(&o, "sk-n2");
    assert!(o.stderr.contains("is a symlink"), "{}", o.stderr);
    assert_eq!(runs(&counter), 2);
    // The targets stay byte for byte, mode and all; the entry is ccgw's own file again.
    assert_eq!(std::fs::read(&victim).unwrap(), victim_bytes);
    assert_eq!(mode(&victim), 0o644);
    assert_eq!(read(&victim_lock), "not a lock");
    assert_eq!(mode(&victim_lock), 0o644);
    assert!(std::fs::symlink_metadata(&entry).unwrap().is_file());
    assert_eq!(mode(&entry), 0o600);
    assert_key(&ccgw(&env, &["key"]), "sk-n2");
    assert_eq!(runs(&counter), 2);
}

#[test]
fn an_entry_of_another_user_or_open_to_others_is_not_served() {
    let (env, counter) = counting_env();
    assert_key(&ccgw(&env, &["key"]), "sk-n1");
    let entry = only_entry(&env);

    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = ccgw(&env, &["key"]);
    assert_key(&o, "sk-n2");
    assert!(o.stderr.contains("open to other users"), "{}", o.stderr);
    assert_eq!(mode(&entry), 0o600);

    std::os::unix::fs::chown(&entry, Some(OTHER_UID), None).unwrap();
    let o = ccgw(&env, &["key"]);
    assert_key(&o, "sk-n3");
    assert!(o.stderr.contains("owned by uid 4242"), "{}", o.stderr);
    assert_eq!(std::fs::metadata(&entry).unwrap().uid(), 0);
    assert_eq!(runs(&counter), 3);
}

#[test]
fn the_cache_directory_is_repaired_when_loose_and_refused_when_foreign() {
    let (env, counter) = counting_env();
    assert_key(&ccgw(&env, &["key"]), "sk-n1");
    let dir = cache_dir(&env);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_key(&ccgw(&env, &["key"]), "sk-n1");
    assert_eq!(mode(&dir), 0o700);

    std::os::unix::fs::chown(&dir, Some(OTHER_UID), None).unwrap();
    for args in [&["key"][..], &["cache", "clear"], &["cache", "status"]] {
        let o = ccgw(&env, args);
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (4, ""),
            "{args:?}: {}",
            o.stderr
        );
        assert!(
            o.stderr.starts_with("error: ccgw's directory `")
                && o.stderr.contains("is owned by uid 4242")
                && o.stderr.contains("\nhint: "),
            "{args:?}: {}",
            o.stderr
        );
    }
    // Nothing was fetched, removed or handed out from the foreign directory.
    assert_eq!(runs(&counter), 1);
    assert_eq!(key_entries(&env).len(), 1);
}

fn settings_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config(crate::common::SIMPLE_CONFIG);
    env
}

fn undo_dir(env: &TestEnv) -> PathBuf {
    env.home().join(".local/state/ccgw/undo")
}

#[test]
fn undo_records_are_never_read_or_written_through_a_symlink() {
    let env = settings_env();
    assert_eq!(ccgw(&env, &["settings", "write"]).code, 0);
    let records: Vec<PathBuf> = std::fs::read_dir(undo_dir(&env))
        .unwrap()
        .map(|d| d.unwrap().path())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    let victim = env.home().join("victim.json");
    std::fs::copy(record, &victim).unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let victim_bytes = std::fs::read(&victim).unwrap();
    std::fs::remove_file(record).unwrap();
    std::os::unix::fs::symlink(&victim, record).unwrap();

    let o = ccgw(&env, &["settings", "write"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read(&victim).unwrap(), victim_bytes);
    assert_eq!(mode(&victim), 0o644);
    assert!(std::fs::symlink_metadata(record).unwrap().is_file());
    assert_eq!(mode(record), 0o600);
    assert!(o.stderr.contains("is a symlink"), "{}", o.stderr);
}

#[test]
fn a_foreign_undo_directory_is_refused() {
    let env = settings_env();
    assert_eq!(ccgw(&env, &["settings", "write"]).code, 0);
    std::os::unix::fs::chown(undo_dir(&env), Some(OTHER_UID), None).unwrap();
    let before = read(env.user_settings());
    let o = ccgw(&env, &["settings", "remove"]);
    assert_eq!((o.code, o.stdout.as_str()), (4, ""), "{}", o.stderr);
    assert!(
        o.stderr.contains("is owned by uid 4242") && o.stderr.contains("\nhint: "),
        "{}",
        o.stderr
    );
    assert_eq!(read(env.user_settings()), before);
}

// Item 2: the cache-hit path applies the key rule and checks whose entry it is.

#[test]
fn a_cached_key_claude_code_would_refuse_is_dropped_and_fetched_again() {
    let (env, counter) = counting_env();
    assert_key(&ccgw(&env, &["key"]), "sk-n1");
    let entry = only_entry(&env);
    for (i, bad) in ["two words", "esc\u{1b}]0;x\u{7}", ""]
        .into_iter()
        .enumerate()
    {
        edit_entry(&entry, |e| e["key"] = bad.into());
        let o = ccgw(&env, &["key"]);
        assert_key(&o, &format!("sk-n{}", i + 2));
        assert!(o.stderr.contains("corrupt"), "{}", o.stderr);
    }
    edit_entry(&entry, |e| e["key"] = "k".repeat(16_385).into());
    assert_key(&ccgw(&env, &["key"]), "sk-n5");
    assert_eq!(runs(&counter), 5);
}

#[test]
fn an_entry_of_another_profile_is_not_served() {
    let env = TestEnv::new();
    let (ca, cb) = (env.home().join("count-a"), env.home().join("count-b"));
    env.write_config(&format!(
        "{}{}",
        counting_profile("alpha", "sk-alpha-", &ca, ""),
        counting_profile("beta", "sk-beta-", &cb, "")
    ));
    assert_key(&ccgw(&env, &["--profile", "alpha", "key"]), "sk-alpha-1");
    assert_key(&ccgw(&env, &["--profile", "beta", "key"]), "sk-beta-1");
    let find = |stem: &str| {
        key_entries(&env)
            .into_iter()
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(stem))
            .unwrap()
    };
    // alpha's entry copied over beta's: beta fetches its own key.
    std::fs::copy(find("alpha-"), find("beta-")).unwrap();
    let o = ccgw(&env, &["--profile", "beta", "key"]);
    assert_key(&o, "sk-beta-2");
    assert!(o.stderr.contains("corrupt"), "{}", o.stderr);
    // An entry whose `profile` was edited to alpha, under beta's name: not alpha's either.
    edit_entry(&find("beta-"), |e| e["profile"] = "alpha".into());
    assert_key(&ccgw(&env, &["--profile", "beta", "key"]), "sk-beta-3");
    assert_key(&ccgw(&env, &["--profile", "alpha", "key"]), "sk-alpha-1");
}

// Item 3: the clock.

#[test]
fn an_entry_from_the_future_or_with_an_absurd_expiry_is_not_served() {
    let (env, counter) = counting_env();
    assert_key(&ccgw(&env, &["key"]), "sk-n1");
    let entry = only_entry(&env);

    // Fetched "in 50 minutes" (the clock moved back an hour): stale.
    edit_entry(&entry, |e| {
        e["fetched_at"] = (now() + 3000).into();
        e["expires_at"] = (now() + 6600).into();
    });
    assert_key(&ccgw(&env, &["key"]), "sk-n2");

    // Valid for ten years, or for longer than the source's one-hour lifetime: corrupt.
    for (fetched, expires) in [
        (now(), now() + 10 * 365 * 86_400),
        (now() - 10, now() + 3600),
    ] {
        edit_entry(&entry, |e| {
            e["fetched_at"] = fetched.into();
            e["expires_at"] = expires.into();
        });
        let o = ccgw(&env, &["key"]);
        assert!(o.stderr.contains("expiry is impossible"), "{}", o.stderr);
    }
    assert_eq!(runs(&counter), 4);

    // With the source down, an entry from the future is not a fallback either.
    std::fs::write(&counter, "not a number").unwrap();
    edit_entry(&entry, |e| {
        e["fetched_at"] = (now() + 100).into();
        e["expires_at"] = (now() + 200).into();
    });
    let o = ccgw(&env, &["key"]);
    assert_eq!((o.code, o.stdout.as_str()), (4, ""), "{}", o.stderr);
}

// Item 4: a keyring key never lands in a plaintext file.

#[test]
fn a_keyring_key_is_never_copied_into_a_file() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    env.write_config(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\n\
         [profiles.work.key]\nsource = \"keyring\"\n",
    );
    let secret = format!("sk-keyring-{}-{}", std::process::id(), now());
    let with_bus = |args: &[&str], stdin: &str| {
        let mut c = std::process::Command::new(ccgw_bin());
        env.apply(&mut c);
        ss.apply(&mut c);
        let mut child = c
            .args(args)
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
            .write_all(stdin.as_bytes())
            .unwrap();
        out_of(child.wait_with_output().unwrap())
    };
    assert_eq!(with_bus(&["secret", "set"], &secret).code, 0);
    for _ in 0..2 {
        assert_key(&with_bus(&["key"], ""), &secret);
    }
    let mut stack = vec![env.root.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for de in std::fs::read_dir(&dir).unwrap() {
            let p = de.unwrap().path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(&secret),
                    "the keyring key is in {}",
                    p.display()
                );
            }
        }
    }
}

// Item 5: the lock and the entry's identity.

/// A command that marks its start in `started`, then sleeps `secs` before printing a new key.
fn slow_counting_config(counter: &Path, started: &Path, secs: u32, timeout: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\
         key_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"command\"\nshell = true\n\
         timeout = \"{timeout}\"\n\
         command = '''echo >> {s}; sleep {secs}; n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; echo sk-n$n'''\n",
        s = started.display(),
        c = counter.display()
    )
}

fn starts(started: &Path) -> usize {
    std::fs::read_to_string(started)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn finish(child: Child) -> Out {
    out_of(child.wait_with_output().unwrap())
}

#[test]
fn cache_clear_during_a_fetch_does_not_let_a_second_fetcher_in() {
    let env = TestEnv::new();
    let (counter, started) = (env.home().join("count"), env.home().join("started"));
    env.write_config(&slow_counting_config(&counter, &started, 3, "30s"));
    assert_key(&ccgw(&env, &["key"]), "sk-n1");
    let entry = only_entry(&env);
    edit_entry(&entry, |e| {
        e["fetched_at"] = (now() - 3601).into();
        e["expires_at"] = (now() - 1).into();
    });

    let first = spawn_key(&env, &[]);
    wait_until("the first fetch to start", Duration::from_secs(10), || {
        starts(&started) == 2
    });
    for args in [&["cache", "clear"][..], &["cache", "clear", "--all"]] {
        assert_eq!(ccgw(&env, args).code, 0);
    }
    let second = spawn_key(&env, &[]);
    let (a, b) = (finish(first), finish(second));
    assert_key(&a, "sk-n2");
    assert_key(&b, "sk-n2");
    assert_eq!(starts(&started), 2, "a second fetcher ran beside the first");
}

#[test]
fn the_lock_wait_is_at_least_the_source_timeout() {
    let env = TestEnv::new();
    let (counter, started) = (env.home().join("count"), env.home().join("started"));
    // A slow but working source: 32 s, within its 45 s timeout and past the 30 s minimum wait.
    env.write_config(&slow_counting_config(&counter, &started, 32, "45s"));
    let first = spawn_key(&env, &[]);
    wait_until("the first fetch to start", Duration::from_secs(10), || {
        starts(&started) == 1
    });
    let second = spawn_key(&env, &[]);
    let (a, b) = (finish(first), finish(second));
    assert_key(&a, "sk-n1");
    assert_key(&b, "sk-n1");
    assert_eq!(b.stderr, "");
    assert_eq!(starts(&started), 1);
}

#[test]
fn two_configs_with_a_profile_of_the_same_name_do_not_evict_each_other() {
    let env = TestEnv::new();
    let (ca, cb) = (env.home().join("count-a"), env.home().join("count-b"));
    let (a, b) = (env.home().join("a.toml"), env.home().join("b.toml"));
    std::fs::write(&a, counting_profile("default", "sk-a", &ca, "")).unwrap();
    std::fs::write(&b, counting_profile("default", "sk-b", &cb, "")).unwrap();
    let with = |cfg: &Path| ccgw(&env, &["--config", cfg.to_str().unwrap(), "key"]);
    for _ in 0..2 {
        assert_key(&with(&a), "sk-a1");
        assert_key(&with(&b), "sk-b1");
    }
    assert_eq!((runs(&ca), runs(&cb)), (1, 1));

    // Same profile text in two config files: still two entries, not one key for both.
    std::fs::write(&b, counting_profile("default", "sk-a", &ca, "")).unwrap();
    assert_key(&with(&b), "sk-a2");
    assert_key(&with(&a), "sk-a1");
}

#[test]
fn another_vault_addr_is_another_entry() {
    let bao = OpenBao::start();
    bao.run(&["kv", "put", "secret/gw", "api_key=sk-vault-addr-1"]);
    let env = TestEnv::new();
    // No `addr`: the source reads VAULT_ADDR.
    env.write_config(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\
         key_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"vault\"\npath = \"gw\"\nkv_version = 2\n",
    );
    let closed = format!("http://127.0.0.1:{}", free_port());
    let key_at = |addr: &str| {
        out_of(
            env.ccgw()
                .arg("key")
                .env("VAULT_ADDR", addr)
                .env("VAULT_TOKEN", ROOT_TOKEN)
                .output()
                .unwrap(),
        )
    };
    assert_key(&key_at(&bao.addr), "sk-vault-addr-1");
    // Another Vault (here one that is down) never gets the first one's key from the cache.
    let o = key_at(&closed);
    assert_eq!((o.code, o.stdout.as_str()), (4, ""), "{}", o.stderr);
    assert!(o.stderr.contains("could not reach vault"), "{}", o.stderr);
    assert_key(&key_at(&bao.addr), "sk-vault-addr-1");
    assert_eq!(bao.count_requests("secret/data/gw", "read"), 1);
}

// Item 13: the source is down while a still-valid key is in its refresh window.

#[test]
fn sixteen_callers_in_the_refresh_window_with_the_source_down_get_the_cached_key_at_once() {
    let env = TestEnv::new();
    let (down, attempts) = (env.home().join("down"), env.home().join("attempts"));
    // Up: prints the key. Down: hangs until its 2 s timeout kills it (each attempt counted).
    env.write_config(&format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\
         key_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"command\"\nshell = true\n\
         timeout = \"2s\"\n\
         command = '''if [ -e {d} ]; then echo >> {a}; sleep 30; fi; echo sk-still-valid'''\n",
        d = down.display(),
        a = attempts.display()
    ));
    assert_key(&ccgw(&env, &["key"]), "sk-still-valid");
    // Past the refresh point (half of the hour), 26 minutes left.
    edit_entry(&only_entry(&env), |e| {
        e["fetched_at"] = (now() - 2040).into();
        e["expires_at"] = (now() + 1560).into();
    });
    std::fs::write(&down, "").unwrap();

    for round in 0..2 {
        let start = Instant::now();
        let callers: Vec<Child> = (0..16).map(|_| spawn_key(&env, &[])).collect();
        for c in callers {
            let o = finish(c);
            assert_key(&o, "sk-still-valid");
            assert!(
                o.stderr.starts_with("warning: ")
                    && o.stderr
                        .contains("serving the cached key, which expires in"),
                "round {round}: {}",
                o.stderr
            );
        }
        // One source timeout (2 s) at most, with room for a loaded machine; 16 callers in
        // turn would take 32 s.
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "round {round} took {took:?}"
        );
        // One attempt in all: the second round backs off on the recorded failure.
        assert_eq!(starts(&attempts), 1, "round {round}");
    }
}
