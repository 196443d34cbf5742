//! `claude`: which Claude Code the profile configures — the `claude` that will run (the first on
//! `PATH`), its `claude --version` (bounded), a warning when it is older than the oldest
//! version ccgw is tested with, and the rules that differ by version, applied to the profile.
//!
//! The rules are data: [`RULES`], one row per version from which a behaviour holds, measured on
//! the real binaries (the reference `claude-code-2.1.332.md`). A behaviour new in 2.1.332 may
//! have appeared in any version after 2.1.197; ccgw applies it from the first version it was
//! measured in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::KeySource;
use crate::doctor::check::{Input, Outcome};

/// The oldest Claude Code the tests run against.
pub const OLDEST_TESTED: Version = Version(2, 1, 197);

/// `claude --version` starts the whole client; give a busy machine a few seconds.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// A Claude Code version, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// The version in `claude --version`'s output (`2.1.332 (Claude Code)`).
    pub fn parse(text: &str) -> Option<Version> {
        let word = text.split_whitespace().next()?;
        let mut parts = word.split('.').map(|p| p.parse::<u32>().ok());
        let v = Version(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(v)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The behaviours of Claude Code that differ between the versions ccgw supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// A 403 (not only a 401) clears the cached apiKeyHelper value and retries.
    pub helper_cache_cleared_on_403: bool,
    /// Gateway model discovery runs when the helper is the only credential, sending both
    /// `Authorization: Bearer` and `x-api-key` (before: no discovery request at all).
    pub discovery_with_helper_sends_both_headers: bool,
    /// A cached helper value that is a JWT less than 30 s from `exp` is refreshed before it is
    /// sent (before: the stale value went first, and a 401 made it refresh).
    pub jwt_near_exp_refreshed_first: bool,
}

/// From which version each set of rules holds, oldest first.
pub const RULES: [(Version, Rules); 2] = [
    (
        Version(2, 1, 197),
        Rules {
            helper_cache_cleared_on_403: false,
            discovery_with_helper_sends_both_headers: false,
            jwt_near_exp_refreshed_first: false,
        },
    ),
    (
        Version(2, 1, 332),
        Rules {
            helper_cache_cleared_on_403: true,
            discovery_with_helper_sends_both_headers: true,
            jwt_near_exp_refreshed_first: true,
        },
    ),
];

/// The rules of `v`: those of the newest row at or below it (the oldest row for older ones).
pub fn rules_for(v: Version) -> Rules {
    RULES
        .iter()
        .rev()
        .find(|(from, _)| *from <= v)
        .map_or(RULES[0].1, |(_, r)| *r)
}

pub async fn check(input: &Input) -> Outcome {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let Some(bin) = find_on_path(&path, "claude") else {
        return Outcome::warn(
            "`claude` is not on PATH: cannot tell which Claude Code this profile configures",
            "install Claude Code (npm install -g @anthropic-ai/claude-code), or put its directory on PATH; the other checks do not need it",
        );
    };
    let shown = bin.display().to_string();
    let ran = tokio::task::spawn_blocking(move || version_of(&bin)).await;
    match ran {
        Ok(Ok(v)) => judge(input, &shown, v),
        Ok(Err(why)) => Outcome::warn(
            format!("`{shown} --version` {why}"),
            "run `claude --version` yourself; the version rules were not applied",
        ),
        Err(e) => Outcome::warn(format!("could not run `{shown} --version`: {e}"), "retry"),
    }
}

/// The first executable `name` in the `PATH` value `path`.
fn find_on_path(path: &std::ffi::OsStr, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path).map(|d| d.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// `bin --version`, bounded by [`VERSION_TIMEOUT`], parsed; `Err` says what went wrong.
fn version_of(bin: &Path) -> Result<Version, String> {
    let mut child = Command::new(bin)
        .arg("--version")
        // No update check or telemetry for a version query.
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= VERSION_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("did not answer within {VERSION_TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let mut out = String::new();
    if let Some(stdout) = child.stdout.take() {
        use std::io::Read;
        let _ = stdout.take(4096).read_to_string(&mut out);
    }
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    Version::parse(&out).ok_or_else(|| {
        format!(
            "printed no version ({:?})",
            crate::redact::terminal_safe(out.trim())
        )
    })
}

/// The version's rules, said, and applied to the profile.
fn judge(input: &Input, bin: &str, v: Version) -> Outcome {
    let r = rules_for(v);
    let yes_no = |b: bool, yes: &str, no: &str| if b { yes.to_owned() } else { no.to_owned() };
    let said = [
        yes_no(
            r.helper_cache_cleared_on_403,
            "a 401 or 403 reruns the helper",
            "only a 401 reruns the helper",
        ),
        yes_no(
            r.discovery_with_helper_sends_both_headers,
            "model discovery sends Bearer and x-api-key",
            "no model discovery with a helper",
        ),
        yes_no(
            r.jwt_near_exp_refreshed_first,
            "a JWT near exp is refreshed first",
            "a JWT near exp is sent once more",
        ),
    ]
    .join("; ");
    let summary = format!("Claude Code {v} at {bin}: {said}");
    if v < OLDEST_TESTED {
        return Outcome::warn(
            format!("{summary} (older than {OLDEST_TESTED}, the oldest ccgw is tested with)"),
            "update Claude Code (claude update, or npm install -g @anthropic-ai/claude-code)",
        );
    }
    if input.profile.model_discovery && !r.discovery_with_helper_sends_both_headers {
        return Outcome::warn(
            format!("{summary}: `model_discovery = true` has no effect with this version"),
            "Claude Code sends no discovery request when the apiKeyHelper is the only credential before 2.1.332: update it for /model to list the gateway's models",
        );
    }
    if matches!(input.profile.key, KeySource::Jwt(_)) && !r.jwt_near_exp_refreshed_first {
        return Outcome::pass(format!(
            "{summary} (ccgw key renews a JWT before exp, so the helper value Claude Code caches is fresh)"
        ));
    }
    Outcome::pass(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_claude_version_output() {
        assert_eq!(
            Version::parse("2.1.332 (Claude Code)\n"),
            Some(Version(2, 1, 332))
        );
        assert_eq!(Version::parse("2.1.197"), Some(Version(2, 1, 197)));
        assert_eq!(Version::parse("2.1 (Claude Code)"), None);
        assert_eq!(Version::parse("2.1.x"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
        assert_eq!(Version::parse(""), None);
    }

    #[test]
    fn the_rules_by_version() {
        let old = rules_for(Version(2, 1, 197));
        assert!(!old.helper_cache_cleared_on_403);
        assert!(!old.discovery_with_helper_sends_both_headers);
        assert!(!old.jwt_near_exp_refreshed_first);
        // Between two measured versions: the older row's rules.
        assert_eq!(rules_for(Version(2, 1, 300)), old);
        // Older than every row: the oldest row's.
        assert_eq!(rules_for(Version(1, 0, 0)), old);
        let new = rules_for(Version(2, 1, 332));
        assert!(new.helper_cache_cleared_on_403);
        assert!(new.discovery_with_helper_sends_both_headers);
        assert!(new.jwt_near_exp_refreshed_first);
        assert_eq!(rules_for(Version(3, 0, 0)), new);
        // The table is sorted, oldest first, and starts at the oldest tested version.
        assert!(RULES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(RULES[0].0, OLDEST_TESTED);
    }

    #[test]
    fn finds_the_first_executable_on_path() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        for dir in [&a, &b] {
            std::fs::create_dir(dir).unwrap();
        }
        // Not executable in a: skipped.
        std::fs::write(a.join("claude"), "").unwrap();
        std::fs::write(b.join("claude"), "").unwrap();
        std::fs::set_permissions(b.join("claude"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(find_on_path(&path, "claude"), Some(b.join("claude")));
        assert_eq!(find_on_path(&path, "nothing"), None);
    }
}
