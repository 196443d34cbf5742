//! `models`: `GET {ANTHROPIC_BASE_URL}/v1/models` (with `anthropic-version`, so LiteLLM answers in
//! Anthropic format) lists every model the profile names (`model`, `models.*`).
//!
//! Unified and anthropic modes only: in Bedrock/Vertex mode the model id goes to the provider
//! route, which the passthrough check exercises.
//!
//! With `model_discovery = true`, also the request Claude Code 2.1.332 sends for `/model`:
//! `GET /v1/models?limit=1000` with both `Authorization: Bearer` and `x-api-key` and its
//! `claude-code/…` user agent; it lists only entries with an `id`, shown by `display_name`.

use crate::doctor::check::{Input, Outcome, Status};
use crate::doctor::checks::key::Secret;
use crate::doctor::checks::wire::{
    Wire, failed, messages_base, mode_auth, on_provider_route, profile_models,
};
use crate::gateway::{Auth, listed_model};

pub fn not_applicable(input: &Input) -> Option<Outcome> {
    on_provider_route(input, "the model id goes to the provider route")
}

pub async fn check(w: &Wire<'_>, secret: &Secret) -> Outcome {
    let input = w.input;
    // Both requests at once: a gateway far away costs one round trip, not two.
    let (listed, discovered) = tokio::join!(listed(w, secret), async {
        if input.profile.model_discovery {
            Some(discovery(w, secret).await)
        } else {
            None
        }
    });
    match discovered {
        Some(discovered) if listed.status != Status::Fail => Outcome {
            status: listed.status.max_severity(discovered.status),
            summary: format!("{}; {}", listed.summary, discovered.summary),
            hint: discovered.hint.or(listed.hint),
        },
        _ => listed,
    }
}

/// `GET /v1/models` as Claude Code sends it, and whether it lists the profile's models.
async fn listed(w: &Wire<'_>, secret: &Secret) -> Outcome {
    let input = w.input;
    let url = format!("{}/v1/models", messages_base(input));
    let headers = w.claude_headers(mode_auth(input.profile.mode), &secret.key, false);
    let answer = match w.ask(w.client.get(&url).headers(headers)).await {
        Ok(a) => a,
        Err(p) => return failed("GET /v1/models", &p),
    };
    if answer.status == 404 {
        return Outcome::warn(
            "the gateway has no /v1/models: cannot check the profile's models",
            "the messages check still tries the model on count_tokens",
        );
    }
    if !answer.is_success() {
        return Outcome::fail(
            format!(
                "GET /v1/models answered {}: {}",
                answer.status,
                answer.message()
            ),
            "see the auth check",
        );
    }
    let ids: Vec<String> = answer
        .json()
        .and_then(|j| j.get("data").and_then(|d| d.as_array()).cloned())
        .unwrap_or_default()
        .iter()
        // Server text: bounded and terminal-safe before it is listed.
        .filter_map(|m| listed_model(m).map(|id| w.scrub.scrub(id)))
        .collect();
    judge(&profile_models(input), &ids)
}

/// Claude Code 2.1.332's discovery user agent.
const DISCOVERY_USER_AGENT: &str = "claude-code/2.1.332 (ccgw-doctor)";

/// The discovery request as Claude Code sends it, and whether `/model` could list the answer.
async fn discovery(w: &Wire<'_>, secret: &Secret) -> Outcome {
    let url = format!("{}/v1/models?limit=1000", messages_base(w.input));
    let headers = w.claude_headers(Auth::Both, &secret.key, false);
    let req = w
        .client
        .get(&url)
        .headers(headers)
        .header(reqwest::header::USER_AGENT, DISCOVERY_USER_AGENT);
    match w.ask(req).await {
        Ok(a) if a.is_success() => judge_discovery(a.json().as_ref()),
        Ok(a) => Outcome::fail(
            format!(
                "model discovery (GET /v1/models?limit=1000, Bearer + x-api-key) answered {}: {}",
                a.status,
                w.scrub.scrub(&a.message())
            ),
            "Claude Code's /model then lists only its built-in models: the gateway must accept both headers on /v1/models",
        ),
        Err(p) => failed("model discovery (GET /v1/models?limit=1000)", &p),
    }
}

/// How many entries Claude Code can list (an `id` and a `display_name`).
fn judge_discovery(body: Option<&serde_json::Value>) -> Outcome {
    let entries = body
        .and_then(|j| j.get("data"))
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    let has = |e: &serde_json::Value, k: &str| e.get(k).and_then(|v| v.as_str()).is_some();
    let listable = entries
        .iter()
        .filter(|e| has(e, "id") && has(e, "display_name"))
        .count();
    if entries.is_empty() {
        return Outcome::warn(
            "model discovery answered no models",
            "Claude Code's /model then lists only its built-in models: check the gateway's model list",
        );
    }
    if listable < entries.len() {
        return Outcome::warn(
            format!(
                "model discovery: {listable} of {} models have an id and a display_name",
                entries.len()
            ),
            "the gateway answers /v1/models in OpenAI format: Claude Code reads Anthropic's (`id`, `display_name`); LiteLLM does so when `anthropic-version` is sent",
        );
    }
    Outcome::pass(format!(
        "model discovery lists {listable} model{} for /model",
        if listable == 1 { "" } else { "s" }
    ))
}

fn judge(wanted: &[String], have: &[String]) -> Outcome {
    let listed = || {
        let mut shown: Vec<&str> = have.iter().take(8).map(String::as_str).collect();
        if have.len() > 8 {
            shown.push("…");
        }
        if shown.is_empty() {
            "nothing".to_owned()
        } else {
            shown.join(", ")
        }
    };
    if wanted.is_empty() {
        return Outcome::warn(
            format!(
                "the profile names no model, so Claude Code asks for its built-in ids (e.g. claude-sonnet-5-5); the gateway has: {}",
                listed()
            ),
            "set `model` (and `models.opus/sonnet/haiku`) in the profile to names the gateway serves",
        );
    }
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|m| !have.contains(m))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Outcome::pass(format!(
            "the gateway serves {} ({} model{} in all)",
            wanted.join(", "),
            have.len(),
            if have.len() == 1 { "" } else { "s" }
        ))
    } else {
        Outcome::fail(
            format!(
                "the gateway does not list {}; it has: {}",
                missing.join(", "),
                listed()
            ),
            "set `model`/`models.*` in the profile to names from that list, or add the model to the gateway (LiteLLM: model_list)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::check::Status;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn all_listed_passes_missing_fails_with_the_list() {
        assert_eq!(judge(&v(&["a"]), &v(&["a", "b"])).status, Status::Pass);
        let o = judge(&v(&["a", "z"]), &v(&["a", "b"]));
        assert_eq!(o.status, Status::Fail);
        assert!(o.summary.contains("does not list z; it has: a, b"), "{o:?}");
        assert_eq!(judge(&[], &v(&["a"])).status, Status::Warn);
    }

    #[test]
    fn discovery_needs_an_id_and_a_display_name() {
        let ok = serde_json::json!({"data":[{"type":"model","id":"claude-sonnet-5-5","display_name":"claude-sonnet-5-5"}]});
        assert_eq!(judge_discovery(Some(&ok)).status, Status::Pass);
        let openai = serde_json::json!({"data":[{"id":"claude-sonnet-5-5","object":"model"}]});
        let o = judge_discovery(Some(&openai));
        assert_eq!(o.status, Status::Warn);
        assert!(o.summary.contains("0 of 1"), "{o:?}");
        assert_eq!(judge_discovery(None).status, Status::Warn);
    }

    #[test]
    fn a_1m_listing_stands_for_its_source_model() {
        // LiteLLM 1.108.7's answer to Claude Code's user agent, as measured.
        let e = serde_json::json!({"type":"model","id":"claude-sonnet-5-5[1m]","source_model":"claude-sonnet-5-5","display_name":"claude-sonnet-5-5"});
        assert_eq!(listed_model(&e), Some("claude-sonnet-5-5"));
        let bare = serde_json::json!({"id":"claude-opus-5-5[1m]"});
        assert_eq!(listed_model(&bare), Some("claude-opus-5-5"));
        assert_eq!(listed_model(&serde_json::json!({"id":"m"})), Some("m"));
        assert_eq!(listed_model(&serde_json::json!({})), None);
    }
}
