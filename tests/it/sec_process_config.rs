//! Hardening (issue 9, items 9, 16, 17, 18): bad input in the config is refused at load by
//! every command, and the key command's processes live no longer than `ccgw key` does.

use std::path::Path;

use crate::common::TestEnv;

/// What one ccgw run left behind.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut assert_cmd::Command) -> Out {
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A unified profile `work` (key from `$CCGW_TEST_KEY`) with `extra` lines in its table.
fn config_with(extra: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n{extra}\n\n[profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n"
    )
}

/// Every command that reads the profile, each in its own way of using it. `marker` must not
/// exist afterwards: `exec` would have created it by running its child.
fn every_command(marker: &Path) -> Vec<(&'static str, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        ("key", s(&["key"])),
        ("env", s(&["env", "--shell", "bash"])),
        ("settings write", s(&["settings", "write"])),
        (
            "exec",
            vec![
                "exec".into(),
                "--".into(),
                "touch".into(),
                marker.display().to_string(),
            ],
        ),
        ("doctor", s(&["doctor"])),
    ]
}

/// `config` is refused by key, env, settings write, exec and doctor alike: exit 2 (doctor: its
/// config check fails, exit 1), the message names `field`, nothing is written or run, and
/// `secret` (when given) is printed nowhere.
fn assert_refused_everywhere(config: &str, field: &str, secret: Option<&str>) {
    let env = TestEnv::new();
    env.write_config(config);
    let marker = env.home().join("exec-ran");
    for (name, args) in every_command(&marker) {
        let o = run(env.ccgw().args(&args).env("CCGW_TEST_KEY", "sk-test-key-1"));
        let want = if name == "doctor" { 1 } else { 2 };
        assert_eq!(o.code, want, "{name}: {}", o.stderr);
        let text = if name == "doctor" {
            &o.stdout
        } else {
            &o.stderr
        };
        assert!(
            text.contains(field),
            "{name} does not name `{field}`: {text}"
        );
        assert!(!o.stderr.contains("panicked"), "{name}: {}", o.stderr);
        if name != "doctor" {
            assert_eq!(o.stdout, "", "{name} printed data");
        }
        if let Some(secret) = secret {
            assert!(
                !o.stdout.contains(secret) && !o.stderr.contains(secret),
                "{name} echoed the secret: {}{}",
                o.stdout,
                o.stderr
            );
        }
    }
    assert!(!marker.exists(), "exec ran its child with a refused config");
    assert!(
        !env.user_settings().exists(),
        "settings write wrote {}",
        env.user_settings().display()
    );
}

#[test]
fn a_header_value_with_a_line_break_is_refused_at_load_by_every_command() {
    // Without the rule the plan sets ANTHROPIC_CUSTOM_HEADERS="x-team: eng\nx-injected: yes",
    // and Claude Code sends `x-injected` as a header of its own on every request.
    let config = config_with(r#"headers = { "x-team" = "eng\nx-injected: yes" }"#);
    assert_refused_everywhere(&config, "profiles.work.headers.x-team", None);
    let config = config_with(r#"headers = { "x-team" = "eng\r\nx-injected: yes" }"#);
    assert_refused_everywhere(&config, "profiles.work.headers.x-team", None);
    let config = config_with(r#"headers = { "x-team" = "eng\u0000" }"#);
    assert_refused_everywhere(&config, "profiles.work.headers.x-team", None);
}

#[test]
fn a_header_name_that_is_not_a_token_is_refused_at_load_by_every_command() {
    let config = config_with(r#"headers = { "x-team: eng\nx-injected" = "yes" }"#);
    assert_refused_everywhere(&config, "profiles.work.headers.", None);
}

#[test]
fn a_gateway_url_with_a_password_is_refused_at_load_and_never_echoed() {
    let config = config_with("").replace(
        "http://127.0.0.1:4000",
        "http://alice:hunter2-gw-password@127.0.0.1:4000",
    );
    assert_refused_everywhere(
        &config,
        "profiles.work.gateway",
        Some("hunter2-gw-password"),
    );
    // The hint names the fix.
    let env = TestEnv::new();
    env.write_config(&config);
    let o = run(env.ccgw().args(["env", "--shell", "bash"]));
    assert!(
        o.stderr
            .contains("hint: remove `user:password@` from `gateway`"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_gateway_url_with_whitespace_or_a_control_character_is_refused_at_load() {
    for url in ["http://127.0.0.1:4000 ", "http://127.0.0.1:4000\\n"] {
        let config = config_with("").replace("http://127.0.0.1:4000", url);
        assert_refused_everywhere(&config, "profiles.work.gateway: the URL holds", None);
    }
}

#[test]
fn an_overflowing_duration_is_a_config_error_naming_the_field_not_a_panic() {
    // Each of these panicked before (SystemTime/Instant overflow; exit 134 in a release build).
    let huge = "500000000000y";
    let cases = [
        (
            config_with(&format!("key_ttl = \"{huge}\"")),
            "profiles.work.key_ttl: must be at most",
        ),
        (
            config_with("").replace(
                "source = \"env\"\nvar = \"CCGW_TEST_KEY\"",
                &format!(
                    "source = \"jwt\"\nalgorithm = \"HS256\"\nsecret_env = \"CCGW_TEST_KEY\"\nttl = \"{huge}\""
                ),
            ),
            "profiles.work.key.ttl: must be at most",
        ),
        (
            config_with("").replace(
                "source = \"env\"\nvar = \"CCGW_TEST_KEY\"",
                &format!("source = \"command\"\ncommand = \"echo sk-1\"\ntimeout = \"{huge}\""),
            ),
            "profiles.work.key.timeout: must be at most",
        ),
    ];
    for (config, field) in cases {
        assert_refused_everywhere(&config, field, None);
    }
}

#[test]
fn a_profile_name_with_a_leading_dash_is_refused_at_load_and_by_init() {
    // `ccgw key --profile -x` in the helper line would read `-x` as an option.
    let config = config_with("")
        .replace("\"work\"", "\"-x\"")
        .replace("profiles.work", "profiles.\"-x\"");
    assert_refused_everywhere(&config, "profile name `-x` starts with `-`", None);

    let env = TestEnv::new();
    let o = run(env.ccgw().args([
        "init",
        "--non-interactive",
        "--profile=-x",
        "--gateway",
        "http://127.0.0.1:4000",
        "--key-source",
        "env",
        "--env-var",
        "CCGW_TEST_KEY",
        "--scope",
        "none",
        "--no-doctor",
    ]));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("starts with `-`"), "{}", o.stderr);
    assert!(!env.config_path().exists(), "init wrote a config");
}

#[test]
fn init_applies_the_config_rules_before_writing_anything() {
    let env = TestEnv::new();
    let base = [
        "init",
        "--non-interactive",
        "--key-source",
        "env",
        "--env-var",
        "CCGW_TEST_KEY",
        "--scope",
        "none",
        "--no-doctor",
    ];
    for (extra, why) in [
        (
            &["--gateway", "http://alice:hunter2-pw@127.0.0.1:4000"][..],
            "user name or password",
        ),
        (
            &[
                "--gateway",
                "http://127.0.0.1:4000",
                "--key-ttl",
                "500000000000y",
            ][..],
            "--key-ttl: must be at most",
        ),
        (
            &[
                "--gateway",
                "http://127.0.0.1:4000",
                "--header",
                "x-team: \u{2603}",
            ][..],
            "beyond Latin-1",
        ),
    ] {
        let o = run(env.ccgw().args(base).args(extra));
        assert_eq!(o.code, 2, "{extra:?}: {}", o.stderr);
        assert!(o.stderr.contains(why), "{extra:?}: {}", o.stderr);
        assert!(!o.stderr.contains("hunter2-pw"), "{}", o.stderr);
        assert!(!env.config_path().exists(), "init wrote a config");
    }
}
