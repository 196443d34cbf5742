//! `ccgw key`.

use anyhow::Result;

use crate::cli::KeyArgs;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: KeyArgs) -> Result<()> {
    anyhow::bail!("`ccgw key` is not implemented yet")
}
