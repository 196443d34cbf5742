//! `ccgw env`.

use anyhow::Result;

use crate::cli::EnvArgs;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: EnvArgs) -> Result<()> {
    anyhow::bail!("`ccgw env` is not implemented yet")
}
