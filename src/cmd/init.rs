//! `ccgw init`: collect the answers (wizard or flags), show what will be written, write the
//! secret, the profile and the settings, then run doctor. The questions are `onboard`'s.
//!
//! Choices this command makes:
//! - The profile name is `--profile`/`CCGW_PROFILE`; without it the wizard asks (offering
//!   `default`) and `--non-interactive` uses `default`. With `--from` the published profile
//!   answers every question but the secret it has no home for and the settings scope; its
//!   name is the profile's unless `--profile` gives another.
//! - The new profile becomes `default_profile` when the config has none; when another profile
//!   is the default, the wizard asks (default no) and `--non-interactive` leaves it.
//! - Nothing is written until every question is answered; declining "Write these?" writes
//!   nothing and exits 1; Ctrl-C/Esc exits 130.
//! - Write order: secret (the likeliest to fail: a locked keyring), config, settings. A
//!   replaced profile's other settings files are rewritten with its new values.
//! - Doctor failing after a successful write exits 1: the files stay (they are what the user
//!   asked for), and the report says what to fix.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use anyhow::Result;

use crate::claude::{audit, write};
use crate::cli::InitArgs;
use crate::cmd::Ctx;
use crate::config::{Editor, KeySource, Loaded, Profile};
use crate::doctor;
use crate::error::{self, Failure, SilentExit};
use crate::key::keyring::{self, Slot};
use crate::onboard::ask::{Ask, FlagsOnly};
use crate::onboard::wizard::Inquire;
use crate::onboard::{SecretKind, published, questions, tree};
use crate::secret_input::NewSecret;

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<()> {
    let mut asker: Box<dyn Ask> = if args.non_interactive {
        Box::new(FlagsOnly::from_stdin())
    } else {
        Box::new(Inquire::on_terminal()?)
    };
    let ask = asker.as_mut();
    let loaded = ctx.load()?;
    let config_file = loaded.path.path.clone();
    // A published profile is read (and judged) before anything is asked.
    let from = args.from.as_deref().map(published::load).transpose()?;
    let given_name = ctx
        .profile_flag
        .as_deref()
        .or(from.as_ref().map(|(n, _)| n.as_str()));
    let name = tree::profile_name(ask, given_name)?;
    let old = loaded.file.profiles.get(&name).cloned();
    if old.is_some() && !args.force && !ask.confirm(&questions::replace(&name, &config_file))? {
        return Err(error::config(
            format!(
                "profile `{name}` already exists in `{}`; pass --force to replace it",
                config_file.display()
            ),
            None,
        ));
    }

    let setup = match from {
        Some((_, profile)) => tree::published(ask, &args, profile)?,
        None => tree::walk(ask, &args, &name)?,
    };
    let new_profile = &setup.profile;

    // No default yet: this profile becomes it in the same write. Another default: switching
    // also rewrites that profile's settings files, so only on request.
    let switch_default = match loaded.file.default_profile.as_deref() {
        Some(d) if d != name => ask.confirm(&questions::make_default(&name, d))?,
        _ => false,
    };

    // Everything is worked out in memory first: a bad answer fails here with nothing written.
    let mut editor = Editor::open(&loaded)?;
    if loaded.file.default_profile.is_none() {
        editor.set_default(&name);
    }
    editor.put_profile(&name, new_profile)?;
    let config_text = editor.render()?;
    let prepared = match setup.scope {
        Some(scope) => Some(write::prepare(
            &ctx.config_path,
            &name,
            new_profile,
            write::scope_target(scope)?,
            write::WriteOptions::default(),
        )?),
        None => None,
    };

    ask.show(&preview(
        &name,
        &config_file,
        &config_text,
        prepared.as_ref(),
    ));
    if !ask.confirm(&questions::write())? {
        return Err(Failure {
            code: error::code::FAILURE,
            message: "nothing was written".into(),
            hint: None,
        }
        .into());
    }

    let signs_in = matches!(new_profile.key, KeySource::Oidc(_));
    let signed_profile = new_profile.clone();
    if let Some((kind, secret)) = &setup.secret {
        store_secret(*kind, &name, &new_profile.key, secret)?;
    }
    let verb = match (old.is_some(), loaded.exists()) {
        (true, _) => "replaced",
        (false, true) => "added",
        (false, false) => "created",
    };
    editor.save()?;
    eprintln!("{verb} profile `{name}` in `{}`", config_file.display());
    write_settings(
        &loaded,
        &name,
        old.as_ref(),
        new_profile,
        prepared,
        switch_default,
    )?;

    if signs_in {
        // Non-interactive: no browser (the URL and code are printed for any device).
        super::sign_in(&name, &signed_profile, &config_file, args.non_interactive)?;
    }
    if args.no_doctor {
        return Ok(());
    }
    run_doctor(ctx, &name)
}

/// The settings after the config: the prepared file, the profile's other files when it was
/// replaced, and the default's when it switches; then the audit of what now applies.
fn write_settings(
    loaded: &Loaded,
    name: &str,
    old: Option<&Profile>,
    new: &Profile,
    prepared: Option<write::Prepared>,
    switch_default: bool,
) -> Result<()> {
    let written = prepared.as_ref().map(|p| p.target.path.clone());
    // Other layers are judged once every file below is rewritten too (see `follow_default`).
    let mut committed = None;
    if let Some(p) = prepared {
        committed = Some(p.commit_quietly()?);
    } else {
        eprintln!(
            "no settings file written: use `eval \"$(ccgw --profile {name} env)\"` or `ccgw --profile {name} exec -- claude`"
        );
    }
    let reloaded = Loaded::load(loaded.path.clone())?;
    if old.is_some() {
        // Other files written for this profile carry its old values: bring them up to date.
        write::follow_default(&reloaded.path, (name, old), (name, new), written.as_deref())?;
    }
    if switch_default {
        write::make_default(&reloaded, name)?;
    } else if loaded.file.default_profile.is_none() {
        eprintln!("`{name}` is the default profile");
    }
    if let Some(written) = &committed {
        audit::report(&written.audit(&[]));
    }
    Ok(())
}

/// What will be written, for the wizard's screen: the profile and the settings diff.
fn preview(
    name: &str,
    config_file: &std::path::Path,
    config_text: &str,
    prepared: Option<&write::Prepared>,
) -> String {
    let section = config_text
        .split_once(&format!("[profiles.{name}]"))
        .map_or(config_text.to_owned(), |(_, rest)| {
            format!("[profiles.{name}]{rest}")
        });
    let mut out = format!(
        "\n── {} ──\n{}\n",
        config_file.display(),
        section.trim_end()
    );
    match prepared {
        Some(p) => {
            let diff = p.diff();
            let _ = writeln!(out, "\n── {} ──", diff.path.display());
            if diff.text.is_empty() {
                out.push_str("(already up to date)\n");
            } else {
                out.push_str(&diff.text);
            }
        }
        None => out.push_str("\n(no settings file)\n"),
    }
    out.push('\n');
    out
}

/// The secret into the keyring slot the profile's key source reads (as `ccgw secret set`).
fn store_secret(kind: SecretKind, name: &str, key: &KeySource, secret: &NewSecret) -> Result<()> {
    let slot = match (kind, key) {
        (SecretKind::GatewayKey, KeySource::Keyring(src)) => Slot::for_source(name, src),
        (SecretKind::JwtSigningKey, KeySource::Jwt(_)) => keyring::jwt_signing_key_slot(name),
        _ => unreachable!("the tree asks for the secret its key source reads"),
    };
    slot.store(&secret.0)?;
    eprintln!(
        "stored the {} of profile `{name}` in the keyring ({slot})",
        kind.what()
    );
    Ok(())
}

/// Doctor in-process on the new profile; its report on stdout, as `ccgw doctor` prints it.
fn run_doctor(ctx: &Ctx, name: &str) -> Result<()> {
    eprintln!("\nrunning `ccgw doctor` for `{name}`…");
    let opts = doctor::Options {
        live: false,
        timeout: std::time::Duration::from_secs(5),
        only: Vec::new(),
    };
    let report = doctor::run(&ctx.config_path, Some(name), &opts);
    let mut out = std::io::stdout().lock();
    let color = out.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    write!(out, "{}", report.to_human(color))?;
    out.flush()?;
    match report.exit_code(false) {
        0 => Ok(()),
        code => {
            eprintln!(
                "init wrote everything, but doctor found a problem (above); fix it and run `ccgw --profile {name} doctor`"
            );
            Err(SilentExit(code).into())
        }
    }
}
