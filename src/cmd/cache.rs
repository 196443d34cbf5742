//! `ccgw cache`.

use anyhow::Result;

use crate::cli::CacheCommand;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: CacheCommand) -> Result<()> {
    anyhow::bail!("`ccgw cache` is not implemented yet")
}
