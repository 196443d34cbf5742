//! `auth`: the key exactly as Claude Code sends it in this mode — unified/anthropic: the helper
//! key as both `Authorization: Bearer` and `x-api-key`; Bedrock/Vertex pass-through: Bearer only —
//! plus each header alone and no key at all, all on `GET /v1/models` with `anthropic-version`.
//!
//! Fails when the way this mode sends the key is refused; says which header the gateway reads;
//! warns on an open gateway and on answers that break Claude Code's key refresh (403 instead of
//! 401, `x-should-retry: false`), and explains LiteLLM's own answers (`no_db_connection`,
//! `premium_user`, 500 without prisma).

use crate::config::Mode;
use crate::doctor::check::Outcome;
use crate::doctor::checks::key::Secret;
use crate::doctor::checks::wire::{Wire, mode_auth};
use crate::gateway::{Answer, Auth, Problem};

pub async fn check(w: &Wire<'_>, secret: &Secret) -> Outcome {
    let input = w.input;
    let url = format!("{}/v1/models", input.profile.gateway_base());
    let probe = |auth: Auth| {
        let headers = w.claude_headers(auth, &secret.key, false);
        w.ask(w.client.get(&url).headers(headers))
    };
    let sent = mode_auth(input.profile.mode);
    let (both, bearer, x_api_key, none) = tokio::join!(
        async {
            if sent == Auth::Both {
                Some(probe(Auth::Both).await)
            } else {
                None
            }
        },
        probe(Auth::Bearer),
        probe(Auth::XApiKey),
        probe(Auth::None),
    );
    let as_sent = both.unwrap_or_else(|| bearer.clone());
    judge(
        &input.name,
        input.profile.mode,
        &Probes {
            as_sent,
            bearer,
            x_api_key,
            none,
        },
    )
}

/// The four answers (`as_sent` is `bearer` again in pass-through modes).
pub struct Probes {
    pub as_sent: Result<Answer, Problem>,
    pub bearer: Result<Answer, Problem>,
    pub x_api_key: Result<Answer, Problem>,
    pub none: Result<Answer, Problem>,
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Refused(String),
    Unclear(String),
}

/// What one answer means for the key that was sent.
fn verdict(a: &Answer) -> Verdict {
    let msg = a.message();
    match a.status {
        200..=299 => Verdict::Accepted,
        401 | 403 => Verdict::Refused(format!("{} {msg}", a.status)),
        400 if a.error_field("type").as_deref() == Some("no_db_connection") => Verdict::Refused(
            "400 no_db_connection (LiteLLM without a database knows only its master key)".into(),
        ),
        404 | 405 => Verdict::Unclear(format!("{} (no /v1/models here)", a.status)),
        s => Verdict::Unclear(format!("{s} {msg}")),
    }
}

fn honoured(p: &Result<Answer, Problem>) -> &'static str {
    match p {
        Ok(a) if verdict(a) == Verdict::Accepted => "✓",
        Ok(a) if matches!(verdict(a), Verdict::Refused(_)) => "✗",
        _ => "?",
    }
}

pub fn judge(name: &str, mode: Mode, p: &Probes) -> Outcome {
    let sent = mode_auth(mode);
    let headers = format!(
        "Bearer {} x-api-key {}",
        honoured(&p.bearer),
        honoured(&p.x_api_key)
    );
    let how = format!(
        "as Claude Code sends it in {} mode ({})",
        mode.as_str(),
        sent.label()
    );
    let answer = match &p.as_sent {
        Err(problem) => {
            return Outcome::fail(
                format!("GET /v1/models: {}", problem.summary()),
                problem.hint(),
            );
        }
        Ok(a) => a,
    };
    match verdict(answer) {
        Verdict::Accepted => accepted(&how, &headers, &p.none),
        Verdict::Refused(reason) => {
            let summary = format!("key refused {how}: {reason}; {headers}");
            Outcome::fail(
                summary,
                refused_hint(name, mode, answer, &p.x_api_key, &p.bearer),
            )
        }
        Verdict::Unclear(reason) => Outcome::warn(
            format!("could not judge the key: /v1/models answered {reason}"),
            match mode {
                Mode::Bedrock | Mode::Vertex => {
                    "the passthrough check tries the key on the route Claude Code uses"
                }
                _ => "the messages check tries the key on /v1/messages/count_tokens",
            },
        ),
    }
}

fn accepted(how: &str, headers: &str, none: &Result<Answer, Problem>) -> Outcome {
    let base = format!("key accepted {how}; {headers}");
    let Ok(none) = none else {
        return Outcome::pass(base);
    };
    if none.is_success() {
        return Outcome::warn(
            format!("{base}; but it also answers without any key (open gateway)"),
            "turn on auth at the gateway (LiteLLM: general_settings.master_key): anyone who reaches it can spend",
        );
    }
    if none.status == 403 {
        return Outcome::warn(
            format!("{base}; a request without a key gets 403, not 401"),
            "Claude Code re-runs the apiKeyHelper only on 401: a gateway that answers 403 for an expired key leaves it retrying with the stale key; make the gateway answer 401",
        );
    }
    if none.status == 401 && none.header("x-should-retry") == Some("false") {
        return Outcome::warn(
            format!("{base}; its 401 carries `x-should-retry: false`"),
            "with `x-should-retry: false` on a 401 Claude Code neither refreshes the key nor retries: drop that header from the gateway's 401s",
        );
    }
    if none.status == 500 && none.content_type().starts_with("text/plain") {
        return Outcome::warn(
            format!("{base}; without a key it answers 500 text/plain instead of 401"),
            "a database-less LiteLLM without `prisma` does this: `pip install prisma` in the gateway's environment (BerriAI/litellm#35457)",
        );
    }
    Outcome::pass(base)
}

fn refused_hint(
    name: &str,
    mode: Mode,
    answer: &Answer,
    x_api_key: &Result<Answer, Problem>,
    bearer: &Result<Answer, Problem>,
) -> String {
    let accepted = |p: &Result<Answer, Problem>| p.as_ref().is_ok_and(Answer::is_success);
    if matches!(mode, Mode::Bedrock | Mode::Vertex) && accepted(x_api_key) {
        return format!(
            "the gateway reads the key only from x-api-key, but in {} mode Claude Code sends it only as `Authorization: Bearer`: make the gateway accept Bearer (LiteLLM does unless `litellm_key_header_name` is set), or use unified mode",
            mode.as_str()
        );
    }
    if answer.error_field("param").as_deref() == Some("premium_user") {
        return "the key is a JWT and this LiteLLM has no enterprise licence for JWT auth: set LITELLM_LICENSE on the gateway, or use a LiteLLM key instead of a JWT".into();
    }
    if answer.error_field("type").as_deref() == Some("no_db_connection") {
        return format!(
            "this LiteLLM has no database, so only its master key (general_settings.master_key) is valid: check what profile `{name}`'s key source returns (`ccgw --profile {name} key --no-cache`)"
        );
    }
    let mut hint = format!(
        "the gateway refused the key from profile `{name}`'s source: check the source (`ccgw --profile {name} key --no-cache`) or ask the gateway's admin for a valid key"
    );
    if accepted(bearer) != accepted(x_api_key) {
        hint.push_str("; note the gateway reads only one of the two headers");
    }
    if answer.status == 403 {
        hint.push_str("; Claude Code refreshes its key only on 401, never on 403");
    }
    if answer.header("x-should-retry") == Some("false") {
        hint.push_str("; `x-should-retry: false` on the 401 also stops Claude Code's refresh");
    }
    hint
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::check::Status;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn ans(status: u16, body: &str) -> Result<Answer, Problem> {
        Ok(Answer {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        })
    }

    const OK: &str = r#"{"data":[]}"#;
    const NO_KEY: &str = r#"{"error":{"message":"Authentication Error, No api key passed in.","type":"auth_error","param":"None","code":"401"}}"#;
    const NO_DB: &str = r#"{"error":{"message":"No connected db.","type":"no_db_connection","param":null,"code":"400"}}"#;

    fn probes(as_sent: u16, bearer: u16, x: u16, none: u16) -> Probes {
        let b = |s| if s == 200 { OK } else { NO_KEY };
        Probes {
            as_sent: ans(as_sent, b(as_sent)),
            bearer: ans(bearer, b(bearer)),
            x_api_key: ans(x, b(x)),
            none: ans(none, b(none)),
        }
    }

    /// Every key header refused with `status` and `body`; no key at all gets LiteLLM's 401.
    fn refused(status: u16, body: &str) -> Probes {
        Probes {
            as_sent: ans(status, body),
            bearer: ans(status, body),
            x_api_key: ans(status, body),
            none: ans(401, NO_KEY),
        }
    }

    #[test]
    fn litellm_with_the_master_key_passes() {
        let o = judge("w", Mode::Unified, &probes(200, 200, 200, 401));
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(o.summary.contains("Bearer ✓ x-api-key ✓"));
    }

    #[test]
    fn x_api_key_only_gateway_passes_unified_and_fails_bedrock() {
        assert_eq!(
            judge("w", Mode::Unified, &probes(200, 401, 200, 401)).status,
            Status::Pass
        );
        let o = judge("w", Mode::Bedrock, &probes(401, 401, 200, 401));
        assert_eq!(o.status, Status::Fail);
        assert!(o.hint.unwrap().contains("only from x-api-key"));
    }

    #[test]
    fn a_wrong_key_on_litellm_names_the_master_key() {
        let o = judge("w", Mode::Unified, &refused(400, NO_DB));
        assert_eq!(o.status, Status::Fail);
        assert!(o.hint.unwrap().contains("master key"));
    }

    #[test]
    fn open_and_403_gateways_warn() {
        assert_eq!(
            judge("w", Mode::Unified, &probes(200, 200, 200, 200)).status,
            Status::Warn
        );
        let o = judge("w", Mode::Unified, &probes(200, 200, 200, 403));
        assert_eq!(o.status, Status::Warn);
        assert!(o.hint.unwrap().contains("only on 401"));
    }

    #[test]
    fn premium_user_and_no_retry() {
        let premium = r#"{"error":{"message":"JWT Auth is an enterprise only feature.","type":"auth_error","param":"premium_user","code":"403"}}"#;
        assert!(
            judge("w", Mode::Unified, &refused(403, premium))
                .hint
                .unwrap()
                .contains("LITELLM_LICENSE")
        );
        let mut h = HeaderMap::new();
        h.insert("x-should-retry", HeaderValue::from_static("false"));
        let p = Probes {
            none: Ok(Answer {
                status: 401,
                headers: h,
                body: NO_KEY.into(),
            }),
            ..probes(200, 200, 200, 401)
        };
        assert_eq!(judge("w", Mode::Unified, &p).status, Status::Warn);
    }
}
