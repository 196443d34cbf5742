//! ccgw: put Claude Code behind an LLM gateway and keep it authenticated.
//!
//! Parse, dispatch, map errors to exit codes; the work is in `cmd/`.

mod claude_settings;
mod cli;
mod cmd;
mod config;
mod doctor;
mod error;
mod fsutil;
mod key;
mod onboard;
mod plan;
mod settings_merge;
mod settings_text;
mod shell;
mod transport;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => ExitCode::from(error::report(&err)),
    }
}
