//! `ccgw settings write | remove | show`: ccgw touches only the keys it owns, undoes exactly
//! what it wrote, refuses what it cannot edit safely, and every file it writes validates
//! against the published Claude Code settings schema (checked with Python's `jsonschema`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::common::run::{Ccgw, Output};
use crate::common::{self, SIMPLE_CONFIG, TestEnv};

const FIXTURE: &str = "tests/fixtures/settings/realistic.json";
const SCHEMA: &str = "tests/fixtures/claude-code-settings.schema.json";
const SECRET: &str = "sk-live-DO-NOT-LEAK-4b2f9c0e7d1a";

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn fixture() -> String {
    common::read(manifest(FIXTURE))
}

fn sha(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn doc(path: &Path) -> Map<String, Value> {
    match serde_json::from_str(&common::read(path)).unwrap() {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn env_of(path: &Path) -> Map<String, Value> {
    doc(path)["env"].as_object().unwrap().clone()
}

/// The settings file validates against SchemaStore's draft-07 schema (a real, independent
/// validator, not ours).
fn assert_valid(path: &Path) {
    let out = std::process::Command::new(common::dep("python"))
        .args([
            "-c",
            "import jsonschema,json,sys; jsonschema.Draft7Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))",
        ])
        .arg(manifest(SCHEMA))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} does not validate: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn helper_of_this_binary() -> String {
    format!(
        "{} key --profile work",
        common::ccgw_bin().canonicalize().unwrap().display()
    )
}

/// `ccgw ARGS` in `env`, which must exit with `code`.
fn ccgw(env: &TestEnv, args: &[&str], code: i32) -> Output {
    Ccgw::new(env).args(args).code(code).run()
}

/// A TestEnv with the simple unified profile and `~/.claude/settings.json` holding `text`.
fn setup(text: Option<&str>) -> TestEnv {
    TestEnv::with_user_settings(text.map(str::as_bytes))
}

fn undo_dir(env: &TestEnv) -> PathBuf {
    env.ccgw_state().join("undo")
}

fn undo_records(env: &TestEnv) -> Vec<PathBuf> {
    env.undo_records()
}

#[test]
fn realistic_file_survives_write_then_remove_byte_for_byte() {
    let original = fixture();
    let env = setup(Some(&original));
    let path = env.user_settings();
    ccgw(&env, &["settings", "write"], 0);

    let after = doc(&path);
    assert_eq!(after["apiKeyHelper"], helper_of_this_binary().as_str());
    let e = env_of(&path);
    assert_eq!(e["ANTHROPIC_BASE_URL"], "http://127.0.0.1:4000");
    assert_eq!(e["CLAUDE_CODE_API_KEY_HELPER_TTL_MS"], "600000");
    // Everything ccgw does not own is the same document, in the same order.
    let before: Map<String, Value> = serde_json::from_str(&original).unwrap();
    let keys = |m: &Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&before), keys(&after));
    for (k, v) in &before {
        if k != "env" && k != "apiKeyHelper" {
            assert_eq!(&after[k], v, "{k} changed");
        }
    }
    assert_eq!(e["MY_GREETING"], "Grüße aus Köln — 東京 🚀");
    assert_eq!(
        keys(&e),
        [
            "BASH_DEFAULT_TIMEOUT_MS",
            "ANTHROPIC_BASE_URL",
            "DISABLE_TELEMETRY",
            "MY_GREETING",
            "CLAUDE_CODE_API_KEY_HELPER_TTL_MS"
        ]
    );
    assert_valid(&path);

    // The record: private, fingerprints only (the replaced non-secret values are kept).
    let records = undo_records(&env);
    assert_eq!(records.len(), 1);
    assert_eq!(mode(&records[0]), 0o600);
    assert_eq!(mode(&undo_dir(&env)), 0o700);
    assert_eq!(mode(undo_dir(&env).parent().unwrap()), 0o700);

    ccgw(&env, &["settings", "remove"], 0);
    assert_eq!(common::read(&path), original);
    assert!(undo_records(&env).is_empty());
}

/// A file a person formatted their own way (tabs, CRLF, no final newline, an inline object,
/// a blank line, a number serde_json would print as `30.0`) keeps that form: every line ccgw
/// does not own is still there byte for byte, and remove restores the file.
#[test]
fn a_hand_formatted_file_keeps_its_indentation_and_line_endings() {
    let original = "{\r\n\t\"model\": \"opus\",\r\n\t\"env\": {\r\n\t\t\"DISABLE_TELEMETRY\": \"1\"\r\n\t},\r\n\t\"permissions\": {\"allow\": [\"Bash(ls:*)\", \"Read\"]},\r\n\r\n\t\"cleanupPeriodDays\": 3e1\r\n}";
    let env = setup(Some(original));
    let path = env.user_settings();
    ccgw(&env, &["settings", "write"], 0);
    let written = common::read(&path);
    assert!(!written.ends_with('\n'), "{written:?}");
    assert!(!written.replace("\r\n", "").contains('\n'), "{written:?}");
    for line in original
        .split("\r\n")
        .filter(|l| !l.trim_start().starts_with('}'))
    {
        assert!(
            written
                .split("\r\n")
                .any(|w| w == line || w == format!("{line},")),
            "line {line:?} lost its form in {written:?}"
        );
    }
    assert!(
        written.contains("\r\n\t\t\"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:4000\","),
        "{written:?}"
    );
    assert_valid(&path);
    ccgw(&env, &["settings", "remove"], 0);
    assert_eq!(common::read(&path), original);
}

#[test]
fn writing_twice_equals_writing_once() {
    let original = fixture();
    let env = setup(Some(&original));
    let path = env.user_settings();
    ccgw(&env, &["settings", "write"], 0);
    let (once, record_once) = (sha(&path), common::read(&undo_records(&env)[0]));
    let second = ccgw(&env, &["settings", "write"], 0);
    assert!(
        second.stderr.contains("already up to date"),
        "{}",
        second.stderr
    );
    assert_eq!(sha(&path), once);
    assert_eq!(common::read(&undo_records(&env)[0]), record_once);
    // The record still holds the original state: one remove restores it.
    ccgw(&env, &["settings", "remove"], 0);
    assert_eq!(common::read(&path), original);
    // A second remove has nothing to do.
    let again = ccgw(&env, &["settings", "remove"], 0);
    assert!(again.stderr.contains("no record"), "{}", again.stderr);
    assert_eq!(common::read(&path), original);
}

#[test]
fn mode_switch_leaves_no_stale_variable() {
    let original = "{\n  \"theme\": \"dark\"\n}\n";
    let env = setup(Some(original));
    let path = env.user_settings();
    ccgw(&env, &["settings", "write"], 0);
    assert!(env_of(&path).contains_key("ANTHROPIC_BASE_URL"));

    env.write_config(&SIMPLE_CONFIG.replace(
        "mode = \"unified\"",
        "mode = \"bedrock\"\nbedrock = { region = \"eu-west-1\" }",
    ));
    ccgw(&env, &["settings", "write"], 0);
    let e = env_of(&path);
    assert!(!e.contains_key("ANTHROPIC_BASE_URL"), "{e:?}");
    assert_eq!(e["CLAUDE_CODE_USE_BEDROCK"], "1");
    assert_eq!(
        e["ANTHROPIC_BEDROCK_BASE_URL"],
        "http://127.0.0.1:4000/bedrock"
    );
    assert_eq!(e["AWS_REGION"], "eu-west-1");
    assert_valid(&path);

    ccgw(&env, &["settings", "remove"], 0);
    assert_eq!(common::read(&path), original);
}

#[test]
fn a_key_the_user_changed_is_kept_on_remove() {
    let original = fixture();
    let env = setup(Some(&original));
    let path = env.user_settings();
    ccgw(&env, &["settings", "write"], 0);
    let edited = common::read(&path).replace("http://127.0.0.1:4000", "http://mine.example:8080");
    std::fs::write(&path, edited).unwrap();

    let run = ccgw(&env, &["settings", "remove"], 0);
    assert!(
        run.stderr
            .contains("`env.ANTHROPIC_BASE_URL` was changed since ccgw wrote it"),
        "{}",
        run.stderr
    );
    let after = doc(&path);
    assert_eq!(
        env_of(&path)["ANTHROPIC_BASE_URL"],
        "http://mine.example:8080"
    );
    // The rest is undone: the old helper is back, ccgw's TTL is gone.
    assert_eq!(after["apiKeyHelper"], "/usr/local/bin/old-key-helper.sh");
    assert!(!env_of(&path).contains_key("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"));
}

#[test]
fn refusals_leave_the_file_untouched_with_one_line() {
    let cases = [
        (
            "{\n  \"model\": \"opus\",\n  \"env\": {\n",
            "invalid JSON at line 4",
        ),
        ("[\"not\", \"an\", \"object\"]\n", "not a JSON object"),
        ("{\"env\": [\"A=1\"]}\n", "`env` is an array, not an object"),
        (
            "{\"apiKeyHelper\": [\"/bin/x\"]}\n",
            "`apiKeyHelper` is an array, not a string",
        ),
    ];
    for (text, reason) in cases {
        let env = setup(Some(text));
        let path = env.user_settings();
        let before = sha(&path);
        for verb in ["write", "remove"] {
            // `remove` needs a record to get as far as reading the file.
            if verb == "remove" {
                std::fs::write(&path, "{}").unwrap();
                ccgw(&env, &["settings", "write"], 0);
                std::fs::write(&path, text).unwrap();
            }
            let run = ccgw(&env, &["settings", verb], 2);
            let lines: Vec<&str> = run.stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{verb}: {}", run.stderr);
            assert!(
                lines[0].contains(&path.display().to_string()),
                "{}",
                lines[0]
            );
            assert!(lines[0].contains(reason), "{verb}: {}", lines[0]);
            assert_eq!(sha(&path), before, "{verb} changed the file");
            assert!(run.stdout.is_empty());
        }
    }
}

#[test]
fn refused_write_stores_no_record() {
    let env = setup(Some("{\"env\": 5}"));
    ccgw(&env, &["settings", "write"], 2);
    assert!(undo_records(&env).is_empty());
}

#[test]
fn a_symlinked_file_stays_a_symlink() {
    let original = fixture();
    let env = setup(None);
    let dotfiles = env.home().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::write(dotfiles.join("claude-settings.json"), &original).unwrap();
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    std::os::unix::fs::symlink("../dotfiles/claude-settings.json", env.user_settings()).unwrap();

    ccgw(&env, &["settings", "write"], 0);
    let link = env.user_settings();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(common::read(dotfiles.join("claude-settings.json")).contains("key --profile work"));
    ccgw(&env, &["settings", "remove"], 0);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        common::read(dotfiles.join("claude-settings.json")),
        original
    );
}

#[test]
fn existing_mode_is_kept_and_new_files_are_private() {
    let env = setup(Some("{}\n"));
    let path = env.user_settings();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    ccgw(&env, &["settings", "write"], 0);
    assert_eq!(mode(&path), 0o644);

    ccgw(&env, &["settings", "write", "--scope", "local"], 0);
    let local = env.cwd().join(".claude/settings.local.json");
    assert_eq!(mode(&local), 0o600);
    assert_eq!(
        doc(&local)["apiKeyHelper"],
        helper_of_this_binary().as_str()
    );
    assert_valid(&local);
    // ccgw created the file, so remove takes it away again.
    ccgw(&env, &["settings", "remove", "--scope", "local"], 0);
    assert!(!local.exists());
}

#[test]
fn project_scope_uses_ccgw_from_path_and_warns() {
    let env = setup(None);
    let run = ccgw(&env, &["settings", "write", "--scope", "project"], 0);
    let project = env.cwd().join(".claude/settings.json");
    assert_eq!(doc(&project)["apiKeyHelper"], "ccgw key --profile work");
    assert!(run.stderr.contains("shared in git"), "{}", run.stderr);
    assert!(run.stderr.contains("workspace trust"), "{}", run.stderr);
    assert_valid(&project);
}

#[test]
fn a_competing_token_is_cleared_reported_and_never_copied() {
    let original = format!(
        "{{\n  \"env\": {{\n    \"ANTHROPIC_AUTH_TOKEN\": \"{SECRET}\",\n    \"ANTHROPIC_API_KEY\": \"{SECRET}-2\",\n    \"KEEP\": \"me\"\n  }}\n}}\n"
    );
    let env = setup(Some(&original));
    let path = env.user_settings();

    let show = ccgw(&env, &["settings", "show"], 0);
    assert!(
        show.stdout.contains("env.ANTHROPIC_AUTH_TOKEN = sk-l…7d1a"),
        "{}",
        show.stdout
    );

    let write = ccgw(&env, &["settings", "write"], 0);
    for name in ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"] {
        assert!(
            write.stderr.contains(&format!("cleared `env.{name}`")),
            "{}",
            write.stderr
        );
        assert!(!env_of(&path).contains_key(name));
    }
    assert_eq!(env_of(&path)["KEEP"], "me");
    assert_valid(&path);

    let remove = ccgw(&env, &["settings", "remove"], 0);
    assert!(
        remove.stderr.contains("is not restored"),
        "{}",
        remove.stderr
    );
    assert!(!common::read(&path).contains(SECRET));
    assert_eq!(env_of(&path)["KEEP"], "me");

    for run in [&show, &write, &remove] {
        assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
    }
    // The record (written, then deleted by remove): write again and look at it.
    std::fs::write(&path, &original).unwrap();
    ccgw(&env, &["settings", "write"], 0);
    let record = common::read(&undo_records(&env)[0]);
    assert!(
        !record.contains(SECRET) && !record.contains("sk-l"),
        "{record}"
    );
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let original = fixture();
    let env = setup(Some(&original));
    let path = env.user_settings();
    let before = sha(&path);
    let run = ccgw(&env, &["settings", "write", "--dry-run"], 0);
    assert!(
        run.stdout.starts_with(&format!("--- {}", path.display())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("-    \"ANTHROPIC_BASE_URL\": \"https://old-proxy.example.com\",")
    );
    assert!(
        run.stdout
            .contains("+    \"ANTHROPIC_BASE_URL\": \"http://127.0.0.1:4000\",")
    );
    assert!(run.stdout.contains(&format!(
        "+  \"apiKeyHelper\": \"{}\",",
        helper_of_this_binary()
    )));
    assert_eq!(sha(&path), before);
    assert!(!undo_dir(&env).exists());

    ccgw(&env, &["settings", "write"], 0);
    let written = sha(&path);
    let run = ccgw(&env, &["settings", "remove", "--dry-run"], 0);
    assert!(
        run.stdout
            .contains("+  \"apiKeyHelper\": \"/usr/local/bin/old-key-helper.sh\",")
    );
    assert_eq!(sha(&path), written);
    assert_eq!(undo_records(&env).len(), 1);
}

/// The diff is the product of `--dry-run`: for a realistic file it shows exactly the lines
/// ccgw changes, and nothing else.
#[test]
fn dry_run_diffs_snapshot() {
    let env = setup(Some(&fixture()));
    let path = env.user_settings().display().to_string();
    let bin = common::ccgw_bin().canonicalize().unwrap();
    let clean = |out: String| {
        out.replace(&path, "[SETTINGS]")
            .replace(&bin.display().to_string(), "[CCGW]")
    };
    let write = ccgw(&env, &["settings", "write", "--dry-run"], 0);
    insta::assert_snapshot!("settings_write_dry_run", clean(write.stdout));
    ccgw(&env, &["settings", "write"], 0);
    let remove = ccgw(&env, &["settings", "remove", "--dry-run"], 0);
    insta::assert_snapshot!("settings_remove_dry_run", clean(remove.stdout));
}

/// Local settings left by a Bedrock profile would route Claude Code to Bedrock whatever the
/// user file says: `write` names it on stderr and leaves that other file alone.
#[test]
fn a_route_switch_in_another_layer_is_named() {
    let env = setup(None);
    let local = env.cwd().join(".claude/settings.local.json");
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    let other = r#"{"env": {"CLAUDE_CODE_USE_BEDROCK": "1"}}"#;
    std::fs::write(&local, other).unwrap();
    let run = ccgw(&env, &["settings", "write"], 0);
    assert!(
        run.stderr.contains(&format!(
            "warning: `CLAUDE_CODE_USE_BEDROCK` is set in `{}` (local settings) but is not part of profile `work`: it sends Claude Code down another provider's route",
            local.display()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(common::read(&local), other);
}

#[test]
fn managed_scope_writes_its_own_drop_in() {
    let env = setup(None);
    let admin = env.managed_dir().join("managed-settings.json");
    std::fs::write(
        &admin,
        "{\n  \"permissions\": {\n    \"deny\": [\"WebFetch\"]\n  }\n}\n",
    )
    .unwrap();
    let admin_sha = sha(&admin);

    ccgw(&env, &["settings", "write", "--scope", "managed"], 0);
    let dropin = env.managed_dir().join("managed-settings.d/50-ccgw.json");
    let d = doc(&dropin);
    assert_eq!(d.keys().collect::<Vec<_>>(), ["apiKeyHelper", "env"]);
    assert_eq!(d["apiKeyHelper"], helper_of_this_binary().as_str());
    // Every user's Claude Code must be able to read it.
    assert_eq!(mode(&dropin), 0o644);
    assert_eq!(mode(dropin.parent().unwrap()), 0o755);
    assert_valid(&dropin);
    assert_eq!(sha(&admin), admin_sha);
    assert!(undo_records(&env).is_empty());

    ccgw(&env, &["settings", "remove", "--scope", "managed"], 0);
    assert!(!dropin.exists());
    assert_eq!(sha(&admin), admin_sha);
}

#[test]
fn claude_config_dir_is_honoured() {
    let env = setup(None);
    let dir = env.root.path().join("claude-elsewhere");
    env.ccgw()
        .env("CLAUDE_CONFIG_DIR", &dir)
        .args(["settings", "write"])
        .assert()
        .success();
    assert!(doc(&dir.join("settings.json")).contains_key("apiKeyHelper"));
    assert!(!env.user_settings().exists());
    assert_valid(&dir.join("settings.json"));
}

#[test]
fn file_flag_writes_that_file() {
    let env = setup(None);
    let file = env.root.path().join("custom/team.json");
    let path = file.display().to_string();
    ccgw(&env, &["settings", "write", "--file", &path], 0);
    assert_eq!(doc(&file)["apiKeyHelper"], helper_of_this_binary().as_str());
    assert_valid(&file);
    ccgw(&env, &["settings", "remove", "--file", &path], 0);
    assert!(!file.exists());
}

#[test]
fn show_effective_names_the_origin_and_marks_differences() {
    let env = setup(None);
    ccgw(&env, &["settings", "write"], 0);
    let local = env.cwd().join(".claude/settings.local.json");
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(
        &local,
        r#"{"env": {"ANTHROPIC_BASE_URL": "http://local-override"}}"#,
    )
    .unwrap();
    std::fs::write(
        env.managed_dir().join("managed-settings.json"),
        r#"{"env": {"AWS_REGION": "eu-central-1"}}"#,
    )
    .unwrap();

    let stdout = Ccgw::new(&env)
        .env("ANTHROPIC_MODEL", "shell-model")
        .args(["settings", "show", "--effective"])
        .success()
        .run()
        .stdout;
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l[2..].starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in:\n{stdout}"))
            .to_owned()
    };
    let user = env.user_settings().display().to_string();
    assert_eq!(
        line("ANTHROPIC_BASE_URL"),
        format!(
            "! ANTHROPIC_BASE_URL = http://local-override  [local {}]  (profile: http://127.0.0.1:4000)",
            local.display()
        )
    );
    assert_eq!(
        line("CLAUDE_CODE_API_KEY_HELPER_TTL_MS"),
        format!("  CLAUDE_CODE_API_KEY_HELPER_TTL_MS = 600000  [user {user}]")
    );
    assert_eq!(
        line("apiKeyHelper"),
        format!(
            "  apiKeyHelper = {}  [user {user}]",
            helper_of_this_binary()
        )
    );
    // The profile sets no model: a shell's model is a difference from its plan.
    assert_eq!(
        line("ANTHROPIC_MODEL"),
        "! ANTHROPIC_MODEL = shell-model  [shell]  (profile: unset)"
    );
    assert!(line("AWS_REGION").contains("[managed "), "{stdout}");
}

#[test]
fn show_lists_each_layer() {
    let env = setup(Some(&fixture()));
    let run = ccgw(&env, &["settings", "show"], 0);
    let user = env.user_settings().display().to_string();
    assert!(run.stdout.contains(&format!("user {user}\n  apiKeyHelper = /usr/local/bin/old-key-helper.sh\n  env.ANTHROPIC_BASE_URL = https://old-proxy.example.com\n")), "{}", run.stdout);
    assert!(!run.stdout.contains("MY_GREETING"));
    assert!(run.stdout.contains(" (missing)"));
}

#[test]
fn managed_scope_without_permission_exits_1_with_a_sudo_hint() {
    use std::os::unix::fs::MetadataExt;
    let env = setup(None);
    // A directory the unprivileged ccgw can read but not write. As root (CI containers) the
    // only honest way to be denied is to drop to `nobody` with setpriv; otherwise a 0555
    // directory of our own denies us already.
    let open = tempfile::Builder::new()
        .prefix("ccgw-managed-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = open.path().join("config.toml");
    std::fs::write(&config, SIMPLE_CONFIG).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let managed = open.path().join("managed");
    std::fs::create_dir(&managed).unwrap();
    let root = std::fs::metadata(&config).unwrap().uid() == 0;
    let mut cmd = if root {
        let mut c = std::process::Command::new(common::require("setpriv"));
        c.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(common::ccgw_bin());
        c
    } else {
        std::fs::set_permissions(&managed, std::fs::Permissions::from_mode(0o555)).unwrap();
        std::process::Command::new(common::ccgw_bin())
    };
    env.apply(&mut cmd);
    cmd.current_dir(open.path())
        .env("HOME", open.path())
        .env("CCGW_MANAGED_DIR", &managed)
        .arg("--config")
        .arg(&config)
        .args(["settings", "write", "--scope", "managed"]);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("permission denied"), "{stderr}");
    assert!(
        stderr.contains("hint: managed settings belong to root: run `sudo ccgw"),
        "{stderr}"
    );
    assert!(!managed.join("managed-settings.d").exists());
}
