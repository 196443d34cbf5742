//! `ccgw secret`.

use anyhow::Result;

use crate::cli::SecretCommand;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: SecretCommand) -> Result<()> {
    anyhow::bail!("`ccgw secret` is not implemented yet")
}
