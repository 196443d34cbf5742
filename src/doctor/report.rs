//! The report: the checklist a human reads, or one JSON object (the contract's shape). Both go
//! to stdout: the report is the command's data.

use std::fmt::Write as _;

use serde::Serialize;

use crate::doctor::check::{CheckResult, Status};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub profile: Option<String>,
    pub checks: Vec<CheckResult>,
    pub passed: usize,
    pub warnings: usize,
    pub failed: usize,
}

impl Report {
    pub fn new(profile: Option<String>, checks: Vec<CheckResult>) -> Self {
        let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
        Self {
            profile,
            passed: count(Status::Pass),
            warnings: count(Status::Warn),
            failed: count(Status::Fail),
            checks,
        }
    }

    pub fn skipped(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Skip)
            .count()
    }

    /// Exit code: 1 when a check failed (or, with `strict`, warned), else 0.
    pub fn exit_code(&self, strict: bool) -> u8 {
        u8::from(self.failed > 0 || (strict && self.warnings > 0))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// The checklist: one line per check (mark, id, summary, duration), `hint:` lines under
    /// anything not passing, and the counts.
    pub fn to_human(&self, color: bool) -> String {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_owned()
            }
        };
        let mut out = String::new();
        let who = self
            .profile
            .as_deref()
            .map_or("no profile".to_owned(), |p| format!("profile `{p}`"));
        let _ = writeln!(out, "ccgw doctor: {who}");
        let width = self
            .checks
            .iter()
            .map(|c| c.id.as_str().len())
            .max()
            .unwrap_or(0);
        for c in &self.checks {
            let (mark, code) = match c.status {
                Status::Pass => ("✓", "32"),
                Status::Warn => ("!", "33"),
                Status::Fail => ("✗", "31"),
                Status::Skip => ("-", "2"),
            };
            let _ = writeln!(
                out,
                "{} {:<width$}  {} ({} ms)",
                paint(code, mark),
                c.id.as_str(),
                c.summary,
                c.duration_ms
            );
            if let Some(hint) = &c.hint {
                for line in hint.lines() {
                    let _ = writeln!(out, "  {} {line}", paint("36", "hint:"));
                }
            }
        }
        let mut summary = format!(
            "{} passed, {} warnings, {} failed",
            self.passed, self.warnings, self.failed
        );
        if self.skipped() > 0 {
            let _ = write!(summary, ", {} skipped", self.skipped());
        }
        let _ = writeln!(out, "\n{summary}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::check::CheckId;

    fn result(id: CheckId, status: Status, hint: Option<&str>) -> CheckResult {
        CheckResult {
            id,
            status,
            summary: format!("{id} says"),
            hint: hint.map(str::to_owned),
            duration_ms: 3,
        }
    }

    fn report() -> Report {
        Report::new(
            Some("work".into()),
            vec![
                result(CheckId::Config, Status::Pass, None),
                result(CheckId::Auth, Status::Fail, Some("fix it\nor this")),
                result(CheckId::Models, Status::Skip, None),
                result(CheckId::Key, Status::Warn, Some("slow")),
            ],
        )
    }

    #[test]
    fn counts_and_exit_codes() {
        let r = report();
        assert_eq!((r.passed, r.warnings, r.failed, r.skipped()), (1, 1, 1, 1));
        assert_eq!(r.exit_code(false), 1);
        let ok = Report::new(None, vec![result(CheckId::Key, Status::Warn, Some("h"))]);
        assert_eq!(ok.exit_code(false), 0);
        assert_eq!(ok.exit_code(true), 1);
    }

    #[test]
    fn human_checklist() {
        let text = report().to_human(false);
        assert!(text.contains("✓ config  config says (3 ms)"), "{text}");
        assert!(
            text.contains("✗ auth    auth says (3 ms)\n  hint: fix it\n  hint: or this\n"),
            "{text}"
        );
        assert!(
            text.ends_with("\n1 passed, 1 warnings, 1 failed, 1 skipped\n"),
            "{text}"
        );
        assert!(!text.contains('\x1b'));
        assert!(report().to_human(true).contains("\x1b[31m✗\x1b[0m"));
    }

    #[test]
    fn json_has_the_contract_shape() {
        let v: serde_json::Value = serde_json::from_str(&report().to_json()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["profile", "checks", "passed", "warnings", "failed"]);
        let c = &v["checks"][0];
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "status", "summary", "hint", "duration_ms"]);
        assert!(c["hint"].is_null());
        assert_eq!(v["checks"][1]["status"], "fail");
    }
}
