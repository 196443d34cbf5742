//! `ccgw init`: flags alone (`--non-interactive`) for every mode and key source, the wizard
//! driven in a real terminal (tmux) giving the same config as the flags, Ctrl-C writing
//! nothing, the refusals, the doctor run at the end (against a real LiteLLM), and
//! `ccgw profile use` rewriting the settings of the previous default.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::litellm::{LiteLlm, MASTER_KEY, MODEL};
use crate::common::secret_service::SecretService;
use crate::common::tmux::Tmux;
use crate::common::{self, Ccgw, TestEnv};

fn config_table(env: &TestEnv) -> toml::Table {
    common::read(env.config_path()).parse().expect("valid TOML")
}

fn profile_table(env: &TestEnv, name: &str) -> toml::Table {
    config_table(env)["profiles"][name]
        .as_table()
        .unwrap_or_else(|| panic!("no profile `{name}`"))
        .clone()
}

fn settings(path: &Path) -> Value {
    serde_json::from_str(&common::read(path)).unwrap()
}

fn env_var<'a>(s: &'a Value, name: &str) -> Option<&'a str> {
    s["env"][name].as_str()
}

fn undo_dir(env: &TestEnv) -> PathBuf {
    env.home().join(".local/state/ccgw/undo")
}

/// `ccgw init --non-interactive --no-doctor ARGS`, to be checked and run.
fn init<'a>(env: &'a TestEnv, args: &[&str]) -> Ccgw<'a> {
    Ccgw::new(env)
        .args(["init", "--non-interactive", "--no-doctor"])
        .args(args)
}

fn init_ok(env: &TestEnv, args: &[&str]) {
    init(env, args).success().run();
}

const GW: &str = "http://127.0.0.1:4000";

#[test]
fn each_mode_writes_its_profile_and_settings() {
    /// (mode, its flags, variables the settings must carry)
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        ("unified", &[], &[("ANTHROPIC_BASE_URL", GW)]),
        (
            "anthropic",
            &[],
            &[("ANTHROPIC_BASE_URL", "http://127.0.0.1:4000/anthropic")],
        ),
        (
            "bedrock",
            &["--bedrock-region", "eu-west-1"],
            &[
                ("CLAUDE_CODE_USE_BEDROCK", "1"),
                (
                    "ANTHROPIC_BEDROCK_BASE_URL",
                    "http://127.0.0.1:4000/bedrock",
                ),
                ("AWS_REGION", "eu-west-1"),
            ],
        ),
        (
            "vertex",
            &[
                "--vertex-project",
                "proj-1",
                "--vertex-region",
                "europe-west4",
            ],
            &[
                ("CLAUDE_CODE_USE_VERTEX", "1"),
                ("ANTHROPIC_VERTEX_PROJECT_ID", "proj-1"),
                ("CLOUD_ML_REGION", "europe-west4"),
            ],
        ),
    ];
    for (mode, extra, vars) in cases {
        let env = TestEnv::new();
        let mut args = vec![
            "--gateway",
            GW,
            "--mode",
            mode,
            "--key-source",
            "env",
            "--env-var",
            "GW_KEY",
            "--key-ttl",
            "40m",
            "--model",
            "claude-x",
            "--header",
            "x-team: platform",
        ];
        args.extend_from_slice(extra);
        init_ok(&env, &args);

        let config = config_table(&env);
        assert_eq!(config["default_profile"].as_str(), Some("default"));
        let p = profile_table(&env, "default");
        assert_eq!(p["gateway"].as_str(), Some(GW), "{mode}");
        assert_eq!(p["mode"].as_str(), Some(*mode));
        assert_eq!(p["key_ttl"].as_str(), Some("40m"));
        assert_eq!(p["model"].as_str(), Some("claude-x"));
        assert_eq!(p["headers"]["x-team"].as_str(), Some("platform"));
        assert_eq!(p["key"]["source"].as_str(), Some("env"));
        assert_eq!(p["key"]["var"].as_str(), Some("GW_KEY"));
        match *mode {
            "bedrock" => assert_eq!(p["bedrock"]["region"].as_str(), Some("eu-west-1")),
            "vertex" => {
                assert_eq!(p["vertex"]["project"].as_str(), Some("proj-1"));
                assert_eq!(p["vertex"]["region"].as_str(), Some("europe-west4"));
            }
            _ => assert!(!p.contains_key("bedrock") && !p.contains_key("vertex")),
        }

        let s = settings(&env.user_settings());
        let helper = s["apiKeyHelper"].as_str().unwrap();
        assert!(helper.ends_with(" key --profile default"), "{helper}");
        for (k, v) in *vars {
            assert_eq!(env_var(&s, k), Some(*v), "{mode}: {k}");
        }
        // 40m / 4, the helper TTL rule.
        assert_eq!(
            env_var(&s, "CLAUDE_CODE_API_KEY_HELPER_TTL_MS"),
            Some("600000")
        );
        assert_eq!(env_var(&s, "ANTHROPIC_MODEL"), Some("claude-x"));
        assert_eq!(
            env_var(&s, "ANTHROPIC_CUSTOM_HEADERS"),
            Some("x-team: platform")
        );
        // The secret-free config: 0600.
        use std::os::unix::fs::PermissionsExt;
        let mode_bits = std::fs::metadata(env.config_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode_bits & 0o777, 0o600);
    }
}

#[test]
fn each_key_source_writes_its_fields() {
    let base = ["--gateway", GW, "--scope", "none"];
    let env = TestEnv::new();
    init_ok(
        &env,
        &[
            &base[..],
            &["--key-source", "command", "--command", "pass show litellm"],
        ]
        .concat(),
    );
    let key = &profile_table(&env, "default")["key"];
    assert_eq!(key["source"].as_str(), Some("command"));
    assert_eq!(key["command"].as_str(), Some("pass show litellm"));
    // --scope none: no settings file, no undo record.
    assert!(!env.user_settings().exists());
    assert!(!undo_dir(&env).exists());

    let env = TestEnv::new();
    init_ok(
        &env,
        &[
            &base[..],
            &[
                "--profile",
                "team",
                "--key-source",
                "vault",
                "--vault-addr",
                "http://127.0.0.1:8200",
                "--vault-mount",
                "kv",
                "--vault-path",
                "team/litellm",
                "--vault-field",
                "key",
                "--vault-auth",
                "approle",
                "--vault-role-id",
                "r-1",
                "--vault-secret-id-file",
                "/run/secret-id",
            ],
        ]
        .concat(),
    );
    let key = &profile_table(&env, "team")["key"];
    for (field, want) in [
        ("source", "vault"),
        ("addr", "http://127.0.0.1:8200"),
        ("mount", "kv"),
        ("path", "team/litellm"),
        ("field", "key"),
        ("auth", "approle"),
        ("role_id", "r-1"),
        ("secret_id_file", "/run/secret-id"),
    ] {
        assert_eq!(key[field].as_str(), Some(want), "vault {field}");
    }

    let env = TestEnv::new();
    init_ok(
        &env,
        &[
            &base[..],
            &[
                "--key-source",
                "jwt",
                "--jwt-algorithm",
                "HS256",
                "--jwt-secret-env",
                "JWT_SECRET",
                "--jwt-ttl",
                "15m",
                "--jwt-claim",
                "team={env:TEAM}",
                "--jwt-claim",
                "sub={user}",
            ],
        ]
        .concat(),
    );
    let key = &profile_table(&env, "default")["key"];
    assert_eq!(key["algorithm"].as_str(), Some("HS256"));
    assert_eq!(key["secret_env"].as_str(), Some("JWT_SECRET"));
    assert_eq!(key["ttl"].as_str(), Some("15m"));
    assert_eq!(key["claims"]["team"].as_str(), Some("{env:TEAM}"));
    assert_eq!(key["claims"]["sub"].as_str(), Some("{user}"));
    assert!(!key.as_table().unwrap().contains_key("key_file"));

    let env = TestEnv::new();
    init_ok(
        &env,
        &[
            &base[..],
            &["--key-source", "env", "--env-var", "LITELLM_KEY"],
        ]
        .concat(),
    );
    let key = &profile_table(&env, "default")["key"];
    assert_eq!(key["var"].as_str(), Some("LITELLM_KEY"));
}

#[test]
fn without_a_terminal_init_refuses_to_prompt() {
    let env = TestEnv::new();
    let out = Ccgw::new(&env)
        .args(["init", "--gateway", GW])
        .stdin("")
        .code(2)
        .stderr_has("--non-interactive")
        .run();
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.starts_with("error: stdin is not a terminal"));
    assert!(!env.config_path().exists());
}

#[test]
fn a_missing_flag_is_named() {
    let env = TestEnv::new();
    let stderr = |args: &[&str]| init(&env, args).code(2).run().stderr;
    assert_eq!(
        stderr(&[]),
        "error: --gateway is required with --non-interactive\n"
    );
    assert_eq!(
        stderr(&["--gateway", GW, "--key-source", "vault"]),
        "error: --vault-path is required with --non-interactive\n"
    );
    assert_eq!(
        stderr(&["--gateway", GW, "--mode", "bedrock", "--key-source", "env"]),
        "error: --bedrock-region is required with --non-interactive\n"
    );
    let bad = stderr(&[
        "--gateway",
        "localhost:4000",
        "--key-source",
        "env",
        "--env-var",
        "K",
    ]);
    assert!(
        bad.starts_with("error: --gateway: `localhost:4000` is not"),
        "{bad}"
    );
    assert!(!env.config_path().exists());
    assert!(!env.user_settings().exists());
}

/// A flag is held to the rule of its question before anything is read or written: the
/// signing key has one home, a Vault address is a URL without credentials.
#[test]
fn flags_are_held_to_their_questions_rules() {
    let env = TestEnv::new();
    init(
        &env,
        &[
            "--gateway",
            GW,
            "--key-source",
            "jwt",
            "--jwt-algorithm",
            "HS256",
            "--jwt-secret-env",
            "S",
            "--jwt-key-file",
            "/k.pem",
        ],
    )
    .code(2)
    .stderr_has("--jwt-secret-env and --jwt-key-file exclude each other")
    .run();
    init(
        &env,
        &[
            "--gateway",
            GW,
            "--key-source",
            "vault",
            "--vault-path",
            "p",
            "--vault-addr",
            "https://u:pw@vault.example",
        ],
    )
    .code(2)
    .stderr_has("error: --vault-addr: ")
    .stderr_has("user name or password")
    .stderr_lacks("pw@")
    .run();
    assert!(!env.config_path().exists());
}

/// A gateway key piped in follows the key rule (`ccgw secret set`'s too), before anything
/// is written or stored.
#[test]
fn a_piped_gateway_key_follows_the_key_rule() {
    let env = TestEnv::new();
    init(&env, &["--gateway", GW, "--key-source", "keyring"])
        .stdin("two words\n")
        .code(2)
        .stderr_has("the gateway key contains whitespace")
        .stderr_has("one token of printable ASCII")
        .stderr_has("hint: check what you piped in")
        .run();
    assert_nothing_written(&env);
}

#[test]
fn an_existing_profile_is_replaced_only_with_force() {
    let env = TestEnv::new();
    let first = ["--gateway", GW, "--key-source", "env", "--env-var", "K1"];
    init_ok(&env, &first);
    // A second settings file written for the same profile, by path.
    let other = env.cwd().join("other-settings.json");
    let out = env
        .ccgw()
        .args(["settings", "write", "--file"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(out.status.success());
    let before = common::read(env.config_path());

    let second = [
        "--gateway",
        "http://127.0.0.1:5000",
        "--key-source",
        "env",
        "--env-var",
        "K2",
    ];
    let stderr = init(&env, &second)
        .code(2)
        .stderr_has("--force")
        .run()
        .stderr;
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: profile `default` already exists"),
        "{stderr}"
    );
    assert_eq!(common::read(env.config_path()), before);

    init_ok(&env, &[&second[..], &["--force"]].concat());
    let p = profile_table(&env, "default");
    assert_eq!(p["gateway"].as_str(), Some("http://127.0.0.1:5000"));
    assert_eq!(p["key"]["var"].as_str(), Some("K2"));
    // Both settings files now carry the new gateway.
    for f in [env.user_settings(), other] {
        assert_eq!(
            env_var(&settings(&f), "ANTHROPIC_BASE_URL"),
            Some("http://127.0.0.1:5000"),
            "{}",
            f.display()
        );
    }
}

#[test]
fn a_second_profile_keeps_the_default_and_project_scope_uses_path_ccgw() {
    let env = TestEnv::new();
    init_ok(
        &env,
        &["--gateway", GW, "--key-source", "env", "--env-var", "K"],
    );
    init_ok(
        &env,
        &[
            "--profile",
            "lab",
            "--gateway",
            "http://127.0.0.1:4001",
            "--key-source",
            "env",
            "--env-var",
            "K",
            "--scope",
            "project",
        ],
    );
    assert_eq!(
        config_table(&env)["default_profile"].as_str(),
        Some("default")
    );
    let s = settings(&env.cwd().join(".claude/settings.json"));
    assert_eq!(s["apiKeyHelper"].as_str(), Some("ccgw key --profile lab"));
    // The user settings still belong to the default profile.
    let user = settings(&env.user_settings());
    assert_eq!(env_var(&user, "ANTHROPIC_BASE_URL"), Some(GW));
}

#[test]
fn doctor_runs_at_the_end_against_a_real_litellm() {
    let proxy = LiteLlm::shared();
    let env = TestEnv::new();
    Ccgw::new(&env)
        .args(["init", "--non-interactive", "--gateway", &proxy.base])
        .args([
            "--key-source",
            "env",
            "--env-var",
            "GW_KEY",
            "--model",
            MODEL,
        ])
        .env("GW_KEY", MASTER_KEY)
        .success()
        .stdout_has("✓ models")
        .stdout_has("0 failed")
        .stdout_lacks(MASTER_KEY)
        .stderr_lacks(MASTER_KEY)
        .run();
}

#[test]
fn a_failing_doctor_exits_1_and_keeps_what_was_written() {
    let env = TestEnv::new();
    let port = common::free_port();
    let gw = format!("http://127.0.0.1:{port}");
    Ccgw::new(&env)
        .args(["init", "--non-interactive", "--gateway", &gw])
        .args(["--key-source", "env", "--env-var", "GW_KEY"])
        .env("GW_KEY", "sk-anything")
        .code(1)
        .stdout_has("✗ network")
        .stderr_has("doctor found a problem")
        .run();
    assert!(env.config_path().exists() && env.user_settings().exists());
}

// ---------------------------------------------------------------- profile use

#[test]
fn profile_use_rewrites_the_previous_defaults_settings() {
    let env = TestEnv::new();
    env.write_config(
        r#"default_profile = "work"

[profiles.work]
gateway = "http://127.0.0.1:4000"
[profiles.work.key]
source = "env"
var = "K"

[profiles.lab]
gateway = "http://127.0.0.1:4001"
mode = "bedrock"
bedrock = { region = "eu-west-1" }
[profiles.lab.key]
source = "env"
var = "K"

[profiles.other]
gateway = "http://127.0.0.1:4002"
[profiles.other.key]
source = "env"
var = "K"
"#,
    );
    let ok = |args: &[&str]| {
        let out = env.ccgw().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    ok(&["settings", "write"]);
    ok(&["settings", "write", "--scope", "local"]);
    ok(&[
        "--profile",
        "other",
        "settings",
        "write",
        "--scope",
        "project",
    ]);
    let project = env.cwd().join(".claude/settings.json");
    let local = env.cwd().join(".claude/settings.local.json");
    let project_before = common::read(&project);

    let stderr = ok(&["profile", "use", "lab"]);
    assert_eq!(config_table(&env)["default_profile"].as_str(), Some("lab"));
    for f in [env.user_settings(), local.clone()] {
        let s = settings(&f);
        assert!(
            s["apiKeyHelper"]
                .as_str()
                .unwrap()
                .ends_with("key --profile lab"),
            "{}",
            f.display()
        );
        assert_eq!(env_var(&s, "CLAUDE_CODE_USE_BEDROCK"), Some("1"));
        assert_eq!(env_var(&s, "AWS_REGION"), Some("eu-west-1"));
        // The unified variable of `work` is gone, not left behind.
        assert_eq!(env_var(&s, "ANTHROPIC_BASE_URL"), None);
        assert!(stderr.contains(&f.display().to_string()), "{stderr}");
    }
    assert!(
        stderr.contains("rewrote 2 settings file(s) written for `work`"),
        "{stderr}"
    );
    // The file written for `other` is left alone.
    assert_eq!(common::read(&project), project_before);

    // And `settings remove` still undoes everything: the record followed the rewrite.
    ok(&["settings", "remove"]);
    assert!(!env.user_settings().exists());
}

// ---------------------------------------------------------------- the wizard, in tmux

fn wizard(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> Tmux {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    Tmux::start(env, &common::ccgw_bin(), &all, vars)
}

#[test]
fn the_wizard_writes_what_the_flags_write() {
    let flags_env = TestEnv::new();
    init_ok(
        &flags_env,
        &[
            "--gateway",
            GW,
            "--mode",
            "bedrock",
            "--bedrock-region",
            "eu-west-1",
            "--key-source",
            "command",
            "--command",
            "pass show litellm",
            "--key-ttl",
            "40m",
            "--header",
            "x-team: platform",
            "--model",
            "claude-x",
            "--scope",
            "local",
        ],
    );

    let env = TestEnv::new();
    let t = wizard(&env, &["--no-doctor"], &[]);
    t.answer("Profile name:", "");
    t.answer("Gateway URL:", GW);
    t.select("How should Claude Code reach the gateway?", 2);
    t.answer("AWS region:", "eu-west-1");
    t.select("Where does the gateway key come from?", 3);
    t.answer("Command that prints the key:", "pass show litellm");
    t.answer("Key TTL:", "40m");
    t.answer("Extra request header", "x-team: platform");
    // Asked again until an empty answer.
    t.wait_for_nth("Extra request header", 2);
    t.type_line("");
    t.answer("Model", "claude-x");
    t.select("Where should Claude Code's settings be written?", 2);
    t.wait_for("? Write these?");
    let screen = t.screen();
    assert!(screen.contains("[profiles.default]"), "{screen}");
    assert!(
        screen.contains("+    \"AWS_REGION\": \"eu-west-1\","),
        "{screen}"
    );
    t.answer("Write these?", "y");
    assert_eq!(t.exit_status(), 0, "{}", t.screen());

    assert_eq!(
        profile_table(&env, "default"),
        profile_table(&flags_env, "default")
    );
    assert_eq!(
        config_table(&env)["default_profile"].as_str(),
        Some("default")
    );
    let local = |e: &TestEnv| settings(&e.cwd().join(".claude/settings.local.json"));
    assert_eq!(local(&env)["env"], local(&flags_env)["env"]);
}

#[test]
fn ctrl_c_at_the_first_prompt_writes_nothing() {
    let env = TestEnv::new();
    let t = wizard(&env, &[], &[]);
    t.wait_for("? Profile name:");
    t.keys(&["C-c"]);
    assert_eq!(t.exit_status(), 130);
    assert!(
        t.screen().contains("error: cancelled; nothing was written"),
        "{}",
        t.screen()
    );
    assert_nothing_written(&env);
}

#[test]
fn ctrl_c_at_the_last_prompt_writes_nothing() {
    let env = TestEnv::new();
    let t = wizard(
        &env,
        &[
            "--gateway",
            GW,
            "--key-source",
            "env",
            "--env-var",
            "K",
            "--key-ttl",
            "1h",
        ],
        &[],
    );
    // Flags answer their questions: the wizard starts at the name, then the mode.
    t.answer("Profile name:", "work");
    t.select("How should Claude Code reach the gateway?", 0);
    let screen = t.screen();
    assert!(
        !screen.contains("Gateway URL") && !screen.contains("Key TTL"),
        "{screen}"
    );
    t.answer("Extra request header", "");
    t.answer("Model", "");
    t.select("Where should Claude Code's settings be written?", 0);
    t.wait_for("? Write these?");
    t.keys(&["C-c"]);
    assert_eq!(t.exit_status(), 130);
    assert_nothing_written(&env);
}

#[test]
fn declining_to_replace_a_profile_writes_nothing() {
    let env = TestEnv::new();
    init_ok(
        &env,
        &["--gateway", GW, "--key-source", "env", "--env-var", "K"],
    );
    let before = common::read(env.config_path());
    let t = wizard(&env, &["--profile", "default"], &[]);
    t.answer("Profile `default` already exists", "n");
    assert_eq!(t.exit_status(), 2);
    assert!(
        t.screen().contains("pass --force to replace it"),
        "{}",
        t.screen()
    );
    assert_eq!(common::read(env.config_path()), before);
}

#[test]
fn the_wizard_offers_the_models_the_gateway_lists_then_doctor_passes() {
    let proxy = LiteLlm::shared();
    let env = TestEnv::new();
    let t = wizard(
        &env,
        &[
            "--profile",
            "lab",
            "--gateway",
            &proxy.base,
            "--mode",
            "unified",
        ],
        &[("GW_KEY", MASTER_KEY)],
    );
    t.select("Where does the gateway key come from?", 4);
    t.answer("Environment variable holding the key:", "GW_KEY");
    t.answer("Key TTL:", "");
    t.answer("Extra request header", "");
    // The list: (none), the proxy's model, (another name…).
    t.wait_for("? Model (ANTHROPIC_MODEL):");
    assert!(t.screen().contains(MODEL), "{}", t.screen());
    t.select("Model (ANTHROPIC_MODEL):", 1);
    t.select("Where should Claude Code's settings be written?", 0);
    t.answer("Write these?", "");
    assert_eq!(t.exit_status(), 0, "{}", t.screen());
    assert!(t.screen().contains("0 failed"), "{}", t.screen());
    assert_eq!(profile_table(&env, "lab")["model"].as_str(), Some(MODEL));
    assert_eq!(
        env_var(&settings(&env.user_settings()), "ANTHROPIC_MODEL"),
        Some(MODEL)
    );
}

fn assert_nothing_written(env: &TestEnv) {
    assert!(!env.config_path().exists(), "config written");
    assert!(!env.user_settings().exists(), "settings written");
    assert!(
        !env.cwd().join(".claude").exists(),
        "project settings written"
    );
    assert!(!undo_dir(env).exists(), "undo record written");
}

// ---------------------------------------------------------------- keyring (real Secret Service)

fn lookup(ss: &SecretService, account: &str) -> String {
    let out = ss
        .secret_tool(&["lookup", "service", "ccgw", "username", account])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// Every file under the test's HOME and working directory: none may hold the secret.
fn assert_secret_in_no_file(env: &TestEnv, secret: &str) {
    let mut stack = vec![env.root.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(secret), "the secret is in {}", p.display());
            }
        }
    }
}

const KEYRING_SECRET: &str = "sk-ccgw-init-keyring-7f3a9c21";

#[test]
fn keyring_secret_comes_from_stdin_and_lands_in_the_secret_service() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    let flags = ["--gateway", GW, "--key-source", "keyring"];
    let run = |stdin: &str, extra: &[&str]| {
        env.ccgw()
            .env("DBUS_SESSION_BUS_ADDRESS", &ss.address)
            .args(["init", "--non-interactive", "--no-doctor"])
            .args(flags)
            .args(extra)
            .write_stdin(stdin)
            .output()
            .unwrap()
    };
    // An empty secret is refused before anything is written.
    let out = run("\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: the gateway key on stdin is empty"),
        "{stderr}"
    );
    assert_nothing_written(&env);

    let out = run(&format!("{KEYRING_SECRET}\n"), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(KEYRING_SECRET));
    assert_eq!(lookup(&ss, "default"), KEYRING_SECRET);
    let p = profile_table(&env, "default");
    assert_eq!(p["key"]["source"].as_str(), Some("keyring"));
    assert_secret_in_no_file(&env, KEYRING_SECRET);
    // The helper the settings name gets it back.
    let key = env
        .ccgw()
        .env("DBUS_SESSION_BUS_ADDRESS", &ss.address)
        .args(["key", "--no-cache"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&key.stdout),
        format!("{KEYRING_SECRET}\n")
    );

    // A JWT signing key from stdin goes to `<profile>:jwt-signing-key`.
    let out = env
        .ccgw()
        .env("DBUS_SESSION_BUS_ADDRESS", &ss.address)
        .args([
            "--profile",
            "minted",
            "init",
            "--non-interactive",
            "--no-doctor",
        ])
        .args([
            "--gateway",
            GW,
            "--key-source",
            "jwt",
            "--jwt-algorithm",
            "HS256",
        ])
        .write_stdin("signing-secret-123")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lookup(&ss, "minted:jwt-signing-key"), "signing-secret-123");
    let key = &profile_table(&env, "minted")["key"];
    assert!(!key.as_table().unwrap().contains_key("secret_env"));
    assert!(!key.as_table().unwrap().contains_key("key_file"));
}

#[test]
fn wizard_keyring_secret_is_hidden_and_stored_only_when_written() {
    let ss = SecretService::start();
    let env = TestEnv::new();
    let bus = [("DBUS_SESSION_BUS_ADDRESS", ss.address.as_str())];
    let flags = [
        "--gateway",
        GW,
        "--mode",
        "unified",
        "--key-ttl",
        "1h",
        "--no-doctor",
    ];
    let start = || {
        let t = wizard(&env, &flags, &bus);
        t.answer("Profile name:", "");
        t.select("Where does the gateway key come from?", 0);
        t.answer("Gateway key (hidden):", KEYRING_SECRET);
        t.answer("Extra request header", "");
        t.answer("Model", "");
        t.select("Where should Claude Code's settings be written?", 0);
        t.wait_for("? Write these?");
        assert!(!t.screen().contains(KEYRING_SECRET), "{}", t.screen());
        t
    };
    // Ctrl-C after the secret was typed: no secret, no config, no settings.
    let t = start();
    t.keys(&["C-c"]);
    assert_eq!(t.exit_status(), 130);
    assert_eq!(lookup(&ss, "default"), "");
    assert_nothing_written(&env);

    let t = start();
    t.type_line("y");
    assert_eq!(t.exit_status(), 0, "{}", t.screen());
    assert_eq!(lookup(&ss, "default"), KEYRING_SECRET);
    assert_eq!(
        profile_table(&env, "default")["key"]["source"].as_str(),
        Some("keyring")
    );
    assert_secret_in_no_file(&env, KEYRING_SECRET);
}
