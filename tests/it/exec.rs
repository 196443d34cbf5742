//! `ccgw exec`: the child gets the profile's environment, not the competing credentials, and
//! ccgw's exit status is the child's (ccgw replaces itself with it). For `claude`, the child
//! gets `--settings` JSON with the apiKeyHelper; a fake `claude` script stands in only to
//! capture its argv here (the real Claude Code end-to-end run is another suite's).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::shells::{assert_success, parse_env0, toml_str};
use crate::common::{SIMPLE_CONFIG, TestEnv, ccgw_bin, require};

/// A script at `dir/name` that writes its argv and environment, NUL-separated, next to itself.
fn argv_recorder(dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\0' \"$@\" > '{0}/argv'\nenv -0 > '{0}/env'\nexit 3\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn recorded_argv(dir: &Path) -> Vec<String> {
    let bytes = std::fs::read(dir.join("argv")).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut args: Vec<String> = text.split('\0').map(str::to_owned).collect();
    assert_eq!(args.pop().as_deref(), Some(""), "NUL-terminated");
    args
}

#[test]
fn exit_code_and_signal_are_the_childs() {
    let env = TestEnv::new();
    env.write_config(SIMPLE_CONFIG);
    env.ccgw()
        .args(["exec", "--", "sh", "-c", "exit 7"])
        .assert()
        .code(7);
    env.ccgw().args(["exec", "--", "true"]).assert().code(0);
    // ccgw replaced itself: the signal that ended the child ended "ccgw".
    let out = env
        .ccgw()
        .args(["exec", "--", "sh", "-c", "kill -TERM $$"])
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(15), "{:?}", out.status);
}

#[test]
fn child_sees_the_profile_env_without_competing_credentials() {
    let env = TestEnv::new();
    let hostile = "it's $(touch pwned) `x`\n\\ ü";
    // A header value is one line (the config refuses a line break there).
    let hostile_header = "it's $(touch pwned) `x` \\ ü";
    env.write_config(&SIMPLE_CONFIG.replace(
        "[profiles.work.key]",
        &format!(
            "headers = {{ \"x-h\" = {} }}\nenv = {{ EXTRA = {} }}\n\n[profiles.work.key]",
            toml_str(hostile_header),
            toml_str(hostile)
        ),
    ));
    let out = env
        .ccgw()
        .env("ANTHROPIC_API_KEY", "sk-competing-secret")
        .env("CLAUDE_CODE_USE_BEDROCK", "1")
        .env("KEEP_ME", "yes")
        .args(["exec", "--", "env", "-0"])
        .output()
        .unwrap();
    assert_success(&out, "ccgw exec -- env -0");
    let child = parse_env0(&out.stdout);
    assert_eq!(
        child.get("ANTHROPIC_BASE_URL").map(String::as_str),
        Some("http://127.0.0.1:4000")
    );
    assert_eq!(
        child
            .get("CLAUDE_CODE_API_KEY_HELPER_TTL_MS")
            .map(String::as_str),
        Some("600000")
    );
    assert_eq!(
        child.get("ANTHROPIC_CUSTOM_HEADERS"),
        Some(&format!("x-h: {hostile_header}"))
    );
    assert_eq!(child.get("EXTRA").map(String::as_str), Some(hostile));
    assert!(!child.contains_key("ANTHROPIC_API_KEY"));
    assert!(
        !child.contains_key("CLAUDE_CODE_USE_BEDROCK"),
        "a stale mode variable reached the child"
    );
    assert_eq!(child.get("KEEP_ME").map(String::as_str), Some("yes"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("note: not passing `ANTHROPIC_API_KEY` on to `env`"),
        "{err}"
    );
    assert!(!err.contains("sk-competing-secret"), "{err}");
    assert!(!env.cwd().join("pwned").exists());
}

#[test]
fn claude_gets_settings_with_the_helper_and_env() {
    let env = TestEnv::new();
    env.write_config(&SIMPLE_CONFIG.replace(
        "key_ttl = \"40m\"",
        "key_ttl = \"40m\"\nmodel = \"it's-a-model\"",
    ));
    let bin = env.root.path().join("bin");
    let claude = argv_recorder(&bin, "claude");
    let out = env
        .ccgw()
        .args(["exec", "--"])
        .arg(&claude)
        .args(["-p", "--settings-like", "hi there"])
        .output()
        .unwrap();
    // The fake exits 3: that is ccgw's exit code now.
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    let argv = recorded_argv(&bin);
    assert_eq!(argv[0], "--settings");
    assert_eq!(argv[2..], ["-p", "--settings-like", "hi there"]);
    let settings: serde_json::Value = serde_json::from_str(&argv[1]).expect("valid JSON");
    let env_block = settings["env"].as_object().unwrap();
    let pairs: Vec<(&str, &str)> = env_block
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:4000"),
            ("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "600000"),
            ("ANTHROPIC_MODEL", "it's-a-model"),
        ]
    );
    assert_eq!(settings.as_object().unwrap().len(), 2, "{settings}");

    // The helper names this very binary and works when run the way Claude Code runs it.
    let helper = settings["apiKeyHelper"].as_str().unwrap();
    let canonical = ccgw_bin().canonicalize().unwrap();
    assert!(
        helper.starts_with(canonical.to_str().unwrap()) && helper.ends_with(" key --profile work"),
        "{helper}"
    );
    let mut sh = Command::new("/bin/sh");
    env.apply(&mut sh);
    let key = sh
        .args(["-c", helper])
        .env("CCGW_TEST_KEY", "sk-from-helper")
        .output()
        .unwrap();
    assert_success(&key, "the apiKeyHelper");
    assert_eq!(key.stdout, b"sk-from-helper\n");

    // The variables are in the process environment too, for anything claude starts.
    let child = parse_env0(&std::fs::read(bin.join("env")).unwrap());
    assert_eq!(
        child.get("ANTHROPIC_MODEL").map(String::as_str),
        Some("it's-a-model")
    );
}

#[test]
fn claude_found_on_path_and_an_explicit_config_reach_the_helper() {
    let env = TestEnv::new();
    let config = env.root.path().join("my config.toml");
    std::fs::write(&config, SIMPLE_CONFIG).unwrap();
    let bin = env.root.path().join("bin");
    argv_recorder(&bin, "claude");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.ccgw()
        .env("PATH", path)
        .arg("--config")
        .arg(&config)
        .args(["exec", "--", "claude"])
        .assert()
        .code(3);
    let argv = recorded_argv(&bin);
    assert_eq!(argv.len(), 2, "{argv:?}");
    let settings: serde_json::Value = serde_json::from_str(&argv[1]).unwrap();
    let helper = settings["apiKeyHelper"].as_str().unwrap();
    assert!(
        helper.ends_with(&format!(
            " --config '{}' key --profile work",
            config.display()
        )),
        "{helper}"
    );
}

#[test]
fn other_programs_get_no_settings_flag() {
    let env = TestEnv::new();
    env.write_config(SIMPLE_CONFIG);
    let bin = env.root.path().join("bin");
    let other = argv_recorder(&bin, "claude-wrapper");
    env.ccgw()
        .args(["exec", "--"])
        .arg(&other)
        .args(["--settings", "x"])
        .assert()
        .code(3);
    assert_eq!(recorded_argv(&bin), ["--settings", "x"]);
}

#[test]
fn a_missing_or_unrunnable_command_is_named() {
    let env = TestEnv::new();
    env.write_config(SIMPLE_CONFIG);
    let out = env
        .ccgw()
        .args(["exec", "--", "ccgw-no-such-command", "arg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("error: command not found: `ccgw-no-such-command`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let script = env.root.path().join("not-executable");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let out = env
        .ccgw()
        .args(["exec", "--"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&out.stderr).contains("permission denied"));
}

#[test]
fn no_command_is_a_usage_error() {
    let env = TestEnv::new();
    env.write_config(SIMPLE_CONFIG);
    env.ccgw().args(["exec"]).assert().code(2);
    // Without a profile, nothing runs.
    let empty = TestEnv::new();
    let marker = empty.root.path().join("ran");
    let out = empty
        .ccgw()
        .args(["exec", "--", require("touch").to_str().unwrap()])
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!marker.exists());
}
