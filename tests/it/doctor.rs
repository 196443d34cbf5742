//! `ccgw doctor` against a real LiteLLM proxy, and against small loopback servers of the test's
//! own for the faults LiteLLM does not produce on demand (each says which).

use std::time::Duration;

use serde_json::Value;

use crate::common::claude::Claude;
use crate::common::fakegw::{FakeGateway, Req, Resp};
use crate::common::litellm::{LiteLlm, MASTER_KEY, MODEL};
use crate::common::upstream::Upstream;
use crate::common::{TestEnv, ccgw_bin, free_port};

/// The key the fake gateways accept.
const KEY: &str = "sk-fake-gateway-key-5678";

/// A config with profile `work` (key from `CCGW_TEST_KEY`).
fn config(gateway: &str, mode: &str, extra: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{gateway}\"\nmode = \"{mode}\"\nkey_ttl = \"40m\"\nmodel = \"{MODEL}\"\n{extra}\n[profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n"
    )
}

/// What `ccgw settings write` would put in the user settings for a unified `work` profile.
fn write_user_settings(env: &TestEnv, gateway: &str) {
    let helper = format!(
        "{} key --profile work",
        ccgw_bin().canonicalize().unwrap().display()
    );
    let settings = serde_json::json!({
        "apiKeyHelper": helper,
        "env": {
            "ANTHROPIC_BASE_URL": gateway,
            "CLAUDE_CODE_API_KEY_HELPER_TTL_MS": "600000",
            "ANTHROPIC_MODEL": MODEL,
        }
    });
    std::fs::create_dir_all(env.claude_dir()).unwrap();
    std::fs::write(env.user_settings(), settings.to_string()).unwrap();
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

/// `ccgw doctor` with the current Claude Code first on PATH (the `claude` check needs one).
fn doctor(env: &TestEnv, key: &str, args: &[&str]) -> Run {
    doctor_with_path(env, key, args, &path_with(Claude::CURRENT))
}

/// PATH with `claude`'s directory first.
fn path_with(claude: Claude) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(claude.bin_dir()).chain(std::env::split_paths(&rest)))
        .unwrap()
}

fn doctor_with_path(env: &TestEnv, key: &str, args: &[&str], path: &std::ffi::OsStr) -> Run {
    let out = env
        .ccgw()
        .env("PATH", path)
        .env("CCGW_TEST_KEY", key)
        .arg("doctor")
        .args(["--timeout", "20s"])
        .args(args)
        .timeout(Duration::from_secs(180))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The check `id` of a JSON report.
fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check `{id}` in {report:#}"))
}

fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"].as_str().unwrap()
}

fn hint<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["hint"].as_str().unwrap_or("")
}

/// Durations and ports vary from run to run.
fn snapshot_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\(\d+ ms\)", "([N] ms)"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"at /\S+/claude:", "at [DEPS]/claude:"),
    ]
}

#[test]
fn litellm_all_checks_pass_with_the_master_key() {
    let proxy = LiteLlm::shared();
    let env = TestEnv::new();
    env.write_config(&config(&proxy.base, "unified", ""));
    write_user_settings(&env, &proxy.base);

    let run = doctor(&env, MASTER_KEY, &["--json"]);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert_eq!(report["profile"], "work");
    for id in [
        "config", "settings", "key", "network", "gateway", "auth", "models", "messages", "claude",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}: {report:#}");
    }
    assert_eq!(status(&report, "passthrough"), "skip");
    assert_eq!(report["failed"], 0);
    assert_eq!(report["warnings"], 0);
    assert!(
        check(&report, "gateway")["summary"]
            .as_str()
            .unwrap()
            .contains("LiteLLM")
    );
    assert!(
        !run.stdout.contains(MASTER_KEY),
        "the key leaked: {}",
        run.stdout
    );

    let human = doctor(&env, MASTER_KEY, &[]);
    assert_eq!(human.code, 0, "{}", human.stdout);
    assert!(!human.stdout.contains(MASTER_KEY) && !human.stderr.contains(MASTER_KEY));
    insta::with_settings!({filters => snapshot_filters()}, {
        insta::assert_snapshot!("doctor_litellm_pass", human.stdout);
    });
}

#[test]
fn litellm_live_stream_through_a_reachable_upstream_passes() {
    let proxy = LiteLlm::shared();
    let env = TestEnv::new();
    env.write_config(&config(&proxy.base, "unified", ""));
    let run = doctor(
        &env,
        MASTER_KEY,
        &["--json", "--live", "--only", "messages"],
    );
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 1);
    assert_eq!(status(&report, "messages"), "pass", "{report:#}");
    let summary = check(&report, "messages")["summary"].as_str().unwrap();
    assert!(
        summary.contains("message_start … message_stop"),
        "{summary}"
    );
}

/// LiteLLM 1.108 forwards count_tokens upstream: an upstream without it (here one whose
/// count_tokens answers 500) leaves Claude Code working, so doctor warns and exits 0, and the
/// live call proves messages work.
#[test]
fn litellm_count_tokens_broken_upstream_warns_and_the_live_call_passes() {
    let upstream = Upstream::broken_count_tokens();
    let proxy = LiteLlm::start(&upstream);
    let env = TestEnv::new();
    env.write_config(&config(&proxy.base, "unified", ""));
    for live in [false, true] {
        let mut args = vec!["--json", "--only", "messages"];
        if live {
            args.push("--live");
        }
        let run = doctor(&env, MASTER_KEY, &args);
        let report = run.json();
        assert_eq!(run.code, 0, "live={live}: {report:#}");
        assert_eq!(status(&report, "messages"), "warn", "{report:#}");
        let summary = check(&report, "messages")["summary"].as_str().unwrap();
        assert!(
            summary.contains("count_tokens does not work through this gateway"),
            "{summary}"
        );
        assert!(hint(&report, "messages").contains("estimates token counts"));
        if live {
            assert!(
                summary.contains("message_start … message_stop"),
                "{summary}"
            );
        }
    }
    assert!(
        upstream.count_tokens_calls() >= 2,
        "the proxy never asked the upstream"
    );
}

#[test]
fn litellm_wrong_key_fails_auth_with_a_hint() {
    let proxy = LiteLlm::shared();
    let env = TestEnv::new();
    env.write_config(&config(&proxy.base, "unified", ""));
    write_user_settings(&env, &proxy.base);
    let wrong = "sk-this-is-not-the-master-key-0000";

    let run = doctor(&env, wrong, &["--json"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(status(&report, "key"), "pass");
    assert_eq!(status(&report, "auth"), "fail");
    assert!(
        check(&report, "auth")["summary"]
            .as_str()
            .unwrap()
            .contains("no_db_connection")
    );
    assert!(hint(&report, "auth").contains("master key"), "{report:#}");
    assert_eq!(status(&report, "models"), "skip");
    assert_eq!(status(&report, "messages"), "skip");

    let human = doctor(&env, wrong, &[]);
    assert_eq!(human.code, 1);
    for out in [&run.stdout, &human.stdout, &human.stderr] {
        assert!(!out.contains(wrong), "the key leaked: {out}");
    }
    insta::with_settings!({filters => snapshot_filters()}, {
        insta::assert_snapshot!("doctor_litellm_wrong_key", human.stdout);
    });
}

/// Reproduces: a gateway that reads the key only from `x-api-key` (some proxies, or LiteLLM with
/// a custom `litellm_key_header_name`). Claude Code sends both headers in unified mode, so it
/// works there, but only `Authorization: Bearer` in Bedrock mode.
fn x_api_key_only(req: &Req) -> Resp {
    let ok = req.header("x-api-key") == Some(KEY);
    let refused = || {
        Resp::json(
            401,
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        )
    };
    match req.path() {
        "/v1/models" if ok => Resp::json(
            200,
            r#"{"data":[{"type":"model","id":"claude-sonnet-5-5"}],"has_more":false}"#,
        ),
        "/v1/messages/count_tokens" if ok => Resp::json(200, r#"{"input_tokens":5}"#),
        "/bedrock/inference-profiles" => Resp::json(200, r#"{"inferenceProfileSummaries":[]}"#),
        p if p.starts_with("/bedrock/model/") && ok => {
            Resp::json(200, r#"{"type":"message","content":[]}"#)
        }
        "/v1/models" | "/v1/messages/count_tokens" => refused(),
        p if p.starts_with("/bedrock/model/") => refused(),
        _ => Resp::json(404, r#"{"error":"not found"}"#),
    }
}

#[test]
fn x_api_key_only_gateway_passes_unified_and_fails_bedrock() {
    let gw = FakeGateway::start(x_api_key_only);
    let env = TestEnv::new();
    env.write_config(&config(&gw.base(), "unified", ""));
    let run = doctor(
        &env,
        KEY,
        &["--json", "--only", "gateway", "auth", "models", "messages"],
    );
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    for id in ["gateway", "auth", "models", "messages"] {
        assert_eq!(status(&report, id), "pass", "{id}: {report:#}");
    }
    assert!(
        check(&report, "auth")["summary"]
            .as_str()
            .unwrap()
            .contains("Bearer ✗ x-api-key ✓")
    );

    env.write_config(&config(
        &gw.base(),
        "bedrock",
        "bedrock = { region = \"us-east-1\" }",
    ));
    let run = doctor(&env, KEY, &["--json", "--only", "auth", "passthrough"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(status(&report, "auth"), "fail");
    assert!(
        hint(&report, "auth").contains("only from x-api-key"),
        "{report:#}"
    );
    assert_eq!(status(&report, "passthrough"), "fail");
}

/// Reproduces: a gateway that demands a key on `GET …/bedrock/inference-profiles` (a real LiteLLM
/// does too, but only with its Bedrock route set up). Claude Code sends that request first and
/// with no credential at all; it is refused, and Claude Code falls back to built-in model IDs.
fn profiles_need_auth(req: &Req) -> Resp {
    let authed = req.bearer() == Some(KEY);
    match req.path() {
        "/bedrock/inference-profiles" if !authed => {
            Resp::json(401, r#"{"message":"missing credential"}"#)
        }
        "/bedrock/inference-profiles" => Resp::json(200, r#"{"inferenceProfileSummaries":[]}"#),
        p if p.starts_with("/bedrock/model/") && authed => {
            Resp::json(200, r#"{"type":"message","content":[]}"#)
        }
        _ => Resp::json(401, r#"{"message":"missing credential"}"#),
    }
}

#[test]
fn bedrock_inference_profiles_that_demand_auth_warn() {
    let gw = FakeGateway::start(profiles_need_auth);
    let env = TestEnv::new();
    env.write_config(&config(
        &gw.base(),
        "bedrock",
        "bedrock = { region = \"us-east-1\" }",
    ));
    // A warning, not a failure: measured, Claude Code 2.1.197 goes on to the invoke route after
    // a 401 here (see the comment in src/doctor/checks/passthrough.rs). --strict fails on it.
    let run = doctor(&env, KEY, &["--json", "--only", "passthrough"]);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert_eq!(status(&report, "passthrough"), "warn");
    let summary = check(&report, "passthrough")["summary"].as_str().unwrap();
    assert!(
        summary.contains("inference-profiles") && summary.contains("no credential"),
        "{summary}"
    );
    assert!(hint(&report, "passthrough").contains("without a key"));
    let strict = doctor(&env, KEY, &["--json", "--strict", "--only", "passthrough"]);
    assert_eq!(strict.code, 1);
}

/// Reproduces: a gateway (or an Anthropic-compatible upstream behind it) that checks
/// `anthropic-beta` against a list and rejects `claude-code-20250219` (anthropics/claude-code
/// #22893, #70563; BerriAI/litellm PR #36736).
fn rejects_claude_code_beta(req: &Req) -> Resp {
    let authed = req.bearer() == Some(KEY) || req.header("x-api-key") == Some(KEY);
    let beta = req.header("anthropic-beta").unwrap_or("");
    match req.path() {
        _ if !authed => Resp::json(
            401,
            r#"{"type":"error","error":{"type":"authentication_error","message":"no key"}}"#,
        ),
        "/v1/messages/count_tokens" if beta.contains("claude-code-20250219") => Resp::json(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"Unexpected value(s) `claude-code-20250219` for the `anthropic-beta` header. Please consult our documentation at docs.anthropic.com or try again without the header."}}"#,
        ),
        "/v1/messages/count_tokens" => Resp::json(200, r#"{"input_tokens":5}"#),
        "/v1/models" => Resp::json(
            200,
            r#"{"data":[{"type":"model","id":"claude-sonnet-5-5"}]}"#,
        ),
        _ => Resp::json(404, "{}"),
    }
}

#[test]
fn a_rejected_anthropic_beta_fails_messages_naming_the_fix() {
    let gw = FakeGateway::start(rejects_claude_code_beta);
    let env = TestEnv::new();
    env.write_config(&config(&gw.base(), "unified", ""));
    let run = doctor(&env, KEY, &["--json", "--only", "auth", "messages"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(status(&report, "auth"), "pass");
    assert_eq!(status(&report, "messages"), "fail");
    assert!(
        check(&report, "messages")["summary"]
            .as_str()
            .unwrap()
            .contains("claude-code-20250219")
    );
    assert!(hint(&report, "messages").contains("CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1"));
}

/// Reproduces: a gateway with a self-signed certificate (private PKI), which no real component
/// here serves on demand.
#[test]
fn a_self_signed_certificate_fails_and_passes_with_tls_ca_file() {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert_pem = cert.cert.pem();
    let gw = FakeGateway::start_tls(
        &cert_pem,
        &cert.signing_key.serialize_pem(),
        |_req: &Req| Resp::json(404, "{}"),
    );
    let env = TestEnv::new();
    env.write_config(&config(&gw.base_tls(), "unified", ""));
    let run = doctor(&env, KEY, &["--json", "--only", "network"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(status(&report, "network"), "fail");
    assert!(
        check(&report, "network")["summary"]
            .as_str()
            .unwrap()
            .contains("not trusted"),
        "{report:#}"
    );
    assert!(hint(&report, "network").contains("tls.ca_file"));

    let ca = env.root.path().join("gateway-ca.pem");
    std::fs::write(&ca, &cert_pem).unwrap();
    let extra = format!("tls = {{ ca_file = \"{}\" }}", ca.display());
    env.write_config(&config(&gw.base_tls(), "unified", &extra));
    let run = doctor(&env, KEY, &["--json", "--only", "network", "gateway"]);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let summary = check(&report, "network")["summary"].as_str().unwrap();
    assert!(
        summary.contains("TLS verified with tls.ca_file"),
        "{summary}"
    );
    assert!(summary.contains("more days"), "{summary}");
    assert_eq!(status(&report, "gateway"), "pass");
}

#[test]
fn a_closed_port_fails_network_and_skips_what_needs_it() {
    // Nothing listens on a port just released.
    let port = free_port();
    let env = TestEnv::new();
    env.write_config(&config(&format!("http://127.0.0.1:{port}"), "unified", ""));
    let run = doctor(&env, KEY, &["--json"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(status(&report, "network"), "fail");
    assert!(
        check(&report, "network")["summary"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
    assert!(hint(&report, "network").contains("is the gateway running"));
    for id in ["gateway", "auth", "models", "messages"] {
        assert_eq!(status(&report, id), "skip", "{id}");
    }
    assert_eq!(status(&report, "key"), "pass");
}

#[test]
fn a_competing_auth_token_fails_settings() {
    let env = TestEnv::new();
    env.write_config(&config("http://127.0.0.1:9", "unified", ""));
    let out = env
        .ccgw()
        .env("ANTHROPIC_AUTH_TOKEN", "sk-leftover-token-value")
        .args(["doctor", "--json", "--only", "settings"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status(&report, "settings"), "fail");
    assert!(hint(&report, "settings").contains("unset ANTHROPIC_AUTH_TOKEN"));
    assert!(!stdout.contains("sk-leftover-token-value"));
}

/// A unified profile, and local settings left by a Vertex one: Claude Code would go down the
/// Vertex route. `settings write` for this profile does not touch another file's keys.
#[test]
fn another_modes_route_switch_in_local_settings_fails_settings() {
    let env = TestEnv::new();
    env.write_config(&config("http://127.0.0.1:9", "unified", ""));
    env.ccgw().args(["settings", "write"]).assert().success();
    let local = env.cwd().join(".claude/settings.local.json");
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(&local, r#"{"env": {"CLAUDE_CODE_USE_VERTEX": "1"}}"#).unwrap();
    let out = env
        .ccgw()
        .args(["doctor", "--json", "--only", "settings"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(status(&report, "settings"), "fail");
    let summary = report["checks"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!(
            "`CLAUDE_CODE_USE_VERTEX` is set in `{}` (local settings)",
            local.display()
        )),
        "{summary}"
    );
    std::fs::remove_file(&local).unwrap();
    let out = env
        .ccgw()
        .args(["doctor", "--json", "--only", "settings"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_unknown_check_id_exits_2_listing_the_valid_ones() {
    let env = TestEnv::new();
    env.write_config(&config("http://127.0.0.1:9", "unified", ""));
    let out = env
        .ccgw()
        .args(["doctor", "--only", "dns"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown check `dns`"), "{stderr}");
    assert!(
        stderr.contains(
            "config, settings, key, network, gateway, auth, models, messages, passthrough"
        )
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn litellm_vertex_route_takes_the_key_but_has_no_provider_credential() {
    // A real LiteLLM with no Vertex credential answers the rawPredict route with 401 and a
    // `detail` about its own missing credential: the key was accepted, the provider side is
    // the gateway's to configure, so this is a warning, not a failure.
    let proxy = LiteLlm::shared();
    let env = TestEnv::new();
    env.write_config(&config(
        &proxy.base,
        "vertex",
        "vertex = { project = \"ccgw-test\", region = \"us-east5\" }",
    ));
    let run = doctor(
        &env,
        MASTER_KEY,
        &["--json", "--only", "auth", "passthrough", "models"],
    );
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert_eq!(status(&report, "auth"), "pass", "{report:#}");
    assert_eq!(status(&report, "models"), "skip");
    assert_eq!(status(&report, "passthrough"), "warn", "{report:#}");
    let summary = check(&report, "passthrough")["summary"].as_str().unwrap();
    assert!(
        summary.contains("no working provider credential"),
        "{summary}"
    );
}

crate::each_claude!(
    fn claude_check_reports_the_version_and_its_rules(claude) {
        let env = TestEnv::new();
        env.write_config(&config("http://127.0.0.1:9", "unified", "model_discovery = true\n"));
        let run = doctor_with_path(
            &env,
            KEY,
            &["--json", "--only", "claude"],
            &path_with(claude),
        );
        let report = run.json();
        let summary = check(&report, "claude")["summary"].as_str().unwrap().to_owned();
        assert!(
            summary.contains(&format!("Claude Code {} at ", claude.version())),
            "{summary}"
        );
        assert!(summary.contains(&claude.bin().display().to_string()), "{summary}");
        if claude == Claude::OLDEST {
            assert!(summary.contains("only a 401 reruns the helper"), "{summary}");
            assert!(summary.contains("a JWT near exp is sent once more"), "{summary}");
            // model_discovery does nothing with a helper before 2.1.332.
            assert_eq!(status(&report, "claude"), "warn", "{report:#}");
            assert!(summary.contains("`model_discovery = true` has no effect"), "{summary}");
        } else {
            assert!(summary.contains("a 401 or 403 reruns the helper"), "{summary}");
            assert!(summary.contains("model discovery sends Bearer and x-api-key"), "{summary}");
            assert!(summary.contains("a JWT near exp is refreshed first"), "{summary}");
            assert_eq!(status(&report, "claude"), "pass", "{report:#}");
        }
        assert_eq!(run.code, 0, "{report:#}");
    }
);

#[test]
fn claude_not_on_path_is_said_and_the_other_checks_run() {
    let env = TestEnv::new();
    env.write_config(&config("http://127.0.0.1:9", "unified", ""));
    // The system directories only: no Claude Code there (the test components are elsewhere).
    let run = doctor_with_path(
        &env,
        KEY,
        &["--json"],
        std::ffi::OsStr::new("/usr/bin:/bin"),
    );
    let report = run.json();
    assert_eq!(status(&report, "claude"), "warn", "{report:#}");
    assert!(
        check(&report, "claude")["summary"]
            .as_str()
            .unwrap()
            .contains("`claude` is not on PATH"),
        "{report:#}"
    );
    for id in ["config", "key", "network"] {
        assert_ne!(status(&report, id), "skip", "{id}: {report:#}");
    }
    assert_eq!(status(&report, "config"), "pass", "{report:#}");
}

#[test]
fn litellm_model_discovery_lists_models_claude_code_can_show() {
    let proxy = LiteLlm::shared();
    let env = TestEnv::new();
    env.write_config(&config(&proxy.base, "unified", "model_discovery = true\n"));
    let run = doctor(&env, MASTER_KEY, &["--json", "--only", "models"]);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert_eq!(status(&report, "models"), "pass", "{report:#}");
    let summary = check(&report, "models")["summary"].as_str().unwrap();
    assert!(
        summary.contains("model discovery lists 1 model"),
        "{summary}"
    );
}

/// The discovery request of the real Claude Code 2.1.332 and doctor's, side by side. A recording
/// server of the test's own: what matters is how each asks (path, query, both headers), which
/// no real gateway reports.
#[test]
fn model_discovery_is_asked_as_claude_code_2_1_332_asks() {
    #[derive(Debug, Clone)]
    struct Asked {
        ua: String,
        target: String,
        bearer: bool,
        x_api_key: bool,
    }
    let seen: std::sync::Arc<std::sync::Mutex<Vec<Asked>>> = Default::default();
    let log = seen.clone();
    let gw = FakeGateway::start(move |r: &Req| {
        if r.path() == "/v1/models" {
            log.lock().unwrap().push(Asked {
                ua: r.header("user-agent").unwrap_or_default().to_owned(),
                target: r.target.clone(),
                bearer: r.bearer() == Some(KEY),
                x_api_key: r.header("x-api-key") == Some(KEY),
            });
            return Resp::json(
                200,
                &format!(
                    r#"{{"data":[{{"type":"model","id":"{MODEL}","display_name":"Sonnet via the gateway"}}],"has_more":false}}"#
                ),
            );
        }
        Resp::json(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"recorder"}}"#,
        )
    });
    let env = TestEnv::new();
    env.write_config(&config(&gw.base(), "unified", "model_discovery = true\n"));
    env.ccgw()
        .args(["settings", "write", "--scope", "user"])
        .assert()
        .success();
    let mut cmd = Claude::CURRENT.print(&env, "say hello");
    cmd.env("CCGW_TEST_KEY", KEY);
    let from_claude = |s: &Asked| s.ua.starts_with("claude-code/");
    let run = crate::common::claude::run_until(cmd, crate::common::claude::TIMEOUT, || {
        seen.lock().unwrap().iter().any(from_claude)
    });
    let claude_asked = seen
        .lock()
        .unwrap()
        .iter()
        .find(|s| from_claude(s))
        .cloned()
        .unwrap_or_else(|| panic!("Claude Code sent no discovery request: {run:#?}"));
    seen.lock().unwrap().clear();
    let report = doctor(&env, KEY, &["--json", "--only", "models"]).json();
    assert_eq!(status(&report, "models"), "pass", "{report:#}");
    let doctor_asked: Vec<Asked> = seen.lock().unwrap().clone();
    let discovery = doctor_asked
        .iter()
        .find(|s| s.target.contains("limit="))
        .unwrap_or_else(|| panic!("doctor sent no discovery request: {doctor_asked:?}"));
    assert_eq!(discovery.target, claude_asked.target, "{claude_asked:?}");
    assert!(
        claude_asked.bearer && claude_asked.x_api_key,
        "{claude_asked:?}"
    );
    assert!(discovery.bearer && discovery.x_api_key, "{discovery:?}");
}
