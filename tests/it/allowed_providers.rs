//! `allowedProviders` in managed settings (Claude Code 2.1.332): what the real binary admits,
//! in a private mount namespace where `/etc/claude-code` is the test's (`common::managed`).

use std::sync::{Arc, Mutex};

use crate::common::claude::{self, Claude, TIMEOUT};
use crate::common::fakegw::{FakeGateway, Req, Resp};
use crate::common::{TestEnv, managed};

/// A recording server of the test's own: whether Claude Code sent its model request to the base
/// URL is all that matters.
fn recorder() -> (FakeGateway, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let gw = FakeGateway::start(move |r: &Req| {
        log.lock().unwrap().push(r.path().to_owned());
        Resp::json(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"recorder"}}"#,
        )
    });
    (gw, seen)
}

const CONFIG_KEY: &str = "sk-allowed-providers-1";

/// A TestEnv whose admin `managed-settings.json` is `admin` and whose profile `work` points at
/// `gateway`.
fn env_with_admin(admin: &str, gateway: &str) -> TestEnv {
    env_with_admin_in(admin, gateway, "mode = \"unified\"\n")
}

/// The same, with the profile's mode given as TOML lines (`mode = …` and its table).
fn env_with_admin_in(admin: &str, gateway: &str, mode_toml: &str) -> TestEnv {
    let env = TestEnv::new();
    std::fs::write(env.managed_dir().join("managed-settings.json"), admin).unwrap();
    env.write_config(&format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{gateway}\"\n{mode_toml}key_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n"
    ));
    env
}

fn write(env: &TestEnv, scope: &str) -> String {
    let out = env
        .ccgw()
        .args(["settings", "write", "--scope", scope])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether the real 2.1.332, seeing `env`'s managed settings as /etc/claude-code, sent its
/// model request to the gateway.
fn claude_reaches(env: &TestEnv, seen: &Arc<Mutex<Vec<String>>>) -> (bool, claude::Run) {
    claude_sends(env, seen, |p| p == "/v1/messages")
}

/// Whether it sent a request whose path `is_model` accepts.
fn claude_sends(
    env: &TestEnv,
    seen: &Arc<Mutex<Vec<String>>>,
    is_model: fn(&str) -> bool,
) -> (bool, claude::Run) {
    let mut cmd = Claude::CURRENT.print(env, "say hello");
    cmd.env("CCGW_TEST_KEY", CONFIG_KEY);
    let run = claude::run_until(managed::isolate(env, cmd), TIMEOUT, || {
        seen.lock().unwrap().iter().any(|p| is_model(p))
    });
    let hit = seen.lock().unwrap().iter().any(|p| is_model(p));
    seen.lock().unwrap().clear();
    (hit, run)
}

fn doctor_settings(env: &TestEnv) -> serde_json::Value {
    let out = env
        .ccgw()
        .env("CCGW_TEST_KEY", CONFIG_KEY)
        .args(["doctor", "--json", "--only", "settings"])
        .output()
        .unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"));
    report["checks"][0].clone()
}

#[test]
fn a_custom_endpoint_must_be_pinned_in_managed_settings_and_the_dropin_pins_it() {
    let (gw, seen) = recorder();
    let admin = r#"{"allowedProviders":["customEndpoint"]}"#;

    // Written to user settings only: not pinned. doctor fails, and the real client refuses.
    let user = env_with_admin(admin, &gw.base());
    write(&user, "user");
    let settings = doctor_settings(&user);
    assert_eq!(settings["status"], "fail", "{settings:#}");
    assert!(
        settings["summary"]
            .as_str()
            .unwrap()
            .contains("allow `customEndpoint` only for the base URL pinned"),
        "{settings:#}"
    );
    assert!(
        settings["hint"]
            .as_str()
            .unwrap()
            .contains("--scope managed")
    );
    let (hit, run) = claude_reaches(&user, &seen);
    assert!(!hit, "2.1.332 used an unpinned custom endpoint: {run:#?}");
    assert!(
        run.stderr.contains("customEndpoint") || run.stderr.contains("managed settings"),
        "{run:#?}"
    );

    // `settings write --scope managed` writes ccgw's drop-in: the same managed source as the
    // admin's file (measured), so the base URL is pinned and the real client uses it.
    let managed_env = env_with_admin(admin, &gw.base());
    let said = write(&managed_env, "managed");
    assert!(
        !said.contains("not pinned") && !said.contains("allowedProviders"),
        "{said}"
    );
    assert!(
        managed_env
            .managed_dir()
            .join("managed-settings.d/50-ccgw.json")
            .exists()
    );
    let settings = doctor_settings(&managed_env);
    assert_eq!(settings["status"], "pass", "{settings:#}");
    let (hit, run) = claude_reaches(&managed_env, &seen);
    assert!(
        hit,
        "2.1.332 did not use the base URL pinned by the drop-in: {run:#?}"
    );
}

#[test]
fn a_provider_the_managed_settings_do_not_allow_fails_doctor_and_the_real_client() {
    let (gw, seen) = recorder();
    let env = env_with_admin(r#"{"allowedProviders":["bedrock","vertex"]}"#, &gw.base());
    write(&env, "managed");
    let settings = doctor_settings(&env);
    assert_eq!(settings["status"], "fail", "{settings:#}");
    let summary = settings["summary"].as_str().unwrap();
    assert!(
        summary.contains("allow only bedrock, vertex (`allowedProviders`), not `customEndpoint`"),
        "{summary}"
    );
    let (hit, run) = claude_reaches(&env, &seen);
    assert!(!hit, "{run:#?}");
    assert!(
        run.stderr.contains("allowedProviders does not list"),
        "{run:#?}"
    );
}

/// Bedrock and Vertex through the gateway are the provider's API sent to another host, which
/// 2.1.332 counts as `customEndpoint` (its own description of the key: "that provider's
/// ANTHROPIC_*_BASE_URL … such as an LLM gateway"), not as `bedrock` or `vertex` (the
/// provider's own service). Measured: allowing only the provider refuses the gateway route;
/// allowing `customEndpoint` with the route's base URL pinned by ccgw's drop-in admits it.
#[test]
fn bedrock_and_vertex_through_the_gateway_count_as_a_custom_endpoint() {
    let (gw, seen) = recorder();
    type IsModel = fn(&str) -> bool;
    let modes: [(&str, &str, IsModel); 2] = [
        (
            "bedrock",
            "mode = \"bedrock\"\nbedrock = { region = \"us-east-1\" }\n",
            |p| p.starts_with("/bedrock/model/"),
        ),
        (
            "vertex",
            "mode = \"vertex\"\nvertex = { project = \"P\", region = \"europe-west1\" }\n",
            |p| p.starts_with("/vertex_ai/"),
        ),
    ];
    for (provider, mode_toml, is_model) in modes {
        // Only the provider allowed: the real client refuses the gateway route, and doctor says so.
        let admin = format!(r#"{{"allowedProviders":["{provider}"]}}"#);
        let env = env_with_admin_in(&admin, &gw.base(), mode_toml);
        write(&env, "managed");
        let settings = doctor_settings(&env);
        assert_eq!(settings["status"], "fail", "{provider}: {settings:#}");
        let summary = settings["summary"].as_str().unwrap();
        assert!(
            summary.contains(&format!(
                "allow only {provider} (`allowedProviders`), not `customEndpoint`"
            )),
            "{provider}: {summary}"
        );
        let (hit, run) = claude_sends(&env, &seen, is_model);
        assert!(!hit, "{provider}: 2.1.332 used the gateway route: {run:#?}");

        // `customEndpoint` allowed, the route's base URL pinned by the drop-in: admitted.
        let env = env_with_admin_in(
            r#"{"allowedProviders":["customEndpoint"]}"#,
            &gw.base(),
            mode_toml,
        );
        let said = write(&env, "managed");
        assert!(!said.contains("allowedProviders"), "{provider}: {said}");
        let settings = doctor_settings(&env);
        assert_eq!(settings["status"], "pass", "{provider}: {settings:#}");
        let (hit, run) = claude_sends(&env, &seen, is_model);
        assert!(
            hit,
            "{provider}: 2.1.332 refused the pinned route: {run:#?}"
        );
    }
}
