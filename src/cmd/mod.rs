//! One file per command; this module only dispatches and holds what every command shares.

mod cache;
mod completions;
mod doctor;
mod env;
mod exec;
mod init;
mod key;
mod login;
mod logout;
mod man;
mod profile;
mod secret;
mod settings;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::config::{ConfigPath, Loaded, Profile};

/// What every command gets: the config location and the requested profile, resolved once.
pub struct Ctx {
    pub config_path: ConfigPath,
    pub profile_flag: Option<String>,
}

/// A loaded config with the profile the command acts on.
pub struct Selected {
    pub loaded: Loaded,
    pub name: String,
}

impl Selected {
    pub fn profile(&self) -> &Profile {
        &self.loaded.file.profiles[&self.name]
    }
}

impl Ctx {
    pub fn load(&self) -> Result<Loaded> {
        Loaded::load(self.config_path.clone())
    }

    /// Load the config and select the profile (`--profile`, else the default).
    pub fn select(&self) -> Result<Selected> {
        let loaded = self.load()?;
        let (name, _) = loaded.select(self.profile_flag.as_deref())?;
        Ok(Selected { loaded, name })
    }
}

/// Sign profile `name` in (`ccgw login`, and `ccgw init` for an oidc profile): the URL and
/// code on stderr, a browser opened unless `no_browser` (or there is none), then who signed in.
pub fn sign_in(
    name: &str,
    profile: &Profile,
    config: &std::path::Path,
    no_browser: bool,
) -> Result<()> {
    use crate::redact::terminal_safe;
    let browser = if no_browser {
        None
    } else {
        crate::oidc::browser()
    };
    let open = |url: &str| {
        if let Some(b) = &browser
            && let Err(e) = crate::oidc::open_url(b, url)
        {
            eprintln!("warning: {e:#}");
        }
    };
    let who = crate::key::oidc::sign_in(
        name,
        profile,
        config,
        |start| {
            // The complete URL carries the code; the code is shown anyway, to compare.
            let url = start
                .verification_uri_complete
                .as_deref()
                .unwrap_or(&start.verification_uri);
            eprintln!("To sign in, open {}", terminal_safe(url));
            eprintln!(
                "and check that it shows the code {}",
                terminal_safe(&start.user_code)
            );
            open(url);
            eprintln!("Waiting for the sign-in…");
        },
        |url| {
            eprintln!("To sign in, open {}", terminal_safe(url));
            open(url);
        },
    )?;
    match who {
        Some(who) => eprintln!("signed in as {}", terminal_safe(&who)),
        None => eprintln!("signed in"),
    }
    Ok(())
}

pub fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        config_path: ConfigPath::resolve(cli.config.as_deref())?,
        profile_flag: cli.profile,
    };
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Profile(c) => profile::run(&ctx, c),
        Command::Env(args) => env::run(&ctx, args),
        Command::Settings(c) => settings::run(&ctx, c),
        Command::Key(args) => key::run(&ctx, args),
        Command::Login(args) => login::run(&ctx, args),
        Command::Logout => logout::run(&ctx),
        Command::Secret(c) => secret::run(&ctx, c),
        Command::Cache(c) => cache::run(&ctx, c),
        Command::Exec(args) => exec::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}
