//! `messages`: `POST /v1/messages/count_tokens?beta=true` exactly as Claude Code sends it (its
//! `anthropic-beta` list verbatim, both auth headers); costs no tokens, so it runs by default.
//! With `--live`, a streamed 1-token `POST /v1/messages?beta=true` alongside it, checking for SSE
//! with `message_start` first and `message_stop` last.
//!
//! Two different faults: "count_tokens does not work through this gateway" is a warning
//! (Claude Code works, with estimated token counts: LiteLLM 1.108 forwards count_tokens to the
//! upstream, which may not offer it), while "messages do not work" is a failure, and only the
//! live call proves it. So a count_tokens answer that is neither a success nor one of the
//! faults that would break messages too (the key, the model, the beta header) warns, and the
//! live call still runs.
//!
//! The model: the profile's `model`, else `models.sonnet/haiku/opus`, else `claude-sonnet-5-5`
//! (what Claude Code 2.1.332's `sonnet` alias means on a gateway).

use serde_json::json;

use crate::doctor::check::{Input, Outcome, Status};
use crate::doctor::checks::key::Secret;
use crate::doctor::checks::wire::{
    Wire, failed, messages_base, mode_auth, model_or, on_provider_route,
};
use crate::gateway::{Answer, CLAUDE_CODE_BETAS};

/// Used when the profile names no model.
pub const DEFAULT_MODEL: &str = "claude-sonnet-5-5";

pub fn not_applicable(input: &Input) -> Option<Outcome> {
    on_provider_route(input, "Claude Code calls the provider route")
}

pub async fn check(w: &Wire<'_>, secret: &Secret) -> Outcome {
    let input = w.input;
    let model = model_or(input, DEFAULT_MODEL);
    let base = messages_base(input);
    let headers = w.claude_headers(mode_auth(input.profile.mode), &secret.key, true);
    let body = json!({"model": model, "messages": [{"role": "user", "content": "ping"}]});
    let count = w
        .client
        .post(format!("{base}/v1/messages/count_tokens?beta=true"))
        .headers(headers.clone())
        .json(&body);
    let counting = async {
        match w.ask(count).await {
            Ok(a) => judge_count(&model, &a),
            Err(p) => failed("count_tokens", &p),
        }
    };
    // With `--live`, the streamed call goes out alongside count_tokens (a gateway far away
    // costs the round trip once); when count_tokens fails, what it says is the report.
    let streaming = async {
        if !input.live {
            return None;
        }
        let body = json!({
            "model": model,
            "max_tokens": 1,
            "stream": true,
            "messages": [{"role": "user", "content": "ping"}],
        });
        let req = w
            .client
            .post(format!("{base}/v1/messages?beta=true"))
            .headers(headers.clone())
            .json(&body);
        Some(match w.ask(req).await {
            Ok(a) => judge_stream(&a),
            Err(p) => failed("streamed /v1/messages", &p),
        })
    };
    let (counted, live) = tokio::join!(counting, streaming);
    match live {
        Some(live) if counted.status != Status::Fail => combine(counted, live),
        _ => counted,
    }
}

/// Both results in one line; the worse status wins.
fn combine(a: Outcome, b: Outcome) -> Outcome {
    let rank = |s: Status| match s {
        Status::Fail => 3,
        Status::Warn => 2,
        Status::Skip => 1,
        Status::Pass => 0,
    };
    let status = if rank(b.status) > rank(a.status) {
        b.status
    } else {
        a.status
    };
    let hint = match (a.hint, b.hint) {
        (Some(x), Some(y)) => Some(format!("{x}\n{y}")),
        (x, y) => x.or(y),
    };
    Outcome {
        status,
        summary: format!("{}; {}", a.summary, b.summary),
        hint,
    }
}

fn rejects_beta(a: &Answer) -> bool {
    let body = a.body.to_ascii_lowercase();
    a.status == 400
        && [
            "anthropic-beta",
            "unexpected value",
            "invalid beta",
            "beta flag",
            "anthropic_beta",
        ]
        .iter()
        .any(|n| body.contains(n))
}

fn judge_count(model: &str, a: &Answer) -> Outcome {
    if a.is_success() {
        let n = a
            .json()
            .and_then(|j| j.get("input_tokens").and_then(serde_json::Value::as_u64));
        return match n {
            Some(n) => Outcome::pass(format!(
                "count_tokens accepts Claude Code's anthropic-beta list ({n} tokens, model {model})"
            )),
            None => Outcome::warn(
                format!("count_tokens answered {} without input_tokens", a.status),
                "the gateway's count_tokens route does not answer in Anthropic format; Claude Code's context accounting may be off",
            ),
        };
    }
    if rejects_beta(a) {
        let culprit = CLAUDE_CODE_BETAS
            .split(',')
            .find(|b| a.body.contains(b))
            .map(|b| format!(" (`{b}`)"))
            .unwrap_or_default();
        return Outcome::fail(
            format!(
                "the gateway rejects Claude Code's anthropic-beta header{culprit}: {}",
                a.message()
            ),
            "set CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1 (profile: `env = { CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS = \"1\" }`), and have the gateway forward anthropic-beta verbatim instead of checking it against a list (LiteLLM: upgrade)",
        );
    }
    let msg = a.message();
    match a.status {
        404 => Outcome::warn(
            "the gateway has no /v1/messages/count_tokens (LiteLLM before ~1.75?)",
            "Claude Code then counts tokens through /v1/messages, which costs tokens: upgrade the gateway",
        ),
        400 if msg.to_ascii_lowercase().contains("model") => Outcome::fail(
            format!("the gateway does not know model `{model}`: {msg}"),
            "set `model` in the profile to a name the gateway serves (see the models check)",
        ),
        401 | 403 => Outcome::fail(
            format!("count_tokens refused the key ({}): {msg}", a.status),
            "see the auth check; some gateways allow count_tokens only to admin keys (BerriAI/litellm#15006)",
        ),
        s => Outcome::warn(
            format!("count_tokens does not work through this gateway (it answered {s}: {msg})"),
            format!(
                "{COUNT_TOKENS_DEGRADES}; `ccgw doctor --live` proves whether messages work (LiteLLM 1.108+ forwards count_tokens to the model's upstream: check that the upstream offers it)"
            ),
        ),
    }
}

/// What Claude Code loses without count_tokens (it keeps working).
const COUNT_TOKENS_DEGRADES: &str = "Claude Code still answers, but estimates token counts instead of asking the gateway: /context, the auto-compact threshold and the token counts of tools and attachments are approximate";

/// The SSE event types in order, from `event:` lines or, failing those, `data:` JSON `type`.
fn sse_events(body: &str) -> Vec<String> {
    let mut events = Vec::new();
    for line in body.lines() {
        if let Some(e) = line.strip_prefix("event:") {
            events.push(e.trim().to_owned());
        }
    }
    if events.is_empty() {
        for line in body.lines() {
            if let Some(d) = line.strip_prefix("data:")
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(d.trim())
                && let Some(t) = v.get("type").and_then(|t| t.as_str())
            {
                events.push(t.to_owned());
            }
        }
    }
    events
}

fn judge_stream(a: &Answer) -> Outcome {
    if !a.is_success() {
        if rejects_beta(a) {
            return Outcome::fail(
                format!(
                    "/v1/messages rejects Claude Code's anthropic-beta header: {}",
                    a.message()
                ),
                "set CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1 in the profile's env, and have the gateway forward anthropic-beta verbatim",
            );
        }
        return Outcome::fail(
            format!(
                "streamed /v1/messages answered {}: {}",
                a.status,
                a.message()
            ),
            "check the gateway's logs for this request",
        );
    }
    let ct = a.content_type().to_ascii_lowercase();
    if ct.starts_with("application/json") {
        let is_message = a
            .json()
            .is_some_and(|j| j.get("type").and_then(|t| t.as_str()) == Some("message"));
        if is_message {
            return Outcome::warn(
                "streamed /v1/messages answered one JSON message, not SSE",
                "LiteLLM's mock_response ignores stream:true, so a mock model answers this way; a real model must stream text/event-stream, or Claude Code falls back to slower non-streaming calls",
            );
        }
    }
    if !ct.starts_with("text/event-stream") {
        return Outcome::fail(
            format!("streamed /v1/messages answered content-type `{ct}`, not text/event-stream"),
            "the gateway (or a proxy in front of it) does not pass the stream through: Claude Code needs SSE",
        );
    }
    let events = sse_events(&a.body);
    let first = events.first().map(String::as_str);
    let last = events.last().map(String::as_str);
    if first == Some("message_start") && last == Some("message_stop") {
        Outcome::pass(format!(
            "streamed /v1/messages: {} SSE events, message_start … message_stop",
            events.len()
        ))
    } else {
        Outcome::fail(
            format!(
                "streamed /v1/messages: events in the wrong order (first {}, last {})",
                first.unwrap_or("none"),
                last.unwrap_or("none")
            ),
            "the gateway must pass Anthropic's SSE events through verbatim (message_start first, message_stop last)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn ans(status: u16, ct: &'static str, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static(ct));
        Answer {
            status,
            headers,
            body: body.into(),
        }
    }

    #[test]
    fn count_tokens_answers() {
        let ok = ans(200, "application/json", r#"{"input_tokens":8}"#);
        assert_eq!(judge_count("m", &ok).status, Status::Pass);
        let beta = ans(
            400,
            "application/json",
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"Unexpected value(s) `claude-code-20250219` for the `anthropic-beta` header."}}"#,
        );
        let o = judge_count("m", &beta);
        assert_eq!(o.status, Status::Fail);
        assert!(o.summary.contains("`claude-code-20250219`"), "{o:?}");
        assert!(
            o.hint
                .unwrap()
                .contains("CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS=1")
        );
        assert_eq!(
            judge_count("m", &ans(404, "text/plain", "")).status,
            Status::Warn
        );
    }

    #[test]
    fn count_tokens_broken_upstream_is_a_warning_naming_what_degrades() {
        // LiteLLM 1.108.5 with an unreachable upstream, as measured.
        let upstream = ans(
            500,
            "application/json",
            r#"{"error":{"message":"CountTokens processing error: Cannot connect to host api.anthropic.com:443","type":"None","param":"None","code":"500"}}"#,
        );
        let o = judge_count("m", &upstream);
        assert_eq!(o.status, Status::Warn, "{o:?}");
        assert!(
            o.summary
                .contains("count_tokens does not work through this gateway"),
            "{o:?}"
        );
        let hint = o.hint.unwrap();
        assert!(hint.contains("estimates token counts"), "{hint}");
        assert!(hint.contains("--live"), "{hint}");
        // The faults that break messages too stay failures.
        let refused = ans(401, "application/json", r#"{"error":{"message":"no"}}"#);
        assert_eq!(judge_count("m", &refused).status, Status::Fail);
    }

    #[test]
    fn stream_order_and_json_fallback() {
        let sse = "event: message_start\ndata: {}\n\nevent: ping\ndata: {}\n\nevent: message_stop\ndata: {}\n\n";
        assert_eq!(
            judge_stream(&ans(200, "text/event-stream; charset=utf-8", sse)).status,
            Status::Pass
        );
        let bad = "event: ping\ndata: {}\n\nevent: message_start\ndata: {}\n\n";
        assert_eq!(
            judge_stream(&ans(200, "text/event-stream", bad)).status,
            Status::Fail
        );
        let mock = r#"{"type":"message","content":[]}"#;
        assert_eq!(
            judge_stream(&ans(200, "application/json", mock)).status,
            Status::Warn
        );
    }
}
