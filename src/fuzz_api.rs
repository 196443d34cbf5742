//! What the fuzz targets (`fuzz/`) reach of ccgw's pure cores, and nothing else. Built only
//! with `--cfg fuzzing` (cargo-fuzz sets it), so the released library stays all private.
//!
//! Each wrapper hands the target plain data (strings, bools, `serde_json` values) rather than
//! ccgw's internal types, so that the targets compare answers without knowing how ccgw holds
//! them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::claude::merge::{self as sm, Previous, Refusal, UndoRecord};
use crate::cli::{Cli, Command};

pub use crate::key::cache::{
    Entry as CacheEntry, Expect, Freshness, Owner, Record as CacheRecord, StaleReason, freshness,
    parse_entry, refresh_at,
};
pub use crate::key::key_problem;
pub use crate::plan::{ALL_PLAN_VARS, COMPETING_CREDENTIALS};
pub use crate::shell::Shell;

/// Every output format of `ccgw env`.
pub const SHELLS: [Shell; 7] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Powershell,
    Shell::Nu,
    Shell::Dotenv,
    Shell::Json,
];

// ---------------------------------------------------------------------------------------------
// Config loader

/// Parse and validate a config file's text as `ccgw` does on load: `Err` is the message the
/// user would see (`FILE:LINE: FIELD: …`); `Ok` the names of the profiles.
pub fn load_config(path: &Path, text: &str) -> Result<Vec<String>, String> {
    crate::config::parse(path, text)
        .map(|file| file.profiles.keys().cloned().collect())
        .map_err(|e| format!("{e:#}"))
}

// ---------------------------------------------------------------------------------------------
// Settings merge and text edit

/// A plan as `settings write` gets it: ordered variables and the helper command line.
#[derive(Debug, Clone)]
pub struct Plan(crate::plan::GatewayEnv);

impl Plan {
    pub fn new(vars: Vec<(String, String)>, api_key_helper: String) -> Self {
        Plan(crate::plan::GatewayEnv::from_vars(vars, api_key_helper))
    }
}

/// An undo record, held opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undo(UndoRecord);

/// What `settings write` would put in the file.
#[derive(Debug, Clone)]
pub struct WriteOutcome {
    pub text: String,
    pub record: Undo,
}

impl Undo {
    /// ccgw promises to restore the pre-write bytes only when it kept everything it replaced:
    /// a competing credential it cleared, or a secret it overwrote, is gone by design.
    pub fn restorable(&self) -> bool {
        let UndoRecord {
            entries, cleared, ..
        } = &self.0;
        cleared.is_empty() && entries.iter().all(|e| e.previous != Previous::Secret)
    }

    /// The record as it is stored (JSON): a target checks that no secret got in.
    pub fn stored_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a record always serialises")
    }
}

fn refusal(r: Refusal) -> String {
    match r {
        Refusal::Document(m) => format!("document: {m}"),
        Refusal::Plan(m) => format!("plan: {m}"),
    }
}

/// `settings write`: merge `plan` into `existing` (`None`: no file yet), after `prior`.
pub fn settings_write(
    existing: Option<&str>,
    plan: &Plan,
    prior: Option<&Undo>,
) -> Result<WriteOutcome, String> {
    let out = sm::merge(existing, &plan.0, prior.map(|r| &r.0)).map_err(refusal)?;
    Ok(WriteOutcome {
        text: out.text.expect("merge always gives a document"),
        record: Undo(out.record.expect("merge always gives a record")),
    })
}

/// `settings remove`: the file's new text, `None` when the file is to be deleted.
pub fn settings_remove(existing: Option<&str>, record: &Undo) -> Result<Option<String>, String> {
    sm::unmerge(existing, &record.0)
        .map(|out| out.text)
        .map_err(refusal)
}

/// The document ccgw reads from settings text (`Err`: it refuses to edit it).
pub fn settings_document(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    sm::parse_document(text).map_err(refusal)
}

// ---------------------------------------------------------------------------------------------
// The `ccgw key` helper line

/// What a command line means when it is `ccgw key`: the fields the fast path fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub no_cache: bool,
    pub refresh: bool,
}

fn key_line(cli: Cli) -> Option<KeyLine> {
    match cli.command {
        Command::Key(k) => Some(KeyLine {
            config: cli.config,
            profile: cli.profile,
            no_cache: k.no_cache,
            refresh: k.refresh,
        }),
        _ => None,
    }
}

/// The fast path's answer for `argv` (without the program name); `None`: it leaves the line
/// to clap. `env` is the process environment.
pub fn fast_helper_line(
    argv: &[OsString],
    env: impl Fn(&str) -> Option<OsString>,
) -> Option<KeyLine> {
    Cli::helper_line(argv.iter().cloned(), env)
        .map(|cli| key_line(cli).expect("the fast path only ever answers for `ccgw key`"))
}

/// clap's answer for `argv` (without the program name), reading the real process environment
/// as `ccgw` does: `Err` when clap refuses it (or prints help), `Ok(None)` for another command.
pub fn clap_line(argv: &[OsString]) -> Result<Option<KeyLine>, String> {
    use clap::Parser as _;
    let full = std::iter::once(OsString::from("ccgw")).chain(argv.iter().cloned());
    Cli::try_parse_from(full)
        .map(key_line)
        .map_err(|e| e.kind().to_string())
}

// ---------------------------------------------------------------------------------------------
// The key cache: `parse_entry` and `freshness` above are the read rule itself.

/// Whether `text` is laid out exactly as ccgw prints a settings document (any indent, line
/// ending and final newline, as `claude::text::Layout` detects them): the form in which
/// `settings remove` promises the very bytes back.
pub fn settings_text_is_printed_form(text: &str) -> bool {
    use crate::claude::text::{Layout, render};
    sm::parse_document(text).is_ok_and(|doc| render(&doc, &Layout::of(text)) == text)
}
