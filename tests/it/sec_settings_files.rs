//! Issue 9, items 19 and 20: `ccgw settings write | remove` against settings files that are not
//! what they seem (FIFOs, sockets, non-UTF-8, read-only, symlinks out of the repository,
//! duplicate keys), two writers at once, a write that fails midway, and layouts whose undo
//! must give back the exact bytes. Every case runs the real binary on real files.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{self, SIMPLE_CONFIG, TestEnv};

fn setup(text: Option<&[u8]>) -> TestEnv {
    TestEnv::with_user_settings(text)
}

fn state(env: &TestEnv) -> PathBuf {
    env.ccgw_state()
}

fn records(env: &TestEnv) -> Vec<PathBuf> {
    env.undo_records()
}

/// Run ccgw with `args` in `env`, killed if it has not ended after `limit` (a hang is a
/// failure, never a stuck test).
fn run_bounded(env: &TestEnv, args: &[&str], limit: Duration) -> Output {
    let mut cmd = Command::new(common::ccgw_bin());
    env.apply(&mut cmd);
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "ccgw {args:?} still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn run(env: &TestEnv, args: &[&str]) -> Output {
    run_bounded(env, args, Duration::from_secs(30))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn expect(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    err
}

#[test]
fn a_fifo_a_socket_or_a_directory_is_refused_without_hanging() {
    let env = setup(None);
    let fifo = env.root.path().join("settings.fifo");
    let made = Command::new(common::require("mkfifo"))
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let socket = env.root.path().join("settings.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let dir = env.root.path().join("settings.d");
    std::fs::create_dir(&dir).unwrap();
    // The user's settings file a symlink to the FIFO: the link is followed, and refused too.
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    std::os::unix::fs::symlink(&fifo, env.user_settings()).unwrap();

    let cases: [(Vec<String>, &Path, &str); 4] = [
        (
            vec!["--file".into(), fifo.display().to_string()],
            &fifo,
            "is a FIFO",
        ),
        (vec![], &fifo, "is a FIFO"),
        (
            vec!["--file".into(), socket.display().to_string()],
            &socket,
            "is a socket",
        ),
        (
            vec!["--file".into(), dir.display().to_string()],
            &dir,
            "is a directory",
        ),
    ];
    for (target, node, why) in &cases {
        for verb in ["write", "remove"] {
            let mut args = vec!["settings", verb];
            args.extend(target.iter().map(String::as_str));
            // A read of a FIFO without a writer would block forever: the bound is the test.
            let out = run_bounded(&env, &args, Duration::from_secs(10));
            let err = expect(&out, 2);
            assert!(
                err.contains(why) && err.contains("changed nothing"),
                "{err}"
            );
        }
        let kind = std::fs::symlink_metadata(node).unwrap().file_type();
        assert!(
            kind.is_fifo() || kind.is_socket() || kind.is_dir(),
            "{kind:?}"
        );
    }
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
    assert!(records(&env).is_empty());
}

#[test]
fn a_non_utf8_file_is_refused_with_exit_2() {
    let original: &[u8] = b"{\n  \"theme\": \"caf\xe9\"\n}\n";
    let env = setup(Some(original));
    for verb in ["write", "remove"] {
        let err = expect(&run(&env, &["settings", verb]), 2);
        assert!(err.contains("is not UTF-8 text (byte 17)"), "{err}");
        assert_eq!(std::fs::read(env.user_settings()).unwrap(), original);
    }
    assert!(records(&env).is_empty());
}

#[test]
fn a_read_only_file_is_changed_only_with_force() {
    let original = "{\n  \"theme\": \"dark\"\n}\n";
    let env = setup(Some(original.as_bytes()));
    let path = env.user_settings();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let err = expect(&run(&env, &["settings", "write"]), 2);
    assert!(err.contains("is read-only; ccgw changed nothing"), "{err}");
    assert!(err.contains("hint: pass --force"), "{err}");
    assert_eq!(common::read(&path), original);
    assert!(records(&env).is_empty());

    expect(&run(&env, &["settings", "write", "--force"]), 0);
    assert!(common::read(&path).contains("apiKeyHelper"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444, "--force keeps the file read-only");

    let err = expect(&run(&env, &["settings", "remove"]), 2);
    assert!(err.contains("is read-only"), "{err}");
    expect(&run(&env, &["settings", "remove", "--force"]), 0);
    assert_eq!(common::read(&path), original);
}

#[test]
fn a_duplicate_key_is_refused_naming_it() {
    let original = "{\n  \"env\": {\n    \"FOO\": \"1\",\n    \"FOO\": \"2\"\n  }\n}\n";
    let env = setup(Some(original.as_bytes()));
    let err = expect(&run(&env, &["settings", "write"]), 2);
    assert!(err.contains("duplicate key `env.FOO` (line 4)"), "{err}");
    assert_eq!(common::read(env.user_settings()), original);
    assert!(records(&env).is_empty());
}

/// The layouts whose undo used to differ from the original, through the real binary.
#[test]
fn remove_gives_back_the_exact_bytes_of_odd_layouts() {
    for original in [
        "",
        "  \n",
        "{ }",
        "{\n}\n",
        "{\n  \"a\": 1,\n  \"env\": { }\n}\n",
        "{\n  \"env\": {\"X\": \"1\"},\n  \"a\": 1\n}\n",
        "{\n  \"a\": 1,\n  \"b\": 2}\n",
    ] {
        let env = setup(Some(original.as_bytes()));
        expect(&run(&env, &["settings", "write"]), 0);
        assert!(common::read(env.user_settings()).contains("apiKeyHelper"));
        expect(&run(&env, &["settings", "remove"]), 0);
        assert_eq!(common::read(env.user_settings()), original);
    }
}

/// The settings file's value at an undo entry's key (`apiKeyHelper` or `env.NAME`).
fn value_at(doc: &Value, key: &str) -> Option<Value> {
    match key.strip_prefix("env.") {
        Some(name) => doc.get("env")?.get(name).cloned(),
        None => doc.get(key).cloned(),
    }
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Two real `ccgw settings write` processes (two profiles) on one file at once, a bounded
/// number of times: the lock serialises them, so the undo record always describes the file,
/// and `remove` afterwards restores the original bytes.
#[test]
fn concurrent_writes_keep_the_record_matching_the_file() {
    let original = "{\n  \"theme\": \"dark\",\n  \"env\": {\n    \"KEEP\": \"1\"\n  }\n}\n";
    let env = setup(None);
    env.write_config(&format!(
        "{SIMPLE_CONFIG}\n[profiles.other]\ngateway = \"http://127.0.0.1:4999\"\nmode = \"unified\"\nmodel = \"other-model\"\n\n[profiles.other.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n"
    ));
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    let path = env.user_settings();
    for round in 0..12 {
        std::fs::write(&path, original).unwrap();
        let _ = std::fs::remove_dir_all(state(&env).join("undo"));
        let children: Vec<_> = ["work", "other", "work", "other"]
            .iter()
            .map(|profile| {
                let mut cmd = Command::new(common::ccgw_bin());
                env.apply(&mut cmd);
                cmd.args(["--profile", profile, "settings", "write"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", stderr(&out));
        }
        let files = records(&env);
        assert_eq!(files.len(), 1, "round {round}: {files:?}");
        let record: Value = serde_json::from_str(&common::read(&files[0])).unwrap();
        let doc: Value = serde_json::from_str(&common::read(&path)).unwrap();
        for entry in record["entries"].as_array().unwrap() {
            let key = entry["key"].as_str().unwrap();
            let value = value_at(&doc, key)
                .unwrap_or_else(|| panic!("round {round}: `{key}` recorded but not in the file"));
            assert_eq!(
                sha_hex(value.to_string().as_bytes()),
                entry["written"].as_str().unwrap(),
                "round {round}: the record of `{key}` does not match the file"
            );
        }
        let remove = run(&env, &["settings", "remove"]);
        assert!(remove.status.success(), "{}", stderr(&remove));
        assert!(
            !stderr(&remove).contains("was changed since"),
            "round {round}: {}",
            stderr(&remove)
        );
        assert_eq!(common::read(&path), original, "round {round}");
    }
}

/// A settings write that fails midway (the file system refuses the settings file's bytes,
/// here through a real file-size limit) leaves no undo record behind, and the file as it was.
#[test]
fn no_record_is_written_when_the_file_write_fails() {
    // Large enough that the settings file passes a 2 KiB size limit that the record does not.
    let original = format!("{{\n  \"notes\": \"{}\"\n}}\n", "x".repeat(8 * 1024));
    let env = setup(Some(original.as_bytes()));
    let mut cmd = Command::new(common::require("sh"));
    env.apply(&mut cmd);
    // SIGXFSZ ignored: the write fails with EFBIG instead of killing ccgw. `ulimit -f` counts
    // 512-byte blocks.
    let out = cmd
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" settings write")
        .arg(common::ccgw_bin())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(common::read(env.user_settings()), original);
    assert!(
        records(&env).is_empty(),
        "a record for a write that failed: {err}"
    );
    // Nothing to undo, and a normal write afterwards still round-trips.
    expect(&run(&env, &["settings", "write"]), 0);
    expect(&run(&env, &["settings", "remove"]), 0);
    assert_eq!(common::read(env.user_settings()), original);
}

#[test]
fn project_settings_leading_out_of_the_repository_are_refused() {
    let env = setup(None);
    let repo = env.cwd();
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join(".claude")).unwrap();
    // A cloned repository plants a link to a file of the user's outside it.
    let victim = env.home().join("notes.json");
    let victim_text = "{\n  \"mine\": true\n}\n";
    std::fs::write(&victim, victim_text).unwrap();
    std::os::unix::fs::symlink(&victim, repo.join(".claude/settings.local.json")).unwrap();
    for verb in ["write", "remove"] {
        let err = expect(&run(&env, &["settings", verb, "--scope", "local"]), 2);
        assert!(
            err.contains(&format!(
                "leads to `{}`, outside the repository",
                victim.display()
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!("pass `--file {}`", victim.display())),
            "{err}"
        );
    }
    assert_eq!(common::read(&victim), victim_text);
    assert!(records(&env).is_empty());

    // The `.claude` directory itself a link out of the repository: refused as well.
    let elsewhere = env.home().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let sub = repo.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::os::unix::fs::symlink(&elsewhere, sub.join(".claude")).unwrap();
    let mut cmd = Command::new(common::ccgw_bin());
    env.apply(&mut cmd);
    let out = cmd
        .current_dir(&sub)
        .args(["settings", "write", "--scope", "project"])
        .output()
        .unwrap();
    let err = expect(&out, 2);
    assert!(err.contains("outside the repository"), "{err}");
    assert!(!elsewhere.join("settings.json").exists());

    // A link that stays inside the repository is fine.
    let shared = repo.join("shared/claude.json");
    std::fs::create_dir_all(shared.parent().unwrap()).unwrap();
    std::fs::write(&shared, "{}\n").unwrap();
    std::os::unix::fs::symlink("../shared/claude.json", repo.join(".claude/settings.json"))
        .unwrap();
    expect(&run(&env, &["settings", "write", "--scope", "project"]), 0);
    assert!(common::read(&shared).contains("ccgw key --profile work"));
    expect(&run(&env, &["settings", "remove", "--scope", "project"]), 0);
    assert_eq!(common::read(&shared), "{}\n");
}

/// A writer that holds the file's lock (here the test itself, with the same flock a `ccgw
/// init` at its prompt would hold) makes another write give up after its bounded wait,
/// changing nothing.
#[test]
fn a_held_lock_makes_a_write_give_up_in_bounded_time() {
    let original = "{}\n";
    let env = setup(Some(original.as_bytes()));
    let canonical = env.user_settings().canonicalize().unwrap();
    let locks = state(&env).join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let lock = std::fs::File::create(locks.join(format!(
        "{}.lock",
        sha_hex(canonical.as_os_str().as_encoded_bytes())
    )))
    .unwrap();
    lock.lock().unwrap();
    let started = Instant::now();
    let err = expect(&run(&env, &["settings", "write"]), 1);
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
    assert!(err.contains("another ccgw has been changing"), "{err}");
    assert_eq!(common::read(env.user_settings()), original);
    assert!(records(&env).is_empty());
    drop(lock);
    expect(&run(&env, &["settings", "write"]), 0);
}

/// The other half of "record after the file": when the record cannot be stored (here a real
/// file-size limit lets the small settings file through but not the larger record), the
/// settings file is put back as it was, so no write is left without its undo. (The old
/// record-first order kept this too; the test keeps the new order honest.)
#[test]
fn a_record_that_cannot_be_stored_puts_the_file_back() {
    let original = "{\n  \"theme\": \"dark\"\n}\n";
    let env = setup(Some(original.as_bytes()));
    let mut cmd = Command::new(common::require("sh"));
    env.apply(&mut cmd);
    let out = cmd
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" settings write")
        .arg(common::ccgw_bin())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("was left as it was"), "{err}");
    assert_eq!(common::read(env.user_settings()), original);
    assert!(records(&env).is_empty());
}

/// Reading the layers (`settings show`, and doctor through the same reader) never blocks on a
/// planted FIFO either: the layer is reported as unusable.
#[test]
fn settings_show_names_a_fifo_layer_without_hanging() {
    let env = setup(None);
    let local = env.cwd().join(".claude/settings.local.json");
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    let made = Command::new(common::require("mkfifo"))
        .arg(&local)
        .status()
        .unwrap();
    assert!(made.success());
    let out = run_bounded(&env, &["settings", "show"], Duration::from_secs(10));
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "local {} (invalid: is a FIFO, not a settings file)",
            local.display()
        )),
        "{stdout}"
    );
    assert!(
        std::fs::symlink_metadata(&local)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

/// A managed drop-in the user may not write keeps its own rule: exit 1 with the sudo hint, not
/// the read-only refusal (whose --force could not help). Run as `nobody` through setpriv when
/// the tests run as root, since root may write anything.
#[test]
fn an_unwritable_managed_drop_in_gets_the_sudo_hint_not_force() {
    use std::os::unix::fs::MetadataExt;
    let env = setup(None);
    let open = tempfile::Builder::new()
        .prefix("ccgw-managed-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = open.path().join("config.toml");
    std::fs::write(&config, SIMPLE_CONFIG).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let dropins = open.path().join("managed/managed-settings.d");
    std::fs::create_dir_all(&dropins).unwrap();
    let dropin = dropins.join("50-ccgw.json");
    std::fs::write(&dropin, "{}\n").unwrap();
    std::fs::set_permissions(&dropin, std::fs::Permissions::from_mode(0o644)).unwrap();
    let root = std::fs::metadata(&config).unwrap().uid() == 0;
    let mut cmd = if root {
        let mut c = Command::new(common::require("setpriv"));
        c.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(common::ccgw_bin());
        c
    } else {
        std::fs::set_permissions(&dropin, std::fs::Permissions::from_mode(0o444)).unwrap();
        std::fs::set_permissions(&dropins, std::fs::Permissions::from_mode(0o555)).unwrap();
        Command::new(common::ccgw_bin())
    };
    env.apply(&mut cmd);
    let out = cmd
        .current_dir(open.path())
        .env("HOME", open.path())
        .env("CCGW_MANAGED_DIR", open.path().join("managed"))
        .arg("--config")
        .arg(&config)
        .args(["settings", "write", "--scope", "managed"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("hint: managed settings belong to root"),
        "{err}"
    );
    assert!(!err.contains("--force"), "{err}");
    assert_eq!(common::read(&dropin), "{}\n");
}
