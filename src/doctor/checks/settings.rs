//! `settings`: what Claude Code will really use, from its settings layers and this shell: the
//! settings audit (`claude::audit`, `Delivery::Effective`) and whether the helper's program is
//! there. The worst finding decides the status.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::claude::audit::{self, Audit, Delivery, Finding, Severity};
use crate::claude::layers::{self, SettingsFile};
use crate::doctor::check::{Input, Outcome, Status};
use crate::plan::GatewayEnv;

pub fn check(input: &Input) -> Outcome {
    let layers = layers::read_layers(&input.cwd);
    let shell: HashMap<String, String> = std::env::vars().collect();
    let value = |name: &str| shell.get(name).filter(|v| !v.is_empty()).cloned();
    judge(&layers, &value, &input.plan, &input.name, &|prog| {
        program_problem(prog, &shell)
    })
}

/// The pure core: layers, the shell's variables, the plan; `program` says what is wrong with a
/// helper program (None: it exists and is executable).
fn judge(
    layers: &[SettingsFile],
    shell: &dyn Fn(&str) -> Option<String>,
    plan: &GatewayEnv,
    name: &str,
    program: &dyn Fn(&str) -> Option<String>,
) -> Outcome {
    let input = Audit {
        layers,
        shell,
        plan,
        profile: name,
    };
    let mut found = audit::audit(&input, Delivery::Effective);
    found.extend(audit::helper_program(layers, plan, name, program));
    found.sort_by_key(|f| f.severity);
    outcome(&found)
}

/// The findings as one result: the worst decides the status; notes are not problems.
fn outcome(found: &[Finding]) -> Outcome {
    let problems: Vec<&Finding> = found
        .iter()
        .filter(|f| matches!(f.severity, Severity::Fail | Severity::Warn))
        .collect();
    let Some(worst) = problems.first() else {
        let passed: Vec<String> = found
            .iter()
            .filter(|f| f.severity == Severity::Ok)
            .map(Finding::text)
            .collect();
        return Outcome::pass(if passed.is_empty() {
            "settings are consistent".into()
        } else {
            passed.join("; ")
        });
    };
    let status = if worst.severity == Severity::Fail {
        Status::Fail
    } else {
        Status::Warn
    };
    let summary = problems
        .iter()
        .map(|f| f.text())
        .collect::<Vec<_>>()
        .join("; ");
    let mut hints: Vec<String> = Vec::new();
    for h in problems.iter().filter_map(|f| f.hint()) {
        if !hints.contains(&h) {
            hints.push(h);
        }
    }
    Outcome {
        status,
        summary,
        hint: Some(hints.join("\n")),
    }
}

/// What is wrong with a helper's program: missing, not a file, not executable; None when fine.
fn program_problem(word: &str, shell: &HashMap<String, String>) -> Option<String> {
    let path = if let Some(rest) = word.strip_prefix("~/") {
        PathBuf::from(shell.get("HOME").cloned().unwrap_or_default()).join(rest)
    } else {
        PathBuf::from(word)
    };
    if word.contains('/') {
        return match std::fs::metadata(&path) {
            Err(_) => Some("does not exist".into()),
            Ok(m) if !m.is_file() => Some("is not a file".into()),
            Ok(m) if m.permissions().mode() & 0o111 == 0 => Some("is not executable".into()),
            Ok(_) => None,
        };
    }
    let found = shell
        .get("PATH")
        .map(|p| std::env::split_paths(p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .any(|dir| {
            std::fs::metadata(dir.join(word))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        });
    (!found).then(|| "is not on PATH".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claude::layers::{Scope, test_layer as layer};

    fn plan() -> GatewayEnv {
        GatewayEnv::from_vars(
            crate::plan::test_vars(&[
                ("ANTHROPIC_BASE_URL", "http://gw"),
                ("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "600000"),
            ]),
            "'/opt/ccgw' key --profile work".into(),
        )
    }

    fn run(layers: &[SettingsFile], shell: &[(&str, &str)]) -> Outcome {
        let value = |name: &str| {
            shell
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        judge(layers, &value, &plan(), "work", &|_| None)
    }

    const GOOD: &str = r#"{"apiKeyHelper":"'/opt/ccgw' key --profile work","env":{"ANTHROPIC_BASE_URL":"http://gw","CLAUDE_CODE_API_KEY_HELPER_TTL_MS":"600000"}}"#;

    #[test]
    fn written_settings_pass() {
        let o = run(&[layer(Scope::User, GOOD)], &[]);
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn nothing_written_is_a_warning() {
        let o = run(&[], &[]);
        assert_eq!(o.status, Status::Warn);
        assert!(o.hint.unwrap().contains("ccgw settings write"));
    }

    #[test]
    fn another_modes_variables_are_named() {
        // A route switch left in local settings: Claude Code would go to Bedrock.
        let o = run(
            &[
                layer(Scope::User, GOOD),
                layer(Scope::Local, r#"{"env":{"CLAUDE_CODE_USE_BEDROCK":"1"}}"#),
            ],
            &[],
        );
        assert_eq!(o.status, Status::Fail, "{o:?}");
        assert!(
            o.summary
                .contains("`CLAUDE_CODE_USE_BEDROCK` is set in `/local.json` (local settings)"),
            "{o:?}"
        );
        // Another profile's model in the shell: a warning. The AWS CLI's region: the user's.
        let o = run(
            &[layer(Scope::User, GOOD)],
            &[
                ("ANTHROPIC_DEFAULT_OPUS_MODEL", "m"),
                ("AWS_REGION", "eu-west-1"),
            ],
        );
        assert_eq!(o.status, Status::Warn, "{o:?}");
        assert!(
            o.summary
                .contains("`ANTHROPIC_DEFAULT_OPUS_MODEL` is exported in this shell"),
            "{o:?}"
        );
        assert!(!o.summary.contains("AWS_REGION"), "{o:?}");
    }

    #[test]
    fn auth_token_anywhere_fails() {
        let o = run(
            &[layer(Scope::User, GOOD)],
            &[("ANTHROPIC_AUTH_TOKEN", "t")],
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.summary.contains("ANTHROPIC_AUTH_TOKEN"));
        let o = run(
            &[
                layer(Scope::User, GOOD),
                layer(Scope::Local, r#"{"env":{"ANTHROPIC_API_KEY":"k"}}"#),
            ],
            &[],
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.summary.contains("local settings"), "{o:?}");
        assert!(!o.summary.contains("\"k\""));
    }

    #[test]
    fn a_higher_helper_wins_and_fails() {
        let o = run(
            &[
                layer(Scope::User, GOOD),
                layer(Scope::Project, r#"{"apiKeyHelper":"cat ~/.key"}"#),
            ],
            &[],
        );
        assert_eq!(o.status, Status::Fail);
        assert!(
            o.summary.contains(
                "`/project.json` (project settings) sets its own apiKeyHelper `cat ~/.key`, which wins over profile `work`'s in user settings"
            ),
            "{o:?}"
        );
    }

    #[test]
    fn force_login_in_managed_fails() {
        let o = run(
            &[
                layer(Scope::User, GOOD),
                layer(Scope::Managed, r#"{"forceLoginMethod":"claudeai"}"#),
            ],
            &[],
        );
        assert_eq!(o.status, Status::Fail);
        assert!(o.summary.contains("forceLoginMethod"));
    }

    #[test]
    fn hidden_exports_and_drift_warn() {
        let user = GOOD.replace("600000", "1000");
        let o = run(
            &[layer(Scope::User, &user)],
            &[("CLAUDE_CODE_API_KEY_HELPER_TTL_MS", "600000")],
        );
        assert_eq!(o.status, Status::Warn);
        assert!(
            o.summary
                .contains("(user settings) sets `CLAUDE_CODE_API_KEY_HELPER_TTL_MS` and hides this shell's export of it"),
            "{o:?}"
        );
        assert!(
            o.summary.contains(
                "`CLAUDE_CODE_API_KEY_HELPER_TTL_MS` has another value in `/user.json` (user settings)"
            ),
            "{o:?}"
        );
        // Values are compared, never reported.
        assert!(!o.summary.contains("1000"), "{o:?}");
    }

    #[test]
    fn drift_masks_secret_shaped_values() {
        let user = GOOD.replace("http://gw", "http://me:hunter2@gw");
        let o = run(&[layer(Scope::User, &user)], &[]);
        assert_eq!(o.status, Status::Warn, "{o:?}");
        assert!(
            o.summary
                .contains("`ANTHROPIC_BASE_URL` has another value in `/user.json` (user settings)"),
            "{o:?}"
        );
        assert!(!o.summary.contains("hunter2"), "{o:?}");
    }
}
