//! `ccgw doctor`.

use anyhow::Result;

use crate::cli::DoctorArgs;
use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _args: DoctorArgs) -> Result<()> {
    anyhow::bail!("`ccgw doctor` is not implemented yet")
}
