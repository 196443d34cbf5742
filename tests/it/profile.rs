//! `ccgw profile list | show | use | remove`: outputs, unknown names (exit 2, file untouched),
//! and comments that survive every edit.

use std::os::unix::fs::PermissionsExt;

use crate::common::{TestEnv, read};

const CONFIG: &str = r#"# ccgw profiles — hand-written, comments must survive
default_profile = "work" # the usual one

# The team gateway.
[profiles.work]
gateway = "https://litellm.example.com:4000"
mode = "unified"
key_ttl = "40m"
headers = { "x-team" = "platform" }

[profiles.work.key]
source = "env"
var = "CCGW_TEST_KEY"

# Local experiments.
[profiles.lab]
gateway = "http://127.0.0.1:4000"
mode = "bedrock"
bedrock = { region = "eu-west-1" } # nearest

[profiles.lab.key]
source = "env"
var = "LAB_KEY"

# Trailing note.
"#;

fn setup() -> TestEnv {
    let env = TestEnv::new();
    env.write_config(CONFIG);
    env
}

fn stdout_of(env: &TestEnv, args: &[&str]) -> String {
    let out = env.ccgw().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ccgw {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn list_marks_the_default() {
    let env = setup();
    assert_eq!(
        stdout_of(&env, &["profile", "list"]),
        "* work  unified    https://litellm.example.com:4000\n  lab   bedrock    http://127.0.0.1:4000\n"
    );
}

#[test]
fn list_without_config_prints_nothing_and_says_why() {
    let env = TestEnv::new();
    let out = env.ccgw().args(["profile", "list"]).output().unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `ccgw init`"));
}

#[test]
fn show_prints_the_profile_as_toml() {
    let env = setup();
    let shown = stdout_of(&env, &["profile", "show"]);
    let table: toml::Table = shown.parse().expect("valid TOML");
    assert_eq!(
        table["gateway"].as_str(),
        Some("https://litellm.example.com:4000")
    );
    assert_eq!(table["key_ttl"].as_str(), Some("40m"));
    assert_eq!(table["headers"]["x-team"].as_str(), Some("platform"));
    assert_eq!(table["key"]["source"].as_str(), Some("env"));
    assert_eq!(table["key"]["var"].as_str(), Some("CCGW_TEST_KEY"));

    let lab: toml::Table = stdout_of(&env, &["profile", "show", "lab"])
        .parse()
        .unwrap();
    assert_eq!(lab["bedrock"]["region"].as_str(), Some("eu-west-1"));
    let flagged = stdout_of(&env, &["--profile", "lab", "profile", "show"]);
    assert_eq!(flagged.parse::<toml::Table>().unwrap(), lab);
    // A name given to `show` beats `--profile`.
    assert_eq!(
        stdout_of(&env, &["--profile", "lab", "profile", "show", "work"]),
        shown
    );
}

#[test]
fn show_never_prints_the_secret() {
    let env = setup();
    let out = env
        .ccgw()
        .env("CCGW_TEST_KEY", "sk-very-secret")
        .args(["profile", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let all = [out.stdout, out.stderr].concat();
    assert!(!String::from_utf8_lossy(&all).contains("sk-very-secret"));
}

#[test]
fn use_sets_the_default_and_keeps_comments() {
    let env = setup();
    let out = env.ccgw().args(["profile", "use", "lab"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("`lab` is now the default profile"));
    let text = read(env.config_path());
    assert!(text.contains("default_profile = \"lab\""), "{text}");
    for comment in [
        "# ccgw profiles — hand-written, comments must survive",
        "# The team gateway.",
        "# Local experiments.",
        "# nearest",
        "# Trailing note.",
    ] {
        assert!(text.contains(comment), "lost {comment:?}:\n{text}");
    }
    assert_eq!(
        text.replace("default_profile = \"lab\"", "default_profile = \"work\""),
        CONFIG,
        "only the default changed"
    );
    let mode = std::fs::metadata(env.config_path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(stdout_of(&env, &["profile", "list"]).contains("* lab "));

    // Again: nothing to change, nothing written.
    let before = std::fs::metadata(env.config_path())
        .unwrap()
        .modified()
        .unwrap();
    let out = env.ccgw().args(["profile", "use", "lab"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already the default"));
    let after = std::fs::metadata(env.config_path())
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn remove_drops_the_table_and_clears_the_default() {
    let env = setup();
    let out = env
        .ccgw()
        .args(["profile", "remove", "work"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("removed profile `work`"), "{err}");
    assert!(err.contains("ccgw profile use NAME"), "{err}");
    let text = read(env.config_path());
    assert!(!text.contains("profiles.work"), "{text}");
    assert!(!text.contains("CCGW_TEST_KEY"), "{text}");
    assert!(!text.contains("default_profile"), "{text}");
    for comment in ["# Local experiments.", "# nearest", "# Trailing note."] {
        assert!(text.contains(comment), "lost {comment:?}:\n{text}");
    }
    assert_eq!(
        stdout_of(&env, &["profile", "list"]),
        "* lab  bedrock    http://127.0.0.1:4000\n"
    );
    // With no `default_profile` left, `use` adds one.
    env.ccgw()
        .args(["profile", "use", "lab"])
        .assert()
        .success();
    let text = read(env.config_path());
    assert!(text.contains("default_profile = \"lab\"\n"), "{text}");
    assert!(text.contains("# Trailing note."), "{text}");
}

#[test]
fn remove_of_another_profile_keeps_the_default() {
    let env = setup();
    env.ccgw()
        .args(["profile", "remove", "lab"])
        .assert()
        .success();
    let text = read(env.config_path());
    assert!(
        text.contains("default_profile = \"work\" # the usual one"),
        "{text}"
    );
    assert!(!text.contains("[profiles.lab"), "{text}");
    assert!(text.contains("# The team gateway."), "{text}");
}

#[test]
fn unknown_names_exit_2_and_touch_nothing() {
    let env = setup();
    for args in [
        &["profile", "show", "nope"][..],
        &["profile", "use", "nope"],
        &["profile", "remove", "nope"],
    ] {
        let out = env.ccgw().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("profile `nope` does not exist"), "{err}");
        assert!(err.contains("hint: known profiles: work, lab"), "{err}");
        assert_eq!(read(env.config_path()), CONFIG);
    }
}

/// `use` rewrites every settings file written for the previous default; a file not yet
/// rewritten midway (still holding Bedrock's route switch) is no conflict to warn about.
#[test]
fn use_rewrites_every_file_and_warns_only_about_the_end_state() {
    let env = setup();
    for scope in ["user", "local"] {
        let out = env
            .ccgw()
            .args(["settings", "write", "--scope", scope])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let local = env.cwd().join(".claude/settings.local.json");
    for (name, route) in [("lab", Some("CLAUDE_CODE_USE_BEDROCK")), ("work", None)] {
        let out = env.ccgw().args(["profile", "use", name]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("rewrote 2 settings file(s)"),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("warning"), "{name}: {stderr}");
        for file in [env.user_settings(), local.clone()] {
            let doc: serde_json::Value = serde_json::from_str(&read(&file)).unwrap();
            assert!(
                doc["apiKeyHelper"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("key --profile {name}")),
                "{doc}"
            );
            assert_eq!(
                route.map(|r| doc["env"][r].as_str() == Some("1")),
                route.map(|_| true),
                "{doc}"
            );
            assert!(
                route.is_some() || doc["env"].get("CLAUDE_CODE_USE_BEDROCK").is_none(),
                "{doc}"
            );
        }
    }
}
