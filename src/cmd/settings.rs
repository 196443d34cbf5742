//! `ccgw settings write | remove | show | export`: arguments to a target, the write service
//! (`claude::write`) to do it, and the layer report.

use std::io::Write;

use anyhow::{Context, Result};

use crate::claude::audit::{self, Delivery, Finding, Kind, Severity};
use crate::claude::export;
use crate::claude::layers::{self as cs, Origin};
use crate::claude::write::{self, Diff, Target, WriteOptions};
use crate::cli::{ExportFormat, SettingsCommand, SettingsTarget};
use crate::cmd::Ctx;
use crate::plan::{self, COMPETING_CREDENTIALS, GatewayEnv, HelperSpec};
use crate::redact::{self, API_KEY_HELPER};

pub fn run(ctx: &Ctx, cmd: SettingsCommand) -> Result<()> {
    match cmd {
        SettingsCommand::Write {
            target,
            dry_run,
            force,
        } => write(ctx, &target, WriteOptions { dry_run, force }),
        SettingsCommand::Remove {
            target,
            dry_run,
            force,
        } => remove(&target, WriteOptions { dry_run, force }),
        SettingsCommand::Show { effective } => show(ctx, effective),
        SettingsCommand::Export { format } => export(ctx, format),
    }
}

fn target(t: &SettingsTarget) -> Result<Target> {
    if let Some(path) = &t.file {
        return Ok(Target {
            path: std::path::absolute(path)?,
            scope: None,
        });
    }
    write::scope_target(t.scope)
}

fn write(ctx: &Ctx, t: &SettingsTarget, opts: WriteOptions) -> Result<()> {
    let target = target(t)?;
    let sel = ctx.select()?;
    let prepared = write::prepare(&ctx.config_path, &sel.name, sel.profile(), target, opts)?;
    if opts.dry_run {
        return print_diff(&prepared.diff());
    }
    prepared.commit()
}

fn remove(t: &SettingsTarget, opts: WriteOptions) -> Result<()> {
    match write::remove(&target(t)?, opts)? {
        Some(diff) => print_diff(&diff),
        None => Ok(()),
    }
}

/// The profile as managed settings on stdout.
fn export(ctx: &Ctx, format: ExportFormat) -> Result<()> {
    let sel = ctx.select()?;
    let bytes = export::render(format, &sel.name, sel.profile())?;
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    Ok(out.flush()?)
}

/// The diff on stdout (the data of `--dry-run`).
fn print_diff(diff: &Diff) -> Result<()> {
    if diff.text.is_empty() {
        eprintln!("`{}` would not change", diff.path.display());
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    write!(out, "{}", diff.text)?;
    out.flush()?;
    Ok(())
}

/// A value as `show` prints it: secrets masked by the one rule doctor and errors use too.
fn shown(name: &str, value: &str) -> String {
    redact::show_setting(name, value)
}

/// The env names `show` reports: every plan variable, the competing credentials, and the
/// extra variables of the profile (when there is one).
fn relevant_vars(plan: Option<&GatewayEnv>) -> Vec<String> {
    let mut names: Vec<String> = plan::ALL_PLAN_VARS
        .iter()
        .chain(COMPETING_CREDENTIALS.iter())
        .map(|s| (*s).to_owned())
        .collect();
    for (k, _) in plan.map(|p| p.vars.as_slice()).unwrap_or_default() {
        if !names.contains(k) {
            names.push(k.clone());
        }
    }
    names
}

fn show(ctx: &Ctx, effective: bool) -> Result<()> {
    let cwd = std::env::current_dir().context("could not read the current directory")?;
    let layers = cs::read_layers(&cwd);
    // The profile is optional here: `show` is useful before any profile exists.
    let selected = ctx.select().ok();
    let gw = selected.as_ref().map(|s| {
        plan::plan(
            &s.name,
            s.profile(),
            &HelperSpec::this_binary(&ctx.config_path),
        )
    });
    let names = relevant_vars(gw.as_ref());
    let mut out = std::io::stdout().lock();
    if effective {
        let selected = selected.as_ref().zip(gw.as_ref());
        show_effective(
            &mut out,
            &layers,
            selected.map(|(s, g)| (s.name.as_str(), g)),
            &names,
        )?;
    } else {
        show_layers(&mut out, &layers, &names)?;
    }
    Ok(out.flush()?)
}

/// Each layer file and what it sets of `names`.
fn show_layers(out: &mut impl Write, layers: &[cs::SettingsFile], names: &[String]) -> Result<()> {
    for f in layers {
        write!(out, "{} {}", f.scope.as_str(), f.path.display())?;
        match &f.state {
            cs::FileState::Missing => writeln!(out, " (missing)")?,
            cs::FileState::Invalid(why) => writeln!(out, " (invalid: {why})")?,
            cs::FileState::Ok(_) => {
                writeln!(out)?;
                if let Some(h) = f.api_key_helper() {
                    writeln!(out, "  apiKeyHelper = {}", shown(API_KEY_HELPER, h))?;
                }
                for (k, v) in f.env().iter().filter(|(k, _)| names.contains(k)) {
                    writeln!(out, "  env.{k} = {}", shown(k, v))?;
                }
            }
        }
    }
    Ok(())
}

/// What Claude Code takes for each of `names`, where from, and (with a profile) a `!` where
/// the settings audit finds it differs from the profile's plan.
fn show_effective(
    out: &mut impl Write,
    layers: &[cs::SettingsFile],
    selected: Option<(&str, &GatewayEnv)>,
    names: &[String],
) -> Result<()> {
    let gw = selected.map(|(_, g)| g);
    if let Some((name, _)) = selected {
        writeln!(
            out,
            "# profile `{name}`; `!` marks a value that differs from its plan"
        )?;
    }
    let origin = |o: &Origin| match o {
        Origin::Shell => "shell".to_owned(),
        Origin::File { scope, path } => format!("{} {}", scope.as_str(), path.display()),
    };
    // The marks are the settings audit's findings: what doctor reports, shown per value.
    let findings = match selected {
        Some((profile, plan)) => audit::audit_here(layers, plan, profile, Delivery::Effective),
        None => Vec::new(),
    };
    let wrong = |pick: &dyn Fn(&Finding) -> bool| {
        findings
            .iter()
            .any(|f| f.severity != Severity::Ok && pick(f))
    };
    let helper_ok = !wrong(&|f| {
        matches!(
            f.kind,
            Kind::NoHelper | Kind::HelperBeaten { .. } | Kind::OtherHelper { .. }
        )
    });
    let mark = |ok: bool| if ok { ' ' } else { '!' };
    match cs::effective_helper(layers) {
        Some((h, scope, path)) => writeln!(
            out,
            "{} apiKeyHelper = {}  [{} {}]",
            mark(helper_ok),
            shown(API_KEY_HELPER, &h),
            scope.as_str(),
            path.display()
        )?,
        None => writeln!(out, "{} apiKeyHelper (unset)", mark(helper_ok))?,
    }
    for name in names {
        let eff = cs::effective_env(layers, audit::this_shell(name).as_deref(), name);
        let want = gw.and_then(|g| g.get(name));
        if eff.is_none() && want.is_none() {
            continue;
        }
        let ok = !wrong(&|f| f.var.as_deref() == Some(name.as_str()));
        match &eff {
            Some((v, o)) => write!(
                out,
                "{} {name} = {}  [{}]",
                mark(ok),
                shown(name, v),
                origin(o)
            )?,
            None => write!(out, "{} {name} (unset)", mark(ok))?,
        }
        match want {
            Some(w) if !ok => writeln!(out, "  (profile: {})", shown(name, w))?,
            None if !ok && COMPETING_CREDENTIALS.contains(&name.as_str()) => {
                writeln!(out, "  (competes with the apiKeyHelper)")?
            }
            None if !ok => writeln!(out, "  (profile: unset)")?,
            _ => writeln!(out)?,
        }
    }
    Ok(())
}
