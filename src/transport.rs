//! HTTP to servers ccgw does not control (the gateway, through `gateway`; Vault, in the key
//! source): the one client setup (TLS as Claude Code trusts it, deadlines), the one bounded
//! body reader, and what kind of failure a transport error is (refused, DNS, timeout, an
//! untrusted or wrong certificate, a port that does not speak TLS), read from the error's
//! text; and the async runtime that I/O runs on.

pub mod tls;

use std::time::Duration;

use anyhow::Context as _;

/// The most of a response body ccgw reads: every answer it needs is a few KiB. More is an
/// error, not a truncation, so that a hostile or broken server costs a bounded amount of memory.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// `BODY_LIMIT` for messages.
pub const BODY_LIMIT_TEXT: &str = "1 MiB";

/// The async runtime for a command that talks to a server: a current-thread tokio runtime,
/// built by this function and only when a server must be asked (`doctor`, the wizard's model
/// list, a Vault fetch on a cache miss), so that `ccgw key`'s cache-hit path never pays for one.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// A reqwest client builder with `tls` (from `tls::client_config`) and `timeout` as the
/// deadline of the connect and of the whole request, body included (reqwest's total timeout).
pub fn client_builder(tls: rustls::ClientConfig, timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(timeout)
        .timeout(timeout)
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The server sent (or announced) more than `BODY_LIMIT`.
    TooLarge,
    Transport(reqwest::Error),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge => write!(f, "the answer is larger than {BODY_LIMIT_TEXT}"),
            BodyError::Transport(e) => write!(f, "{e}"),
        }
    }
}

/// Read a response body, at most `BODY_LIMIT` bytes: an announced or actual larger body is
/// `TooLarge` as soon as that is known. The deadline is the client's (it covers the body).
pub async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if buf.len() + chunk.len() > BODY_LIMIT {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The kind of a transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Timeout,
    Refused,
    Dns,
    UntrustedCert,
    NameMismatch,
    ExpiredCert,
    /// The server's certificate is a CA certificate (`CA:TRUE`) that is not itself in a CA file.
    CaUsedAsLeaf,
    ClientCertRequired,
    NotTls,
    Other,
}

/// Classify an error text (rustls, hyper and io wordings).
pub fn classify(text: &str) -> ProblemKind {
    let t = text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    if has(&["causedasendentity"]) {
        ProblemKind::CaUsedAsLeaf
    } else if has(&[
        "unknownissuer",
        "unknown issuer",
        "self-signed",
        "self signed",
        "badsignature",
    ]) {
        ProblemKind::UntrustedCert
    } else if has(&[
        "notvalidforname",
        "not valid for name",
        "certnotvalidforname",
    ]) {
        ProblemKind::NameMismatch
    } else if has(&["expired", "notvalidyet", "not valid yet"]) {
        ProblemKind::ExpiredCert
    } else if has(&["certificaterequired", "certificate required"]) {
        ProblemKind::ClientCertRequired
    } else if has(&[
        "invalidcontenttype",
        "corrupt message",
        "wrong version number",
        "invalid content type",
    ]) {
        ProblemKind::NotTls
    } else if has(&["connection refused"]) {
        ProblemKind::Refused
    } else if has(&[
        "dns error",
        "failed to lookup",
        "name or service not known",
        "no such host",
    ]) {
        ProblemKind::Dns
    } else if has(&["timed out", "deadline has elapsed"]) {
        ProblemKind::Timeout
    } else {
        ProblemKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_rustls_and_io_errors() {
        assert_eq!(
            classify("invalid peer certificate: UnknownIssuer"),
            ProblemKind::UntrustedCert
        );
        assert_eq!(
            classify("invalid peer certificate: NotValidForName"),
            ProblemKind::NameMismatch
        );
        assert_eq!(
            classify("invalid peer certificate: CaUsedAsEndEntity"),
            ProblemKind::CaUsedAsLeaf
        );
        assert_eq!(
            classify("tcp connect error: Connection refused (os error 111)"),
            ProblemKind::Refused
        );
        assert_eq!(
            classify("received corrupt message of type InvalidContentType"),
            ProblemKind::NotTls
        );
    }
}
