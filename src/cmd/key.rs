//! `ccgw key`: Claude Code's apiKeyHelper. The key and a newline on stdout, nothing else, ever.

use std::io::Write;

use anyhow::Result;

use crate::cli::KeyArgs;
use crate::cmd::Ctx;
use crate::key::{self, CacheUse};

pub fn run(ctx: &Ctx, args: KeyArgs) -> Result<()> {
    let sel = ctx.select()?;
    let mode = if args.no_cache {
        CacheUse::NoCache
    } else if args.refresh {
        CacheUse::Refresh
    } else {
        CacheUse::Cached
    };
    let key = key::resolve(&sel.name, sel.profile(), &sel.loaded.path.path, mode)?;
    // One write, so a reader never sees half a key.
    let mut out = std::io::stdout().lock();
    out.write_all(format!("{key}\n").as_bytes())?;
    out.flush()?;
    Ok(())
}
