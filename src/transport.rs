//! What kind of failure a transport error is (refused, DNS, timeout, an untrusted or wrong
//! certificate, a port that does not speak TLS), read from the error's text. Pure; shared by
//! `doctor` (which explains gateway failures) and the vault key source (which explains Vault's).

/// The kind of a transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Timeout,
    Refused,
    Dns,
    UntrustedCert,
    NameMismatch,
    ExpiredCert,
    ClientCertRequired,
    NotTls,
    Other,
}

/// Classify an error text (rustls, hyper and io wordings).
pub fn classify(text: &str) -> ProblemKind {
    let t = text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    if has(&[
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
            classify("tcp connect error: Connection refused (os error 111)"),
            ProblemKind::Refused
        );
        assert_eq!(
            classify("received corrupt message of type InvalidContentType"),
            ProblemKind::NotTls
        );
    }
}
