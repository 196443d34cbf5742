//! The client: configured the way Claude Code's TLS would be (profile CA file,
//! `NODE_EXTRA_CA_CERTS`, client certificate, env proxies), and the one way a request is sent
//! and its answer read (bounded in size and time).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::Profile;
use crate::gateway::answer::{Answer, Problem, describe};
use crate::gateway::headers::USER_AGENT;
use crate::transport::{self, BodyError, ProblemKind, tls};

/// The client and the per-step time limit.
pub struct Client {
    pub http: reqwest::Client,
    pub timeout: Duration,
}

/// What the client was configured with, for the network summary.
#[derive(Debug, Default)]
pub struct TlsSetup {
    pub extra_roots: Vec<String>,
    pub client_cert: bool,
}

impl Client {
    /// Build the client: redirects off (Claude Code's model discovery refuses them, and a
    /// redirect is a finding), env proxies as reqwest reads them, extra roots merged with the
    /// system's (the one TLS setup of `transport::tls`, shared with the vault source).
    pub fn new(profile: &Profile, timeout: Duration) -> Result<(Client, TlsSetup)> {
        let mut setup = TlsSetup::default();
        let tls = profile.tls.clone().unwrap_or_default();
        let mut roots = Vec::new();
        if let Some(ca) = &tls.ca_file {
            roots.extend(tls::read_pem_certs(ca, "tls.ca_file")?);
            setup.extra_roots.push("tls.ca_file".into());
        }
        // Claude Code (Node) adds NODE_EXTRA_CA_CERTS to its roots; the plan sets it from
        // tls.ca_file, but a user may also export it.
        if let Some(extra) = std::env::var_os("NODE_EXTRA_CA_CERTS").filter(|v| !v.is_empty()) {
            let path = Path::new(&extra);
            if tls.ca_file.as_deref() != Some(path) {
                roots.extend(tls::read_pem_certs(path, "NODE_EXTRA_CA_CERTS")?);
                setup.extra_roots.push("NODE_EXTRA_CA_CERTS".into());
            }
        }
        let cert = tls
            .client_cert
            .clone()
            .or_else(|| std::env::var_os("CLAUDE_CODE_CLIENT_CERT").map(Into::into));
        let key = tls
            .client_key
            .clone()
            .or_else(|| std::env::var_os("CLAUDE_CODE_CLIENT_KEY").map(Into::into));
        let identity = match (cert, key) {
            (Some(cert), Some(key)) => {
                setup.client_cert = true;
                Some(tls::read_identity(&cert, &key)?)
            }
            (Some(_), None) | (None, Some(_)) => {
                anyhow::bail!(
                    "a client certificate needs both `tls.client_cert` and `tls.client_key`"
                )
            }
            (None, None) => None,
        };
        let config = tls::client_config(roots, identity)?;
        let http = transport::client_builder(config, timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tls_info(true)
            .user_agent(USER_AGENT)
            .build()
            .context("could not build the HTTP client")?;
        Ok((Client { http, timeout }, setup))
    }

    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.get(url)
    }

    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.http.post(url)
    }

    /// Send a request and read the answer (bounded), with the step time limit.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, Problem> {
        let resp = req
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        self.read(resp).await
    }

    /// Read a response's body (bounded in size and time).
    async fn read(&self, resp: reqwest::Response) -> Result<Answer, Problem> {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = tokio::time::timeout(self.timeout, transport::read_body(resp))
            .await
            .map_err(|_| Problem {
                kind: ProblemKind::Timeout,
                detail: "the body did not arrive in time".into(),
            })?
            .map_err(|e| match e {
                BodyError::Transport(e) => describe(&e),
                too_large @ BodyError::TooLarge => Problem {
                    kind: ProblemKind::Other,
                    detail: too_large.to_string(),
                },
            })?;
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}
