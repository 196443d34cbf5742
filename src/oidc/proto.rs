//! The OpenID Connect protocol, pure: what ccgw sends (PKCE, state, nonce, forms, the authorize
//! URL) and how it reads what an identity provider answers (discovery, token and device
//! answers, the loopback callback). No I/O: `client` does that.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::config::rules;
use crate::redact::{bounded, terminal_safe};

/// The longest piece of IdP text (an `error_description`) ccgw repeats.
const MAX_SERVER_TEXT: usize = 200;

/// Unpadded base64url (RFC 4648 §5), as PKCE and JWTs spell bytes.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// `n` random bytes from the OS, as base64url: a PKCE verifier, a `state`, a `nonce`.
pub fn random_token(n: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness from the OS: {e}"))?;
    Ok(base64url(&buf))
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("x:/").expect("a constant URL");
    url.query_pairs_mut().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

/// What ccgw uses of the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: String,
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}

/// Read a discovery document fetched for `expected_issuer`: the issuer it names must be that
/// one (OpenID Connect Discovery §4.3, so that one IdP cannot pose as another), and every
/// endpoint follows the IdP URL rule (HTTPS except on loopback).
pub fn parse_discovery(body: &str, expected_issuer: &str) -> Result<Discovery, String> {
    let d: Discovery = serde_json::from_str(body).map_err(|e| {
        format!(
            "the discovery document is not what OpenID Connect describes: {}",
            server_text(&e.to_string())
        )
    })?;
    if d.issuer.trim_end_matches('/') != expected_issuer.trim_end_matches('/') {
        return Err(format!(
            "the discovery document names the issuer `{}`, not `{expected_issuer}`",
            server_text(&d.issuer)
        ));
    }
    let endpoints = [
        (
            "authorization_endpoint",
            d.authorization_endpoint.as_deref(),
        ),
        ("token_endpoint", Some(d.token_endpoint.as_str())),
        (
            "device_authorization_endpoint",
            d.device_authorization_endpoint.as_deref(),
        ),
        ("revocation_endpoint", d.revocation_endpoint.as_deref()),
    ];
    for (field, url) in endpoints {
        if let Some(url) = url {
            rules::idp_url(field, url).map_err(|b| {
                format!(
                    "the discovery document's `{field}` is refused: {}",
                    server_text(&b.message)
                )
            })?;
        }
    }
    Ok(d)
}

/// The discovery URL of `issuer`.
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Server text made safe to repeat: one bounded line, no terminal controls.
pub fn server_text(text: &str) -> String {
    terminal_safe(&bounded(text.trim(), MAX_SERVER_TEXT)).replace(['\n', '\r'], " ")
}

/// An OAuth 2.0 error answer (RFC 6749 §5.2): the code and the IdP's description, made safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: String,
    pub description: Option<String>,
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.description {
            Some(d) => write!(f, "{} ({d})", self.error),
            None => f.write_str(&self.error),
        }
    }
}

/// The error of an answer with status `status` and body `body`: its `error` code when it has
/// one (only the characters RFC 6749 allows in it), else the status.
pub fn oauth_error(status: u16, body: &str) -> OAuthError {
    #[derive(Deserialize)]
    struct Raw {
        error: Option<String>,
        error_description: Option<String>,
    }
    let raw: Option<Raw> = serde_json::from_str(body).ok();
    let code = raw
        .as_ref()
        .and_then(|r| r.error.as_deref())
        .filter(|e| !e.is_empty() && e.len() <= 64 && e.bytes().all(|b| (0x20..0x7f).contains(&b)))
        .map(|e| e.replace(['"', '\\'], ""));
    OAuthError {
        error: code.unwrap_or_else(|| format!("HTTP {status}")),
        description: raw
            .and_then(|r| r.error_description)
            .map(|d| server_text(&d))
            .filter(|d| !d.is_empty()),
    }
}

/// The tokens of a successful token answer (RFC 6749 §5.1).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Seconds the access token lives, when the IdP says.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSet { .. }")
    }
}

/// A token answer: the tokens on 200, the error otherwise (or when 200 is not a token answer).
pub fn parse_token_answer(status: u16, body: &str) -> Result<TokenSet, OAuthError> {
    if status != 200 {
        return Err(oauth_error(status, body));
    }
    match serde_json::from_str::<TokenSet>(body) {
        Ok(t) if !t.access_token.is_empty() => Ok(t),
        _ => Err(OAuthError {
            error: "invalid_answer".into(),
            description: Some("the token endpoint's answer holds no access_token".into()),
        }),
    }
}

/// A device authorization answer (RFC 8628 §3.2).
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct DeviceStart {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    /// Seconds between polls [default: 5, RFC 8628 §3.2].
    #[serde(default = "default_interval")]
    pub interval: u64,
}

fn default_interval() -> u64 {
    5
}

impl std::fmt::Debug for DeviceStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceStart { .. }")
    }
}

/// Read a device authorization answer; the URLs follow the IdP URL rule.
pub fn parse_device_start(status: u16, body: &str) -> Result<DeviceStart, String> {
    if status != 200 {
        return Err(format!(
            "the device authorization was refused: {}",
            oauth_error(status, body)
        ));
    }
    let d: DeviceStart = serde_json::from_str(body).map_err(|e| {
        format!(
            "the device authorization answer is not RFC 8628's: {}",
            server_text(&e.to_string())
        )
    })?;
    for url in std::iter::once(&d.verification_uri).chain(&d.verification_uri_complete) {
        rules::idp_url("verification_uri", url)
            .map_err(|b| format!("the verification URL is refused: {}", b.message))?;
    }
    if d.user_code.chars().any(char::is_control) || d.user_code.len() > 64 {
        return Err("the user code is not one short line".into());
    }
    Ok(d)
}

/// What one poll of the token endpoint during a device sign-in says (RFC 8628 §3.5).
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    Tokens(TokenSet),
    /// `authorization_pending`: ask again after the interval.
    Pending,
    /// `slow_down`: add 5 seconds to the interval, then ask again.
    SlowDown,
    /// `access_denied`: the user refused.
    Denied,
    /// `expired_token`: the code ran out before it was approved.
    Expired,
    Failed(OAuthError),
}

pub fn interpret_poll(status: u16, body: &str) -> Poll {
    match parse_token_answer(status, body) {
        Ok(t) => Poll::Tokens(t),
        Err(e) => match e.error.as_str() {
            "authorization_pending" => Poll::Pending,
            "slow_down" => Poll::SlowDown,
            "access_denied" => Poll::Denied,
            "expired_token" => Poll::Expired,
            _ => Poll::Failed(e),
        },
    }
}

/// What the browser sign-in sends the user to, with what it must see again.
pub struct Authorize {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// The authorization request (RFC 6749 §4.1.1 with PKCE S256, `state` and `nonce`).
pub fn authorize(
    endpoint: &str,
    client_id: &str,
    scopes: &[String],
    audience: Option<&str>,
    redirect_uri: &str,
) -> anyhow::Result<Authorize> {
    let state = random_token(24)?;
    let nonce = random_token(24)?;
    let verifier = random_token(32)?;
    let challenge = pkce_challenge(&verifier);
    let scope = scopes.join(" ");
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope.as_str()),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if scopes.iter().any(|s| s == "offline_access") {
        // OpenID Connect Core §11: offline_access is granted only with consent asked for.
        pairs.push(("prompt", "consent"));
    }
    if let Some(a) = audience {
        pairs.push(("resource", a));
    }
    let mut url = reqwest::Url::parse(endpoint)?;
    url.query_pairs_mut().extend_pairs(&pairs);
    Ok(Authorize {
        url: url.into(),
        state,
        nonce,
        verifier,
    })
}

/// Why a loopback callback is not the sign-in's answer.
#[derive(Debug, PartialEq, Eq)]
pub enum CallbackError {
    /// Not `GET /callback?…`: answered 404 and waited on.
    NotTheCallback,
    /// The IdP answered with an error (the user refused, …).
    Refused(OAuthError),
    /// A `state` other than the one sent: a forged or crossed answer.
    WrongState,
    NoCode,
}

/// Read the request line of a callback to the loopback listener: the `code` when it is the
/// answer to this sign-in (its `state` is the one sent).
pub fn parse_callback(request_line: &str, expected_state: &str) -> Result<String, CallbackError> {
    let mut parts = request_line.split(' ');
    let (Some("GET"), Some(target)) = (parts.next(), parts.next()) else {
        return Err(CallbackError::NotTheCallback);
    };
    let url = reqwest::Url::parse(&format!("http://127.0.0.1{target}"))
        .map_err(|_| CallbackError::NotTheCallback)?;
    if url.path() != "/callback" {
        return Err(CallbackError::NotTheCallback);
    }
    let get = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if get("state").is_none_or(|s| !same(&s, expected_state)) {
        return Err(CallbackError::WrongState);
    }
    if let Some(error) = get("error") {
        let body =
            serde_json::json!({"error": error, "error_description": get("error_description")});
        return Err(CallbackError::Refused(oauth_error(400, &body.to_string())));
    }
    get("code")
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::NoCode)
}

/// Equality that takes as long whatever the first difference (for `state`).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether the ID token's `nonce` claim is `expected` (read without verifying the signature:
/// the token came straight from the token endpoint over TLS, OpenID Connect Core §3.1.3.7).
pub fn nonce_matches(id_token: &str, expected: &str) -> bool {
    jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(id_token)
        .ok()
        .and_then(|c| {
            c.get("nonce")
                .and_then(|n| n.as_str())
                .map(|n| same(n, expected))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn pkce_s256_is_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let v = random_token(32).unwrap();
        assert_eq!(v.len(), 43, "RFC 7636: 43 to 128 characters");
        assert_ne!(v, random_token(32).unwrap());
    }

    const ISSUER: &str = "https://idp.example.com/realms/r";

    fn discovery(issuer: &str, token: &str) -> String {
        serde_json::json!({"issuer": issuer, "token_endpoint": token,
            "authorization_endpoint": format!("{issuer}/auth")})
        .to_string()
    }

    #[test]
    fn discovery_must_name_the_issuer_asked_for() {
        let ok = parse_discovery(&discovery(ISSUER, &format!("{ISSUER}/token")), ISSUER).unwrap();
        assert_eq!(ok.token_endpoint, format!("{ISSUER}/token"));
        assert!(ok.revocation_endpoint.is_none());
        assert!(parse_discovery(&discovery(ISSUER, "https://x/t"), &format!("{ISSUER}/")).is_ok());
        let other =
            parse_discovery(&discovery("https://evil.example", "https://x/t"), ISSUER).unwrap_err();
        assert!(
            other.contains("not `https://idp.example.com/realms/r`"),
            "{other}"
        );
        let plain =
            parse_discovery(&discovery(ISSUER, "http://idp.example.com/t"), ISSUER).unwrap_err();
        assert!(plain.contains("token_endpoint"), "{plain}");
        assert!(
            parse_discovery(
                &discovery("http://127.0.0.1:9", "http://127.0.0.1:9/t"),
                "http://127.0.0.1:9"
            )
            .is_ok()
        );
        assert!(parse_discovery("<html>", ISSUER).is_err());
    }

    #[test]
    fn token_answers_and_errors() {
        let t = parse_token_answer(
            200,
            r#"{"access_token":"at","refresh_token":"rt","expires_in":60,"token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(t.refresh_token.as_deref(), Some("rt"));
        assert_eq!(t.expires_in, Some(60));
        assert_eq!(
            format!("{t:?}"),
            "TokenSet { .. }",
            "no token in debug output"
        );
        let e = parse_token_answer(
            400,
            "{\"error\":\"invalid_grant\",\"error_description\":\"grant request is invalid\\u001b[31m\"}",
        )
        .unwrap_err();
        assert_eq!(e.error, "invalid_grant");
        assert!(!e.description.unwrap().contains('\u{1b}'));
        assert_eq!(
            parse_token_answer(502, "<html>").unwrap_err().error,
            "HTTP 502"
        );
        assert_eq!(
            parse_token_answer(200, "{}").unwrap_err().error,
            "invalid_answer"
        );
        let long = format!(
            "{{\"error\":\"x\",\"error_description\":\"{}\"}}",
            "a".repeat(5000)
        );
        assert!(oauth_error(400, &long).description.unwrap().len() < 400);
    }

    #[test]
    fn device_poll_answers() {
        let err = |code: &str| format!("{{\"error\":\"{code}\"}}");
        assert_eq!(
            interpret_poll(400, &err("authorization_pending")),
            Poll::Pending
        );
        assert_eq!(interpret_poll(400, &err("slow_down")), Poll::SlowDown);
        assert_eq!(interpret_poll(400, &err("access_denied")), Poll::Denied);
        assert_eq!(interpret_poll(400, &err("expired_token")), Poll::Expired);
        assert!(
            matches!(interpret_poll(400, &err("invalid_client")), Poll::Failed(e) if e.error == "invalid_client")
        );
        assert!(matches!(
            interpret_poll(200, r#"{"access_token":"a"}"#),
            Poll::Tokens(_)
        ));
    }

    #[test]
    fn device_start_defaults_and_checks() {
        let d = parse_device_start(
            200,
            r#"{"device_code":"d","user_code":"ABCD-EFGH","verification_uri":"https://idp.example.com/device","expires_in":600}"#,
        )
        .unwrap();
        assert_eq!(d.interval, 5);
        let plain = parse_device_start(
            200,
            r#"{"device_code":"d","user_code":"A","verification_uri":"http://idp.example.com/device","expires_in":600}"#,
        );
        assert!(plain.is_err());
        assert!(
            parse_device_start(400, r#"{"error":"invalid_client"}"#)
                .unwrap_err()
                .contains("invalid_client")
        );
    }

    #[test]
    fn authorize_url_carries_pkce_state_and_nonce() {
        let a = authorize(
            "https://idp.example.com/auth",
            "cli",
            &["openid".into(), "offline_access".into()],
            Some("urn:gw"),
            "http://127.0.0.1:5555/callback",
        )
        .unwrap();
        let url = reqwest::Url::parse(&a.url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge"], pkce_challenge(&a.verifier));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], a.state);
        assert_eq!(q["nonce"], a.nonce);
        assert_eq!(q["scope"], "openid offline_access");
        assert_eq!(q["resource"], "urn:gw");
        assert_ne!(a.state, a.nonce);
    }

    #[test]
    fn the_callback_must_carry_the_state_sent() {
        let line = |q: &str| format!("GET /callback?{q} HTTP/1.1");
        assert_eq!(
            parse_callback(&line("code=c1&state=s1"), "s1"),
            Ok("c1".into())
        );
        assert_eq!(
            parse_callback(&line("code=c1&state=s2"), "s1"),
            Err(CallbackError::WrongState)
        );
        assert_eq!(
            parse_callback(&line("code=c1"), "s1"),
            Err(CallbackError::WrongState)
        );
        assert_eq!(
            parse_callback(&line("state=s1"), "s1"),
            Err(CallbackError::NoCode)
        );
        assert!(matches!(
            parse_callback(&line("error=access_denied&state=s1"), "s1"),
            Err(CallbackError::Refused(e)) if e.error == "access_denied"
        ));
        assert_eq!(
            parse_callback("GET /favicon.ico HTTP/1.1", "s1"),
            Err(CallbackError::NotTheCallback)
        );
        assert_eq!(
            parse_callback("POST /callback HTTP/1.1", "s1"),
            Err(CallbackError::NotTheCallback)
        );
    }

    #[test]
    fn nonce_is_read_from_the_id_token() {
        let tok = |payload: &str| {
            format!(
                "{}.{}.sig",
                base64url(br#"{"alg":"RS256"}"#),
                base64url(payload.as_bytes())
            )
        };
        assert!(nonce_matches(&tok(r#"{"nonce":"n1"}"#), "n1"));
        assert!(!nonce_matches(&tok(r#"{"nonce":"n2"}"#), "n1"));
        assert!(!nonce_matches(&tok("{}"), "n1"));
        assert!(!nonce_matches("garbage", "n1"));
    }

    #[test]
    fn forms_are_urlencoded() {
        assert_eq!(form(&[("a", "b c"), ("d", "&=")]), "a=b+c&d=%26%3D");
    }
}
