//! `ccgw env`: every output is evaluated by the real bash, zsh, fish and nu (and the dotenv
//! output parsed by the real python-dotenv) with hostile values, and the resulting environment
//! is compared with the JSON output and with the literal values the profile holds.
//!
//! PowerShell is not installable here (not in Debian, and its npm/PyPI packages download from
//! GitHub), so its output is checked with a small reference decoder written from its quoting
//! rules.

use std::collections::BTreeMap;
use std::process::Command;

use proptest::prelude::*;

use crate::common::run::Ccgw;
use crate::common::shells::{assert_success, eval_in_shell, nu, nu_raw, toml_str};
use crate::common::{TestEnv, dep, read, require};

const SHELLS: [&str; 4] = ["bash", "zsh", "fish", "nu"];
/// The shells run in the C locale (bytes) and in UTF-8; values must survive both.
const LOCALES: [&str; 2] = ["C", "C.UTF-8"];

/// Every variable a plan can set (the contract in ARCHITECTURE.md, written out here so the
/// test does not take it from the code under test).
const PLAN_VARS: [&str; 21] = [
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_USE_BEDROCK",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
    "AWS_REGION",
    "CLAUDE_CODE_USE_VERTEX",
    "ANTHROPIC_VERTEX_BASE_URL",
    "CLAUDE_CODE_SKIP_VERTEX_AUTH",
    "ANTHROPIC_VERTEX_PROJECT_ID",
    "CLOUD_ML_REGION",
    "CLAUDE_CODE_API_KEY_HELPER_TTL_MS",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_DEFAULT_OPUS_MODEL",
    "ANTHROPIC_DEFAULT_SONNET_MODEL",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL",
    "ANTHROPIC_CUSTOM_HEADERS",
    "CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY",
    "CLAUDE_CODE_GATEWAY_HINT_HEADERS",
    "NODE_EXTRA_CA_CERTS",
    "CLAUDE_CODE_CLIENT_CERT",
    "CLAUDE_CODE_CLIENT_KEY",
];

/// Values that break naive quoting somewhere. The `touch` payloads name files that must never
/// appear.
const HOSTILE: [&str; 13] = [
    "it's \"quoted\"",
    "$(touch pwned_dollar)",
    "`touch pwned_backtick`",
    "back\\slash\\",
    "two\nlines\n",
    "tab\there",
    "ünïcødé ✓ 🚀 ‘pwsh’ ‛",
    "",
    "-n",
    "!! !$ ${HOME} $HOME %PATH% ${:-x}",
    "'; touch pwned_semicolon; '",
    "\r\u{1b}[31m\u{7}\u{7f}",
    "=ls",
];
// No whitespace (the config refuses a gateway URL with any): `${IFS}` stands in for it.
const GATEWAY: &str = "http://127.0.0.1:4000/gw'$(touch${IFS}pwned_gw)`touch${IFS}pwned_gw2`";
const MODEL: &str = "claude-'$(touch pwned_model)'\\";
const REGION: &str = "us-east-1\"; touch pwned_region";
const PROJECT: &str = "proj `touch pwned_project` $PATH";
const HEADER_SUB: &str = "$(touch pwned_header) ü";

fn hostile_config(mode: &str) -> String {
    let mut s = format!(
        "# hostile values\ndefault_profile = \"work\"\n\n[profiles.work]\ngateway = {}\nmode = \"{mode}\"\nkey_ttl = \"40m\"\nmodel = {}\n",
        toml_str(GATEWAY),
        toml_str(MODEL)
    );
    match mode {
        "bedrock" => s += &format!("bedrock = {{ region = {} }}\n", toml_str(REGION)),
        "vertex" => s += &format!("vertex = {{ project = {} }}\n", toml_str(PROJECT)),
        _ => {}
    }
    s += &format!(
        "headers = {{ \"x-quote\" = {}, \"x-sub\" = {} }}\n",
        toml_str(HOSTILE[0]),
        toml_str(HEADER_SUB)
    );
    s += "\n[profiles.work.env]\n";
    for (i, v) in HOSTILE.iter().enumerate() {
        s += &format!("HOSTILE_{i} = {}\n", toml_str(v));
    }
    s + "\n[profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n"
}

/// What the hostile profile must produce, in plan order, written out literally.
fn expected(mode: &str) -> Vec<(String, String)> {
    let mut v: Vec<(&str, String)> = match mode {
        "unified" => vec![("ANTHROPIC_BASE_URL", GATEWAY.into())],
        "anthropic" => vec![("ANTHROPIC_BASE_URL", format!("{GATEWAY}/anthropic"))],
        "bedrock" => vec![
            ("CLAUDE_CODE_USE_BEDROCK", "1".into()),
            ("ANTHROPIC_BEDROCK_BASE_URL", format!("{GATEWAY}/bedrock")),
            ("CLAUDE_CODE_SKIP_BEDROCK_AUTH", "1".into()),
            ("AWS_REGION", REGION.into()),
        ],
        "vertex" => vec![
            ("CLAUDE_CODE_USE_VERTEX", "1".into()),
            (
                "ANTHROPIC_VERTEX_BASE_URL",
                format!("{GATEWAY}/vertex_ai/v1"),
            ),
            ("CLAUDE_CODE_SKIP_VERTEX_AUTH", "1".into()),
            ("ANTHROPIC_VERTEX_PROJECT_ID", PROJECT.into()),
            ("CLOUD_ML_REGION", "us-east5".into()),
        ],
        other => panic!("no mode {other}"),
    };
    // key_ttl 40m: Claude Code re-asks after a quarter of it.
    v.push(("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "600000".into()));
    v.push(("ANTHROPIC_MODEL", MODEL.into()));
    v.push((
        "ANTHROPIC_CUSTOM_HEADERS",
        format!("x-quote: {}\nx-sub: {HEADER_SUB}", HOSTILE[0]),
    ));
    let mut v: Vec<(String, String)> = v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    for (i, h) in HOSTILE.iter().enumerate() {
        v.push((format!("HOSTILE_{i}"), (*h).to_owned()));
    }
    v
}

/// `ccgw env --shell json` as ordered pairs.
fn json_env(env: &TestEnv) -> Vec<(String, String)> {
    let out = env
        .ccgw()
        .args(["env", "--shell", "json"])
        .output()
        .unwrap();
    assert_success(&out, "ccgw env --shell json");
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("one JSON object");
    map.into_iter()
        .map(|(k, v)| (k, v.as_str().expect("string values").to_owned()))
        .collect()
}

/// The dotenv output as python-dotenv reads it back from a file, defaults and all.
fn dotenv_values(env: &TestEnv) -> BTreeMap<String, String> {
    let out = env
        .ccgw()
        .args(["env", "--shell", "dotenv"])
        .output()
        .unwrap();
    assert_success(&out, "ccgw env --shell dotenv");
    let file = env.root.path().join("gw.env");
    std::fs::write(&file, &out.stdout).unwrap();
    let mut py = Command::new(dep("python"));
    env.apply(&mut py);
    py.args([
        "-c",
        "import json, sys; from dotenv import dotenv_values; print(json.dumps(dotenv_values(sys.argv[1])))",
    ])
    .arg(&file);
    let out = py.output().unwrap();
    assert_success(&out, "python-dotenv");
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

fn assert_nothing_ran(env: &TestEnv) {
    let mut pwned = Vec::new();
    for dir in [env.cwd(), env.home(), env.root.path().to_path_buf()] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("pwned") {
                pwned.push(e.path());
            }
        }
    }
    assert!(pwned.is_empty(), "a payload ran: {pwned:?}");
}

fn check_mode(mode: &str) {
    let env = TestEnv::new();
    env.write_config(&hostile_config(mode));
    let want = expected(mode);
    assert_eq!(json_env(&env), want, "json output, in plan order");

    let preset = [
        ("ANTHROPIC_API_KEY", "sk-competing"),
        ("ANTHROPIC_AUTH_TOKEN", "competing-token"),
        // Left by a previous profile of another mode: must not survive.
        ("CLAUDE_CODE_USE_BEDROCK", "stale"),
        ("CLAUDE_CODE_USE_VERTEX", "stale"),
        ("ANTHROPIC_DEFAULT_OPUS_MODEL", "stale"),
        ("KEEP_ME", "untouched"),
    ];
    for shell in SHELLS {
        for locale in LOCALES {
            let after = eval_in_shell(&env, shell, &["env", "--shell", shell], &preset, locale);
            for (k, v) in &want {
                assert_eq!(after.get(k), Some(v), "{shell} ({locale}): {k}");
            }
            for k in PLAN_VARS {
                if !want.iter().any(|(w, _)| w == k) {
                    assert!(
                        !after.contains_key(k),
                        "{shell} ({locale}): stale {k} survived"
                    );
                }
            }
            for k in ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"] {
                assert!(!after.contains_key(k), "{shell} ({locale}): {k} survived");
            }
            assert_eq!(after.get("KEEP_ME").map(String::as_str), Some("untouched"));
        }
    }
    let want_map: BTreeMap<String, String> = want.into_iter().collect();
    assert_eq!(dotenv_values(&env), want_map, "python-dotenv");
    assert_nothing_ran(&env);
}

#[test]
fn unified_hostile_values_survive_every_shell() {
    check_mode("unified");
}

#[test]
fn anthropic_hostile_values_survive_every_shell() {
    check_mode("anthropic");
}

#[test]
fn bedrock_hostile_values_survive_every_shell() {
    check_mode("bedrock");
}

#[test]
fn vertex_hostile_values_survive_every_shell() {
    check_mode("vertex");
}

#[test]
fn unset_really_unsets_in_every_shell() {
    let env = TestEnv::new();
    env.write_config(&hostile_config("bedrock"));
    let mut preset: Vec<(String, String)> = PLAN_VARS
        .iter()
        .map(|k| ((*k).to_owned(), "stale".to_owned()))
        .collect();
    for i in 0..HOSTILE.len() {
        preset.push((format!("HOSTILE_{i}"), "stale".into()));
    }
    preset.push(("KEEP_ME".into(), "untouched".into()));
    // What `--with-key` exports goes too; a key ccgw never sets stays.
    preset.push(("ANTHROPIC_AUTH_TOKEN".into(), "from-with-key".into()));
    preset.push(("ANTHROPIC_API_KEY".into(), "the-users-own".into()));
    let preset: Vec<(&str, &str)> = preset
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for shell in SHELLS {
        let after = eval_in_shell(
            &env,
            shell,
            &["env", "--shell", shell, "--unset"],
            &preset,
            "C.UTF-8",
        );
        let left: Vec<&String> = after
            .keys()
            .filter(|k| PLAN_VARS.contains(&k.as_str()) || k.starts_with("HOSTILE_"))
            .collect();
        assert!(
            left.is_empty(),
            "{shell}: still set after --unset: {left:?}"
        );
        assert!(!after.contains_key("ANTHROPIC_AUTH_TOKEN"), "{shell}");
        assert_eq!(after.get("KEEP_ME").map(String::as_str), Some("untouched"));
        assert_eq!(
            after.get("ANTHROPIC_API_KEY").map(String::as_str),
            Some("the-users-own")
        );
    }
}

#[test]
fn unset_as_json_is_nulls_and_dotenv_refuses() {
    let env = TestEnv::new();
    env.write_config(&hostile_config("unified"));
    let out = env
        .ccgw()
        .args(["env", "--shell", "json", "--unset"])
        .output()
        .unwrap();
    assert_success(&out, "--unset --shell json");
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap();
    // The plan's variables, the profile's extra ones and `--with-key`'s token.
    assert_eq!(map.len(), PLAN_VARS.len() + HOSTILE.len() + 1);
    assert!(map.values().all(serde_json::Value::is_null));
    assert!(map.contains_key("HOSTILE_0") && map.contains_key("CLOUD_ML_REGION"));
    assert!(map.contains_key("ANTHROPIC_AUTH_TOKEN") && !map.contains_key("ANTHROPIC_API_KEY"));

    let out = env
        .ccgw()
        .args(["env", "--shell", "dotenv", "--unset"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("dotenv file cannot unset"));
}

#[test]
fn shell_is_detected_from_shell_var() {
    let env = TestEnv::new();
    env.write_config(crate::common::SIMPLE_CONFIG);
    let out = env
        .ccgw()
        .env("SHELL", "/usr/bin/fish")
        .arg("env")
        .output()
        .unwrap();
    assert_success(&out, "ccgw env with SHELL=fish");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("set -gx ANTHROPIC_BASE_URL 'http://127.0.0.1:4000'\n"),
        "{text}"
    );
    let out = env.ccgw().env("SHELL", "-zsh").arg("env").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("export ANTHROPIC_BASE_URL="));

    for shell in [None, Some("/bin/tcsh")] {
        let mut cmd = env.ccgw();
        match shell {
            Some(s) => cmd.env("SHELL", s),
            None => cmd.env_remove("SHELL"),
        };
        let out = cmd.arg("env").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "SHELL={shell:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("hint: pass --shell"), "{err}");
    }
}

fn shellcheck(env: &TestEnv, config: &str, exclude: &str) {
    env.write_config(config);
    let out = env
        .ccgw()
        .args(["env", "--shell", "bash"])
        .output()
        .unwrap();
    assert_success(&out, "ccgw env --shell bash");
    let file = env.root.path().join("env.sh");
    std::fs::write(&file, &out.stdout).unwrap();
    // Checked as POSIX sh: the bash output is meant for any sh.
    let check = Command::new(require("shellcheck"))
        .args(["--shell=sh", "--severity=style"])
        .arg(format!("--exclude={exclude}"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "shellcheck: {}\n{}",
        String::from_utf8_lossy(&check.stdout),
        read(&file)
    );
}

#[test]
fn bash_output_is_shellcheck_clean() {
    let env = TestEnv::new();
    let everyday = crate::common::SIMPLE_CONFIG.replace(
        "key_ttl = \"40m\"",
        "key_ttl = \"40m\"\nmodel = \"claude-sonnet-5-5\"\nheaders = { \"x-team\" = \"platform eng\" }\nenv = { DISABLE_PROMPT_CACHING = \"1\" }",
    );
    shellcheck(&env, &everyday, "SC0000");
    // With hostile values, only shellcheck's guesses about a literal's content remain, and
    // each is the point of the quoting: SC2016 `$x` in single quotes does not expand, SC1003
    // a backslash before the closing quote is literal, SC1112 a typographic quote is literal.
    shellcheck(&env, &hostile_config("vertex"), "SC2016,SC1003,SC1112");
}

#[test]
fn settings_with_another_value_are_named_on_stderr() {
    let env = TestEnv::new();
    env.write_config(crate::common::SIMPLE_CONFIG);
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    std::fs::write(
        env.user_settings(),
        r#"{"env":{"ANTHROPIC_BASE_URL":"https://elsewhere.example","CLAUDE_CODE_API_KEY_HELPER_TTL_MS":"600000"}}"#,
    )
    .unwrap();
    let path = env.user_settings();
    let out = Ccgw::new(&env)
        .args(["env", "--shell", "bash"])
        .success()
        .stderr_has(format!(
            "warning: `ANTHROPIC_BASE_URL` has another value in `{}` (user settings)",
            path.display()
        ))
        .stderr_has("hint: run `ccgw settings write --scope user`")
        // The same value is no conflict, and the other value is never printed.
        .stderr_lacks("CLAUDE_CODE_API_KEY_HELPER_TTL_MS")
        .stderr_lacks("elsewhere")
        // No layer has an apiKeyHelper: the exports carry no key.
        .stderr_has("warning: no Claude Code settings file has an apiKeyHelper")
        .run();
    // stdout is still only the exports.
    assert!(
        out.stdout
            .lines()
            .all(|l| l.starts_with("export ") || l.starts_with("unset -v ")),
        "{}",
        out.transcript()
    );
}

#[test]
fn a_settings_helper_and_credentials_are_reported() {
    let env = TestEnv::new();
    env.write_config(crate::common::SIMPLE_CONFIG);
    std::fs::create_dir_all(env.cwd().join(".claude")).unwrap();
    std::fs::write(
        env.cwd().join(".claude/settings.local.json"),
        r#"{"apiKeyHelper":"ccgw key","env":{"ANTHROPIC_API_KEY":"sk-in-settings"}}"#,
    )
    .unwrap();
    Ccgw::new(&env)
        .env("ANTHROPIC_AUTH_TOKEN", "tok-in-shell")
        .args(["env", "--shell", "zsh"])
        .success()
        .stderr_lacks("no Claude Code settings file has an apiKeyHelper")
        .stderr_has("warning: `ANTHROPIC_API_KEY` is set in `")
        .stderr_has("(local settings) and beats the apiKeyHelper")
        .stderr_has("note: `ANTHROPIC_AUTH_TOKEN` is set in this environment; the output unsets it")
        .stderr_lacks("sk-in-settings")
        .stderr_lacks("tok-in-shell")
        .run();
}

#[test]
fn with_key_exports_the_token() {
    let env = TestEnv::new();
    env.write_config(crate::common::SIMPLE_CONFIG);
    // Hostile to a shell, yet a valid key (one printable-ASCII token: no spaces).
    let key = "sk-'$(touch${IFS}pwned_key)'`id`";
    let after = eval_in_shell(
        &env,
        "bash",
        &["env", "--shell", "bash", "--with-key"],
        &[
            ("CCGW_TEST_KEY", key),
            ("ANTHROPIC_API_KEY", "sk-competing"),
        ],
        "C.UTF-8",
    );
    assert_eq!(
        after.get("ANTHROPIC_AUTH_TOKEN").map(String::as_str),
        Some(key)
    );
    assert!(!after.contains_key("ANTHROPIC_API_KEY"));
    assert_eq!(
        after.get("ANTHROPIC_BASE_URL").map(String::as_str),
        Some("http://127.0.0.1:4000")
    );
    assert_nothing_ran(&env);

    // No key: an auth failure (exit 4), nothing on stdout.
    let out = env
        .ccgw()
        .args(["env", "--shell", "bash", "--with-key"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
}

#[test]
fn impossible_variables_are_refused() {
    let env = TestEnv::new();
    for (entry, what) in [
        (
            "NUL_IN_VALUE = \"a\\u0000b\"",
            "`NUL_IN_VALUE` contains a NUL",
        ),
        (
            "\"BAD-NAME\" = \"x\"",
            "`BAD-NAME` is not a valid environment variable name",
        ),
        (
            "\"A;touch pwned\" = \"x\"",
            "is not a valid environment variable name",
        ),
    ] {
        env.write_config(&crate::common::SIMPLE_CONFIG.replace(
            "[profiles.work.key]",
            &format!("[profiles.work.env]\n{entry}\n\n[profiles.work.key]"),
        ));
        for shell in ["bash", "json", "dotenv"] {
            let out = env.ccgw().args(["env", "--shell", shell]).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{entry} {shell}");
            assert!(out.stdout.is_empty());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(what), "{err}");
        }
        let out = env.ccgw().args(["exec", "--", "true"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "exec with {entry}");
    }
    assert_nothing_ran(&env);
}

// ---------------------------------------------------------------------------------------------
// Reference decoders for the shells that are not installed here.

/// PowerShell: `$env:NAME = ITEM [+ ITEM]…` where ITEM is a single-quoted string (the four
/// quote characters `'` ‘ ’ ‚ ‛ all close it; any of them doubled stands for itself) or
/// `[char]0xHH`. Returns the assignments; panics on anything else.
fn decode_powershell(text: &str) -> Vec<(String, String)> {
    const QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'];
    let mut vars = Vec::new();
    for line in text.lines() {
        let rest = line
            .strip_prefix("$env:")
            .unwrap_or_else(|| panic!("line {line:?}"));
        let (name, expr) = rest.split_once(" = ").unwrap();
        if expr == "$null" {
            continue;
        }
        let chars: Vec<char> = expr.chars().collect();
        let mut i = 0;
        let mut value = String::new();
        loop {
            if QUOTES.contains(&chars[i]) {
                i += 1;
                loop {
                    let c = *chars.get(i).expect("unterminated string");
                    if QUOTES.contains(&c) {
                        if chars.get(i + 1).is_some_and(|n| QUOTES.contains(n)) {
                            value.push(c);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    assert!(!c.is_control(), "raw control {c:?} in {line:?}");
                    value.push(c);
                    i += 1;
                }
            } else {
                let item: String = chars[i..].iter().take(11).collect();
                let hex = item.strip_prefix("[char]0x").expect("an item");
                let code = u32::from_str_radix(&hex[..2], 16).unwrap();
                value.push(char::from_u32(code).unwrap());
                i += 10;
            }
            if i == chars.len() {
                break;
            }
            let sep: String = chars[i..i + 3].iter().collect();
            assert_eq!(sep, " + ", "in {line:?}");
            i += 3;
        }
        vars.push((name.to_owned(), value));
    }
    vars
}

fn rendered(env: &TestEnv, shell: &str) -> String {
    let out = env.ccgw().args(["env", "--shell", shell]).output().unwrap();
    assert_success(&out, shell);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn powershell_decodes_to_the_profile() {
    for mode in ["unified", "bedrock"] {
        let env = TestEnv::new();
        env.write_config(&hostile_config(mode));
        assert_eq!(
            decode_powershell(&rendered(&env, "powershell")),
            expected(mode)
        );
    }
}

/// The README's other way for nu: `ccgw env --shell json | from json | load-env`.
#[test]
fn json_loads_into_nu() {
    let env = TestEnv::new();
    env.write_config(&hostile_config("vertex"));
    let script = format!(
        "^{} env --shell json | from json | load-env; ^env -0",
        nu_raw(&crate::common::ccgw_bin().display().to_string())
    );
    let out = nu(&env, &script, &[], "C.UTF-8");
    assert_success(&out, "nu load-env");
    let after = crate::common::shells::parse_env0(&out.stdout);
    for (k, v) in expected("vertex") {
        assert_eq!(after.get(&k), Some(&v), "{k}");
    }
    assert_nothing_ran(&env);
}

// ---------------------------------------------------------------------------------------------
// Random values through every renderer.

/// Strings of any characters but NUL, weighted toward what quoting gets wrong.
fn nasty_string() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "'", "\"", "\\", "$", "`", "!", "\n", "\r", "\r\n", "\t", "${", "$(", "{", "}", "(", ")",
        "#", " ", "-", "=", ";", "&", "|", "*", "?", "~", "%", "^", "'\\''", "\\'", "'#", "\u{1b}",
        "\u{7f}", "\u{85}", "\u{2028}", "\u{feff}", "‘", "’", "‚", "‛", "é", "🚀", "\u{f600}",
        "\u{f6ff}", "\u{fffd}", "x",
    ])
    .prop_map(str::to_owned);
    let any = any::<char>()
        .prop_filter("no NUL", |c| *c != '\0')
        .prop_map(String::from);
    let control = (1u32..0x20).prop_map(|c| char::from_u32(c).unwrap().to_string());
    prop::collection::vec(prop_oneof![5 => tokens, 2 => any, 1 => control], 0..16)
        .prop_map(|parts| parts.concat())
}

fn random_config(values: &[String]) -> String {
    let mut s = crate::common::SIMPLE_CONFIG.replace(
        "[profiles.work.key]",
        "[profiles.work.env]\n[profiles.work.key]",
    );
    let env_table: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("V{i} = {}\n", toml_str(v)))
        .collect();
    s = s.replace(
        "[profiles.work.env]\n",
        &format!("[profiles.work.env]\n{env_table}\n"),
    );
    s
}

fn random_expected(values: &[String]) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "ANTHROPIC_BASE_URL".to_owned(),
            "http://127.0.0.1:4000".to_owned(),
        ),
        (
            "CLAUDE_CODE_API_KEY_HELPER_TTL_MS".to_owned(),
            "600000".to_owned(),
        ),
    ];
    v.extend(
        values
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("V{i}"), s.clone())),
    );
    v
}

proptest! {
    // Each case starts ccgw and every shell: keep the count modest.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_values_round_trip_through_real_shells(values in prop::collection::vec(nasty_string(), 1..5)) {
        let env = TestEnv::new();
        env.write_config(&random_config(&values));
        let want = random_expected(&values);
        prop_assert_eq!(json_env(&env), want.clone());
        for shell in SHELLS {
            let after = eval_in_shell(&env, shell, &["env", "--shell", shell], &[], "C.UTF-8");
            for (k, v) in &want {
                prop_assert_eq!(after.get(k), Some(v), "{} {}", shell, k);
            }
        }
        let want_map: BTreeMap<String, String> = want.iter().cloned().collect();
        prop_assert_eq!(dotenv_values(&env), want_map);
        assert_nothing_ran(&env);
    }
}

proptest! {
    // Only ccgw runs per case here, so more cases.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_values_decode_in_powershell(values in prop::collection::vec(nasty_string(), 1..5)) {
        let env = TestEnv::new();
        env.write_config(&random_config(&values));
        let want = random_expected(&values);
        prop_assert_eq!(decode_powershell(&rendered(&env, "powershell")), want);
    }
}

/// What each shell is given is the product: one snapshot per output format, for a Bedrock
/// profile with a header and a value that needs quoting.
#[test]
fn outputs_snapshot() {
    let env = TestEnv::new();
    env.write_config(
        r#"default_profile = "work"

[profiles.work]
gateway = "https://gw.example.com"
mode = "bedrock"
key_ttl = "1h"
model = "claude-sonnet-5-5"
headers = { "x-team" = "platform" }
env = { GREETING = "it's \"$HOME\" `x`" }
bedrock = { region = "eu-west-1" }

[profiles.work.key]
source = "env"
var = "CCGW_TEST_KEY"
"#,
    );
    for shell in ["bash", "zsh", "fish", "nu", "powershell", "dotenv", "json"] {
        insta::assert_snapshot!(format!("env_{shell}"), rendered(&env, shell));
    }
    let out = env
        .ccgw()
        .args(["env", "--shell", "bash", "--unset"])
        .output()
        .unwrap();
    assert_success(&out, "bash --unset");
    insta::assert_snapshot!("env_bash_unset", String::from_utf8(out.stdout).unwrap());
}
