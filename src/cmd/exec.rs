//! `ccgw exec`.

use anyhow::Result;

use crate::cli::ExecArgs;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: ExecArgs) -> Result<()> {
    anyhow::bail!("`ccgw exec` is not implemented yet")
}
