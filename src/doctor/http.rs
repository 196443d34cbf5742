//! The doctor's HTTP side: one `reqwest` client configured the way Claude Code's TLS would be
//! (profile CA file, `NODE_EXTRA_CA_CERTS`, client certificate, env proxies), the headers Claude
//! Code sends, and plain-language descriptions of transport errors.

use std::error::Error as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::Profile;
use crate::transport::{self, BodyError, ProblemKind, classify, tls};

/// `anthropic-version` every Claude Code request carries.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The `anthropic-beta` list Claude Code 2.1.197 sends on unified requests, verbatim
/// (measured; shared/reference/claude-code-wire.md).
pub const CLAUDE_CODE_BETAS: &str = "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,thinking-token-count-2026-05-13,context-management-2025-06-27,prompt-caching-scope-2026-01-05,mid-conversation-system-2026-04-07,effort-2025-11-24";

/// Claude Code's user agent, marked so that gateway logs can tell the doctor apart.
pub const USER_AGENT: &str = "claude-cli/2.1.197 (external, cli; ccgw-doctor)";

/// The client and the per-step time limit; `server_date` is the gateway's `Date` header as
/// seen by the network check (for clock skew).
pub struct Http {
    pub client: reqwest::Client,
    pub timeout: Duration,
    pub server_date: Option<SystemTime>,
}

/// What the client was configured with, for the network summary.
#[derive(Debug, Default)]
pub struct TlsSetup {
    pub extra_roots: Vec<String>,
    pub client_cert: bool,
}

/// Build the client: redirects off (Claude Code's model discovery refuses them, and a redirect
/// is a finding), env proxies as reqwest reads them, extra roots merged with the system's (the
/// one TLS setup of `transport::tls`, shared with the vault source).
pub fn client(profile: &Profile, timeout: Duration) -> Result<(reqwest::Client, TlsSetup)> {
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
            anyhow::bail!("a client certificate needs both `tls.client_cert` and `tls.client_key`")
        }
        (None, None) => None,
    };
    let config = tls::client_config(roots, identity)?;
    let client = transport::client_builder(config, timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tls_info(true)
        .user_agent(USER_AGENT)
        .build()
        .context("could not build the HTTP client")?;
    Ok((client, setup))
}

/// Which credential headers a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer K` and `x-api-key: K`: Claude Code with an apiKeyHelper, unified.
    Both,
    /// `Authorization: Bearer K` only: Bedrock/Vertex pass-through.
    Bearer,
    /// `x-api-key: K` only.
    XApiKey,
    /// Nothing.
    None,
}

impl Auth {
    pub fn label(self) -> &'static str {
        match self {
            Auth::Both => "Bearer + x-api-key",
            Auth::Bearer => "Authorization: Bearer",
            Auth::XApiKey => "x-api-key",
            Auth::None => "no key",
        }
    }
}

/// The headers Claude Code sends on a Messages-API request: version, betas, app, the profile's
/// custom headers, and the credential as `auth` says.
pub fn claude_headers(profile: &Profile, auth: Auth, key: &str, betas: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "anthropic-version",
        HeaderValue::from_static(ANTHROPIC_VERSION),
    );
    if betas {
        h.insert(
            "anthropic-beta",
            HeaderValue::from_static(CLAUDE_CODE_BETAS),
        );
    }
    h.insert("x-app", HeaderValue::from_static("cli"));
    h.insert(
        "anthropic-dangerous-direct-browser-access",
        HeaderValue::from_static("true"),
    );
    for (name, value) in &profile.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            h.insert(n, v);
        }
    }
    add_auth(&mut h, auth, key);
    h
}

/// Add the credential headers (marked sensitive so that no debug output shows them).
pub fn add_auth(h: &mut HeaderMap, auth: Auth, key: &str) {
    let bearer = matches!(auth, Auth::Both | Auth::Bearer);
    let x_api = matches!(auth, Auth::Both | Auth::XApiKey);
    if bearer && let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {key}")) {
        v.set_sensitive(true);
        h.insert(reqwest::header::AUTHORIZATION, v);
    }
    if x_api && let Ok(mut v) = HeaderValue::from_str(key) {
        v.set_sensitive(true);
        h.insert("x-api-key", v);
    }
}

/// An HTTP answer, body read (bounded).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The error message of a JSON error body (Anthropic, OpenAI/LiteLLM or FastAPI shape), else
    /// the start of the body.
    pub fn message(&self) -> String {
        let json = self.json();
        let from_json = json.as_ref().and_then(|j| {
            j.pointer("/error/message")
                .or_else(|| j.pointer("/detail"))
                .or_else(|| j.pointer("/message"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        });
        let text = from_json.unwrap_or_else(|| self.body.trim().to_owned());
        one_line(&text, 160)
    }

    /// LiteLLM's error `type` (`auth_error`, `no_db_connection`, …) or `param` (`premium_user`).
    pub fn error_field(&self, field: &str) -> Option<String> {
        self.json()?
            .pointer(&format!("/error/{field}"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Squash whitespace and cut to `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let squashed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if squashed.chars().count() > max {
        let cut: String = squashed.chars().take(max).collect();
        format!("{cut}…")
    } else {
        squashed
    }
}

/// A transport failure, described for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub detail: String,
}

impl Problem {
    /// One line for the summary, e.g. "TLS: certificate not trusted (UnknownIssuer)".
    pub fn summary(&self) -> String {
        let what = match self.kind {
            ProblemKind::Timeout => "no answer in time",
            ProblemKind::Refused => "connection refused",
            ProblemKind::Dns => "name does not resolve",
            ProblemKind::UntrustedCert => {
                "TLS: the certificate is not trusted (self-signed or unknown CA)"
            }
            ProblemKind::NameMismatch => "TLS: the certificate is not valid for this host name",
            ProblemKind::ExpiredCert => "TLS: the certificate has expired or is not yet valid",
            ProblemKind::CaUsedAsLeaf => {
                "TLS: the gateway presents a CA certificate (CA:TRUE) as its own, and it is not in a trusted CA file"
            }
            ProblemKind::ClientCertRequired => "TLS: the gateway wants a client certificate",
            ProblemKind::NotTls => "TLS: the port does not speak TLS (plain HTTP?)",
            ProblemKind::Other => "request failed",
        };
        format!("{what}: {}", one_line(&self.detail, 160))
    }

    /// What to do about it.
    pub fn hint(&self) -> String {
        match self.kind {
            ProblemKind::Timeout => "the gateway did not answer within --timeout; check the host, the port, a firewall or the proxy, or raise --timeout".into(),
            ProblemKind::Refused => "nothing listens there: is the gateway running, and is the port in `gateway` right?".into(),
            ProblemKind::Dns => "check the host name in `gateway` (and your DNS / VPN)".into(),
            ProblemKind::UntrustedCert => "set `tls.ca_file` in the profile to the PEM CA that signed the gateway's certificate (Claude Code gets it as NODE_EXTRA_CA_CERTS)".into(),
            ProblemKind::NameMismatch => "use the host name the certificate was issued for in `gateway`, or have the certificate reissued with this name (and put the new one in `tls.ca_file` / NODE_EXTRA_CA_CERTS if it is trusted from there)".into(),
            ProblemKind::ExpiredCert => "the gateway's certificate must be renewed, and the renewed one put in `tls.ca_file` / NODE_EXTRA_CA_CERTS if it is trusted from there (or this machine's clock is wrong)".into(),
            ProblemKind::CaUsedAsLeaf => "put that very certificate in `tls.ca_file` (Claude Code gets it as NODE_EXTRA_CA_CERTS) to trust it as Node and curl do, or give the gateway a certificate signed by a CA".into(),
            ProblemKind::ClientCertRequired => "set `tls.client_cert` and `tls.client_key` in the profile (PEM files)".into(),
            ProblemKind::NotTls => "the gateway seems to speak plain HTTP: use an http:// URL in `gateway`".into(),
            ProblemKind::Other => "check the gateway URL and that the gateway is up".into(),
        }
    }
}

/// Describe a reqwest error from its whole source chain.
pub fn describe(err: &reqwest::Error) -> Problem {
    let mut parts = vec![err.to_string()];
    let mut src = err.source();
    while let Some(e) = src {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        src = e.source();
    }
    // The outermost part repeats the URL; the innermost cause says what happened.
    let detail = parts[1..].join(": ");
    let detail = if detail.is_empty() {
        parts[0].clone()
    } else {
        detail
    };
    let kind = if err.is_timeout() {
        ProblemKind::Timeout
    } else {
        classify(&detail)
    };
    Problem { kind, detail }
}

/// Send a request and read the answer (bounded), with the step time limit.
pub async fn send(http: &Http, req: reqwest::RequestBuilder) -> Result<Answer, Problem> {
    let resp = req
        .timeout(http.timeout)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    read(http, resp).await
}

/// Read a response's body (bounded in size and time).
pub async fn read(http: &Http, resp: reqwest::Response) -> Result<Answer, Problem> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = tokio::time::timeout(http.timeout, transport::read_body(resp))
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

/// Parse an IMF-fixdate (`Sun, 22 Nov 2026 15:17:18 GMT`), the only form servers send today.
pub fn httpdate_parse(s: &str) -> Option<SystemTime> {
    let mut it = s.split_whitespace();
    let _weekday = it.next()?;
    let day: u32 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" {
        return None;
    }
    unix_time(year, month, day, h, m, sec)
}

pub use crate::transport::tls::unix_time;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_dates() {
        let t = httpdate_parse("Sun, 22 Nov 2026 15:17:18 GMT").unwrap();
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_795_360_638);
        assert!(httpdate_parse("yesterday").is_none());
    }

    #[test]
    fn error_messages_from_each_shape() {
        let a = |body: &str| Answer {
            status: 400,
            headers: HeaderMap::new(),
            body: body.into(),
        };
        assert_eq!(
            a(r#"{"error":{"message":"No connected db.","type":"no_db_connection"}}"#).message(),
            "No connected db."
        );
        assert_eq!(a(r#"{"detail":"nope"}"#).message(), "nope");
        assert_eq!(a("plain\n text").message(), "plain text");
        assert_eq!(
            a(r#"{"error":{"type":"auth_error","param":"premium_user"}}"#)
                .error_field("param")
                .as_deref(),
            Some("premium_user")
        );
    }
}
