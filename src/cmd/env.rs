//! `ccgw env`: the profile's variables as shell exports (`eval "$(ccgw env)"`), or the commands
//! that remove them again (`--unset`).
//!
//! Exports alone carry no key: Claude Code gets it from an `apiKeyHelper` in a settings file,
//! or from `ANTHROPIC_AUTH_TOKEN` with `--with-key`. So besides the exports this command checks,
//! on stderr, what would defeat them: a settings `env` value (settings beat the shell in Claude
//! Code), a competing credential, or no helper at all.

use std::io::Write;

use anyhow::{Context, Result};

use crate::claude::audit::{self, Delivery, Kind};
use crate::claude::layers;
use crate::cli::EnvArgs;
use crate::cmd::Ctx;
use crate::config::Profile;
use crate::error;
use crate::key;
use crate::plan::{self, HelperSpec};
use crate::shell::Shell;

/// The variable `--with-key` exports the key in (Claude Code sends it as a bearer token).
const TOKEN_VAR: &str = "ANTHROPIC_AUTH_TOKEN";

pub fn run(ctx: &Ctx, args: EnvArgs) -> Result<()> {
    let shell = resolve_shell(args.shell, std::env::var("SHELL").ok())?;
    let sel = ctx.select()?;
    let profile = sel.profile();
    let out = if args.unset {
        shell.unsets(&unset_names(profile))?
    } else {
        let mut plan = plan::plan(
            &sel.name,
            profile,
            &HelperSpec::this_binary(&ctx.config_path),
        );
        if args.with_key {
            let fetched = key::fetch(&sel.name, profile)?;
            set_var(&mut plan.vars, TOKEN_VAR, fetched.key);
        }
        let stale = plan.unset.clone();
        let competing = audit::competing_to_unset(&plan.vars);
        let text = shell.exports(&plan.vars, &[stale.as_slice(), &competing].concat())?;

        let cwd = std::env::current_dir().context("could not read the current directory")?;
        let layers = layers::read_layers(&cwd);
        let mut findings = audit::audit_here(&layers, &plan, &sel.name, Delivery::Shell);
        // With the key in the exports, no helper is needed.
        findings.retain(|f| !(args.with_key && f.kind == Kind::NoHelper));
        audit::report(&findings);
        note_unsets_in_env(shell, &stale, &competing);
        text
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// `--shell`, else the basename of `$SHELL`.
fn resolve_shell(flag: Option<Shell>, shell_var: Option<String>) -> Result<Shell> {
    if let Some(s) = flag {
        return Ok(s);
    }
    let hint = Some(
        "pass --shell bash|zsh|fish|powershell|nu|dotenv|json (use bash for any POSIX sh)".into(),
    );
    match shell_var.filter(|s| !s.is_empty()) {
        None => Err(error::config(
            "cannot tell which shell to print for: `SHELL` is not set",
            hint,
        )),
        Some(s) => Shell::detect(&s).ok_or_else(|| {
            error::config(format!("`SHELL` is `{s}`, which ccgw cannot detect"), hint)
        }),
    }
}

/// Everything `ccgw env` may have exported for this profile, in any mode: the plan's variables,
/// the profile's extra names and the token of `--with-key`. (`ANTHROPIC_API_KEY`, which ccgw
/// never sets, is left alone.)
fn unset_names(profile: &Profile) -> Vec<&str> {
    let mut names: Vec<&str> = plan::ALL_PLAN_VARS.to_vec();
    names.push(TOKEN_VAR);
    for name in profile.env.keys() {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

/// Set `name` in place if present (one value per name), else append it.
fn set_var(vars: &mut Vec<(String, String)>, name: &str, value: String) {
    match vars.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value,
        None => vars.push((name.to_owned(), value)),
    }
}

fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

fn note_unsets_in_env(shell: Shell, stale: &[&str], competing: &[&str]) {
    let stale_set: Vec<String> = stale
        .iter()
        .filter(|n| is_set(n))
        .map(|n| format!("`{n}`"))
        .collect();
    if !stale_set.is_empty() && shell.can_unset() {
        eprintln!(
            "note: the output also unsets {} (set in this environment, not used by this profile)",
            stale_set.join(", ")
        );
    }
    for name in competing {
        if is_set(name) {
            if shell.can_unset() {
                eprintln!(
                    "note: `{name}` is set in this environment; the output unsets it because it would beat the apiKeyHelper"
                );
            } else {
                eprintln!(
                    "warning: `{name}` is set in this environment and would beat the apiKeyHelper; unset it ({} output cannot)",
                    shell.as_str()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::test_vars as vars;

    #[test]
    fn shell_from_flag_then_shell_var() {
        assert_eq!(
            resolve_shell(Some(Shell::Json), Some("/bin/zsh".into())).unwrap(),
            Shell::Json
        );
        assert_eq!(
            resolve_shell(None, Some("/usr/bin/fish".into())).unwrap(),
            Shell::Fish
        );
        for unknown in [None, Some(String::new()), Some("/bin/tcsh".into())] {
            let err = resolve_shell(None, unknown).unwrap_err();
            let failure = err.downcast_ref::<error::Failure>().unwrap();
            assert_eq!(failure.code, error::code::USAGE);
            assert!(failure.hint.as_deref().unwrap().contains("--shell"));
        }
    }

    #[test]
    fn unset_covers_every_mode_and_the_extra_names() {
        let text = "[profiles.p]\ngateway = \"http://gw\"\nenv = { EXTRA = \"1\", ANTHROPIC_MODEL = \"m\" }\n[profiles.p.key]\nsource = \"env\"\nvar = \"K\"\n";
        let file = crate::config::parse(std::path::Path::new("c.toml"), text).unwrap();
        let names = unset_names(&file.profiles["p"]);
        assert_eq!(names.len(), plan::ALL_PLAN_VARS.len() + 2);
        assert_eq!(names.last(), Some(&"EXTRA"));
        assert!(names.contains(&TOKEN_VAR) && !names.contains(&"ANTHROPIC_API_KEY"));
        assert!(names.contains(&"CLOUD_ML_REGION"));
    }

    #[test]
    fn with_key_token_replaces_and_is_not_unset() {
        let mut v = vars(&[("A", "1"), (TOKEN_VAR, "old")]);
        set_var(&mut v, TOKEN_VAR, "new".into());
        assert_eq!(v, vars(&[("A", "1"), (TOKEN_VAR, "new")]));
        assert_eq!(audit::competing_to_unset(&v), ["ANTHROPIC_API_KEY"]);
        assert_eq!(
            audit::competing_to_unset(&vars(&[("A", "1")])),
            plan::COMPETING_CREDENTIALS
        );
    }

    #[test]
    fn stale_leaves_this_plan_and_shared_vars_alone() {
        let stale = plan::stale_vars(&vars(&[("ANTHROPIC_BASE_URL", "x")]));
        assert!(stale.contains(&"CLAUDE_CODE_USE_BEDROCK"));
        assert!(stale.contains(&"ANTHROPIC_CUSTOM_HEADERS"));
        assert!(!stale.contains(&"ANTHROPIC_BASE_URL"));
        assert!(!stale.contains(&"AWS_REGION") && !stale.contains(&"NODE_EXTRA_CA_CERTS"));
    }
}
