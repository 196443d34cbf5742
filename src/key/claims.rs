//! A peek at a key's JWT claims, *without verifying the signature*: pure, bounded, no I/O.
//!
//! What it is for: knowing when a JWT key expires (the cache keeps it no longer than its `exp`;
//! Claude Code ≥ 2.1.332 waits for a fresh helper run when a JWT's `exp` is < 30 s away) and
//! saying who a token is for (doctor, `ccgw cache status`). What it is not for: trusting
//! anything. The gateway verifies the token; nothing here may grant or refuse access.
//!
//! A key is a JWT when it is three base64url segments (an optional `sk-ant-si-` prefix allowed,
//! as Claude Code accepts) whose first two decode to JSON objects. Anything else is `None`,
//! never an error: most keys are not JWTs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::key::MAX_KEY_LEN;

/// The prefix Claude Code strips before it looks for a JWT in a helper value.
pub const SI_PREFIX: &str = "sk-ant-si-";

/// Longest text claim kept; a longer one (or one with control characters) is dropped, so what
/// this module returns is safe to show on one line.
pub const MAX_CLAIM_LEN: usize = 256;
/// Most audiences kept from an `aud` array.
const MAX_AUDIENCES: usize = 16;

/// The facts of a JWT's payload this program uses. Unverified: the token's issuer says so, no
/// one has checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub sub: Option<String>,
    pub email: Option<String>,
    pub preferred_username: Option<String>,
    /// Seconds since the Unix epoch.
    pub exp: Option<u64>,
    /// Seconds since the Unix epoch.
    pub iat: Option<u64>,
    pub iss: Option<String>,
    /// `aud` as a list (a single string is a list of one).
    pub aud: Vec<String>,
}

impl Claims {
    /// Who the token is for, as a person would say it: the email, else the preferred user
    /// name, else the subject.
    pub fn who(&self) -> Option<&str> {
        self.email
            .as_deref()
            .or(self.preferred_username.as_deref())
            .or(self.sub.as_deref())
    }

    /// `exp` as a point in time.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.exp
            .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
    }
}

/// The claims of `key` when it is a JWT (see the module comment); `None` otherwise.
pub fn peek(key: &str) -> Option<Claims> {
    let payload = payload(key)?;
    Some(Claims {
        sub: text(&payload, "sub"),
        email: text(&payload, "email"),
        preferred_username: text(&payload, "preferred_username"),
        exp: seconds(&payload, "exp"),
        iat: seconds(&payload, "iat"),
        iss: text(&payload, "iss"),
        aud: audiences(&payload),
    })
}

/// The decoded payload object of a JWT-shaped `key`.
fn payload(key: &str) -> Option<Map<String, Value>> {
    // Bounded before any work: Claude Code takes no longer key.
    if key.len() > MAX_KEY_LEN {
        return None;
    }
    let token = key.strip_prefix(SI_PREFIX).unwrap_or(key);
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || header.is_empty() || payload.is_empty() {
        return None;
    }
    // The signature is not checked, but it must look like one (an unsigned `alg: none` token
    // has an empty one, and is still a JWT for these purposes).
    base64url(signature)?;
    let object = |seg: &str| match serde_json::from_slice::<Value>(&base64url(seg)?) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    };
    object(header)?;
    object(payload)
}

/// Decode unpadded or padded base64url (RFC 4648 §5); `None` on any other character, a
/// misplaced `=`, or an impossible length.
fn base64url(seg: &str) -> Option<Vec<u8>> {
    let body = seg.trim_end_matches('=');
    let pad = seg.len() - body.len();
    if pad > 2 || (pad > 0 && !seg.len().is_multiple_of(4)) || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in body.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A string claim fit to show on one line.
fn text(payload: &Map<String, Value>, name: &str) -> Option<String> {
    payload
        .get(name)?
        .as_str()
        .filter(|s| fit_to_show(s))
        .map(str::to_owned)
}

fn fit_to_show(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_CLAIM_LEN && !s.chars().any(char::is_control)
}

/// A NumericDate claim (RFC 7519 §2: seconds, possibly fractional); negative, non-numeric or
/// absurd values are dropped.
fn seconds(payload: &Map<String, Value>, name: &str) -> Option<u64> {
    let v = payload.get(name)?;
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let f = v.as_f64()?;
    // Beyond year ~2^33 s nobody means it; `as` saturates anyway, this keeps `expires_at` sane.
    (f.is_finite() && (0.0..1e11).contains(&f)).then_some(f as u64)
}

fn audiences(payload: &Map<String, Value>) -> Vec<String> {
    let keep = |v: &Value| v.as_str().filter(|s| fit_to_show(s)).map(str::to_owned);
    match payload.get("aud") {
        Some(Value::Array(a)) => a.iter().filter_map(keep).take(MAX_AUDIENCES).collect(),
        Some(v) => keep(v).into_iter().collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unpadded base64url of `s` (an encoder of the test's own; `a_real_signed_token_is_read`
    /// checks the decoder against jsonwebtoken's encoder too).
    fn b64(s: &str) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = s.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn token(payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256","typ":"JWT"}"#),
            b64(payload)
        )
    }

    #[test]
    fn a_real_signed_token_is_read() {
        let claims = serde_json::json!({
            "sub": "u-123", "email": "ada@example.com", "preferred_username": "ada",
            "exp": 2_000_000_000u64, "iat": 1_900_000_000u64,
            "iss": "https://idp.example", "aud": ["ccgw", "gw"],
        });
        let jwt = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        let want = Claims {
            sub: Some("u-123".into()),
            email: Some("ada@example.com".into()),
            preferred_username: Some("ada".into()),
            exp: Some(2_000_000_000),
            iat: Some(1_900_000_000),
            iss: Some("https://idp.example".into()),
            aud: vec!["ccgw".into(), "gw".into()],
        };
        assert_eq!(peek(&jwt), Some(want.clone()));
        assert_eq!(peek(&format!("{SI_PREFIX}{jwt}")), Some(want.clone()));
        assert_eq!(want.who(), Some("ada@example.com"));
        assert_eq!(
            want.expires_at(),
            Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000))
        );
    }

    #[test]
    fn who_falls_back_to_the_user_name_then_the_subject() {
        let c = peek(&token(r#"{"sub":"s","preferred_username":"p"}"#)).unwrap();
        assert_eq!(c.who(), Some("p"));
        let c = peek(&token(r#"{"sub":"s"}"#)).unwrap();
        assert_eq!(c.who(), Some("s"));
        let c = peek(&token("{}")).unwrap();
        assert_eq!((c.who(), c.expires_at()), (None, None));
    }

    #[test]
    fn a_single_audience_and_odd_claim_types() {
        let c = peek(&token(
            r#"{"aud":"one","exp":1700000000.9,"iat":-5,"sub":42,"email":"a\nb"}"#,
        ))
        .unwrap();
        assert_eq!(c.aud, vec!["one".to_owned()]);
        assert_eq!(c.exp, Some(1_700_000_000));
        assert_eq!(c.iat, None);
        assert_eq!(c.sub, None);
        assert_eq!(c.email, None, "a claim with a line break is not shown");
        let c = peek(&token(r#"{"exp":"1700000000","aud":[1,"x",null]}"#)).unwrap();
        assert_eq!((c.exp, c.aud), (None, vec!["x".to_owned()]));
        let c = peek(&token(r#"{"exp":1e300}"#)).unwrap();
        assert_eq!(c.exp, None);
    }

    #[test]
    fn long_claims_are_dropped_not_cut() {
        let long = "a".repeat(MAX_CLAIM_LEN + 1);
        let c = peek(&token(&format!(r#"{{"sub":"{long}","iss":"ok"}}"#))).unwrap();
        assert_eq!((c.sub, c.iss.as_deref()), (None, Some("ok")));
        let many: Vec<String> = (0..100).map(|i| format!("\"a{i}\"")).collect();
        let c = peek(&token(&format!(r#"{{"aud":[{}]}}"#, many.join(",")))).unwrap();
        assert_eq!(c.aud.len(), MAX_AUDIENCES);
    }

    #[test]
    fn padding_is_accepted_where_it_belongs() {
        // `{"sub":"x"}` is 11 bytes: 15 characters unpadded, one `=` padded.
        let header = b64(r#"{"alg":"none"}"#);
        let body = b64(r#"{"sub":"x"}"#);
        assert_eq!(body.len() % 4, 3);
        let padded = format!("{header}.{body}=.");
        assert_eq!(peek(&padded).unwrap().sub.as_deref(), Some("x"));
        let unsigned = format!("{header}.{body}.");
        assert!(
            peek(&unsigned).is_some(),
            "an alg:none token has an empty signature"
        );
        for bad in [
            format!("{header}.{body}==."),
            format!("{header}.{body}=x."),
            format!("{header}.={body}."),
        ] {
            assert_eq!(peek(&bad), None, "{bad}");
        }
        assert_eq!(base64url("QQ==").as_deref(), Some(&b"A"[..]));
        assert_eq!(base64url("QUI").as_deref(), Some(&b"AB"[..]));
        assert_eq!(base64url("Q"), None, "one character in a group is no byte");
        assert_eq!(base64url("QQ="), None, "padding only to a multiple of four");
    }

    #[test]
    fn malformed_keys_are_not_jwts() {
        let h = b64(r#"{"alg":"HS256"}"#);
        let p = b64(r#"{"sub":"x"}"#);
        for bad in [
            String::new(),
            "sk-plain-api-key".into(),
            "a.b".into(),
            "..".into(),
            format!("{h}.{p}"),
            format!("{h}.{p}.sig.extra"),
            format!(".{p}.sig"),
            format!("{h}..sig"),
            format!("{h}.{p}.si+g"),
            format!("{h}.{}.sig", b64("[1,2]")),
            format!("{h}.{}.sig", b64("not json")),
            format!("{}.{p}.sig", b64("\"header\"")),
            format!("{h}.{p}!.sig"),
            format!("sk-ant-xx-{h}.{p}.sig"),
            format!("{SI_PREFIX}{SI_PREFIX}{h}.{p}.sig"),
        ] {
            assert_eq!(peek(&bad), None, "{bad}");
        }
        assert!(peek(&format!("{h}.{p}.sig")).is_some());
    }

    #[test]
    fn huge_input_is_refused_before_decoding() {
        let h = b64(r#"{"alg":"HS256"}"#);
        let pad = "x".repeat(MAX_KEY_LEN);
        let huge = format!("{h}.{}.sig", b64(&format!(r#"{{"sub":"a","p":"{pad}"}}"#)));
        assert!(huge.len() > MAX_KEY_LEN);
        assert_eq!(peek(&huge), None);
        // Just under the bound is still read.
        let room = MAX_KEY_LEN - token(r#"{"sub":"a","p":""}"#).len();
        let fits = token(&format!(
            r#"{{"sub":"a","p":"{}"}}"#,
            "x".repeat(room * 3 / 4 - 3)
        ));
        assert!(fits.len() <= MAX_KEY_LEN, "{}", fits.len());
        assert_eq!(peek(&fits).unwrap().sub.as_deref(), Some("a"));
        // A million dots is no JWT and costs nothing.
        assert_eq!(peek(&".".repeat(1_000_000)), None);
    }
}
