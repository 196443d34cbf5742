//! The command line as a whole: help, usage errors, config errors and their exit codes.

use crate::ccgw_snapshot;
use crate::common::{Ccgw, Config, Profile, SIMPLE_CONFIG, TestEnv};

#[test]
fn help_lists_the_jobs() {
    let env = TestEnv::new();
    Ccgw::new(&env)
        .args(["--help"])
        .success()
        .stdout_has("init")
        .stdout_has("doctor")
        .run();
}

#[test]
fn usage_error_exits_2() {
    let env = TestEnv::new();
    Ccgw::new(&env).args(["frobnicate"]).code(2).run();
}

#[test]
fn unknown_mode_names_file_line_and_field() {
    let env = TestEnv::new();
    env.write_config(&SIMPLE_CONFIG.replace("mode = \"unified\"", "mode = \"sideways\""));
    Ccgw::new(&env)
        .args(["profile", "show"])
        .code(2)
        .stdout_is("")
        .stderr_has(format!(
            "{}:5: profiles.work.mode: unknown variant `sideways`",
            env.config_path().display()
        ))
        .run();
}

/// The JWT algorithm is checked when the config loads, like every other rule: a command that
/// never mints a token refuses the file too, naming file, line and field.
#[test]
fn unknown_jwt_algorithm_fails_at_load() {
    let env = TestEnv::new();
    let config = Config::new()
        .profile(Profile::new("j").key("jwt", &[("algorithm", "none"), ("secret_env", "S")]))
        .build();
    env.write_config(&config);
    Ccgw::new(&env)
        .args(["profile", "list"])
        .code(2)
        .stdout_is("")
        .stderr_has(format!(
            "{}:10: profiles.j.key.algorithm: unknown JWT algorithm `none`",
            env.config_path().display()
        ))
        .stderr_has("hint: use one of HS256 HS384 HS512 RS256")
        .run();
}

#[test]
fn missing_profile_is_a_config_error() {
    let env = TestEnv::new();
    env.write_config(SIMPLE_CONFIG);
    Ccgw::new(&env)
        .args(["--profile", "nope", "profile", "show"])
        .code(2)
        .stderr_has("profile `nope` does not exist")
        .stderr_has("hint: known profiles: work")
        .run();
}

/// The whole answer to a config error, as a person sees it: exit code, nothing on stdout, the
/// file, line and field, and the hint. The config comes from the builder, so the snapshot also
/// pins what the builder writes.
#[test]
fn config_error_transcript() {
    let env = TestEnv::new();
    let config = Config::new()
        .profile(Profile::new("work").key_env("CCGW_TEST_KEY"))
        .profile(
            Profile::new("br")
                .mode("bedrock")
                .raw("bedrock", r#"{ region = "us-east-1" }"#)
                .key_env("CCGW_TEST_KEY"),
        )
        .build();
    env.write_config(&config);
    ccgw_snapshot!(
        env,
        Ccgw::new(&env).args(["--profile", "nope", "key"]).code(2)
    );
    let out = Ccgw::new(&env)
        .args(["profile", "list"])
        .success()
        .stdout_has("work")
        .stdout_has("br")
        .run();
    assert_eq!(out.stderr, "");
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
