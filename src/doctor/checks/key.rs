//! `key`: get the key exactly as Claude Code would — run the profile's `apiKeyHelper` command
//! line through `/bin/sh -c` with the plan's variables — within a time bound, and check what it
//! printed the way Claude Code ≥ 2.1.227 does (one printable-ASCII token, ≤ 16384 chars).
//! For a JWT: expiry against the helper TTL, and this clock against the gateway's `Date`.
//!
//! The key is shown only as `first4…last4`; it leaves this module only in `Secret`, for the
//! checks that send it.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant, SystemTime};

use crate::doctor::check::{Input, Outcome, Status};
// Claude Code's limit on an apiKeyHelper's output (v2.1.227+): one home, with the key rule.
use crate::key::{claims, key_problem};
use crate::redact::mask;

/// A helper slower than this delays Claude Code's first request noticeably.
const SLOW: Duration = Duration::from_secs(2);
/// Clock skew the gateway may tolerate for `iat`/`exp`.
const MAX_SKEW: Duration = Duration::from_secs(60);

/// The key as fetched, with what a JWT payload says about it.
pub struct Secret {
    pub key: String,
    exp: Option<u64>,
    is_jwt: bool,
}

/// Run the helper (blocking work off the runtime thread).
pub async fn fetch(input: &Input) -> (Outcome, Option<Secret>) {
    let cmd = input.plan.api_key_helper.clone();
    let vars = input.plan.vars.clone();
    // Vault or an SSO helper can be slower than one network step; Claude Code itself warns
    // after 10 s, so give the helper that long at least.
    let bound = input.timeout.max(Duration::from_secs(10));
    let ran = tokio::task::spawn_blocking(move || run_helper(&cmd, &vars, bound)).await;
    let run = match ran {
        Ok(r) => r,
        Err(e) => {
            return (
                Outcome::fail(format!("could not run the apiKeyHelper: {e}"), "retry"),
                None,
            );
        }
    };
    let (outcome, secret) = judge(&input.plan.api_key_helper, run);
    match crate::key::oidc::source(&input.profile) {
        Some(src) => (oidc_findings(&input.name, src, outcome).await, secret),
        None => (outcome, secret),
    }
}

/// For an `oidc` profile: whether a refresh token is held (never the token) and whether the
/// identity provider answers its discovery request.
async fn oidc_findings(
    name: &str,
    src: &crate::config::OidcSource,
    mut outcome: Outcome,
) -> Outcome {
    // Who the token names is in the summary already (`a JWT for `WHO``, key::claims).
    let mut notes = Vec::new();
    let (name_owned, src_owned) = (name.to_owned(), src.clone());
    let held =
        tokio::task::spawn_blocking(move || crate::key::oidc::signed_in(&name_owned, &src_owned))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .and_then(|r| r);
    let mut worst = Status::Pass;
    let mut hints = Vec::new();
    match held {
        Ok(true) => notes.push("refresh token held: yes".into()),
        Ok(false) => {
            notes.push("refresh token held: no".into());
            worst = Status::Warn;
            hints.push(format!("run `ccgw login --profile {name}`: without a refresh token the sign-in cannot be renewed"));
        }
        Err(e) => {
            notes.push(format!("refresh token held: unknown ({e:#})"));
            worst = Status::Warn;
        }
    }
    match crate::key::oidc::connect(src).await {
        Ok(_) => notes.push("the identity provider answers".into()),
        Err(e) => {
            notes.push(format!("the identity provider does not answer: {e:#}"));
            worst = Status::Warn;
            hints.push(format!(
                "check that `{}` is reachable from here",
                src.issuer
            ));
        }
    }
    outcome.summary = format!("{}; {}", outcome.summary, notes.join(", "));
    if worst == Status::Warn && outcome.status == Status::Pass {
        outcome.status = Status::Warn;
    }
    if !hints.is_empty() {
        let more = hints.join("\n");
        outcome.hint = Some(match outcome.hint.take() {
            Some(h) => format!("{h}\n{more}"),
            None => more,
        });
    }
    outcome
}

/// What running the helper gave.
#[derive(Debug)]
enum Run {
    Spawn(String),
    TimedOut(Duration),
    Exited {
        code: Option<i32>,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
        took: Duration,
    },
}

fn run_helper(cmd: &str, vars: &[(String, String)], bound: Duration) -> Run {
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Run::Spawn(e.to_string()),
    };
    let start = Instant::now();
    // Drain both pipes on their own threads so that a chatty helper cannot block on a full pipe;
    // a background grandchild may keep them open, so collect with a deadline, never a join.
    let out_rx = drain(child.stdout.take(), 1 << 20);
    let err_rx = drain(child.stderr.take(), 1 << 16);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= bound => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Run::Spawn(e.to_string()),
        }
    };
    let took = start.elapsed();
    let Some(status) = status else {
        return Run::TimedOut(bound);
    };
    let rest = bound.saturating_sub(took).max(Duration::from_millis(100));
    Run::Exited {
        code: status.code(),
        stdout: out_rx.recv_timeout(rest).unwrap_or_default(),
        stderr: err_rx
            .recv_timeout(Duration::from_millis(100))
            .unwrap_or_default(),
        took,
    }
}

/// Read at most `limit` bytes of `pipe` on a thread of its own; the bytes arrive on the channel.
fn drain(pipe: Option<impl Read + Send + 'static>, limit: u64) -> Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut b = Vec::new();
        if let Some(p) = pipe {
            let _ = p.take(limit).read_to_end(&mut b);
        }
        let _ = tx.send(b);
    });
    rx
}

fn judge(cmd: &str, run: Run) -> (Outcome, Option<Secret>) {
    let yourself = format!("run `{cmd}` yourself to see what it does");
    let (code, stdout, stderr, took) = match run {
        Run::Spawn(e) => {
            return (
                Outcome::fail(
                    format!("could not start /bin/sh for the apiKeyHelper: {e}"),
                    yourself,
                ),
                None,
            );
        }
        Run::TimedOut(bound) => {
            return (
                Outcome::fail(
                    format!(
                        "the apiKeyHelper did not finish within {} s",
                        bound.as_secs()
                    ),
                    format!("Claude Code waits for it before its first request; {yourself}"),
                ),
                None,
            );
        }
        Run::Exited {
            code,
            stdout,
            stderr,
            took,
        } => (code, stdout, stderr, took),
    };
    if code != Some(0) {
        let err = String::from_utf8_lossy(&stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let last = last
            .strip_prefix("hint: ")
            .map_or(last, |_| err.lines().rev().nth(1).unwrap_or(last));
        let code = code.map_or("a signal".to_owned(), |c| c.to_string());
        return (
            Outcome::fail(
                format!(
                    "the apiKeyHelper exited {code}: {}",
                    crate::gateway::one_line(last, 160)
                ),
                yourself,
            ),
            None,
        );
    }
    let text = String::from_utf8_lossy(&stdout);
    let key = text.trim();
    // Claude Code's own rule (key::key_problem); only "several lines" is said here, because
    // the key rule sees one trimmed token and would call it whitespace.
    let problem = match key.lines().count() {
        0 => Some("printed nothing".to_owned()),
        1 => key_problem(key).map(|p| format!("printed a key that {p}")),
        n => Some(format!("printed {n} lines")),
    };
    if let Some(problem) = problem {
        return (
            Outcome::fail(
                format!("the apiKeyHelper {problem}: Claude Code cannot use that as a key"),
                "the helper must print only the key and a newline (Claude Code ≥ 2.1.227 refuses anything else)",
            ),
            None,
        );
    }
    // Unverified: the gateway verifies; this says what the token claims.
    let claims = claims::peek(key);
    let secret = Secret {
        key: key.to_owned(),
        exp: claims.as_ref().and_then(|c| c.exp),
        is_jwt: claims.is_some(),
    };
    // `who` is bounded and free of control characters (key::claims), fit for one line.
    let kind = match claims.as_ref().map(|c| c.who()) {
        Some(Some(who)) => format!("JWT for `{who}`"),
        Some(None) => "JWT".to_owned(),
        None => "key".to_owned(),
    };
    let summary = format!("the apiKeyHelper printed a {kind} ({})", mask(key));
    let outcome = if took > SLOW {
        Outcome::warn(
            format!("{summary}, but took {:.1} s", took.as_secs_f64()),
            "Claude Code's first request in every session waits for the helper: use a faster key source or keep ccgw's cache warm",
        )
    } else {
        Outcome::pass(summary)
    };
    (outcome, Some(secret))
}

/// After the network check: JWT lifetime vs the helper TTL, and clock skew vs the gateway.
pub fn finish(
    input: &Input,
    outcome: Outcome,
    secret: Option<&Secret>,
    server_date: Option<SystemTime>,
) -> Outcome {
    let Some(secret) = secret.filter(|s| s.is_jwt) else {
        return outcome;
    };
    let ttl_ms = u64::try_from(input.plan.helper_ttl.as_millis()).unwrap_or(u64::MAX);
    jwt_findings(outcome, secret.exp, ttl_ms, SystemTime::now(), server_date)
}

fn jwt_findings(
    mut outcome: Outcome,
    exp: Option<u64>,
    ttl_ms: u64,
    now: SystemTime,
    server_date: Option<SystemTime>,
) -> Outcome {
    let now_s = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    fn add(outcome: &mut Outcome, status: Status, text: String, hint: &str) {
        outcome.summary = format!("{}; {text}", outcome.summary);
        if status == Status::Fail || (status == Status::Warn && outcome.status == Status::Pass) {
            outcome.status = status;
        }
        outcome.hint = Some(match outcome.hint.take() {
            Some(h) => format!("{h}\n{hint}"),
            None => hint.to_owned(),
        });
    }
    let ttl_s = ttl_ms / 1000;
    match exp {
        Some(exp) if exp <= now_s => add(
            &mut outcome,
            Status::Fail,
            format!("it expired {} s ago", now_s - exp),
            "the key source hands out an expired token: check its clock and lifetime (`ccgw key --refresh`)",
        ),
        Some(exp) if exp - now_s <= ttl_s => add(
            &mut outcome,
            Status::Warn,
            format!(
                "it expires in {} s, within the helper TTL of {ttl_s} s",
                exp - now_s
            ),
            "Claude Code reuses a key for CLAUDE_CODE_API_KEY_HELPER_TTL_MS and then still sends it while refreshing: tokens must outlive the TTL (raise the JWT ttl or lower key_ttl)",
        ),
        Some(exp) => {
            outcome.summary = format!("{}, valid for {} min", outcome.summary, (exp - now_s) / 60);
        }
        None => {
            outcome.summary = format!("{} without `exp`", outcome.summary);
        }
    }
    if let Some(date) = server_date {
        let (ahead, skew) = match now.duration_since(date) {
            Ok(d) => (true, d),
            Err(e) => (false, e.duration()),
        };
        if skew > MAX_SKEW {
            add(
                &mut outcome,
                Status::Warn,
                format!(
                    "this clock is {} s {} the gateway's",
                    skew.as_secs(),
                    if ahead { "ahead of" } else { "behind" }
                ),
                "sync this machine's clock (NTP): the gateway judges the JWT's iat/exp by its own clock",
            );
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exited(stdout: &str) -> Run {
        Run::Exited {
            code: Some(0),
            stdout: stdout.as_bytes().to_vec(),
            stderr: Vec::new(),
            took: Duration::from_millis(3),
        }
    }

    #[test]
    fn one_token_passes_and_is_masked() {
        let (o, s) = judge("h", exited("sk-ccgw-test-master-1234\n"));
        assert_eq!(o.status, Status::Pass);
        assert!(o.summary.contains("sk-c…1234"));
        assert!(!o.summary.contains("master"));
        assert_eq!(s.unwrap().key, "sk-ccgw-test-master-1234");
    }

    #[test]
    fn banners_and_empty_output_fail() {
        assert_eq!(
            judge("h", exited("Welcome!\nsk-abc\n")).0.status,
            Status::Fail
        );
        assert_eq!(judge("h", exited("\n")).0.status, Status::Fail);
        assert_eq!(judge("h", exited("ключ")).0.status, Status::Fail);
        // The wording names what is wrong, from the one key rule.
        let summary = |out: &str| judge("h", exited(out)).0.summary;
        assert!(summary("Welcome!\nsk-abc\n").contains("printed 2 lines"));
        assert!(summary("\n").contains("printed nothing"));
        assert!(summary("two words\n").contains("printed a key that contains whitespace"));
        assert!(summary("ключ").contains("not printable ASCII"));
        let long = "a".repeat(crate::key::MAX_KEY_LEN + 1);
        assert!(summary(&long).contains("16385 characters long (at most 16384)"));
        assert_eq!(
            judge("h", exited(&"a".repeat(crate::key::MAX_KEY_LEN)))
                .0
                .status,
            Status::Pass
        );
    }

    #[test]
    fn a_failing_helper_shows_its_error_not_a_key() {
        let (o, s) = judge(
            "h",
            Run::Exited {
                code: Some(4),
                stdout: Vec::new(),
                stderr: b"error: environment variable `K` is not set\nhint: export K\n".to_vec(),
                took: Duration::ZERO,
            },
        );
        assert!(s.is_none());
        assert!(
            o.summary.contains("exited 4: error: environment variable"),
            "{o:?}"
        );
    }

    // {"alg":"HS256"} . {"exp":2000000000} . sig
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjIwMDAwMDAwMDB9.c2ln";

    #[test]
    fn a_jwt_says_whom_it_is_for_and_its_exp_never_itself() {
        let (o, s) = judge("h", exited(&format!("{JWT}\n")));
        let s = s.unwrap();
        assert_eq!((s.is_jwt, s.exp), (true, Some(2_000_000_000)));
        assert!(
            o.summary.starts_with("the apiKeyHelper printed a JWT ("),
            "{o:?}"
        );
        let for_ada = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({"sub": "e-1", "email": "ada@example.com", "exp": 2_000_000_000u64}),
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        let (o, _) = judge("h", exited(&for_ada));
        assert!(
            o.summary
                .starts_with("the apiKeyHelper printed a JWT for `ada@example.com` ("),
            "{o:?}"
        );
        assert!(
            !o.summary.contains(&for_ada[10..for_ada.len() - 4]),
            "{o:?}"
        );
        let (_, s) = judge("h", exited("sk-not.a.jwt!"));
        assert!(!s.unwrap().is_jwt);
    }

    #[test]
    fn jwt_lifetime_and_skew() {
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        let base = || Outcome::pass("ok");
        let exp = 2_000_000_000;
        assert_eq!(
            jwt_findings(base(), Some(exp), 300_000, at(exp - 3600), None).status,
            Status::Pass
        );
        let short = jwt_findings(base(), Some(exp), 300_000, at(exp - 100), None);
        assert_eq!(short.status, Status::Warn);
        assert!(short.summary.contains("within the helper TTL"));
        assert_eq!(
            jwt_findings(base(), Some(exp), 300_000, at(exp + 5), None).status,
            Status::Fail
        );
        let skewed = jwt_findings(
            base(),
            Some(exp),
            300_000,
            at(exp - 3600),
            Some(at(exp - 3600 - 120)),
        );
        assert_eq!(skewed.status, Status::Warn);
        assert!(skewed.summary.contains("120 s ahead of"), "{skewed:?}");
    }
}
