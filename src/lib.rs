//! ccgw: put Claude Code behind an LLM gateway and keep it authenticated.
//!
//! The library holds everything; `main.rs` only calls [`main`]. It is a library so that the
//! fuzz targets (`fuzz/`, built with `--cfg fuzzing`) can reach the pure cores; nothing else
//! is public.

mod claude;
mod cli;
mod cmd;
mod config;
mod doctor;
mod error;
mod fsutil;
#[cfg(fuzzing)]
pub mod fuzz_api;
mod gateway;
mod key;
mod oidc;
mod onboard;
mod plan;
mod redact;
mod secret_input;
mod shell;
mod transport;

use std::process::ExitCode;

/// Parse, dispatch, map errors to exit codes; the work is in `cmd/`.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    match cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => ExitCode::from(error::report(&err)),
    }
}
