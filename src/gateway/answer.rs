//! What came back from a gateway: an answer (status, headers, a bounded body) or a transport
//! problem described for a human, with what to do about it.

use std::error::Error as _;
use std::time::SystemTime;

use reqwest::header::HeaderMap;

use crate::transport::{ProblemKind, classify, tls::unix_time};

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

/// Parse an IMF-fixdate (`Sun, 22 Nov 2026 15:17:18 GMT`), the only form servers send today.
pub fn http_date(s: &str) -> Option<SystemTime> {
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

/// The model id an entry of a `/v1/models` list stands for, as Claude Code would send it.
/// LiteLLM 1.108 lists a 1M-context model to Claude Code's user agent as `"id": "NAME[1m]"`
/// with `"source_model": "NAME"`: the id to send is the source model (or the id without `[1m]`).
pub fn listed_model(entry: &serde_json::Value) -> Option<&str> {
    if let Some(source) = entry.get("source_model").and_then(|s| s.as_str()) {
        return Some(source);
    }
    let id = entry.get("id").and_then(|i| i.as_str())?;
    Some(id.strip_suffix("[1m]").unwrap_or(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_dates() {
        let t = http_date("Sun, 22 Nov 2026 15:17:18 GMT").unwrap();
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_795_360_638);
        assert!(http_date("yesterday").is_none());
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
