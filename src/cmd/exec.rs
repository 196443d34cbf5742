//! `ccgw exec -- CMD [ARGS…]`: run CMD with the profile's variables, without the credentials
//! that would beat the apiKeyHelper, and — for `claude` — with `--settings '<json>'` carrying
//! the `apiKeyHelper` and the variables, so a per-terminal launch writes no file.
//!
//! No secret goes on CMD's command line: `/proc/PID/cmdline` is readable by every local user,
//! the environment (`/proc/PID/environ`) only by the user. So `--settings` carries only the
//! variables that are not secret-shaped (`redact::secret_shaped`: credential headers in
//! `ANTHROPIC_CUSTOM_HEADERS`, `…_TOKEN`/`…_API_KEY` extras, URLs with a password); the others
//! reach Claude Code through its environment alone. A file would outlive the launch (ccgw
//! execs, so nothing is left to delete it). The price: a settings file's `env` beats the
//! environment, so a layer that sets one of those variables to another value is warned about.
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

use crate::claude::audit::{self, Delivery};
use crate::claude::layers;
use crate::cli::ExecArgs;
use crate::cmd::Ctx;
use crate::error::Failure;
use crate::plan::{self, HelperSpec};
use crate::{redact, shell};

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
        let (on_argv, env_only) = split_secret_shaped(&gw.vars);
        cmd.arg("--settings")
            .arg(settings_json(&gw.api_key_helper, &on_argv));
        let cwd = std::env::current_dir().context("could not read the current directory")?;
        let layers = layers::read_layers(&cwd);
        let delivery = Delivery::Launch {
            env_only: &env_only,
        };
        audit::report(&audit::audit_here(&layers, &gw, &sel.name, delivery));
    }
    cmd.args(rest);
    // The child sees exactly this profile's variables: none left from another profile's
    // `ccgw env` in this shell.
    for &name in &gw.unset {
        cmd.env_remove(name);
    }
    for name in audit::competing_to_unset(&gw.vars) {
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

/// The plan's variables split by how they may travel: those fit for a command line, and the
/// secret-shaped ones that go through the environment only.
fn split_secret_shaped(vars: &[(String, String)]) -> (Vec<(String, String)>, Vec<String>) {
    let (env_only, on_argv): (Vec<_>, Vec<_>) = vars
        .iter()
        .cloned()
        .partition(|(k, v)| redact::secret_shaped(k, v));
    (on_argv, env_only.into_iter().map(|(k, _)| k).collect())
}

/// The `--settings` document: the helper and the given variables, nothing else (no secret:
/// the key is fetched by the helper, when Claude Code needs it; secret-shaped variables are
/// left out by the caller).
fn settings_json(api_key_helper: &str, vars: &[(String, String)]) -> String {
    let env: serde_json::Map<String, serde_json::Value> = vars
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::json!({ "apiKeyHelper": api_key_helper, "env": env }).to_string()
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
        let vars = plan::test_vars(&[("Z", "1"), ("A", "it's")]);
        assert_eq!(
            settings_json("'/x y/ccgw' key --profile p", &vars),
            r#"{"apiKeyHelper":"'/x y/ccgw' key --profile p","env":{"Z":"1","A":"it's"}}"#
        );
    }

    #[test]
    fn secret_shaped_variables_stay_off_the_command_line() {
        let vars = plan::test_vars(&[
            ("ANTHROPIC_BASE_URL", "http://gw:4000"),
            (
                "ANTHROPIC_CUSTOM_HEADERS",
                "x-team: eng\nx-api-key: sk-abcdefghijkl",
            ),
            ("MY_SERVICE_TOKEN", "t"),
            ("DATABASE_URL", "postgres://u:pw@db/x"),
            ("PLAIN", "visible"),
        ]);
        let (on_argv, env_only) = split_secret_shaped(&vars);
        assert_eq!(
            on_argv,
            plan::test_vars(&[
                ("ANTHROPIC_BASE_URL", "http://gw:4000"),
                ("PLAIN", "visible")
            ])
        );
        assert_eq!(
            env_only,
            [
                "ANTHROPIC_CUSTOM_HEADERS",
                "MY_SERVICE_TOKEN",
                "DATABASE_URL"
            ]
        );
    }
}
