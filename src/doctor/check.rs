//! What a check is: its id and place in the graph (what it needs, what gates it), the input every
//! check gets, and the outcome it reports. The checks, the runner and the report import this;
//! it imports none of them.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::config::Profile;
use crate::plan::GatewayEnv;

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
    pub(super) fn prerequisites(self) -> &'static [CheckId] {
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
    pub(super) fn gates(self) -> &'static [CheckId] {
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
    pub(super) fn finishes_after(self) -> &'static [CheckId] {
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
}
