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

mod check;
mod checks;
mod graph;
pub mod report;

use std::time::Duration;

use crate::config::ConfigPath;
use crate::redact;

pub use check::{CheckId, CheckResult, Options, Outcome};
pub use report::Report;

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
