//! The managed-settings fixture (`common::managed`): a command sees its own test's
//! `managed_dir()` as `/etc/claude-code`, the real Claude Code reads managed settings from it,
//! and the machine's `/etc` is left as it was.

use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::common::claude::{self, TIMEOUT};
use crate::common::fakegw::{FakeGateway, Req, Resp};
use crate::common::{TestEnv, managed, require};

fn cat_managed(env: &TestEnv) -> std::process::Output {
    let mut cmd = Command::new(require("cat"));
    env.apply(&mut cmd);
    cmd.arg(format!("{}/managed-settings.json", managed::ETC_DIR));
    managed::isolate(env, cmd).output().unwrap()
}

#[test]
fn each_test_sees_its_own_managed_dir_and_the_real_etc_is_untouched() {
    let before = std::fs::read_dir(managed::ETC_DIR)
        .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        .ok();
    let (a, b) = (TestEnv::new(), TestEnv::new());
    std::fs::write(a.managed_dir().join("managed-settings.json"), "{\"a\":1}").unwrap();
    std::fs::write(b.managed_dir().join("managed-settings.json"), "{\"b\":2}").unwrap();
    let (out_a, out_b) = std::thread::scope(|s| {
        let ta = s.spawn(|| cat_managed(&a));
        let tb = s.spawn(|| cat_managed(&b));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    assert!(out_a.status.success(), "{out_a:?}");
    assert!(out_b.status.success(), "{out_b:?}");
    assert_eq!(String::from_utf8_lossy(&out_a.stdout), "{\"a\":1}");
    assert_eq!(String::from_utf8_lossy(&out_b.stdout), "{\"b\":2}");
    let after = std::fs::read_dir(managed::ETC_DIR)
        .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        .ok();
    assert_eq!(
        before,
        after,
        "the fixture changed the real {}",
        managed::ETC_DIR
    );
}

#[test]
fn the_real_claude_code_reads_managed_settings_from_the_fixture() {
    // A recording server of the test's own: only the fact that a request arrives matters.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let gw = FakeGateway::start(move |r: &Req| {
        log.lock().unwrap().push(r.path().to_owned());
        Resp::json(
            400,
            r#"{"error":{"type":"invalid_request_error","message":"recorder"}}"#,
        )
    });
    let env = TestEnv::new();
    std::fs::write(
        env.managed_dir().join("managed-settings.json"),
        format!(
            r#"{{"apiKeyHelper":"echo sk-managed-fixture","env":{{"ANTHROPIC_BASE_URL":"{}"}}}}"#,
            gw.base()
        ),
    )
    .unwrap();
    let cmd = managed::isolate(&env, claude::print(&env, "say hello"));
    let run = claude::run_until(cmd, TIMEOUT, || {
        seen.lock().unwrap().iter().any(|p| p == "/v1/messages")
    });
    let paths = seen.lock().unwrap().clone();
    assert!(
        paths.iter().any(|p| p == "/v1/messages"),
        "claude did not use the managed base URL: {paths:?}; {run:#?}"
    );
}
