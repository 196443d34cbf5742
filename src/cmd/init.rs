//! `ccgw init`: collect the answers (wizard or flags), show what will be written, write the
//! secret, the profile and the settings, then run doctor. The logic is in `onboard`.
//!
//! Choices this command makes:
//! - The profile name is `--profile`/`CCGW_PROFILE`; without it the wizard asks (offering
//!   `default`) and `--non-interactive` uses `default`.
//! - The new profile becomes `default_profile` when the config has none; when another profile
//!   is the default, the wizard asks (default no) and `--non-interactive` leaves it.
//! - Nothing is written until every question is answered; declining "Write these?" writes
//!   nothing and exits 1; Ctrl-C/Esc exits 130.
//! - Write order: secret (the likeliest to fail: a locked keyring), config, settings. A
//!   replaced profile's other settings files are rewritten with its new values.
//! - Doctor failing after a successful write exits 1: the files stay (they are what the user
//!   asked for), and the report says what to fix.

use std::io::{IsTerminal, Write};

use anyhow::Result;

use crate::claude::{audit, write};
use crate::cli::InitArgs;
use crate::cmd::Ctx;
use crate::config::{Editor, KeySource, Loaded};
use crate::doctor;
use crate::error::{self, Failure, SilentExit};
use crate::key::keyring::{self, Slot};
use crate::onboard::{self, Secret, SecretKind, wizard};

pub fn run(ctx: &Ctx, args: InitArgs) -> Result<()> {
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(error::config(
            "stdin is not a terminal, so `ccgw init` will not prompt: pass --non-interactive and a flag for each answer",
            None,
        ));
    }
    let loaded = ctx.load()?;
    let config_file = loaded.path.path.clone();
    let name = match &ctx.profile_flag {
        Some(n) => n.clone(),
        None if interactive => wizard::ask_name()?,
        None => onboard::DEFAULT_PROFILE_NAME.to_owned(),
    };
    onboard::check_name(&name).map_err(|e| error::config(format!("--profile: {e}"), None))?;
    let old = loaded.file.profiles.get(&name).cloned();
    if old.is_some() && !args.force {
        let refused = || {
            error::config(
                format!(
                    "profile `{name}` already exists in `{}`; pass --force to replace it",
                    config_file.display()
                ),
                None,
            )
        };
        if !interactive || !wizard::confirm_replace(&name, &config_file)? {
            return Err(refused());
        }
    }

    let (answers, secret) = if interactive {
        wizard::ask(&args, &name)?
    } else {
        let answers = onboard::answers_from_flags(&args, &name)?;
        let secret = answers
            .secret_kind()
            .map(onboard::secret_from_stdin)
            .transpose()?;
        (answers, secret)
    };
    let new_profile = onboard::profile_from_answers(&answers);

    // No default yet: this profile becomes it in the same write. Another default: switching
    // also rewrites that profile's settings files, so only on request.
    let switch_default = match loaded.file.default_profile.as_deref() {
        Some(d) if d != name => interactive && wizard::confirm_default(&name, d)?,
        _ => false,
    };

    // Everything is worked out in memory first: a bad answer fails here with nothing written.
    let mut editor = Editor::open(&loaded)?;
    if loaded.file.default_profile.is_none() {
        editor.set_default(&name);
    }
    editor.put_profile(&name, &new_profile)?;
    let config_text = editor.render()?;
    let prepared = match answers.scope {
        Some(scope) => Some(write::prepare(
            &ctx.config_path,
            &name,
            &new_profile,
            write::scope_target(scope)?,
            write::WriteOptions::default(),
        )?),
        None => None,
    };

    if interactive {
        preview(&name, &config_file, &config_text, prepared.as_ref());
        if !wizard::confirm_write()? {
            return Err(Failure {
                code: error::code::FAILURE,
                message: "nothing was written".into(),
                hint: None,
            }
            .into());
        }
    }

    if let (Some(kind), Some(secret)) = (answers.secret_kind(), &secret) {
        store_secret(kind, &name, &new_profile.key, secret)?;
    }
    let verb = match (old.is_some(), loaded.exists()) {
        (true, _) => "replaced",
        (false, true) => "added",
        (false, false) => "created",
    };
    editor.save()?;
    eprintln!("{verb} profile `{name}` in `{}`", config_file.display());
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
        write::follow_default(
            &reloaded.path,
            (&name, old.as_ref()),
            (&name, &new_profile),
            written.as_deref(),
        )?;
    }
    if switch_default {
        write::make_default(&reloaded, &name)?;
    } else if loaded.file.default_profile.is_none() {
        eprintln!("`{name}` is the default profile");
    }
    if let Some(written) = &committed {
        audit::report(&written.audit(&[]));
    }

    if args.no_doctor {
        return Ok(());
    }
    run_doctor(ctx, &name)
}

/// What will be written, on stderr (the wizard's screen): the profile and the settings diff.
fn preview(
    name: &str,
    config_file: &std::path::Path,
    config_text: &str,
    prepared: Option<&write::Prepared>,
) {
    let mut err = std::io::stderr().lock();
    let section = config_text
        .split_once(&format!("[profiles.{name}]"))
        .map_or(config_text.to_owned(), |(_, rest)| {
            format!("[profiles.{name}]{rest}")
        });
    let _ = writeln!(err, "\n── {} ──", config_file.display());
    let _ = write!(err, "{}", section.trim_end());
    let _ = writeln!(err);
    match prepared {
        Some(p) => {
            let diff = p.diff();
            let _ = writeln!(err, "\n── {} ──", diff.path.display());
            if diff.text.is_empty() {
                let _ = writeln!(err, "(already up to date)");
            } else {
                let _ = write!(err, "{}", diff.text);
            }
        }
        None => {
            let _ = writeln!(err, "\n(no settings file)");
        }
    }
    let _ = writeln!(err);
}

/// The secret into the keyring slot the profile's key source reads (as `ccgw secret set`).
fn store_secret(kind: SecretKind, name: &str, key: &KeySource, secret: &Secret) -> Result<()> {
    let slot = match (kind, key) {
        (SecretKind::GatewayKey, KeySource::Keyring(src)) => Slot::for_source(name, src),
        (SecretKind::JwtSigningKey, KeySource::Jwt(_)) => keyring::jwt_signing_key_slot(name),
        _ => unreachable!("secret_kind follows the key source"),
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
