//! `ccgw doctor`: run the checks, print the report (checklist or JSON) on stdout, exit 1 when a
//! check failed (or warned, with `--strict`).

use std::io::{IsTerminal, Write};

use anyhow::Result;

use crate::cli::DoctorArgs;
use crate::cmd::Ctx;
use crate::doctor::{self, CheckId, Options};
use crate::error::{self, SilentExit};

pub fn run(ctx: &Ctx, args: DoctorArgs) -> Result<()> {
    let mut only = Vec::new();
    for id in &args.only {
        match CheckId::parse(id) {
            Some(c) if !only.contains(&c) => only.push(c),
            Some(_) => {}
            None => {
                let valid: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
                return Err(error::config(
                    format!("unknown check `{id}`"),
                    Some(format!("valid checks: {}", valid.join(", "))),
                ));
            }
        }
    }
    let opts = Options {
        live: args.live,
        timeout: args.timeout,
        only,
    };
    let report = doctor::run(&ctx.config_path, ctx.profile_flag.as_deref(), &opts);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        let color = out.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        write!(out, "{}", report.to_human(color))?;
    }
    out.flush()?;
    match report.exit_code(args.strict) {
        0 => Ok(()),
        code => Err(SilentExit(code).into()),
    }
}
