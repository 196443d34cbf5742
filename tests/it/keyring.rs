//! The `keyring` key source and `ccgw secret`: a real Secret Service (gnome-keyring on a
//! private D-Bus), the Linux kernel keyring, and the headless case. The secret travels only on
//! stdin and never shows up in argv, stderr or a file under HOME.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::secret_service::SecretService;
use crate::common::{TestEnv, ccgw_bin, require};

/// A secret no test shares, so that a stray copy anywhere can be found by grepping for it.
fn unique_secret() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("sk-ccgw-it-{}-{nanos:x}", std::process::id())
}

fn keyring_config(profile: &str, extra: &str) -> String {
    format!(
        "default_profile = \"{profile}\"\n\n[profiles.{profile}]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.{profile}.key]\nsource = \"keyring\"\n{extra}"
    )
}

/// `ccgw ARGS…` in `env`, on `bus` (or on no D-Bus at all), secret (if any) on stdin.
fn ccgw(env: &TestEnv, bus: Option<&SecretService>, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(ccgw_bin());
    env.apply(&mut cmd);
    headless(&mut cmd, env);
    if let Some(b) = bus {
        b.apply(&mut cmd);
    }
    run(cmd, args, stdin)
}

/// No session bus, no X display, a runtime dir with no bus socket in it: libdbus then has
/// nowhere to find a Secret Service (it would otherwise try `$XDG_RUNTIME_DIR/bus`).
fn headless(cmd: &mut Command, env: &TestEnv) {
    let run_dir = env.root.path().join("xdg-runtime");
    std::fs::create_dir_all(&run_dir).unwrap();
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", run_dir);
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(mut cmd: Command, args: &[&str], stdin: &str) -> Output {
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        // A refusal exits before reading stdin; the write then meets a closed pipe, which
        // is the behaviour under test, not an error of the harness.
        match input.write_all(stdin.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.unwrap(),
        }
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                hits.push(p.display().to_string());
            }
        }
    }
    hits
}

fn assert_secret_nowhere(env: &TestEnv, secret: &str, outputs: &[&Output]) {
    for o in outputs {
        assert!(!o.stderr.contains(secret), "secret on stderr: {}", o.stderr);
    }
    let hits = files_containing(&env.home(), secret);
    assert!(hits.is_empty(), "secret written to {hits:?}");
}

#[test]
fn secret_service_round_trip_set_lookup_key_delete() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    env.write_config(&keyring_config("work", ""));
    let secret = unique_secret();

    let set = ccgw(&env, Some(&ss), &["secret", "set"], &format!("{secret}\n"));
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(set.stdout.is_empty());
    assert!(
        set.stderr
            .contains("stored the gateway key of profile `work`"),
        "{}",
        set.stderr
    );

    // Another Secret Service client sees exactly the secret, one trailing newline stripped.
    let lookup = ss
        .secret_tool(&["lookup", "service", "ccgw", "username", "work"])
        .output()
        .unwrap();
    assert!(lookup.status.success(), "{lookup:?}");
    assert_eq!(String::from_utf8(lookup.stdout).unwrap(), secret);

    let key = ccgw(&env, Some(&ss), &["key", "--no-cache"], "");
    assert_eq!(key.code, 0, "{}", key.stderr);
    assert_eq!(key.stdout, format!("{secret}\n"));
    assert!(key.stderr.is_empty(), "{}", key.stderr);

    // Replacing keeps one item.
    let newer = unique_secret() + "-2";
    let again = ccgw(&env, Some(&ss), &["secret", "set"], &newer);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let key2 = ccgw(&env, Some(&ss), &["key", "--no-cache"], "");
    assert_eq!(key2.stdout, format!("{newer}\n"));

    // The keyring file on disk is encrypted: the secret is not in it in clear.
    let on_disk = files_containing(&ss.data_dir(), &newer);
    assert!(on_disk.is_empty(), "plaintext in {on_disk:?}");

    let del = ccgw(&env, Some(&ss), &["secret", "delete"], "");
    assert_eq!(del.code, 0, "{}", del.stderr);
    assert!(del.stderr.contains("deleted"), "{}", del.stderr);
    let gone = ss
        .secret_tool(&["lookup", "service", "ccgw", "username", "work"])
        .output()
        .unwrap();
    assert!(gone.stdout.is_empty(), "still there after delete");
    let del2 = ccgw(&env, Some(&ss), &["secret", "delete"], "");
    assert_eq!(del2.code, 0, "deleting nothing is fine: {}", del2.stderr);
    assert!(del2.stderr.contains("no gateway key"), "{}", del2.stderr);

    let missing = ccgw(&env, Some(&ss), &["key", "--no-cache"], "");
    assert_eq!(missing.code, 4, "{}", missing.stderr);
    assert!(missing.stdout.is_empty());
    assert!(
        missing
            .stderr
            .contains("no secret in the keyring for service `ccgw` account `work`"),
        "{}",
        missing.stderr
    );
    assert!(
        missing
            .stderr
            .contains("hint: store it with `ccgw secret set`")
    );

    assert_secret_nowhere(&env, &secret, &[&set, &key, &del, &missing]);
    assert_secret_nowhere(&env, &newer, &[&again, &key2]);
}

#[test]
fn secret_service_custom_service_and_account() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    env.write_config(&keyring_config(
        "corp",
        "service = \"corp-gateway\"\naccount = \"ada@corp\"\n",
    ));
    let secret = unique_secret();
    // Stored by another client (as a user's existing keyring entry would be), read by ccgw.
    let store = ss.secret_tool(&[
        "store",
        "--label=corp gateway",
        "service",
        "corp-gateway",
        "username",
        "ada@corp",
    ]);
    let stored = run(store, &[], &secret);
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    let key = ccgw(&env, Some(&ss), &["key", "--no-cache"], "");
    assert_eq!(key.code, 0, "{}", key.stderr);
    assert_eq!(key.stdout, format!("{secret}\n"));
}

#[test]
fn jwt_signing_key_lives_in_the_keyring() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    env.write_config(
        "[profiles.mint]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.mint.key]\nsource = \"jwt\"\nalgorithm = \"HS256\"\naudience = \"litellm\"\n",
    );
    let signing = unique_secret() + "-hmac-signing-key-material";
    let set = ccgw(
        &env,
        Some(&ss),
        &["secret", "set", "--jwt-signing-key"],
        &format!("{signing}\n"),
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(set.stderr.contains("JWT signing key"), "{}", set.stderr);
    let lookup = ss
        .secret_tool(&[
            "lookup",
            "service",
            "ccgw",
            "username",
            "mint:jwt-signing-key",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(lookup.stdout).unwrap(), signing);

    let key = ccgw(&env, Some(&ss), &["key", "--no-cache"], "");
    assert_eq!(key.code, 0, "{}", key.stderr);
    let token = key.stdout.trim();
    let out = Command::new(crate::common::dep("python"))
        .args([
            "-c",
            "import jwt,sys; print(jwt.decode(sys.argv[1], sys.argv[2], algorithms=['HS256'], audience='litellm')['aud'])",
            token,
            &signing,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyJWT: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "litellm");

    // Without it: exit 4 naming the flag that stores it.
    let del = ccgw(
        &env,
        Some(&ss),
        &["secret", "delete", "--jwt-signing-key"],
        "",
    );
    assert_eq!(del.code, 0, "{}", del.stderr);
    let none = ccgw(&env, Some(&ss), &["key", "--no-cache"], "");
    assert_eq!(none.code, 4, "{}", none.stderr);
    assert!(
        none.stderr.contains("ccgw secret set --jwt-signing-key"),
        "{}",
        none.stderr
    );
    assert_secret_nowhere(&env, &signing, &[&set, &key, &none]);
}

#[test]
fn headless_without_a_secret_service_fails_clearly_and_writes_nothing() {
    let env = TestEnv::new();
    env.write_config(&keyring_config("work", ""));
    let secret = unique_secret();
    let before = files_under(&env.home());

    // No D-Bus at all.
    let set = ccgw(&env, None, &["secret", "set"], &secret);
    let key = ccgw(&env, None, &["key", "--no-cache"], "");
    // A D-Bus, but nothing owns org.freedesktop.secrets.
    let bare = SecretService::bare_bus();
    let key_bare = ccgw(&env, Some(&bare), &["key", "--no-cache"], "");
    let set_bare = ccgw(&env, Some(&bare), &["secret", "set"], &secret);

    for o in [&set, &key, &key_bare, &set_bare] {
        assert_eq!(o.code, 4, "{}", o.stderr);
        assert!(o.stdout.is_empty());
        let lines: Vec<&str> = o.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "one error line and one hint: {}", o.stderr);
        assert!(
            lines[0].starts_with(
                "error: the Secret Service keyring is not usable for service `ccgw` account `work`"
            ),
            "{}",
            o.stderr
        );
        assert!(
            lines[1].starts_with("hint: start a Secret Service"),
            "{}",
            o.stderr
        );
        assert!(lines[1].contains("backend = \"keyutils\""), "{}", o.stderr);
    }
    assert!(
        key_bare.stderr.contains("org.freedesktop.secrets"),
        "{}",
        key_bare.stderr
    );
    // Never a plaintext fallback: no file appeared or changed under HOME.
    assert_eq!(files_under(&env.home()), before);
    assert_secret_nowhere(&env, &secret, &[&set, &key, &key_bare, &set_bare]);
}

/// Every file under `dir` with its contents, for before/after comparisons.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Removes a test's kernel key even when the test fails half-way.
struct KernelKey(String);

impl KernelKey {
    fn id(&self) -> Option<String> {
        let out = Command::new(require("keyctl"))
            .args(["search", "@u", "user", &self.0])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap().trim().to_owned())
    }
}

impl Drop for KernelKey {
    fn drop(&mut self) {
        if let Some(id) = self.id() {
            let _ = Command::new("keyctl").args(["invalidate", &id]).status();
        }
    }
}

/// `keyctl session - ccgw …`: a fresh anonymous session keyring, as a new login would have.
fn ccgw_new_session(env: &TestEnv, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(require("keyctl"));
    env.apply(&mut cmd);
    headless(&mut cmd, env);
    cmd.args(["session", "-"]).arg(ccgw_bin());
    let mut out = run(cmd, args, stdin);
    // keyctl announces the keyring it joined on stderr; keep only ccgw's own lines.
    out.stderr = out
        .stderr
        .lines()
        .filter(|l| !l.starts_with("Joined session keyring"))
        .map(|l| format!("{l}\n"))
        .collect();
    out
}

#[test]
fn kernel_keyring_backend_round_trip() {
    let env = TestEnv::new();
    let account = format!("ccgw-it-{}", std::process::id());
    let guard = KernelKey(format!("keyring-rs:{account}@ccgw"));
    env.write_config(&keyring_config(
        "headless",
        &format!("account = \"{account}\"\nbackend = \"keyutils\"\n"),
    ));
    let secret = unique_secret();

    // No D-Bus anywhere: the kernel keyring needs none.
    let set = ccgw_new_session(&env, &["secret", "set"], &format!("{secret}\n"));
    assert_eq!(set.code, 0, "{}", set.stderr);
    let id = guard
        .id()
        .expect("keyctl finds the key in the user keyring");
    let print = Command::new(require("keyctl"))
        .args(["pipe", &id])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(print.stdout).unwrap(), secret);

    // Another session (another login) reads it.
    let key = ccgw_new_session(&env, &["key", "--no-cache"], "");
    assert_eq!(key.code, 0, "{}", key.stderr);
    assert_eq!(key.stdout, format!("{secret}\n"));
    let key_here = ccgw(&env, None, &["key", "--no-cache"], "");
    assert_eq!(
        key_here.stdout,
        format!("{secret}\n"),
        "{}",
        key_here.stderr
    );

    // Replacing (from this session this time) displaces the old key: one key, the new value.
    let newer = unique_secret() + "-2";
    let again = ccgw(&env, None, &["secret", "set"], &newer);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let key2 = ccgw_new_session(&env, &["key", "--no-cache"], "");
    assert_eq!(key2.stdout, format!("{newer}\n"), "{}", key2.stderr);
    let listing = Command::new(require("keyctl"))
        .args(["show", "@u"])
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert_eq!(listing.matches(&guard.0).count(), 1, "{listing}");

    let del = ccgw_new_session(&env, &["secret", "delete"], "");
    assert_eq!(del.code, 0, "{}", del.stderr);
    assert!(del.stderr.contains("deleted"), "{}", del.stderr);
    assert!(guard.id().is_none(), "keyctl still finds it");
    let gone = ccgw(&env, None, &["key", "--no-cache"], "");
    assert_eq!(gone.code, 4, "{}", gone.stderr);
    assert!(gone.stdout.is_empty());
    assert_secret_nowhere(&env, &secret, &[&set, &key, &del, &gone]);
    assert_secret_nowhere(&env, &newer, &[&again, &key2]);
}

#[test]
fn secret_set_refuses_the_wrong_source_and_empty_input() {
    let env = TestEnv::new();
    env.write_config(
        r#"default_profile = "k"

[profiles.k]
gateway = "http://127.0.0.1:4000"
[profiles.k.key]
source = "keyring"

[profiles.e]
gateway = "http://127.0.0.1:4000"
[profiles.e.key]
source = "env"
var = "X"

[profiles.j]
gateway = "http://127.0.0.1:4000"
[profiles.j.key]
source = "jwt"
algorithm = "RS256"
key_file = "/nonexistent.pem"
"#,
    );
    let cases: [(&[&str], &str, &str); 6] = [
        (&["secret", "set"], "", "the gateway key on stdin is empty"),
        (
            &["secret", "set"],
            "\n",
            "the gateway key on stdin is empty",
        ),
        (
            &["secret", "set"],
            "two words\n",
            "one token of printable ASCII",
        ),
        (
            &["--profile", "e", "secret", "set"],
            "sk-x",
            "profile `e` takes its key from `env`, not the keyring",
        ),
        (
            &["--profile", "j", "secret", "set"],
            "sk-x",
            "pass --jwt-signing-key",
        ),
        (
            &["--profile", "j", "secret", "set", "--jwt-signing-key"],
            "k",
            "takes its JWT signing key from `key_file",
        ),
    ];
    for (args, stdin, want) in cases {
        let o = ccgw(&env, None, args, stdin);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(want), "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains("\nhint: "), "{args:?}: {}", o.stderr);
        assert!(o.stdout.is_empty());
    }
}

/// A Vault profile's login credential kept in the keyring (`ccgw secret set` on a vault
/// profile): the userpass password and the plain token, each against a real OpenBao.
#[test]
fn vault_login_credentials_come_from_the_keyring() {
    let bao = crate::common::openbao::OpenBao::start();
    bao.run(&[
        "kv",
        "put",
        "secret/gw",
        "api_key=sk-from-vault-via-keyring",
    ]);
    bao.run(&["auth", "enable", "userpass"]);
    std::fs::write(
        bao.dir.path().join("read-gw.hcl"),
        "path \"secret/data/gw\" { capabilities = [\"read\"] }\npath \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }\n",
    )
    .unwrap();
    let policy = format!("{}", bao.dir.path().join("read-gw.hcl").display());
    bao.run(&["policy", "write", "read-gw", &policy]);
    let password = unique_secret();
    // The test's own verifier setup: the password reaches bao through stdin, not argv.
    let mut add_user = bao.bao(&[
        "write",
        "auth/userpass/users/ada",
        "password=-",
        "policies=read-gw",
    ]);
    add_user.stdin(Stdio::piped()).stdout(Stdio::null());
    let mut child = add_user.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), password.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());

    let ss = SecretService::start();
    let env = TestEnv::new();
    let cfg = |auth: &str| {
        format!(
            "default_profile = \"v\"\n\n[profiles.v]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.v.key]\nsource = \"vault\"\naddr = \"{}\"\npath = \"gw\"\nauth = \"{auth}\"\nusername = \"ada\"\n",
            bao.addr
        )
    };
    env.write_config(&cfg("userpass"));

    // Nothing stored yet: exit 4 naming the fix.
    let missing = ccgw(&env, Some(&ss), &["key"], "");
    assert_eq!(missing.code, 4, "{}", missing.stderr);
    assert!(missing.stdout.is_empty());
    assert!(missing.stderr.contains("secret set"), "{}", missing.stderr);

    let set = ccgw(&env, Some(&ss), &["secret", "set"], &password);
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(set.stderr.contains("userpass password"), "{}", set.stderr);
    let key = ccgw(&env, Some(&ss), &["key"], "");
    assert_eq!(key.code, 0, "{}", key.stderr);
    assert_eq!(key.stdout, "sk-from-vault-via-keyring\n");
    assert_eq!(bao.count_requests("auth/userpass/login/ada", "update"), 1);
    assert!(!key.stderr.contains(&password));

    // Token auth: VAULT_TOKEN unset and no ~/.vault-token, so the keyring's token is used.
    env.write_config(&cfg("token"));
    let set = ccgw(
        &env,
        Some(&ss),
        &["secret", "set"],
        crate::common::openbao::ROOT_TOKEN,
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    let key = ccgw(&env, Some(&ss), &["key", "--no-cache"], "");
    assert_eq!(key.code, 0, "{}", key.stderr);
    assert_eq!(key.stdout, "sk-from-vault-via-keyring\n");
}
