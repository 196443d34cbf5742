//! One file per group of checks. Each check is a function from what it needs to an `Outcome`
//! (plus, for the ones others depend on, the data they pass on).

pub mod auth;
pub mod config;
pub mod gateway;
pub mod key;
pub mod messages;
pub mod models;
pub mod network;
pub mod passthrough;
pub mod settings;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::doctor::Input;
use crate::gateway::{Answer, Client, Problem};
use crate::redact::{self, Scrubber};

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

/// `gateway::Client::send`, with every known secret taken out of what came back (body, header values,
/// the transport error) before any check reads it: a summary quotes only a cut piece of a
/// body, and a secret cut in half would no longer be recognised.
pub async fn ask(
    http: &Client,
    scrub: &Scrubber,
    req: reqwest::RequestBuilder,
) -> Result<Answer, Problem> {
    match http.send(req).await {
        Ok(answer) => Ok(scrubbed(scrub, answer)),
        Err(problem) => Err(Problem {
            detail: scrub.remove_secrets(&problem.detail),
            ..problem
        }),
    }
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
