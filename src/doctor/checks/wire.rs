//! What every check that talks to the gateway shares: the wire (the one client, and every
//! secret to take out of what comes back), and what Claude Code would send for this profile
//! (how it sends the key, the Messages-API base, the model it asks for). The checks import it;
//! it imports none of them.

use reqwest::header::{HeaderMap, HeaderValue};

use crate::config::Mode;
use crate::doctor::check::{Input, Outcome};
use crate::gateway::{Answer, Auth, Client, Problem};
use crate::redact::{self, Scrubber};

/// What a check that talks to the gateway holds: the profile's input, the one client, and every
/// secret to take out of the answers.
pub struct Wire<'a> {
    pub input: &'a Input,
    pub client: &'a Client,
    pub scrub: Scrubber,
}

impl Wire<'_> {
    /// `Client::send`, with every known secret taken out of what came back (body, header
    /// values, the transport error) before any check reads it: a summary quotes only a cut
    /// piece of a body, and a secret cut in half would no longer be recognised.
    pub async fn ask(&self, req: reqwest::RequestBuilder) -> Result<Answer, Problem> {
        match self.client.send(req).await {
            Ok(answer) => Ok(scrubbed(&self.scrub, answer)),
            Err(problem) => Err(Problem {
                detail: self.scrub.remove_secrets(&problem.detail),
                ..problem
            }),
        }
    }

    /// The headers Claude Code sends with this profile (see `gateway::claude_headers`).
    pub fn claude_headers(&self, auth: Auth, key: &str, betas: bool) -> HeaderMap {
        crate::gateway::claude_headers(&self.input.profile, auth, key, betas)
    }
}

/// The skip of models and messages in Bedrock/Vertex mode, where `what` Claude Code does
/// instead goes through the provider route, which the passthrough check exercises.
pub fn on_provider_route(input: &Input, what: &str) -> Option<Outcome> {
    match input.profile.mode {
        Mode::Bedrock | Mode::Vertex => Some(Outcome::skip(format!(
            "skipped: in {} mode {what} (see passthrough)",
            input.profile.mode.as_str()
        ))),
        Mode::Unified | Mode::Anthropic => None,
    }
}

/// A transport problem as a check's failure: `what` was asked, the problem says what to do.
pub fn failed(what: &str, p: &Problem) -> Outcome {
    Outcome::fail(format!("{what}: {}", p.summary()), p.hint())
}

/// Everything secret the doctor sends or hands on: the key, the values of credential headers,
/// the secret parts of the plan's variables (the helper gets them in its environment). A
/// server may echo any of them back.
pub fn sent_secrets(input: &Input, key: Option<&str>) -> Scrubber {
    let headers = input
        .profile
        .headers
        .iter()
        .filter(|(name, value)| redact::secret_header(name, value))
        .map(|(_, value)| value.as_str());
    let vars = input
        .plan
        .vars
        .iter()
        .flat_map(|(name, value)| redact::secret_parts(name, value));
    key.into_iter()
        .chain(headers)
        .chain(vars)
        .fold(Scrubber::new(), Scrubber::with)
}

fn scrubbed(scrub: &Scrubber, answer: Answer) -> Answer {
    let mut headers = HeaderMap::with_capacity(answer.headers.len());
    for (name, value) in &answer.headers {
        // A value that is not text is never shown (`Answer::header` skips it): keep it.
        let value = match value.to_str() {
            Ok(text) => HeaderValue::from_str(&scrub.remove_secrets(text))
                .unwrap_or_else(|_| HeaderValue::from_static(redact::REDACTED)),
            Err(_) => value.clone(),
        };
        headers.append(name.clone(), value);
    }
    Answer {
        status: answer.status,
        headers,
        body: scrub.remove_secrets(&answer.body),
    }
}

/// How Claude Code sends the helper's key in `mode`.
pub fn mode_auth(mode: Mode) -> Auth {
    match mode {
        Mode::Unified | Mode::Anthropic => Auth::Both,
        Mode::Bedrock | Mode::Vertex => Auth::Bearer,
    }
}

/// Claude Code's model aliases: resolved by Claude Code itself, never sent as such.
const ALIASES: [&str; 8] = [
    "default",
    "best",
    "opus",
    "sonnet",
    "haiku",
    "fable",
    "opusplan",
    "sonnet[1m]",
];

/// The Messages-API base Claude Code uses: the plan's route in unified and anthropic mode.
pub fn messages_base(input: &Input) -> String {
    let route = &input.plan.route;
    let base = match route.mode {
        Mode::Unified | Mode::Anthropic => route.base_url.as_str(),
        Mode::Bedrock | Mode::Vertex => input.profile.gateway_base(),
    };
    base.trim_end_matches('/').to_owned()
}

/// The models the profile names, as Claude Code sends them (`[1m]` stripped, aliases left out).
pub fn profile_models(input: &Input) -> Vec<String> {
    let p = &input.profile;
    let mut out: Vec<String> = Vec::new();
    for m in [&p.model, &p.models.opus, &p.models.sonnet, &p.models.haiku]
        .into_iter()
        .flatten()
    {
        let m = m.trim().trim_end_matches("[1m]").to_owned();
        if !ALIASES.contains(&m.as_str()) && !m.is_empty() && !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// The first model the profile names, else `default` (Claude Code's own for the route).
pub fn model_or(input: &Input, default: &str) -> String {
    profile_models(input)
        .into_iter()
        .next()
        .unwrap_or_else(|| default.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrubbed_answer_keeps_no_secret_and_stays_json() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "location",
            HeaderValue::from_static("http://x/?k=sk-live-secret-1"),
        );
        let answer = Answer {
            status: 401,
            headers,
            body: r#"{"error":{"message":"bad key sk-live-secret-1"}}"#.into(),
        };
        let clean = scrubbed(&Scrubber::new().with("sk-live-secret-1"), answer);
        assert_eq!(clean.header("location"), Some("http://x/?k=[redacted]"));
        assert_eq!(clean.message(), "bad key [redacted]");
    }
}
