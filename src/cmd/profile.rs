//! `ccgw profile list | show | use | remove`.

use anyhow::Result;

use crate::cli::ProfileCommand;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _cmd: ProfileCommand) -> Result<()> {
    anyhow::bail!("`ccgw profile` is not implemented yet")
}
