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

use std::io::Write;

/// Parse, dispatch, map errors to exit codes (the work is in `cmd/`); returns the process's
/// exit code once stdout is flushed (`main.rs` may run without std's start, which flushes it).
pub fn main_code() -> u8 {
    let cli = cli::Cli::parse_args();
    let code = match cmd::run(cli) {
        Ok(()) => error::code::OK,
        Err(err) => error::report(&err),
    };
    // Nothing is left to report a failed flush to (a closed stdout is not an error: report).
    let _ = std::io::stdout().flush();
    code
}
