//! `ccgw settings`.

use anyhow::Result;

use crate::cli::SettingsCommand;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: SettingsCommand) -> Result<()> {
    anyhow::bail!("`ccgw settings` is not implemented yet")
}
