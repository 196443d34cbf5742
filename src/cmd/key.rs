//! `ccgw key`: Claude Code's apiKeyHelper. The key and a newline on stdout, nothing else, ever.

use std::io::Write;

use anyhow::Result;

use crate::cli::KeyArgs;
use crate::cmd::Ctx;
use crate::key;

pub fn run(ctx: &Ctx, _args: KeyArgs) -> Result<()> {
    let sel = ctx.select()?;
    let fetched = key::fetch(&sel.name, sel.profile())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", fetched.key)?;
    out.flush()?;
    Ok(())
}
