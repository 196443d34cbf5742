//! `ccgw doctor`: send the requests Claude Code would send, in the mode the profile uses, and
//! say exactly what to change.
//!
//! The checks (ids are stable; `--only` takes them):
//!
//! | id | what | must pass first |
//! |---|---|---|
//! | `config` | the profile loads; mode fields; a sane gateway URL | — |
//! | `settings` | Claude Code's settings layers: competing credentials, the winning helper, drift | config |
//! | `key` | the profile's `apiKeyHelper` run as Claude Code runs it; JWT expiry and clock skew | config |
//! | `network` | DNS, TCP, TLS (CA file, client cert, expiry), the proxy that applies | config |
//! | `gateway` | `/health/liveliness` + `/health/readiness`: LiteLLM or another gateway | network |
//! | `auth` | each auth header alone, and both as Claude Code sends them | network, key |
//! | `models` | `/v1/models` lists the profile's models (unified/anthropic modes) | network, key, auth |
//! | `messages` | `count_tokens` with Claude Code's `anthropic-beta`; `--live`: a streamed call | network, key, auth |
//! | `passthrough` | Bedrock/Vertex routes as Claude Code calls them (those modes only) | network, key |
//! | `claude` | the `claude` on PATH: its version, and the rules that differ by version | config |
//!
//! `graph` runs them on `transport::runtime`: every check starts once `config` has loaded the
//! profile (`CheckId::prerequisites`), and the others in the last column are its gates
//! (`CheckId::gates`): its verdict stands only once they have passed, else it is skipped naming
//! the one that failed. So every request to the gateway goes out at once, on connections of
//! its own. With `--only` the gates still run (their verdicts are needed) but only the chosen
//! checks are reported. `checks::Table` says what each check runs and shares.

mod checks;
mod graph;
pub mod report;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::config::{ConfigPath, Profile};
use crate::plan::GatewayEnv;
use crate::redact;

pub use report::Report;

/// The checks, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckId {
    Config,
    Settings,
    Key,
    Network,
    Gateway,
    Auth,
    Models,
    Messages,
    Passthrough,
    Claude,
}

impl CheckId {
    pub const ALL: [CheckId; 10] = [
        CheckId::Config,
        CheckId::Settings,
        CheckId::Key,
        CheckId::Network,
        CheckId::Gateway,
        CheckId::Auth,
        CheckId::Models,
        CheckId::Messages,
        CheckId::Passthrough,
        CheckId::Claude,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Config => "config",
            CheckId::Settings => "settings",
            CheckId::Key => "key",
            CheckId::Network => "network",
            CheckId::Gateway => "gateway",
            CheckId::Auth => "auth",
            CheckId::Models => "models",
            CheckId::Messages => "messages",
            CheckId::Passthrough => "passthrough",
            CheckId::Claude => "claude",
        }
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The checks whose results this one needs: it runs once they have passed (or warned).
    /// Only the profile is needed to start: what else a check uses (the client, the key) is
    /// shared through `checks::Table`, and what must be sound first is a gate.
    fn prerequisites(self) -> &'static [CheckId] {
        match self {
            CheckId::Config => &[],
            _ => &[CheckId::Config],
        }
    }

    /// The checks that must pass for this one's verdict to stand, which it does not wait for
    /// to start: every request to the gateway goes out at once (a gateway far away costs its
    /// round trips once, not once per stage), and when a gate fails the check's answers are
    /// dropped and it is skipped naming it, as if it had waited. A key that fails means no
    /// key was sent; a network that fails, that no request got through.
    fn gates(self) -> &'static [CheckId] {
        match self {
            CheckId::Gateway => &[CheckId::Network],
            CheckId::Auth | CheckId::Passthrough => &[CheckId::Network, CheckId::Key],
            CheckId::Models | CheckId::Messages => &[CheckId::Network, CheckId::Key, CheckId::Auth],
            _ => &[],
        }
    }

    /// The checks whose data this one reads to finish its verdict when they run, without
    /// needing them to pass: `key` judges a JWT against the gateway's clock, the `Date` header
    /// that `network` read. Its dependants see the finished verdict.
    fn finishes_after(self) -> &'static [CheckId] {
        match self {
            CheckId::Key => &[CheckId::Network],
            _ => &[],
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// In JSON a check is its id string.
impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    /// The more severe of two statuses (fail > warn > skip > pass).
    pub fn max_severity(self, other: Status) -> Status {
        let rank = |s: Status| match s {
            Status::Fail => 3,
            Status::Warn => 2,
            Status::Skip => 1,
            Status::Pass => 0,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// What a check found: a status, one line, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub summary: String,
    pub hint: Option<String>,
}

impl Outcome {
    pub fn pass(summary: impl Into<String>) -> Self {
        Self {
            status: Status::Pass,
            summary: summary.into(),
            hint: None,
        }
    }
    pub fn warn(summary: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            status: Status::Warn,
            summary: summary.into(),
            hint: Some(hint.into()),
        }
    }
    pub fn fail(summary: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            summary: summary.into(),
            hint: Some(hint.into()),
        }
    }
    pub fn skip(reason: impl Into<String>) -> Self {
        Self {
            status: Status::Skip,
            summary: reason.into(),
            hint: None,
        }
    }

    /// Did not pass (failed, or skipped): the checks that need it are skipped (`graph`).
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Skip)
    }
}

/// One reported check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: CheckId,
    pub status: Status,
    pub summary: String,
    pub hint: Option<String>,
    pub duration_ms: u64,
}

/// How the doctor was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub live: bool,
    pub timeout: Duration,
    /// Empty: every check.
    pub only: Vec<CheckId>,
}

/// What the config check hands every other check.
pub struct Input {
    pub name: String,
    pub profile: Profile,
    pub plan: GatewayEnv,
    pub cwd: PathBuf,
    pub timeout: Duration,
    pub live: bool,
}

/// Run the doctor and return its report (rendering and the exit code are the caller's).
pub fn run(config_path: &ConfigPath, profile_flag: Option<&str>, opts: &Options) -> Report {
    let table = checks::Table::new(config_path, profile_flag, opts);
    let ran = match crate::transport::runtime() {
        Ok(rt) => rt.block_on(graph::run(&opts.only, &table)),
        Err(e) => vec![graph::Ran {
            id: CheckId::Network,
            outcome: Outcome::fail(format!("{e:#}"), "retry"),
            took: Duration::ZERO,
        }],
    };
    // What ccgw sent that is secret (known once the key is fetched): every summary and hint
    // goes through it, so no check can print a secret a server echoed, or a control sequence.
    let scrub = table.sent_secrets();
    let results = ran
        .into_iter()
        .map(|r| CheckResult {
            id: r.id,
            status: r.outcome.status,
            summary: scrub.scrub_lines(&r.outcome.summary),
            hint: r.outcome.hint.map(|h| scrub.scrub_lines(&h)),
            duration_ms: u64::try_from(r.took.as_millis()).unwrap_or(u64::MAX),
        })
        .collect();
    // A profile name is the user's own text, but it reaches a terminal too.
    let profile_name = table.profile_name().map(redact::terminal_safe);
    Report::new(profile_name, results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for id in CheckId::ALL {
            assert_eq!(CheckId::parse(id.as_str()), Some(id));
            assert_eq!(serde_json::to_value(id).unwrap(), id.as_str());
        }
        assert_eq!(CheckId::parse("dns"), None);
    }

    /// `ALL` is the report order and the order the runner visits checks in: every
    /// prerequisite comes before the checks that need it, and the graph has no circle.
    #[test]
    fn the_table_lists_prerequisites_first() {
        for (i, id) in CheckId::ALL.into_iter().enumerate() {
            for p in id.prerequisites().iter().chain(id.gates()) {
                let at = CheckId::ALL.iter().position(|c| c == p).unwrap();
                assert!(at < i, "{p} is listed after {id}");
            }
            // Waiting for a check that needs this one would never end.
            for a in id.finishes_after().iter().chain(id.gates()) {
                assert!(
                    !graph::wanted(&[*a]).contains(&id),
                    "{id} and {a} wait for each other"
                );
            }
        }
    }
}
