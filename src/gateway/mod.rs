//! The HTTP client to an LLM gateway, speaking as Claude Code does: the client (TLS as Claude
//! Code trusts it, redirects off), the headers Claude Code sends and the ways it sends the key,
//! and the answer or the transport problem, read with a bound. `doctor` sends every check's
//! requests through it, and `onboard` lists the gateway's models with it.
//!
//! Below it, `transport` holds the rules for any server ccgw does not control (the one TLS
//! setup, the body limit, what kind of failure an error is); above it, nothing here knows what
//! a check or a wizard makes of an answer.

mod answer;
mod client;
mod headers;

pub use answer::{Answer, Problem, describe, http_date, listed_model, one_line};
pub use client::{Client, TlsSetup};
pub use headers::{Auth, CLAUDE_CODE_BETAS, claude_headers};
