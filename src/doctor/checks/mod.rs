//! One file per group of checks. Each check is a function from what it needs to an `Outcome`
//! (plus, for the ones others depend on, the data they pass on). [`Table`] is what the graph
//! runner calls: which function runs for each id, and what the checks share: the profile, the
//! one HTTP client, the key (fetched once, by whichever check asks first) and the gateway's
//! clock.

pub mod auth;
pub mod claude;
pub mod config;
pub mod gateway;
pub mod key;
pub mod messages;
pub mod models;
pub mod network;
pub mod passthrough;
pub mod settings;

use std::cell::OnceCell;
use std::task::Poll;
use std::time::SystemTime;

use reqwest::header::{HeaderMap, HeaderValue};

use crate::config::{ConfigPath, Mode};
use crate::doctor::graph::{Checks, Running};
use crate::doctor::{CheckId, Input, Options, Outcome};
use crate::gateway::{Answer, Auth, Client, Problem};
use crate::redact::{self, Scrubber};

use key::Secret;
use network::Built;

/// The checks as the runner calls them, and what they share. Each slot is written once.
/// Every check but `config` starts once `config` has filled `input`; the others' data is
/// there for the asking: `key` and the checks that send the key wait for the one helper run.
pub struct Table<'a> {
    config_path: &'a ConfigPath,
    profile_flag: Option<&'a str>,
    opts: &'a Options,
    /// From `config`.
    input: OnceCell<Input>,
    /// From `key`: the helper's run and its verdict. The checks that send the key wait for it.
    key: OnceCell<(Outcome, Option<Secret>)>,
    /// The one HTTP client, built from the profile on first use (`network` reports a failure).
    client: OnceCell<Built>,
    /// From `network`: the gateway's `Date`.
    server_date: OnceCell<Option<SystemTime>>,
}

impl<'a> Table<'a> {
    pub fn new(
        config_path: &'a ConfigPath,
        profile_flag: Option<&'a str>,
        opts: &'a Options,
    ) -> Self {
        Self {
            config_path,
            profile_flag,
            opts,
            input: OnceCell::new(),
            key: OnceCell::new(),
            client: OnceCell::new(),
            server_date: OnceCell::new(),
        }
    }

    /// The profile the doctor checked, once `config` has loaded it.
    pub fn profile_name(&self) -> Option<&str> {
        self.input.get().map(|i| i.name.as_str())
    }

    /// Every secret sent so far (see [`sent_secrets`]).
    pub fn sent_secrets(&self) -> Scrubber {
        self.input.get().map_or_else(Scrubber::new, |input| {
            sent_secrets(input, self.fetched_secret().map(|s| s.key.as_str()))
        })
    }

    /// The key, when the helper has run and gave one.
    fn fetched_secret(&self) -> Option<&Secret> {
        self.key.get().and_then(|(_, secret)| secret.as_ref())
    }

    /// The key, once the key check has run the helper; `None` when it gave none (the key
    /// check fails, and the checks that send the key are skipped naming it).
    ///
    /// Waits without a waker of its own: the runner polls every running check whenever any of
    /// them wakes it (`graph::run`), and the key check's helper wakes it when it ends, so the
    /// first poll after the slot is filled sees it.
    async fn secret(&self) -> Option<&Secret> {
        let fetched = std::future::poll_fn(|_| match self.key.get() {
            Some(fetched) => Poll::Ready(fetched),
            None => Poll::Pending,
        });
        fetched.await.1.as_ref()
    }

    /// The client, built on first use.
    fn client(&self) -> Option<&Built> {
        let input = self.input.get()?;
        Some(self.client.get_or_init(|| {
            Client::new(&input.profile, input.timeout).map_err(|e| format!("{e:#}"))
        }))
    }

    /// What a check that sends the key holds: the key, once fetched, and then the wire, so that
    /// the wire's scrubber knows the key.
    async fn keyed(&self) -> Option<(Wire<'_>, &Secret)> {
        let secret = self.secret().await?;
        Some((self.wire()?, secret))
    }

    /// What a check that sends requests holds (see [`Self::keyed`] for the ones that send the
    /// key).
    fn wire(&self) -> Option<Wire<'_>> {
        Some(Wire {
            input: self.input.get()?,
            client: &self.client()?.as_ref().ok()?.0,
            scrub: self.sent_secrets(),
        })
    }

    /// `None`: data the check needs is missing, which only a failed gate explains (the runner
    /// then reports the skip naming it).
    async fn check(&self, id: CheckId) -> Option<Outcome> {
        Some(match id {
            CheckId::Config => {
                let (outcome, input) =
                    config::check(self.config_path, self.profile_flag, self.opts);
                keep(&self.input, input);
                outcome
            }
            CheckId::Settings => settings::check(self.input.get()?),
            CheckId::Key => {
                let (outcome, secret) = key::fetch(self.input.get()?).await;
                keep(&self.key, Some((outcome.clone(), secret)));
                outcome
            }
            CheckId::Network => {
                let (outcome, date) = network::check(self.input.get()?, self.client()?).await;
                keep(&self.server_date, Some(date));
                outcome
            }
            CheckId::Gateway => gateway::check(&self.wire()?).await,
            CheckId::Auth => {
                let (w, secret) = self.keyed().await?;
                auth::check(&w, secret).await
            }
            CheckId::Models => {
                let (w, secret) = self.keyed().await?;
                models::check(&w, secret).await
            }
            CheckId::Messages => {
                let (w, secret) = self.keyed().await?;
                messages::check(&w, secret).await
            }
            CheckId::Passthrough => {
                let (w, secret) = self.keyed().await?;
                passthrough::check(&w, secret).await
            }
            CheckId::Claude => claude::check(self.input.get()?).await,
        })
    }
}

fn keep<T>(slot: &OnceCell<T>, value: Option<T>) {
    if let Some(value) = value {
        // Each check runs once, so its slot is empty.
        let _ = slot.set(value);
    }
}

impl Checks for Table<'_> {
    fn run(&self, id: CheckId) -> Running<'_> {
        Box::pin(async move {
            self.check(id)
                .await
                .unwrap_or_else(|| Outcome::skip("skipped"))
        })
    }

    fn not_applicable(&self, id: CheckId) -> Option<Outcome> {
        let input = self.input.get()?;
        match id {
            CheckId::Models => models::not_applicable(input),
            CheckId::Messages => messages::not_applicable(input),
            CheckId::Passthrough => passthrough::not_applicable(input),
            _ => None,
        }
    }

    fn finish(&self, id: CheckId, ran: Outcome) -> Outcome {
        match (id, self.input.get()) {
            (CheckId::Key, Some(input)) => {
                let server_date = self.server_date.get().copied().flatten();
                key::finish(input, ran, self.fetched_secret(), server_date)
            }
            _ => ran,
        }
    }
}

/// What a check that talks to the gateway holds: the profile's input, the client the network
/// check built, and every secret to take out of the answers.
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
