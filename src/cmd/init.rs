//! `ccgw init`.

use anyhow::Result;

use crate::cli::InitArgs;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: InitArgs) -> Result<()> {
    anyhow::bail!("`ccgw init` is not implemented yet")
}
