//! `passthrough` (Bedrock and Vertex modes): the routes Claude Code calls, as it calls them.
//!
//! Bedrock: first the UNAUTHENTICATED `GET {bedrock base}/inference-profiles?type=SYSTEM_DEFINED`
//! (Claude Code sends it with no credential and no custom headers: a gateway that demands auth
//! there fails Claude Code's first request), then `POST {bedrock base}/model/<model>/invoke` with
//! `Authorization: Bearer` only. Vertex: `POST {vertex base}/projects/P/locations/R/publishers/
//! anthropic/models/M:rawPredict` with Bearer only.
//!
//! What counts as a pass: the gateway routed the request and accepted the key. Whether the
//! provider behind it answers is not judged (offline there is none): a provider-side error is
//! a pass or a warning with its message; a refused key, a missing route (404/405) or a model the
//! gateway does not route is a failure.

use serde_json::json;

use crate::config::Mode;
use crate::doctor::check::{Input, Outcome, Status};
use crate::doctor::checks::key::Secret;
use crate::doctor::checks::wire::{Wire, failed, model_or};
use crate::gateway::{self, Answer, Auth};

/// Claude Code's Sonnet ids per provider (2.1.332's model table: `provider_ids` of Sonnet 5.5),
/// used when the profile names none.
const BEDROCK_DEFAULT_MODEL: &str = "us.anthropic.claude-sonnet-5-5";
const VERTEX_DEFAULT_MODEL: &str = "claude-sonnet-5-5";

pub fn not_applicable(input: &Input) -> Option<Outcome> {
    match input.profile.mode {
        Mode::Bedrock | Mode::Vertex => None,
        m => Some(Outcome::skip(format!(
            "skipped: {} mode uses no pass-through route",
            m.as_str()
        ))),
    }
}

pub async fn check(w: &Wire<'_>, secret: &Secret) -> Outcome {
    match w.input.profile.mode {
        Mode::Bedrock => bedrock(w, secret).await,
        Mode::Vertex => vertex(w, secret).await,
        _ => Outcome::skip("skipped"),
    }
}

/// Percent-encode a path segment the way Claude Code's SDKs put a model id in a path: `/` (in
/// ARNs) and other reserved characters encoded, `:` and `@` kept.
fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The provider route's base, as the plan says Claude Code calls it.
fn route_base(input: &Input) -> String {
    input.plan.route.base_url.trim_end_matches('/').to_owned()
}

/// A one-token message to a provider route, as that provider's SDK in Claude Code sends it.
struct Ping<'a> {
    /// Names the request in the summary.
    what: &'static str,
    url: String,
    model: &'a str,
    anthropic_version: &'static str,
    betas: bool,
}

/// Send `ping` with the key as Bearer only (how Claude Code sends it in these modes) and judge
/// what the route answers.
async fn send(w: &Wire<'_>, secret: &Secret, ping: Ping<'_>) -> Outcome {
    let body = json!({
        "anthropic_version": ping.anthropic_version,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "ping"}],
    });
    let req = w
        .client
        .post(ping.url)
        .headers(w.claude_headers(Auth::Bearer, &secret.key, ping.betas))
        .json(&body);
    match w.ask(req).await {
        Ok(a) => judge_route(ping.what, ping.model, &a),
        Err(p) => failed(ping.what, &p),
    }
}

async fn bedrock(w: &Wire<'_>, secret: &Secret) -> Outcome {
    let base = route_base(w.input);
    // Exactly what Claude Code sends first: no credential, no custom headers.
    let profiles_req = w
        .client
        .get(format!("{base}/inference-profiles?type=SYSTEM_DEFINED"))
        .header("user-agent", "aws-sdk-js/3.936.0 (ccgw-doctor)");
    let model = model_or(w.input, BEDROCK_DEFAULT_MODEL);
    let ping = Ping {
        what: "bedrock invoke",
        url: format!("{base}/model/{}/invoke", segment(&model)),
        model: &model,
        anthropic_version: "bedrock-2023-05-31",
        betas: false,
    };
    // Neither request needs the other's answer: both go out at once.
    let (profiles, invoke) = tokio::join!(w.ask(profiles_req), send(w, secret, ping));
    let profiles = match profiles {
        Ok(a) => a,
        Err(p) => return failed("GET …/bedrock/inference-profiles", &p),
    };
    let profiles_refused = matches!(profiles.status, 401 | 403);
    // Measured with Claude Code 2.1.197: after a 401 on this unauthenticated GET it goes on to
    // the invoke route with its built-in model IDs, so a refusal here costs model discovery, not
    // the session — a warning, unless the invoke route itself fails.
    if profiles_refused && !invoke.failed() {
        return Outcome::warn(
            format!(
                "the gateway demands auth on GET …/bedrock/inference-profiles ({}), which Claude Code sends with no credential; {}",
                profiles.status, invoke.summary
            ),
            format!(
                "Claude Code then falls back to its built-in Bedrock model IDs; to let it list inference profiles, answer GET {base}/inference-profiles without a key (its first Bedrock request carries none)"
            ),
        );
    }
    let first = format!(
        "inference-profiles answers without a key ({})",
        profiles.status
    );
    Outcome {
        summary: format!("{first}; {}", invoke.summary),
        ..invoke
    }
}

async fn vertex(w: &Wire<'_>, secret: &Secret) -> Outcome {
    let input = w.input;
    let base = route_base(input);
    let project = input.plan.get("ANTHROPIC_VERTEX_PROJECT_ID").unwrap_or("");
    let region = input
        .plan
        .get("CLOUD_ML_REGION")
        .unwrap_or(crate::config::DEFAULT_VERTEX_REGION);
    let model = model_or(input, VERTEX_DEFAULT_MODEL);
    let ping = Ping {
        what: "vertex rawPredict",
        url: format!(
            "{base}/projects/{}/locations/{}/publishers/anthropic/models/{}:rawPredict",
            segment(project),
            segment(region),
            segment(&model)
        ),
        model: &model,
        anthropic_version: "vertex-2023-10-16",
        betas: true,
    };
    send(w, secret, ping).await
}

/// Words in a refusal that come from the provider side (or the gateway's missing provider
/// credential), not from the gateway refusing the user's key.
fn provider_side(a: &Answer) -> bool {
    let b = a.body.to_ascii_lowercase();
    [
        "credential is configured",
        "not forwarded",
        "security token",
        "unrecognizedclient",
        "accessdenied",
        "permission_denied",
        "x-amzn",
    ]
    .iter()
    .any(|n| b.contains(n))
}

fn judge_route(what: &str, model: &str, a: &Answer) -> Outcome {
    let msg = a.message();
    let s = a.status;
    let mut o = match s {
        200..=299 => Outcome::pass(format!("{what} of `{model}` answers {s}")),
        401 | 403 if provider_side(a) => Outcome::warn(
            format!(
                "{what}: the gateway took the key, but has no working provider credential ({s}: {msg})"
            ),
            "configure the provider credential on the gateway (LiteLLM: AWS keys/role and AWS_REGION_NAME, or DEFAULT_VERTEXAI_*); the doctor checks only the route and your key",
        ),
        401 | 403 => Outcome::fail(
            format!("{what}: the gateway refused the key sent as Bearer ({s}: {msg})"),
            "in this mode Claude Code sends the key only as `Authorization: Bearer`: the gateway must accept it there (see the auth check)",
        ),
        400 if a.error_field("type").as_deref() == Some("no_db_connection") => Outcome::fail(
            format!("{what}: key refused ({s} no_db_connection)"),
            "this LiteLLM has no database, so only its master key is valid (see the auth check)",
        ),
        400 if msg.to_ascii_lowercase().contains("invalid model") => Outcome::fail(
            format!("{what}: the gateway does not route model `{model}` ({msg})"),
            "set `model` in the profile to a provider model id the gateway routes, or add it to the gateway's model list",
        ),
        404 | 405 => Outcome::fail(
            format!("{what}: no such route on the gateway ({s})"),
            "check `gateway` and `mode`: Claude Code calls exactly this URL (LiteLLM serves /bedrock/… and /vertex_ai/v1/…)",
        ),
        500..=599 => Outcome::warn(
            format!(
                "{what}: the gateway took the key, but its call to the provider failed ({s}: {msg})"
            ),
            "the doctor judges the route and the key; the provider side (credentials, region, model access) is the gateway's: check its logs",
        ),
        _ => Outcome::pass(format!(
            "{what}: route and key accepted; the provider answered {s} ({msg})"
        )),
    };
    if o.status == Status::Pass && o.summary.len() > 220 {
        o.summary = gateway::one_line(&o.summary, 220);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn ans(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: HeaderMap::new(),
            body: body.into(),
        }
    }

    #[test]
    fn encodes_model_ids_like_the_sdk() {
        assert_eq!(
            segment("us.anthropic.claude-sonnet-5-5"),
            "us.anthropic.claude-sonnet-5-5"
        );
        assert_eq!(
            segment("us.anthropic.claude-sonnet-5-5-v1:0"),
            "us.anthropic.claude-sonnet-5-5-v1:0"
        );
        assert_eq!(
            segment("arn:aws:bedrock:us-east-1:1:x/y"),
            "arn:aws:bedrock:us-east-1:1:x%2Fy"
        );
    }

    #[test]
    fn route_verdicts() {
        assert_eq!(judge_route("r", "m", &ans(200, "{}")).status, Status::Pass);
        assert_eq!(judge_route("r", "m", &ans(404, "")).status, Status::Fail);
        let vertex_no_cred = r#"{"detail":"No Vertex AI credential is configured on this proxy and the request carried no upstream Google credential."}"#;
        assert_eq!(
            judge_route("r", "m", &ans(401, vertex_no_cred)).status,
            Status::Warn
        );
        let key = r#"{"error":{"message":"Authentication Error","type":"auth_error"}}"#;
        assert_eq!(judge_route("r", "m", &ans(401, key)).status, Status::Fail);
        assert_eq!(
            judge_route(
                "r",
                "m",
                &ans(
                    500,
                    r#"{"error":{"message":"Provider anthropic not found"}}"#
                )
            )
            .status,
            Status::Warn
        );
        let invalid = r#"{"error":{"message":"allm_passthrough_route: Invalid model name passed in model=x","type":"invalid_request_error"}}"#;
        assert_eq!(
            judge_route("r", "x", &ans(400, invalid)).status,
            Status::Fail
        );
    }
}
