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
