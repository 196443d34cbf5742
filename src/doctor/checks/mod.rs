//! One file per group of checks. Each check is a function from what it needs to an `Outcome`
//! (plus, for the ones others depend on, the data they pass on). [`Table`] is what the graph
//! runner calls: which function runs for each id, and what the checks share: the profile, the
//! one HTTP client, the key (fetched once, by the key check; the checks that send it wait for
//! it) and the gateway's clock.

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
pub mod wire;

use std::cell::OnceCell;
use std::task::Poll;
use std::time::SystemTime;

use crate::config::ConfigPath;
use crate::doctor::check::{CheckId, Input, Options, Outcome};
use crate::doctor::graph::{Checks, Running};
use crate::gateway::Client;
use crate::redact::Scrubber;

use key::Secret;
use network::Built;
use wire::{Wire, sent_secrets};

/// The checks as the runner calls them, and what they share. Each slot is written once.
/// Every check but `config` starts once `config` has filled `input`; the others' data is
/// there for the asking: `key` and the checks that send the key wait for the one helper run.
pub struct Table<'a> {
    config_path: &'a ConfigPath,
    profile_flag: Option<&'a str>,
    opts: &'a Options,
    /// From `config`.
    input: OnceCell<Input>,
    /// From `key`, once the helper has run: the key it gave, if any. The checks that send the
    /// key wait for it.
    key: OnceCell<Option<Secret>>,
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
        self.key.get()?.as_ref()
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
        fetched.await.as_ref()
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
                keep(&self.key, Some(secret));
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
