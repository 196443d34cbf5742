//! Hardening (issue 9, items 9, 16, 17, 18): bad input in the config is refused at load by
//! every command, and the key command's processes live no longer than `ccgw key` does.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

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

// ---- The key command (items 16 and 17): real processes, real signals. ----

/// A profile `work` whose key comes from `command` (run by `/bin/sh -c`), never cached.
fn command_config(command: &str) -> String {
    format!(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\n\n[profiles.work.key]\nsource = \"command\"\nshell = true\ncommand = '''{command}'''\n"
    )
}

#[test]
fn a_command_that_prints_the_key_then_much_more_still_succeeds() {
    // Far more than a pipe buffer (64 KiB) and than ccgw drains: ccgw closes the pipe and the
    // rest of the output dies of SIGPIPE, which must not count as the command failing.
    for command in [
        "echo sk-chatty-1; head -c 8388608 /dev/zero",
        "echo sk-chatty-1; yes",
        "printf 'sk-chatty-1\\n'; head -c 100000 /dev/zero; echo done >&2",
    ] {
        let env = TestEnv::new();
        env.write_config(&command_config(command));
        let o = run(env.ccgw().args(["key", "--no-cache"]));
        assert_eq!(o.code, 0, "{command}: {}", o.stderr);
        assert_eq!(o.stdout, "sk-chatty-1\n", "{command}");
    }
}

#[test]
fn a_command_killed_by_sigpipe_of_its_own_still_fails() {
    // The SIGPIPE is forgiven only when ccgw closed the pipe; this one is the command's own.
    let env = TestEnv::new();
    env.write_config(&command_config("echo sk-broken-1; kill -PIPE $$"));
    let o = run(env.ccgw().args(["key", "--no-cache"]));
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert_eq!(o.stdout, "");
    assert!(o.stderr.contains("was killed by a signal"), "{}", o.stderr);
}

/// Is `pid` a live process (not gone, not a zombie waiting to be reaped)?
fn alive(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    !stat.is_empty() && state != Some("Z")
}

/// Wait (bounded) until every pid is dead; panic naming the survivors.
fn assert_all_die(pids: &[u32], what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|&p| alive(p)) {
        let survivors: Vec<u32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        assert!(Instant::now() < deadline, "{what}: {survivors:?} survived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pid written to `file` once it is there (bounded wait).
fn pid_in(file: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(t) = std::fs::read_to_string(file)
            && let Ok(pid) = t.trim().parse()
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills what a test started if it fails half-way, so no `sleep 60` outlives it.
struct Reap(Vec<u32>);

impl Drop for Reap {
    fn drop(&mut self) {
        for &pid in &self.0 {
            if alive(pid)
                && let Some(p) = rustix::process::Pid::from_raw(pid as i32)
            {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            }
        }
    }
}

/// `ccgw key` running a command that is a shell (pid in `sh.pid`) waiting on a background
/// `sleep 60` (its child, ccgw's grandchild; pid in `sleep.pid`). Returns ccgw, the shell's
/// and the sleep's pids.
fn ccgw_key_with_a_sleeping_command(env: &TestEnv) -> (std::process::Child, u32, u32) {
    let sh_pid = env.home().join("sh.pid");
    let sleep_pid = env.home().join("sleep.pid");
    env.write_config(&command_config(&format!(
        "echo $$ > {}; sleep 60 & echo $! > {}; wait",
        sh_pid.display(),
        sleep_pid.display()
    )));
    let mut cmd = std::process::Command::new(crate::common::ccgw_bin());
    env.apply(&mut cmd);
    let ccgw = cmd
        .args(["key", "--no-cache"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (sh, sleep) = (pid_in(&sh_pid), pid_in(&sleep_pid));
    assert!(alive(sh) && alive(sleep), "the command is not running");
    (ccgw, sh, sleep)
}

fn signal(pid: u32, sig: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(pid, sig).unwrap();
}

#[test]
fn sigkill_of_ccgw_key_kills_the_command_and_its_children() {
    let env = TestEnv::new();
    let (mut ccgw, sh, sleep) = ccgw_key_with_a_sleeping_command(&env);
    let _reap = Reap(vec![ccgw.id(), sh, sleep]);
    // As below: the signal comes once the watchdog is armed (it failed under load otherwise).
    wait_for_the_watchdog(ccgw.id());
    signal(ccgw.id(), rustix::process::Signal::KILL);
    let _ = ccgw.wait();
    assert_all_die(&[sh, sleep], "after SIGKILL of ccgw key");
}

#[test]
fn sigterm_or_sigint_of_ccgw_key_kills_the_commands_process_group() {
    use rustix::process::Signal;
    for sig in [Signal::TERM, Signal::INT, Signal::HUP] {
        let env = TestEnv::new();
        let (mut ccgw, sh, sleep) = ccgw_key_with_a_sleeping_command(&env);
        let _reap = Reap(vec![ccgw.id(), sh, sleep]);
        // The signal comes once ccgw has armed its watchdog (started right after the command):
        // this test is about what a signal does to a running fetch, not about that start.
        wait_for_the_watchdog(ccgw.id());
        signal(ccgw.id(), sig);
        let status = ccgw.wait().unwrap();
        // ccgw itself still ends the way that signal ends a process.
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(sig.as_raw()), "{sig:?}: {status:?}");
        assert_all_die(&[sh, sleep], &format!("after {sig:?} of ccgw key"));
    }
}

/// Wait (bounded) until ccgw `pid` has its two children: the command and the watchdog, which
/// starts right after it.
fn wait_for_the_watchdog(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while children(pid).len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The children of `pid` (all its threads'), from /proc.
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let path = task.unwrap().path().join("children");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    out
}

#[test]
fn the_command_dies_with_ccgw_even_without_the_watchdog() {
    // PR_SET_PDEATHSIG: the kernel kills the command ccgw started when ccgw dies, with no
    // help from any other process. Kill every other child of ccgw first (the watchdog), then
    // ccgw: the shell must still die. (Its own child, the sleep, is the watchdog's to kill.)
    let env = TestEnv::new();
    let (mut ccgw, sh, sleep) = ccgw_key_with_a_sleeping_command(&env);
    let _reap = Reap(vec![ccgw.id(), sh, sleep]);
    wait_for_the_watchdog(ccgw.id());
    for other in children(ccgw.id()).into_iter().filter(|&p| p != sh) {
        signal(other, rustix::process::Signal::KILL);
    }
    signal(ccgw.id(), rustix::process::Signal::KILL);
    let _ = ccgw.wait();
    assert_all_die(&[sh], "after SIGKILL of ccgw key and its watchdog");
}
