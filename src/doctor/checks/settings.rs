//! `settings`: what Claude Code will really use, from its settings layers and this shell.
//!
//! Credentials that beat the helper (`ANTHROPIC_AUTH_TOKEN`, `ANTHROPIC_API_KEY` anywhere), an
//! `apiKeyHelper` in a higher layer than this profile's, `forceLoginMethod` in managed settings,
//! shell exports a settings `env` block hides, profile values the effective ones differ from,
//! and a helper program that is not there.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::claude_settings::{self, FileState, Origin, Scope, SettingsFile};
use crate::doctor::{Input, Outcome, Status};
use crate::plan::{self, COMPETING_CREDENTIALS, GatewayEnv, ROUTE_SWITCHES};
use crate::redact;

pub fn check(input: &Input) -> Outcome {
    let layers = claude_settings::read_layers(&input.cwd);
    let shell: HashMap<String, String> = std::env::vars().collect();
    judge(&layers, &shell, &input.plan, &input.name, &|prog| {
        program_problem(prog, &shell)
    })
}

/// One thing found; the worst decides the status.
struct Finding {
    status: Status,
    text: String,
    hint: Option<String>,
}

/// The pure core: layers, the shell's variables, the plan; `program` says what is wrong with a
/// helper program (None: it exists and is executable).
fn judge(
    layers: &[SettingsFile],
    shell: &HashMap<String, String>,
    plan: &GatewayEnv,
    name: &str,
    program: &dyn Fn(&str) -> Option<String>,
) -> Outcome {
    let mut found: Vec<Finding> = Vec::new();

    for f in layers {
        if let FileState::Invalid(why) = &f.state {
            fail(
                &mut found,
                format!(
                    "{} settings `{}`: {why}",
                    f.scope.as_str(),
                    f.path.display()
                ),
                format!(
                    "fix or remove `{}`: Claude Code cannot use it",
                    f.path.display()
                ),
            );
        }
    }

    for var in COMPETING_CREDENTIALS {
        let header = if var == "ANTHROPIC_AUTH_TOKEN" {
            "Authorization"
        } else {
            "x-api-key"
        };
        for f in layers {
            if f.env().iter().any(|(k, _)| k == var) {
                fail(
                    &mut found,
                    format!("`{var}` is set in {} settings", f.scope.as_str()),
                    format!(
                        "remove `{var}` from the env block of `{}`: it beats the apiKeyHelper in the {header} header",
                        f.path.display()
                    ),
                );
            }
        }
        if shell.get(var).is_some_and(|v| !v.is_empty()) {
            fail(
                &mut found,
                format!("`{var}` is exported in this shell"),
                format!(
                    "unset {var} (and remove it from your shell startup files): it beats the apiKeyHelper in the {header} header"
                ),
            );
        }
    }

    for f in layers.iter().filter(|f| f.scope == Scope::Managed) {
        for key in ["forceLoginMethod", "forceLoginOrgUUID"] {
            if f.doc().is_some_and(|d| d.contains_key(key)) {
                fail(
                    &mut found,
                    format!("managed settings `{}` set `{key}`", f.path.display()),
                    format!(
                        "with `{key}` in managed settings Claude Code refuses apiKeyHelper and gateway credentials: ask the administrator to remove it"
                    ),
                );
            }
        }
    }

    let ours = |cmd: &str| helper_profile(cmd).as_deref() == Some(name);
    let effective = claude_settings::effective_helper(layers);
    let mut helper_is_ours = false;
    match &effective {
        None => found.push(Finding {
            status: Status::Warn,
            text: "no settings file has an apiKeyHelper yet".into(),
            hint: Some(
                "run `ccgw settings write` (or start Claude Code with `ccgw exec -- claude`)"
                    .into(),
            ),
        }),
        Some((cmd, scope, path)) if ours(cmd) => {
            helper_is_ours = true;
            found.push(Finding {
                status: Status::Pass,
                text: format!("apiKeyHelper for `{name}` from {} settings", scope.as_str()),
                hint: None,
            });
            let _ = path;
        }
        Some((cmd, scope, path)) => {
            let lower = layers
                .iter()
                .find(|f| f.api_key_helper().is_some_and(&ours));
            match lower {
                Some(l) => fail(
                    &mut found,
                    format!(
                        "the apiKeyHelper in {} settings wins over this profile's in {} settings",
                        scope.as_str(),
                        l.scope.as_str()
                    ),
                    format!(
                        "remove `apiKeyHelper` from `{}`, or run `ccgw settings write --scope {}`",
                        path.display(),
                        scope.as_str()
                    ),
                ),
                None => {
                    let whose = match helper_profile(cmd) {
                        Some(other) => format!("profile `{other}`'s helper"),
                        None => format!("`{}`", first_word(cmd).unwrap_or_default()),
                    };
                    found.push(Finding {
                        status: Status::Warn,
                        text: format!(
                            "Claude Code will run {whose} from {} settings, not `{name}`'s",
                            scope.as_str()
                        ),
                        hint: Some(format!(
                            "run `ccgw --profile {name} settings write --scope {}` to make `{name}` the one Claude Code uses",
                            scope.as_str()
                        )),
                    });
                }
            }
        }
    }

    let helper_cmd = effective
        .as_ref()
        .map_or(plan.api_key_helper.as_str(), |(c, _, _)| c.as_str());
    if let Some(word) = first_word(helper_cmd)
        && let Some(problem) = program(&word)
    {
        fail(
            &mut found,
            format!("apiKeyHelper program `{word}` {problem}"),
            "rerun `ccgw settings write` so that the helper names the installed ccgw".into(),
        );
    }

    // A variable a settings file sets hides the shell's export of it.
    let mut hidden: Vec<String> = Vec::new();
    for f in layers {
        for (k, v) in f.env() {
            if COMPETING_CREDENTIALS.contains(&k.as_str()) || hidden.contains(&k) {
                continue;
            }
            if let Some(sh) = shell.get(&k)
                && *sh != v
                && claude_settings::effective_env(layers, Some(sh), &k)
                    .is_some_and(|(e, _)| e != *sh)
            {
                hidden.push(k);
            }
        }
    }
    if !hidden.is_empty() {
        found.push(Finding {
            status: Status::Warn,
            text: format!(
                "settings env hides your shell's {}",
                hidden.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            ),
            hint: Some(
                "Claude Code takes a settings `env` value over a shell export: change it in the settings file, or unset it in the shell".into(),
            ),
        });
    }

    // A variable of another mode or profile that this plan does not set still acts in Claude
    // Code: a route switch sends it to another provider altogether.
    let mut stale: Vec<(String, bool)> = Vec::new();
    for k in plan::stale_vars(&plan.vars) {
        if let Some((_, origin)) =
            claude_settings::effective_env(layers, shell.get(k).map(String::as_str), k)
        {
            let from = from(&origin);
            stale.push((format!("`{k}` (from {from})"), ROUTE_SWITCHES.contains(&k)));
        }
    }
    if !stale.is_empty() {
        let switches_route = stale.iter().any(|(_, route)| *route);
        found.push(Finding {
            status: if switches_route { Status::Fail } else { Status::Warn },
            text: format!(
                "set but not part of profile `{name}`{}: {}",
                if switches_route {
                    " (it sends Claude Code down another provider's route)"
                } else {
                    ""
                },
                stale.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(", ")
            ),
            hint: Some(
                "put what you mean to keep into the profile (`model`, `models`, `headers`, …) so ccgw and doctor know of it, and remove the rest where it comes from (`eval \"$(ccgw env)\"` unsets them in a shell)".into(),
            ),
        });
    }

    // Once this profile's helper is in place, the other values should be the profile's too.
    if helper_is_ours {
        let mut drift: Vec<String> = Vec::new();
        for (k, want) in &plan.vars {
            match claude_settings::effective_env(layers, shell.get(k).map(String::as_str), k) {
                None => drift.push(format!("`{k}` is not set")),
                Some((have, origin)) if have != *want => {
                    let from = from(&origin);
                    drift.push(format!(
                        "`{k}` is `{}` (from {from}), the profile says `{}`",
                        redact::show_setting(k, &have),
                        redact::show_setting(k, want)
                    ));
                }
                Some(_) => {}
            }
        }
        if !drift.is_empty() {
            found.push(Finding {
                status: Status::Warn,
                text: drift.join("; "),
                hint: Some(
                    "run `ccgw settings write` to bring the settings in line with the profile"
                        .into(),
                ),
            });
        }
    }

    finish(found)
}

/// Where an effective value comes from, as a finding says it.
fn from(origin: &Origin) -> String {
    match origin {
        Origin::Shell => "the shell".to_owned(),
        Origin::File { scope, .. } => format!("{} settings", scope.as_str()),
    }
}

fn fail(found: &mut Vec<Finding>, text: String, hint: String) {
    found.push(Finding {
        status: Status::Fail,
        text,
        hint: Some(hint),
    });
}

fn finish(mut found: Vec<Finding>) -> Outcome {
    let rank = |s: Status| match s {
        Status::Fail => 0,
        Status::Warn => 1,
        _ => 2,
    };
    found.sort_by_key(|f| rank(f.status));
    let status = found.first().map_or(Status::Pass, |f| f.status);
    let problems: Vec<&Finding> = found.iter().filter(|f| f.status != Status::Pass).collect();
    if problems.is_empty() {
        let text = found
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Outcome::pass(if text.is_empty() {
            "settings are consistent".into()
        } else {
            text
        });
    }
    let summary = problems
        .iter()
        .map(|f| f.text.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let hint = problems
        .iter()
        .filter_map(|f| f.hint.as_deref())
        .collect::<Vec<_>>()
        .join("\n");
    Outcome {
        status,
        summary,
        hint: Some(hint),
    }
}

/// The profile a ccgw helper command line fetches for (`… ccgw … key --profile NAME`).
pub fn helper_profile(cmd: &str) -> Option<String> {
    let words = split_words(cmd);
    let prog = words.first()?;
    let base = Path::new(prog).file_name()?.to_str()?;
    if base != "ccgw" || !words.iter().any(|w| w == "key") {
        return None;
    }
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == "--profile" {
            return it.next().cloned();
        }
        if let Some(v) = w.strip_prefix("--profile=") {
            return Some(v.to_owned());
        }
    }
    None
}

fn first_word(cmd: &str) -> Option<String> {
    split_words(cmd).into_iter().next()
}

/// Split a `/bin/sh` command line into words: enough quoting (single, double, backslash) for
/// the command lines ccgw and people write, not a shell.
fn split_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
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
    use crate::claude_settings::test_layer as layer;

    fn plan() -> GatewayEnv {
        GatewayEnv {
            vars: vec![
                ("ANTHROPIC_BASE_URL".into(), "http://gw".into()),
                ("CLAUDE_CODE_API_KEY_HELPER_TTL_MS".into(), "600000".into()),
            ],
            api_key_helper: "'/opt/ccgw' key --profile work".into(),
        }
    }

    fn run(layers: &[SettingsFile], shell: &[(&str, &str)]) -> Outcome {
        let shell = shell
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        judge(layers, &shell, &plan(), "work", &|_| None)
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
                .contains("`CLAUDE_CODE_USE_BEDROCK` (from local settings)"),
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
                .contains("`ANTHROPIC_DEFAULT_OPUS_MODEL` (from the shell)"),
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
        assert!(o.summary.contains("project settings wins over"), "{o:?}");
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
                .contains("hides your shell's `CLAUDE_CODE_API_KEY_HELPER_TTL_MS`"),
            "{o:?}"
        );
        assert!(
            o.summary.contains("is `1000` (from user settings)"),
            "{o:?}"
        );
    }

    #[test]
    fn drift_masks_secret_shaped_values() {
        let user = GOOD.replace("http://gw", "http://me:hunter2@gw");
        let o = run(&[layer(Scope::User, &user)], &[]);
        assert_eq!(o.status, Status::Warn, "{o:?}");
        assert!(
            o.summary.contains(
                "is `http://me:****@gw` (from user settings), the profile says `http://gw`"
            ),
            "{o:?}"
        );
        assert!(!o.summary.contains("hunter2"), "{o:?}");
    }

    #[test]
    fn helper_words() {
        assert_eq!(
            helper_profile("'/opt/my tools/ccgw' key --profile 'a b'").as_deref(),
            Some("a b")
        );
        assert_eq!(
            helper_profile("ccgw --config x.toml key --profile=p").as_deref(),
            Some("p")
        );
        assert_eq!(helper_profile("cat ~/.key"), None);
        assert_eq!(split_words(r#"a "b c" d\ e"#), ["a", "b c", "d e"]);
    }
}
