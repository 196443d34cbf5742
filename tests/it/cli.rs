//! The command line as a whole: help, usage errors, config errors and their exit codes.

use predicates::prelude::*;

use crate::common::{SIMPLE_CONFIG, TestEnv};

#[test]
fn help_lists_the_jobs() {
    let env = TestEnv::new();
    env.ccgw()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("init").and(predicate::str::contains("doctor")));
}

#[test]
fn usage_error_exits_2() {
    TestEnv::new().ccgw().arg("frobnicate").assert().code(2);
}

#[test]
fn unknown_mode_names_file_line_and_field() {
    let env = TestEnv::new();
    env.write_config(&SIMPLE_CONFIG.replace("mode = \"unified\"", "mode = \"sideways\""));
    let out = env
        .ccgw()
        .args(["profile", "show"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    let path = env.config_path();
    assert!(
        err.contains(&format!(
            "{}:5: profiles.work.mode: unknown variant `sideways`",
            path.display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_profile_is_a_config_error() {
    let env = TestEnv::new();
    env.write_config(SIMPLE_CONFIG);
    let out = env
        .ccgw()
        .args(["--profile", "nope", "profile", "show"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("profile `nope` does not exist"), "{err}");
    assert!(err.contains("hint: known profiles: work"), "{err}");
}

#[test]
fn openbao_harness_counts_reads() {
    let bao = crate::common::openbao::OpenBao::start();
    bao.run(&["kv", "put", "secret/gw", "api_key=sk-test-harness"]);
    assert_eq!(
        bao.run(&["kv", "get", "-field=api_key", "secret/gw"]),
        "sk-test-harness"
    );
    assert_eq!(bao.count_requests("secret/data/gw", "read"), 1);
}
