//! `ccgw man [--out-dir DIR]`: man pages generated from the clap definitions.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};

pub fn run(args: ManArgs) -> Result<()> {
    let cmd = Cli::command();
    match args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("could not create `{}`", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("could not write man pages to `{}`", dir.display()))?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            std::io::stdout().lock().write_all(&out)?;
        }
    }
    Ok(())
}
