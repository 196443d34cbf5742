//! install.sh in a temporary prefix: what it installs, that a rerun is idempotent, and that
//! --uninstall removes exactly what it installed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::tmux::Tmux;
use crate::common::{TestEnv, require};

fn files_under(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out
}

fn install_sh(env: &TestEnv, args: &[&str]) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(require("sh"));
    env.apply(&mut cmd);
    // Share the project's target dir so the release build is incremental, and keep cargo's
    // own home (the registry cache) rather than the temp HOME's.
    cmd.arg(repo.join("install.sh"))
        .args(args)
        .env("CARGO_TARGET_DIR", repo.join("target"))
        .env(
            "CARGO_HOME",
            std::env::var_os("CARGO_HOME").unwrap_or_else(|| dirs_cargo_home().into()),
        )
        .env("PATH", std::env::var_os("PATH").unwrap());
    cmd.output().unwrap()
}

fn dirs_cargo_home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo")
}

#[test]
fn install_then_uninstall_in_a_temp_prefix() {
    let env = TestEnv::new();
    // A prefix that already holds someone else's file: uninstall must leave it.
    let prefix = env.root.path().join("prefix");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::write(prefix.join("bin/other-tool"), "keep me").unwrap();

    let out = install_sh(&env, &["--prefix", prefix.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "install.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not on your PATH"), "{stderr}");
    // Not on a terminal: no progress, neither install.sh's nor cargo's.
    for noise in ["building ccgw", "Compiling", "Installing", "Finished"] {
        assert!(
            !stderr.contains(noise),
            "{noise:?} off a terminal: {stderr}"
        );
    }

    let installed = files_under(&prefix);
    for f in [
        "bin/ccgw",
        "share/man/man1/ccgw.1",
        "share/man/man1/ccgw-key.1",
        "share/bash-completion/completions/ccgw",
        "share/zsh/site-functions/_ccgw",
        "share/fish/vendor_completions.d/ccgw.fish",
    ] {
        assert!(
            installed.contains(Path::new(f)),
            "{f} not installed: {installed:?}"
        );
    }
    let version = Command::new(prefix.join("bin/ccgw"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("ccgw "));

    // Idempotent: a second run installs the same set of files.
    let again = install_sh(&env, &["--prefix", prefix.to_str().unwrap()]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(files_under(&prefix), installed);

    let out = install_sh(&env, &["--uninstall", "--prefix", prefix.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        files_under(&prefix),
        BTreeSet::from([PathBuf::from("bin/other-tool")])
    );
    assert!(
        !prefix.join("share").exists(),
        "uninstall left empty share/ behind"
    );
}

#[test]
fn install_sh_is_shellcheck_clean() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(require("shellcheck"))
        .arg("-s")
        .arg("sh")
        .arg(repo.join("install.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "shellcheck: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// On a terminal install.sh says what the long build is and how long it takes, and cargo's
/// own progress follows. The test stops once both are on the screen (the build itself is the
/// other test's).
#[test]
fn on_a_terminal_install_sh_says_it_is_building_and_cargo_shows_progress() {
    let env = TestEnv::new();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let prefix = env.root.path().join("prefix");
    let cargo_home = std::env::var_os("CARGO_HOME").unwrap_or_else(|| dirs_cargo_home().into());
    let target = repo.join("target");
    let path = std::env::var("PATH").unwrap();
    let tmux = Tmux::start(
        &env,
        &require("sh"),
        &[
            repo.join("install.sh").to_str().unwrap(),
            "--prefix",
            prefix.to_str().unwrap(),
        ],
        &[
            ("CARGO_TARGET_DIR", target.to_str().unwrap()),
            ("CARGO_HOME", cargo_home.to_str().unwrap()),
            ("PATH", &path),
        ],
    );
    tmux.wait_for("install.sh: building ccgw from source: about 6-14 minutes on 2 cores");
    // cargo's own status line, which --quiet would hide.
    tmux.wait_for("Installing ccgw");
}
