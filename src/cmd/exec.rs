//! `ccgw exec -- CMD [ARGS…]`: run CMD with the profile's variables, without the credentials
//! that would beat the apiKeyHelper, and — for `claude` — with `--settings '<json>'` carrying
//! the `apiKeyHelper` and the variables, so a per-terminal launch writes no file.
//!
//! ccgw replaces itself with CMD (`execvp`) instead of spawning it: CMD's exit code and the
//! signal that ends it are then ccgw's own, Ctrl-C and job control reach CMD directly, and no
//! ccgw process lingers. When CMD cannot be started, ccgw exits like `env(1)` and the shells:
//! 127 when it is not found, 126 when it cannot be executed.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::claude_settings::{self, Scope};
use crate::cli::ExecArgs;
use crate::cmd::Ctx;
use crate::cmd::env::{competing_to_unset, conflicts, warn_conflicts};
use crate::error::Failure;
use crate::plan::{self, GatewayEnv, HelperSpec};
use crate::shell;

/// Exit codes when CMD cannot be started (those of `env(1)`, `nohup`, and the shells).
const NOT_FOUND: u8 = 127;
const NOT_EXECUTABLE: u8 = 126;

pub fn run(ctx: &Ctx, args: ExecArgs) -> Result<()> {
    let sel = ctx.select()?;
    let gw = plan::plan(
        &sel.name,
        sel.profile(),
        &HelperSpec::this_binary(&ctx.config_path),
    );
    shell::check_env(&gw.vars)?;
    let (program, rest) = args
        .command
        .split_first()
        .context("no command given: ccgw exec -- CMD [ARGS…]")?;

    let mut cmd = Command::new(program);
    let claude = is_claude(program);
    if claude {
        // `--settings` sits above user, project and local settings, so its `env` beats
        // theirs; only managed settings can still override it, which is worth a warning.
        cmd.arg("--settings").arg(settings_json(&gw));
        let cwd = std::env::current_dir().context("could not read the current directory")?;
        let layers = claude_settings::read_layers(&cwd);
        warn_conflicts(&conflicts(&layers, &gw.vars, &[Scope::Managed]));
    }
    cmd.args(rest);
    // The child sees exactly this profile's variables: none left from another profile's
    // `ccgw env` in this shell.
    for name in plan::stale_vars(&gw.vars) {
        cmd.env_remove(name);
    }
    for name in competing_to_unset(&gw.vars) {
        if std::env::var_os(name).is_some_and(|v| !v.is_empty()) {
            eprintln!(
                "note: not passing `{name}` on to `{program}`: it would beat the apiKeyHelper"
            );
        }
        cmd.env_remove(name);
    }
    cmd.envs(gw.vars.iter().map(|(k, v)| (k, v)));

    // Only returns on failure.
    let err = cmd.exec();
    let (code, message, hint) = match err.kind() {
        std::io::ErrorKind::NotFound => (
            NOT_FOUND,
            format!("command not found: `{program}`"),
            Some("check the name, or give its path".to_owned()),
        ),
        std::io::ErrorKind::PermissionDenied => (
            NOT_EXECUTABLE,
            format!("could not execute `{program}`: permission denied"),
            Some("make it executable (`chmod +x`)".to_owned()),
        ),
        _ => (
            NOT_EXECUTABLE,
            format!("could not execute `{program}`: {err}"),
            None,
        ),
    };
    Err(Failure {
        code,
        message,
        hint,
    }
    .into())
}

/// `claude`, by any path: the program that gets `--settings`.
fn is_claude(program: &str) -> bool {
    Path::new(program).file_name() == Some(OsStr::new("claude"))
}

/// The `--settings` document: the helper and the variables, nothing else (no secret: the key
/// is fetched by the helper, when Claude Code needs it).
fn settings_json(gw: &GatewayEnv) -> String {
    let env: serde_json::Map<String, serde_json::Value> = gw
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::json!({ "apiKeyHelper": gw.api_key_helper, "env": env }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_by_basename_only() {
        assert!(is_claude("claude"));
        assert!(is_claude("/opt/bin/claude"));
        assert!(!is_claude("claude-code"));
        assert!(!is_claude("/claude/bin/sh"));
    }

    #[test]
    fn settings_carry_helper_and_env_in_order() {
        let gw = GatewayEnv {
            vars: vec![("Z".into(), "1".into()), ("A".into(), "it's".into())],
            api_key_helper: "'/x y/ccgw' key --profile p".into(),
        };
        assert_eq!(
            settings_json(&gw),
            r#"{"apiKeyHelper":"'/x y/ccgw' key --profile p","env":{"Z":"1","A":"it's"}}"#
        );
    }
}
