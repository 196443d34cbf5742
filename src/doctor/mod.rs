//! `ccgw doctor`: send the requests Claude Code would send, in the mode the profile uses, and
//! say exactly what to change.
//!
//! The checks (ids are stable; `--only` takes them):
//!
//! | id | what | needs |
//! |---|---|---|
//! | `config` | the profile loads; mode fields; a sane gateway URL | — |
//! | `settings` | Claude Code's settings layers: competing credentials, the winning helper, drift | config |
//! | `key` | the profile's `apiKeyHelper` run as Claude Code runs it; JWT expiry and clock skew | config |
//! | `network` | DNS, TCP, TLS (CA file, client cert, expiry), the proxy that applies | config |
//! | `gateway` | `/health/liveliness` + `/health/readiness`: LiteLLM or another gateway | network |
//! | `auth` | each auth header alone, and both as Claude Code sends them | network, key |
//! | `models` | `/v1/models` lists the profile's models (unified/anthropic modes) | auth |
//! | `messages` | `count_tokens` with Claude Code's `anthropic-beta`; `--live`: a streamed call | auth |
//! | `passthrough` | Bedrock/Vertex routes as Claude Code calls them (those modes only) | network, key |
//!
//! A check whose prerequisite failed is skipped with the reason. With `--only`, prerequisites
//! still run (their data is needed) but only the chosen checks are reported.
//!
//! The checks run on `transport::runtime`.

mod checks;
pub mod report;

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::{ConfigPath, Profile};
use crate::plan::GatewayEnv;
use crate::redact::{self, Scrubber};

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
}

impl CheckId {
    pub const ALL: [CheckId; 9] = [
        CheckId::Config,
        CheckId::Settings,
        CheckId::Key,
        CheckId::Network,
        CheckId::Gateway,
        CheckId::Auth,
        CheckId::Models,
        CheckId::Messages,
        CheckId::Passthrough,
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
        }
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The checks whose results this one needs.
    fn prerequisites(self) -> &'static [CheckId] {
        match self {
            CheckId::Config => &[],
            CheckId::Settings | CheckId::Key | CheckId::Network => &[CheckId::Config],
            CheckId::Gateway => &[CheckId::Network],
            CheckId::Auth | CheckId::Passthrough => &[CheckId::Network, CheckId::Key],
            CheckId::Models | CheckId::Messages => &[CheckId::Auth],
        }
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

    /// Failed: dependants skip.
    pub fn failed(&self) -> bool {
        matches!(self.status, Status::Fail | Status::Skip)
    }
}

/// One reported check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
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
    let wanted = wanted(&opts.only);
    let mut runner = Runner {
        reported: opts.only.clone(),
        results: Vec::new(),
        scrub: Scrubber::new(),
    };
    let started = Instant::now();
    let (outcome, input) = checks::config::check(config_path, profile_flag, opts);
    runner.record(CheckId::Config, outcome.clone(), started.elapsed());
    let profile_name = input.as_ref().map(|i| i.name.clone());
    match input {
        None => {
            for id in CheckId::ALL.into_iter().skip(1) {
                if wanted.contains(&id) {
                    runner.record(id, Outcome::skip("skipped: config failed"), Duration::ZERO);
                }
            }
        }
        Some(input) => match crate::transport::runtime() {
            Ok(rt) => rt.block_on(run_async(&input, &wanted, &mut runner)),
            Err(e) => runner.record(
                CheckId::Network,
                Outcome::fail(format!("{e:#}"), "retry"),
                Duration::ZERO,
            ),
        },
    }
    runner.results.sort_by_key(|r| {
        CheckId::ALL
            .iter()
            .position(|c| c.as_str() == r.id)
            .unwrap_or(usize::MAX)
    });
    // A profile name is the user's own text, but it reaches a terminal too.
    let profile_name = profile_name.map(|p| redact::terminal_safe(&p));
    Report::new(profile_name, runner.results)
}

/// Every check to run: the chosen ones and, transitively, what they need.
fn wanted(only: &[CheckId]) -> Vec<CheckId> {
    if only.is_empty() {
        return CheckId::ALL.to_vec();
    }
    let mut set: Vec<CheckId> = Vec::new();
    let mut stack: Vec<CheckId> = only.to_vec();
    while let Some(id) = stack.pop() {
        if !set.contains(&id) {
            set.push(id);
            stack.extend_from_slice(id.prerequisites());
        }
    }
    set
}

struct Runner {
    /// Checks to report; empty means all.
    reported: Vec<CheckId>,
    results: Vec<CheckResult>,
    /// What ccgw sent that is secret (known once the key is fetched): every summary and hint
    /// goes through it, so no check can print a secret a server echoed, or a control sequence.
    scrub: Scrubber,
}

impl Runner {
    fn record(&mut self, id: CheckId, outcome: Outcome, took: Duration) {
        if !self.reported.is_empty() && !self.reported.contains(&id) {
            return;
        }
        self.results.push(CheckResult {
            id: id.as_str(),
            status: outcome.status,
            summary: self.scrub.scrub_lines(&outcome.summary),
            hint: outcome.hint.map(|h| self.scrub.scrub_lines(&h)),
            duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        });
    }
}

/// Time a check.
async fn timed<T>(f: impl Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let out = f.await;
    (out, start.elapsed())
}

/// A skip naming the prerequisite that failed, or `None` when all passed.
fn blocked(deps: &[(CheckId, Option<&Outcome>)]) -> Option<Outcome> {
    deps.iter().find_map(|(id, o)| match o {
        Some(o) if !o.failed() => None,
        _ => Some(Outcome::skip(format!("skipped: {} failed", id.as_str()))),
    })
}

/// The dependency graph, run with as much concurrency as it allows:
/// settings ∥ key ∥ network, then gateway ∥ passthrough ∥ (auth, then models ∥ messages).
async fn run_async(input: &Input, wanted: &[CheckId], runner: &mut Runner) {
    let want = |id: CheckId| wanted.contains(&id);

    let settings_fut = async {
        if want(CheckId::Settings) {
            Some(timed(async { checks::settings::check(input) }).await)
        } else {
            None
        }
    };
    let key_fut = async {
        if want(CheckId::Key) {
            Some(timed(checks::key::fetch(input)).await)
        } else {
            None
        }
    };
    let net_fut = async {
        if want(CheckId::Network) {
            Some(timed(checks::network::check(input)).await)
        } else {
            None
        }
    };
    let (settings, key, net) = tokio::join!(settings_fut, key_fut, net_fut);

    let secret = key.as_ref().and_then(|((_, f), _)| f.as_ref());
    let scrub = checks::sent_secrets(input, secret.map(|s| s.key.as_str()));
    runner.scrub = scrub.clone();
    if let Some((o, d)) = settings {
        runner.record(CheckId::Settings, o, d);
    }
    let net_state = net.as_ref().map(|((o, state), _)| (o, state.as_ref()));
    let key = key.map(|((outcome, fetched), d)| {
        let date = net_state.and_then(|(_, s)| s.and_then(|s| s.server_date));
        let outcome = checks::key::finish(input, outcome, fetched.as_ref(), date);
        ((outcome, fetched), d)
    });
    if let Some(((o, _), d)) = &key {
        runner.record(CheckId::Key, o.clone(), *d);
    }
    if let Some(((o, _), d)) = &net {
        runner.record(CheckId::Network, o.clone(), *d);
    }
    let key_outcome = key.as_ref().map(|((o, _), _)| o);
    let net_outcome = net.as_ref().map(|((o, _), _)| o);
    let secret = key.as_ref().and_then(|((_, f), _)| f.as_ref());
    let scrub = &scrub;
    let client = net
        .as_ref()
        .and_then(|((_, s), _)| s.as_ref())
        .map(|r| &r.client);

    let gateway_fut = async {
        if !want(CheckId::Gateway) {
            return None;
        }
        Some(
            match (blocked(&[(CheckId::Network, net_outcome)]), client) {
                (None, Some(c)) => timed(checks::gateway::check(input, c, scrub)).await,
                (skip, _) => (
                    skip.unwrap_or_else(|| Outcome::skip("skipped")),
                    Duration::ZERO,
                ),
            },
        )
    };
    let passthrough_fut = async {
        if !want(CheckId::Passthrough) {
            return None;
        }
        if let Some(skip) = checks::passthrough::not_applicable(input) {
            return Some((skip, Duration::ZERO));
        }
        let deps = [(CheckId::Network, net_outcome), (CheckId::Key, key_outcome)];
        Some(match (blocked(&deps), client, secret) {
            (None, Some(c), Some(k)) => timed(checks::passthrough::check(input, c, k, scrub)).await,
            (skip, _, _) => (
                skip.unwrap_or_else(|| Outcome::skip("skipped")),
                Duration::ZERO,
            ),
        })
    };
    let auth_chain = async {
        if !want(CheckId::Auth) {
            return (None, None, None);
        }
        let deps = [(CheckId::Network, net_outcome), (CheckId::Key, key_outcome)];
        let auth = match (blocked(&deps), client, secret) {
            (None, Some(c), Some(k)) => timed(checks::auth::check(input, c, k, scrub)).await,
            (skip, _, _) => (
                skip.unwrap_or_else(|| Outcome::skip("skipped")),
                Duration::ZERO,
            ),
        };
        let auth_ok = blocked(&[(CheckId::Auth, Some(&auth.0))]);
        let models_fut = async {
            if !want(CheckId::Models) {
                return None;
            }
            if let Some(skip) = checks::models::not_applicable(input) {
                return Some((skip, Duration::ZERO));
            }
            Some(match (&auth_ok, client, secret) {
                (None, Some(c), Some(k)) => timed(checks::models::check(input, c, k, scrub)).await,
                (skip, _, _) => (
                    skip.clone().unwrap_or_else(|| Outcome::skip("skipped")),
                    Duration::ZERO,
                ),
            })
        };
        let messages_fut = async {
            if !want(CheckId::Messages) {
                return None;
            }
            if let Some(skip) = checks::messages::not_applicable(input) {
                return Some((skip, Duration::ZERO));
            }
            Some(match (&auth_ok, client, secret) {
                (None, Some(c), Some(k)) => {
                    timed(checks::messages::check(input, c, k, scrub)).await
                }
                (skip, _, _) => (
                    skip.clone().unwrap_or_else(|| Outcome::skip("skipped")),
                    Duration::ZERO,
                ),
            })
        };
        let (models, messages) = tokio::join!(models_fut, messages_fut);
        (Some(auth), models, messages)
    };
    let (gateway, passthrough, (auth, models, messages)) =
        tokio::join!(gateway_fut, passthrough_fut, auth_chain);
    for (id, r) in [
        (CheckId::Gateway, gateway),
        (CheckId::Auth, auth),
        (CheckId::Models, models),
        (CheckId::Messages, messages),
        (CheckId::Passthrough, passthrough),
    ] {
        if let Some((o, d)) = r {
            runner.record(id, o, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pulls_in_prerequisites() {
        let w = wanted(&[CheckId::Models]);
        for id in [
            CheckId::Models,
            CheckId::Auth,
            CheckId::Key,
            CheckId::Network,
            CheckId::Config,
        ] {
            assert!(w.contains(&id), "{id:?}");
        }
        assert!(!w.contains(&CheckId::Settings));
        assert!(!w.contains(&CheckId::Gateway));
    }

    #[test]
    fn ids_round_trip() {
        for id in CheckId::ALL {
            assert_eq!(CheckId::parse(id.as_str()), Some(id));
        }
        assert_eq!(CheckId::parse("dns"), None);
    }
}
