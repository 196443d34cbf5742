//! `ccgw login`: sign in with the profile's identity provider.

use anyhow::Result;

use crate::cli::LoginArgs;
use crate::cmd::Ctx;

pub fn run(ctx: &Ctx, args: LoginArgs) -> Result<()> {
    let sel = ctx.select()?;
    super::sign_in(
        &sel.name,
        sel.profile(),
        &sel.loaded.path.path,
        args.no_browser,
    )
}
