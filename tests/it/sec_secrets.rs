//! Secrets on command lines, in doctor output and in `settings show` (issue 9, items 6–8).
//!
//! Real processes throughout: `ccgw exec` starts a script that reads its own
//! `/proc/PID/cmdline`, and the real Claude Code, whose command line is read from `/proc` while
//! it talks to a gateway.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::common::claude;
use crate::common::fakegw::{FakeGateway, Req, Resp};
use crate::common::shells::parse_env0;
use crate::common::{SIMPLE_CONFIG, TestEnv, ccgw_bin};

/// Secret values a profile hands Claude Code, other than the key: each must reach the child
/// through its environment and never through its command line.
const HEADER_SECRET: &str = "sk-header-secret-0f3c9a7d21";
const SHORT_HEADER_SECRET: &str = "s3cr3t";
const TOKEN_SECRET: &str = "tok-env-secret-77ab";
const URL_PASSWORD: &str = "pw-in-url-5e1d";

/// `SIMPLE_CONFIG` with credential headers, a non-credential header and secret-shaped extras.
fn config_with_secrets(gateway: &str) -> String {
    SIMPLE_CONFIG
        .replace("http://127.0.0.1:4000", gateway)
        .replace(
            "[profiles.work.key]",
            &format!(
                "headers = {{ \"x-team\" = \"eng\", \"x-gw-token\" = \"{HEADER_SECRET}\", \"cookie\" = \"{SHORT_HEADER_SECRET}\" }}\n\
                 env = {{ MY_SERVICE_TOKEN = \"{TOKEN_SECRET}\", DATABASE_URL = \"postgres://app:{URL_PASSWORD}@db/app\", PLAIN_EXTRA = \"visible\" }}\n\n\
                 [profiles.work.key]"
            ),
        )
}

fn all_secrets() -> [&'static str; 4] {
    [
        HEADER_SECRET,
        SHORT_HEADER_SECRET,
        TOKEN_SECRET,
        URL_PASSWORD,
    ]
}

/// A `claude` stand-in that saves its own `/proc/$$/cmdline` (what any local user can read)
/// and its environment, NUL-separated, next to itself.
fn cmdline_recorder(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("claude");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ncat /proc/$$/cmdline > '{0}/cmdline'\nenv -0 > '{0}/env'\nexit 3\n",
            dir.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn exec_puts_no_secret_on_the_childs_command_line() {
    let env = TestEnv::new();
    env.write_config(&config_with_secrets("http://127.0.0.1:4000"));
    let bin = env.root.path().join("bin");
    let claude = cmdline_recorder(&bin);
    let out = env
        .ccgw()
        .args(["exec", "--"])
        .arg(&claude)
        .args(["-p", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    let cmdline = String::from_utf8(std::fs::read(bin.join("cmdline")).unwrap()).unwrap();
    for secret in all_secrets() {
        assert!(
            !cmdline.contains(secret),
            "`{secret}` is on the command line: {cmdline:?}"
        );
    }
    // The command line still carries the helper and the harmless variables.
    let args: Vec<&str> = cmdline.split('\0').collect();
    let at = args
        .iter()
        .position(|a| *a == "--settings")
        .expect("--settings");
    let settings: serde_json::Value = serde_json::from_str(args[at + 1]).unwrap();
    assert!(
        settings["apiKeyHelper"]
            .as_str()
            .unwrap()
            .ends_with(" key --profile work"),
        "{settings}"
    );
    assert_eq!(settings["env"]["PLAIN_EXTRA"], "visible", "{settings}");
    assert_eq!(
        settings["env"]["ANTHROPIC_BASE_URL"], "http://127.0.0.1:4000",
        "{settings}"
    );
    for name in [
        "ANTHROPIC_CUSTOM_HEADERS",
        "MY_SERVICE_TOKEN",
        "DATABASE_URL",
    ] {
        assert!(settings["env"].get(name).is_none(), "{name}: {settings}");
    }

    // Every value reached the child, exactly, through its environment.
    let child = parse_env0(&std::fs::read(bin.join("env")).unwrap());
    let headers = child.get("ANTHROPIC_CUSTOM_HEADERS").expect("headers");
    assert!(
        headers.contains(&format!("x-gw-token: {HEADER_SECRET}")),
        "{headers}"
    );
    assert!(
        headers.contains(&format!("cookie: {SHORT_HEADER_SECRET}")),
        "{headers}"
    );
    assert_eq!(child.get("MY_SERVICE_TOKEN").unwrap(), TOKEN_SECRET);
    assert_eq!(
        child.get("DATABASE_URL").unwrap(),
        &format!("postgres://app:{URL_PASSWORD}@db/app")
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for secret in all_secrets() {
        assert!(!err.contains(secret), "{err}");
    }
}

#[test]
fn exec_warns_when_a_settings_file_beats_a_variable_passed_in_the_environment() {
    let env = TestEnv::new();
    env.write_config(&config_with_secrets("http://127.0.0.1:4000"));
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    std::fs::write(
        env.user_settings(),
        r#"{"env":{"ANTHROPIC_CUSTOM_HEADERS":"x-gw-token: another-gateways-token"}}"#,
    )
    .unwrap();
    let bin = env.root.path().join("bin");
    let claude = cmdline_recorder(&bin);
    let out = env
        .ccgw()
        .args(["exec", "--"])
        .arg(&claude)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: `ANTHROPIC_CUSTOM_HEADERS` has another value in")
            && err.contains("(user settings)"),
        "{err}"
    );
    assert!(!err.contains("another-gateways-token"), "{err}");
}

/// The processes on this machine whose command line contains `needle`.
fn processes_with_on_cmdline(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(bytes) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&bytes).contains(needle)
        {
            found.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(&bytes).replace('\0', " ")
            ));
        }
    }
    found
}

/// What the gateway saw of one request, and what `/proc` showed while it was being answered.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    gw_token: Option<String>,
    cookie: Option<String>,
    /// Processes whose command line names the gateway (so the scan did see Claude Code's).
    naming_the_gateway: usize,
    /// Processes whose command line holds a secret.
    with_a_secret: Vec<String>,
}

crate::each_claude!(fn real_claude_started_by_exec_sends_secret_headers_that_no_command_line_shows(claude) {
    const KEY: &str = "sk-exec-cmdline-key-4f2e";
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let base = Arc::new(Mutex::new(String::new()));
    let base_in_handler = base.clone();
    // A loopback gateway of the test's own: it must look at /proc at the moment Claude Code's
    // request arrives (the process is alive and mid-request) and see the custom headers as
    // sent, which no real gateway reports. It refuses the model call; the test stops Claude
    // Code once the request is seen.
    let gw = FakeGateway::start(move |r: &Req| {
        let gateway = base_in_handler.lock().unwrap().clone();
        let with_a_secret = all_secrets()
            .into_iter()
            .chain([KEY])
            .flat_map(processes_with_on_cmdline)
            .collect();
        log.lock().unwrap().push(Seen {
            target: r.target.clone(),
            gw_token: r.header("x-gw-token").map(str::to_owned),
            cookie: r.header("cookie").map(str::to_owned),
            naming_the_gateway: processes_with_on_cmdline(&gateway).len(),
            with_a_secret,
        });
        Resp::json(400, r#"{"message":"test gateway: no model upstream"}"#)
    });
    *base.lock().unwrap() = gw.base();
    let env = TestEnv::new();
    env.write_config(&config_with_secrets(&gw.base()));
    let mut cmd = Command::new(ccgw_bin());
    claude::offline(&env, &mut cmd, 0);
    cmd.env("CCGW_TEST_KEY", KEY)
        .args(["exec", "--"])
        .arg(claude.bin())
        .args(["-p", "say hello"]);
    let is_model_request = |s: &Seen| s.target.starts_with("/v1/messages");
    let run = claude::run_until(cmd, claude::TIMEOUT, || {
        seen.lock().unwrap().iter().any(is_model_request)
    });
    let seen = seen.lock().unwrap().clone();
    let req = seen
        .iter()
        .find(|s| is_model_request(s))
        .unwrap_or_else(|| panic!("no model request among {seen:#?}; {run:#?}"));
    // The headers came through the environment, intact.
    assert_eq!(req.gw_token.as_deref(), Some(HEADER_SECRET), "{req:?}");
    assert_eq!(req.cookie.as_deref(), Some(SHORT_HEADER_SECRET), "{req:?}");
    // Claude Code's command line was there to read (its --settings names the gateway) …
    assert!(req.naming_the_gateway >= 1, "{req:?}");
    // … and no command line on the machine held a secret, at any request.
    for s in &seen {
        assert!(s.with_a_secret.is_empty(), "{s:#?}");
    }
});

/// Secret-shaped values a planted (or hand-written) settings file may hold.
const SHOWN_HEADER_SECRET: &str = "sk-show-header-secret-9d2b71";
const SHOWN_URL_PASSWORD: &str = "hunter2-url-pw";
const HELPER_LITERAL_KEY: &str = "sk-ant-api03-helperliteral-55aa";
const SHORT_TOKEN: &str = "tok-42";

fn write_settings_with_secrets(env: &TestEnv) {
    let settings = serde_json::json!({
        "apiKeyHelper": format!("echo {HELPER_LITERAL_KEY}"),
        "env": {
            "ANTHROPIC_BASE_URL": format!("https://me:{SHOWN_URL_PASSWORD}@gw.corp:4000"),
            "ANTHROPIC_CUSTOM_HEADERS": format!("x-team: eng\nx-litellm-api-key: {SHOWN_HEADER_SECRET}\nCookie: {SHORT_TOKEN}"),
            "ANTHROPIC_AUTH_TOKEN": SHORT_TOKEN,
        }
    });
    env.write_user_settings(settings.to_string());
}

#[test]
fn settings_show_masks_every_secret_shaped_value() {
    let env = TestEnv::new();
    env.write_config(SIMPLE_CONFIG);
    write_settings_with_secrets(&env);
    for args in [
        &["settings", "show"][..],
        &["settings", "show", "--effective"],
    ] {
        let out = env.ccgw().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        for secret in [
            SHOWN_HEADER_SECRET,
            SHOWN_URL_PASSWORD,
            HELPER_LITERAL_KEY,
            SHORT_TOKEN,
        ] {
            assert!(!text.contains(secret), "{args:?} shows `{secret}`:\n{text}");
        }
        // What is not secret stays readable, and each secret is masked where it stands:
        // long ones as first4…last4, short ones whole.
        for shown in [
            "x-team: eng",
            "x-litellm-api-key: sk-s…2b71",
            "Cookie: ****",
            "https://me:****@gw.corp:4000",
            "echo sk-a…55aa",
            "ANTHROPIC_AUTH_TOKEN = ****",
        ] {
            assert!(text.contains(shown), "{args:?} lacks `{shown}`:\n{text}");
        }
    }
}

#[test]
fn undo_records_keep_no_secret_shaped_previous_value() {
    let env = TestEnv::new();
    // The profile sets the variables the planted file already holds, so `settings write`
    // replaces them and records what was there before.
    env.write_config(&SIMPLE_CONFIG.replace(
        "[profiles.work.key]",
        "headers = { \"x-team\" = \"eng\" }\nenv = { AWS_SECRET_ACCESS_KEY = \"new\" }\n\n[profiles.work.key]",
    ));
    let settings = serde_json::json!({
        "env": {
            "ANTHROPIC_BASE_URL": format!("https://me:{SHOWN_URL_PASSWORD}@gw.corp:4000"),
            "ANTHROPIC_CUSTOM_HEADERS": format!("x-trace: {SHOWN_HEADER_SECRET}"),
            "AWS_SECRET_ACCESS_KEY": SHORT_TOKEN,
        }
    });
    env.write_user_settings(settings.to_string());
    let out = env.ccgw().args(["settings", "write"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");

    let state = env.home().join(".local/state");
    let mut records = Vec::new();
    let mut dirs = vec![state];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                dirs.push(e.path());
            } else {
                records.push(e.path());
            }
        }
    }
    let texts: Vec<String> = records
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter(|t| t.contains("\"entries\""))
        .collect();
    assert!(!texts.is_empty(), "no undo record among {records:?}");
    for text in &texts {
        for secret in [SHOWN_URL_PASSWORD, SHOWN_HEADER_SECRET, SHORT_TOKEN] {
            assert!(
                !text.contains(secret),
                "the undo record keeps `{secret}`:\n{text}"
            );
        }
        assert!(text.contains("\"secret\""), "{text}");
    }
    let err = String::from_utf8_lossy(&out.stderr);
    for secret in [SHOWN_URL_PASSWORD, SHOWN_HEADER_SECRET, SHORT_TOKEN] {
        assert!(!err.contains(secret), "{err}");
    }
}

/// The key and a credential header value the echoing gateway sends back. Random-looking, so
/// that no 8 characters of them occur in doctor's own words.
const ECHOED_KEY: &str = "sk-Zq7vR2xK9mW4pL8nT3yB";
const ECHOED_HEADER: &str = "hdr-Jf6tQ1sD8gH5kM2c";
/// What a hostile answer carries to act on a terminal: a colour/clear-screen CSI, an OSC title
/// change and hyperlink, a carriage return that overwrites the line.
const TERMINAL_ATTACK: &str =
    "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]8;;http://evil/\u{7}link\rOVERWRITE";

/// A gateway that echoes back the key and the custom headers it received, with terminal
/// control sequences, in every answer. A small server of the test's own: no real gateway
/// echoes credentials on demand (LiteLLM does not), and that is the fault under test.
fn echoing_gateway() -> FakeGateway {
    FakeGateway::start(|r: &Req| {
        let key = r
            .header("x-api-key")
            .or_else(|| r.bearer())
            .unwrap_or(ECHOED_KEY)
            .to_owned();
        let header = r.header("x-gw-token").unwrap_or(ECHOED_HEADER).to_owned();
        let message = |prefix: &str| {
            serde_json::json!({"error": {"message": format!(
                "{prefix} you sent key {key} and x-gw-token {header} {TERMINAL_ATTACK}"
            )}})
            .to_string()
        };
        match r.path() {
            "/health/liveliness" => Resp::json(503, &message("not live:")),
            "/v1/models" if r.header("x-api-key").is_some() || r.bearer().is_some() => {
                let models = serde_json::json!({"data": [
                    {"id": key},
                    {"id": format!("model{TERMINAL_ATTACK}")},
                    {"id": format!("for {header}")},
                ]});
                Resp::json(200, &models.to_string())
            }
            "/v1/models" => Resp::json(401, &message("no key:")),
            // The key straddles the 160-character cut of a quoted message: scrubbing after
            // the cut would leave its first half.
            _ => Resp::json(400, &message(&"x".repeat(130))),
        }
    })
}

/// Every window of 8 characters of `secret` that occurs in `text`.
fn pieces_of(secret: &str, text: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .filter(|w| text.contains(w.as_str()))
        .collect()
}

fn assert_no_secret_and_no_control(what: &str, text: &str) {
    for secret in [ECHOED_KEY, ECHOED_HEADER] {
        let found = pieces_of(secret, text);
        assert!(
            found.is_empty(),
            "{what} shows {found:?} of `{secret}`:\n{text}"
        );
    }
    for c in ['\u{1b}', '\u{7}', '\r', '\u{9b}'] {
        assert!(!text.contains(c), "{what} carries {c:?}:\n{text:?}");
    }
}

/// Every string in a JSON value.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn doctor_prints_no_echoed_secret_and_no_control_sequence() {
    let gw = echoing_gateway();
    let env = TestEnv::new();
    env.write_config(&SIMPLE_CONFIG.replace("http://127.0.0.1:4000", &gw.base()).replace(
        "[profiles.work.key]",
        &format!(
            "model = \"the-wanted-model\"\nheaders = {{ \"x-team\" = \"eng\", \"x-gw-token\" = \"{ECHOED_HEADER}\" }}\n\n[profiles.work.key]"
        ),
    ));
    let doctor = |json: bool| {
        let mut cmd = env.ccgw();
        cmd.env("CCGW_TEST_KEY", ECHOED_KEY)
            .args(["doctor", "--timeout", "20s"])
            .timeout(std::time::Duration::from_secs(120));
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "checks fail: {out:?}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };

    let (text, err) = doctor(false);
    assert_no_secret_and_no_control("doctor's text", &text);
    assert_no_secret_and_no_control("doctor's stderr", &err);
    // The echoes did reach the report, made harmless: the checks quoted the server.
    assert!(text.contains("[redacted]"), "{text}");
    assert!(text.contains("\\u{1b}]0;pwned"), "{text}");

    let (json, err) = doctor(true);
    assert_no_secret_and_no_control("doctor's stderr (--json)", &err);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut all = Vec::new();
    strings(&report, &mut all);
    // What `jq -r` would print: the decoded strings, not their JSON escapes.
    let decoded = all.join("\n");
    assert_no_secret_and_no_control("doctor --json (decoded)", &decoded);
    assert_no_secret_and_no_control("doctor --json", &json);
    for id in ["gateway", "models", "messages"] {
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no `{id}` in {report:#}"));
        // A count_tokens that fails for another reason than the key, the model or a beta is a
        // warning (Claude Code still answers; LiteLLM 1.108 forwards it upstream): the echoed
        // 400 of this server is one. The gateway and models checks fail.
        let want = if id == "messages" { "warn" } else { "fail" };
        assert_eq!(check["status"], want, "{check:#}");
        let summary = check["summary"].as_str().unwrap();
        assert!(summary.contains("[redacted]"), "{id}: {summary}");
        // (messages quotes only the first 160 characters, which end before the sequences.)
        assert!(
            id == "messages" || summary.contains("\\u{1b}"),
            "{id}: {summary}"
        );
    }
}

/// `settings write` warns about another layer's apiKeyHelper that wins; a literal key in that
/// helper's command line is masked in the warning, like everywhere else.
#[test]
fn a_winning_helper_with_a_literal_key_is_masked_in_the_write_warning() {
    let env = TestEnv::new();
    env.write_config(crate::common::SIMPLE_CONFIG);
    let secret = "sk-planted-literal-key-0123456789abcdef";
    let project = env.cwd().join(".claude");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("settings.json"),
        format!("{{\"apiKeyHelper\": \"echo {secret}\"}}\n"),
    )
    .unwrap();
    let out = crate::common::Ccgw::new(&env)
        .args(["settings", "write", "--scope", "user"])
        .success()
        .stderr_has("sets its own apiKeyHelper")
        .run();
    assert!(!out.stderr.contains(secret), "{}", out.stderr);
    assert!(!out.stderr.contains("0123456789abcdef"), "{}", out.stderr);
}
