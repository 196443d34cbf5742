//! `gateway`: is it up, and is it LiteLLM? `GET /health/liveliness` (no auth, never HEAD: LiteLLM
//! answers HEAD with 405) and, for LiteLLM, `GET /health/readiness`. LiteLLM is recognised by its
//! `"I'm alive!"` or an `x-litellm-version` header; anything else is "some Anthropic-compatible
//! gateway", for which a 404 on the health route is fine. Both requests go out together (a
//! gateway far away costs one round trip, not two); readiness is read only for LiteLLM.

use crate::doctor::check::Outcome;
use crate::doctor::checks::wire::{Wire, failed};
use crate::gateway::{Answer, Problem};

/// LiteLLM releases published with credential-stealing malware (BerriAI/litellm#24518).
const COMPROMISED: [&str; 2] = ["1.82.7", "1.82.8"];

pub async fn check(w: &Wire<'_>) -> Outcome {
    let base = w.input.profile.gateway_base();
    let scrub = &w.scrub;
    let (live, ready) = tokio::join!(
        w.ask(w.client.get(format!("{base}/health/liveliness"))),
        w.ask(w.client.get(format!("{base}/health/readiness")))
    );
    let live = match live {
        Ok(a) => a,
        Err(p) => return failed("/health/liveliness", &p),
    };
    // Server text: bounded and terminal-safe before it is quoted.
    let version = live.header("x-litellm-version").map(|v| scrub.scrub(v));
    if let Some(v) = &version
        && COMPROMISED.contains(&v.as_str())
    {
        return Outcome::fail(
            format!(
                "the gateway runs LiteLLM {v}, a release published with credential-stealing malware"
            ),
            "upgrade the gateway now and rotate every credential it held (BerriAI/litellm#24518)",
        );
    }
    let litellm = version.is_some() || is_alive_body(&live);
    match live.status {
        200..=299 if litellm => readiness(w, ready, version.as_deref()),
        200..=299 => Outcome::pass(
            "some Anthropic-compatible gateway (not LiteLLM); /health/liveliness answers",
        ),
        404 => {
            Outcome::pass("some Anthropic-compatible gateway (not LiteLLM: no /health/liveliness)")
        }
        401 | 403 => Outcome::pass(format!(
            "some Anthropic-compatible gateway (its health route answers {} without a key)",
            live.status
        )),
        300..=399 => Outcome::warn(
            format!(
                "/health/liveliness redirects ({}) to {}",
                live.status,
                scrub.scrub(live.header("location").unwrap_or("?"))
            ),
            "set `gateway` to the URL the gateway really serves: Claude Code does not follow redirects on every route",
        ),
        503 => Outcome::fail(
            format!("the gateway is not live (503): {}", live.message()),
            "the gateway is shutting down or unhealthy: check its logs",
        ),
        s => Outcome::fail(
            format!("/health/liveliness answered {s}: {}", live.message()),
            "check the gateway's logs",
        ),
    }
}

fn is_alive_body(a: &Answer) -> bool {
    let body = a.body.trim();
    body == "\"I'm alive!\"" || body == "I'm alive!"
}

/// LiteLLM's `/health/readiness` answer, judged.
fn readiness(w: &Wire<'_>, ready: Result<Answer, Problem>, version: Option<&str>) -> Outcome {
    let name = version.map_or("LiteLLM".to_owned(), |v| format!("LiteLLM {v}"));
    let ready = match ready {
        Ok(a) => a,
        Err(p) => return failed(&format!("{name} is alive, but /health/readiness"), &p),
    };
    let json = ready.json();
    let status = json
        .as_ref()
        .and_then(|j| j.get("status"))
        .and_then(|s| s.as_str())
        .unwrap_or("");
    let db = json
        .as_ref()
        .and_then(|j| j.get("db"))
        .and_then(|s| s.as_str())
        .map(|d| format!(" (db: {})", w.scrub.scrub(d)))
        .unwrap_or_default();
    if ready.is_success() && status == "healthy" {
        Outcome::pass(format!("{name}, alive and ready{db}"))
    } else {
        Outcome::fail(
            format!(
                "{name} is alive but not ready ({}): {}",
                ready.status,
                ready.message()
            ),
            "check the gateway's logs (database connection, start-up, shutting down)",
        )
    }
}
