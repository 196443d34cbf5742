//! What of std's process start ccgw keeps though its binary starts from the C `main`
//! (src/main.rs): SIGPIPE ignored, standard descriptors 0–2 open, stdout flushed at the end.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use crate::common::{TestEnv, ccgw_bin};

/// A profile `work` whose key comes from `echo`, cached for an hour: `ccgw key --profile work`
/// is then the apiKeyHelper line's cache hit.
fn cached_command_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config(
        "default_profile = \"work\"\n\n[profiles.work]\ngateway = \"http://127.0.0.1:4000\"\nkey_ttl = \"1h\"\n\n[profiles.work.key]\nsource = \"command\"\ncommand = \"echo sk-start-1\"\n",
    );
    let o = env
        .ccgw()
        .args(["key", "--profile", "work"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, b"sk-start-1\n");
    env
}

#[test]
fn a_key_written_into_a_closed_pipe_is_a_quiet_exit_not_a_death_by_sigpipe() {
    let env = cached_command_env();
    for args in [&["key", "--profile", "work"][..], &["key"][..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // every write into the pipe is now EPIPE (and SIGPIPE unless ignored)
        let mut cmd = Command::new(ccgw_bin());
        env.apply(&mut cmd);
        let o = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(o.status.signal(), None, "{args:?}: {:?}", o.status);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&o.stderr), "", "{args:?}");
    }
}

#[test]
fn ccgw_started_with_its_standard_descriptors_closed_writes_into_no_file_of_its_own() {
    // Closed, fd 1 would be the first file ccgw opens (its config, its cache entry): a key
    // written while one is open would land there. Opened on /dev/null, the run succeeds and
    // every file is as it was. (std itself drops writes to a closed stdout, EBADF, so the hit
    // also succeeds without the reopening: this guards the files, not the exit code.)
    let env = cached_command_env();
    let config_before = std::fs::read(env.config_path()).unwrap();
    let mut sh = Command::new("/bin/sh");
    env.apply(&mut sh);
    let o = sh
        .arg("-c")
        .arg("exec \"$0\" key --profile work <&- >&- 2>&-; ")
        .arg(ccgw_bin())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(std::fs::read(env.config_path()).unwrap(), config_before);
    // The cache entry still holds the key alone: a cache hit still prints exactly it.
    let again = env
        .ccgw()
        .args(["key", "--profile", "work"])
        .output()
        .unwrap();
    assert_eq!(again.stdout, b"sk-start-1\n");
}
