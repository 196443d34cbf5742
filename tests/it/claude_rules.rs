//! The settings rules of Claude Code 2.1.332 that ccgw reports: custom headers that wait for
//! workspace trust, and `--restricted` / `CLAUDE_CODE_RESTRICTED`.

use std::process::Command;

use crate::common::claude::{self, Claude, TIMEOUT};
use crate::common::litellm::{LiteLlm, MASTER_KEY, MODEL};
use crate::common::tmux::Tmux;
use crate::common::upstream::ANSWER;
use crate::common::{TestEnv, ccgw_bin, read};

fn config(gateway: &str, headers: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"{gateway}\"\nmode = \"unified\"\nkey_ttl = \"1h\"\nmodel = \"{MODEL}\"\n{headers}\n[profiles.work.key]\nsource = \"env\"\nvar = \"CCGW_TEST_KEY\"\n"
    )
}

fn doctor_settings(env: &TestEnv, vars: &[(&str, &str)]) -> serde_json::Value {
    let mut cmd = env.ccgw();
    cmd.env("CCGW_TEST_KEY", MASTER_KEY)
        .args(["doctor", "--json", "--only", "settings"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out:?}"));
    report["checks"][0].clone()
}

#[test]
fn a_sensitive_header_written_to_project_scope_is_said_to_wait_for_trust() {
    let env = TestEnv::new();
    env.write_config(&config(
        "http://127.0.0.1:4000",
        "headers = { \"x-team\" = \"eng\", \"x-litellm-tags\" = \"ci\" }\n",
    ));
    for scope in ["project", "local"] {
        let out = env
            .ccgw()
            .args(["settings", "write", "--scope", scope])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("custom header `x-litellm-tags`")
                && stderr.contains("only after the workspace is trusted"),
            "{scope}: {stderr}"
        );
        assert!(!stderr.contains("`x-team`"), "{stderr}");
    }
    // doctor reads it back from the project and local layers.
    let settings = doctor_settings(&env, &[]);
    assert_eq!(settings["status"], "warn", "{settings:#}");
    let summary = settings["summary"].as_str().unwrap();
    assert!(
        summary.contains("custom header `x-litellm-tags` in project settings"),
        "{summary}"
    );
    // User scope: applied at once, nothing said.
    let user = TestEnv::new();
    user.write_config(&config(
        "http://127.0.0.1:4000",
        "headers = { \"x-litellm-tags\" = \"ci\" }\n",
    ));
    let out = user
        .ccgw()
        .args(["settings", "write", "--scope", "user"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("workspace is trusted"));
}

/// The rule is the binary's, so the real 2.1.332 judges the headers ccgw wrote. Where it
/// shows: the trust dialog says trusting the folder "sets environment variables" exactly when
/// it held back some of the project's `env` (measured: a header such as `x-team` alone, which
/// it applies before trust, gets no such note). On the wire nothing shows: before trust Claude
/// Code sends no request at all (not even model discovery), and `claude -p` counts the folder
/// as trusted and sends every header.
#[test]
fn claude_code_2_1_332_holds_back_the_headers_ccgw_warns_about_until_trust() {
    let cases = [
        (r#"{ "x-team" = "eng", "x-cost-center" = "42" }"#, None),
        // One sensitive name holds back the whole variable, `x-team` with it.
        (
            r#"{ "x-team" = "eng", "x-litellm-tags" = "ci" }"#,
            Some("x-litellm-tags"),
        ),
        (r#"{ "x-userid" = "u1" }"#, Some("x-userid")),
    ];
    for (headers, sensitive) in cases {
        let env = TestEnv::new();
        env.write_config(&config(
            "http://127.0.0.1:4000",
            &format!("headers = {headers}\n"),
        ));
        let out = env
            .ccgw()
            .args(["settings", "write", "--scope", "project"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        match sensitive {
            // One sensitive name holds back the whole variable, and ccgw says so.
            Some(h) => assert!(
                stderr.contains(&format!("custom header `{h}`"))
                    && stderr.contains("(every header in it) only after the workspace is trusted"),
                "{headers}: {stderr}"
            ),
            None => assert!(!stderr.contains("workspace is trusted"), "{stderr}"),
        }
        // Only the headers of what ccgw wrote: the gateway URL and the helper in project
        // settings wait for trust whatever the headers are, and would make the note appear.
        let project = env.cwd().join(".claude/settings.json");
        let written: serde_json::Value = serde_json::from_str(&read(&project)).unwrap();
        let value = written["env"]["ANTHROPIC_CUSTOM_HEADERS"].as_str().unwrap();
        let only = serde_json::json!({"env": {"ANTHROPIC_CUSTOM_HEADERS": value}});
        std::fs::write(&project, only.to_string()).unwrap();
        // Onboarding done, so that the first screen is the trust dialog.
        std::fs::write(
            env.home().join(".claude.json"),
            r#"{"hasCompletedOnboarding":true,"theme":"dark","numStartups":1}"#,
        )
        .unwrap();
        let tmux = Tmux::start(
            &env,
            &Claude::CURRENT.bin(),
            &[],
            &[
                ("DISABLE_AUTOUPDATER", "1"),
                ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
            ],
        );
        tmux.wait_for("Yes, I trust this folder");
        let screen = tmux.screen().replace('\n', " ");
        assert!(
            screen.contains("Trusting this folder loads .claude/settings.json"),
            "{screen}"
        );
        let held_back = screen.contains("(sets environment variables)");
        assert_eq!(held_back, sensitive.is_some(), "{headers}: {screen}");
        // Not trusted: the dialog's "No, exit".
        tmux.keys(&["Escape"]);
    }
}

#[test]
fn restricted_claude_code_2_1_332_still_runs_through_ccgw_exec_and_doctor_notes_it() {
    let litellm = LiteLlm::shared();
    let env = TestEnv::new();
    env.write_config(&config(&litellm.base, ""));
    // `--restricted` ignores user, project and local settings; `ccgw exec` hands Claude Code the
    // helper and the gateway by `--settings`, which still applies.
    let mut cmd = Command::new(ccgw_bin());
    claude::offline(&env, &mut cmd, 0);
    cmd.env("CCGW_TEST_KEY", MASTER_KEY)
        .args(["exec", "--"])
        .arg(Claude::CURRENT.bin())
        .args(["--restricted", "-p", "say hello"]);
    let run = claude::run(cmd, TIMEOUT);
    run.assert_success();
    assert!(run.stdout.contains(ANSWER), "{run:#?}");

    // With the helper in user settings, doctor says the restricted mode ignores it.
    env.ccgw()
        .args(["settings", "write", "--scope", "user"])
        .assert()
        .success();
    let settings = doctor_settings(&env, &[("CLAUDE_CODE_RESTRICTED", "1")]);
    assert_eq!(settings["status"], "warn", "{settings:#}");
    assert!(
        settings["summary"]
            .as_str()
            .unwrap()
            .contains("CLAUDE_CODE_RESTRICTED is set"),
        "{settings:#}"
    );
    assert!(
        settings["hint"]
            .as_str()
            .unwrap()
            .contains("exec -- claude")
    );
    let plain = doctor_settings(&env, &[]);
    assert_eq!(plain["status"], "pass", "{plain:#}");
}
