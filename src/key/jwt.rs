//! The `jwt` source: mint a short-lived, signed JWT locally.
//!
//! The token lives `ttl` (the source's `ttl`, else the profile's `key_ttl`). Claude Code is told
//! to re-run the helper after `plan::helper_ttl(profile.key_lifetime())`, a quarter of
//! `min(ttl, key_ttl)`, so every token it holds outlives its helper TTL by at least 3× (it is
//! valid for ≥ 4 helper TTLs): Claude Code keeps sending the old token while a refresh runs, and
//! the cache refreshes at half-life, so a token is never sent in its last quarter.
//!
//! Claims: `iss`, `sub`, `aud` when set, then `iat`, `exp`, `jti` always, then the configured
//! extra claims. No `nbf`: it would add nothing to `iat` except a way to be rejected by a
//! verifier whose clock runs a little behind ours. The templates `{user}` (`USER`, `LOGNAME`,
//! `USERNAME`), `{host}`, `{profile}` and `{env:VAR}` apply to `issuer`, `subject`, `audience`
//! and every string inside `claims`; an unknown template or an unset `VAR` is a config error.
//!
//! The signing key comes from `secret_env` (HS*: the variable's bytes; others: PEM text),
//! `key_file` (HS*: the file's exact bytes; others: PEM), or, when neither is set, the OS
//! keyring entry `ccgw secret set --jwt-signing-key` stores (service `ccgw`, account
//! `<profile>:jwt-signing-key`, see `keyring::jwt_signing_key_slot`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use jsonwebtoken::{Algorithm, EncodingKey, Header, errors::ErrorKind};
use serde_json::{Map, Value};

use crate::config::{self, JwtSource, Profile};
use crate::error;
use crate::key::{Fetched, keyring};

/// Claims ccgw always sets itself; a `[key.claims]` entry may not override them.
const RESERVED: &[&str] = &["iat", "exp", "nbf", "jti"];

/// Mint a token for profile `name`.
pub fn mint(name: &str, profile: &Profile, src: &JwtSource) -> Result<Fetched> {
    let alg = algorithm(&src.algorithm)?;
    let ttl = token_ttl(profile, src)?;
    let vars = TemplateVars {
        profile: name.to_owned(),
        user: login_name(),
        host: gethostname::gethostname().into_string().ok(),
        env: &|v| std::env::var(v).ok(),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| error::auth("the system clock is before 1970", None))?
        .as_secs();
    let claims = build_claims(src, &vars, now, ttl, &new_jti()?)?;
    let key = signing_key(name, src, alg)?;
    let mut header = Header::new(alg);
    header.kid = src.key_id.clone();
    let token = jsonwebtoken::encode(&header, &claims, &key).map_err(|e| key_error(alg, &e))?;
    Ok(Fetched {
        key: token,
        expires_at: Some(UNIX_EPOCH + Duration::from_secs(now + ttl.as_secs())),
    })
}

/// The configured algorithm, by the config's rule (`config::rules::jwt_algorithm`, which the
/// loader applies: a profile built in code meets it here).
pub fn algorithm(name: &str) -> Result<Algorithm> {
    let canonical = config::rules::jwt_algorithm(name)
        .map_err(|b| error::config(format!("key.algorithm: {}", b.message), b.hint))?;
    // Every name on the rule's list is one jsonwebtoken knows (`every_listed_algorithm_signs`).
    Ok(canonical
        .parse()
        .expect("rules::JWT_ALGORITHMS holds JOSE names"))
}

/// The token lifetime: the source's `ttl`, else the profile's `key_ttl`. The loader already
/// holds both to the key lifetime rule; a profile built in code meets the same rule here.
pub fn token_ttl(profile: &Profile, src: &JwtSource) -> Result<Duration> {
    let ttl = src.ttl.unwrap_or(profile.key_ttl);
    config::rules::key_lifetime(ttl).map_err(|b| {
        error::config(
            format!("key.ttl: `{}` {b}", humantime::format_duration(ttl)),
            b.hint,
        )
    })?;
    Ok(ttl)
}

/// What the claim templates expand to. `env` is injected so tests need no process env.
pub struct TemplateVars<'a> {
    pub profile: String,
    pub user: Option<String>,
    pub host: Option<String>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// The claims of one token, in a stable order. Pure: the clock and the random `jti` come in.
pub fn build_claims(
    src: &JwtSource,
    vars: &TemplateVars<'_>,
    now: u64,
    ttl: Duration,
    jti: &str,
) -> Result<Map<String, Value>> {
    let mut claims = Map::new();
    for (claim, field) in [
        ("iss", &src.issuer),
        ("sub", &src.subject),
        ("aud", &src.audience),
    ] {
        if let Some(v) = field {
            claims.insert(claim.into(), Value::String(expand(v, vars)?));
        }
    }
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + ttl.as_secs()).into());
    claims.insert("jti".into(), jti.into());
    for (k, v) in &src.claims {
        if RESERVED.contains(&k.as_str()) {
            return Err(error::config(
                format!("key.claims.{k}: ccgw sets `{k}` itself"),
                Some("remove it; the token's lifetime is `key.ttl`".into()),
            ));
        }
        if claims.contains_key(k) {
            let field = match k.as_str() {
                "iss" => "issuer",
                "sub" => "subject",
                _ => "audience",
            };
            return Err(error::config(
                format!("key.claims.{k}: also set by `key.{field}`"),
                Some(format!(
                    "keep only one of `key.{field}` and `key.claims.{k}`"
                )),
            ));
        }
        claims.insert(k.clone(), expand_value(v, vars)?);
    }
    Ok(claims)
}

/// Apply the templates to every string inside `v` (object keys are left alone).
fn expand_value(v: &Value, vars: &TemplateVars<'_>) -> Result<Value> {
    Ok(match v {
        Value::String(s) => Value::String(expand(s, vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| expand_value(i, vars))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, i)| Ok((k.clone(), expand_value(i, vars)?)))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}

/// Expand `{user}`, `{host}`, `{profile}` and `{env:VAR}` in `s`; `{{` and `}}` are literal
/// braces. Anything else in braces is an error, so that a typo never reaches a verifier.
pub fn expand(s: &str, vars: &TemplateVars<'_>) -> Result<String> {
    let bad = |what: String| {
        error::config(
            format!("key: claim template `{s}`: {what}"),
            Some("templates are {user} {host} {profile} {env:VAR}; write {{ and }} for literal braces".into()),
        )
    };
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(bad("unmatched `}`".into()));
        }
        let end = tail.find('}').ok_or_else(|| bad("unclosed `{`".into()))?;
        let name = &tail[1..end];
        let value = match name {
            "profile" => vars.profile.clone(),
            "user" => vars.user.clone().ok_or_else(|| {
                error::config(
                    "key: `{user}`: the login name is unknown (USER and LOGNAME are unset)",
                    Some("export USER, or drop `{user}` from the claims".into()),
                )
            })?,
            "host" => vars.host.clone().ok_or_else(|| {
                error::config(
                    "key: `{host}`: the host name could not be read",
                    Some("drop `{host}` from the claims".into()),
                )
            })?,
            _ => match name.strip_prefix("env:") {
                Some(var) if !var.is_empty() => (vars.env)(var).ok_or_else(|| {
                    error::config(
                        format!("key: claim template `{{env:{var}}}`: `{var}` is not set"),
                        Some(format!("export {var}, or remove it from the claims")),
                    )
                })?,
                _ => return Err(bad(format!("unknown template `{{{name}}}`"))),
            },
        };
        out.push_str(&value);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The user's login name, as the environment states it.
fn login_name() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// 128 random bits, hex: unique per token so verifiers can detect replays.
fn new_jti() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| error::auth(format!("no randomness for the JWT id: {e}"), None))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Where the signing key comes from, and the key.
fn signing_key(name: &str, src: &JwtSource, alg: Algorithm) -> Result<EncodingKey> {
    let (origin, bytes) = match (&src.secret_env, &src.key_file) {
        (Some(_), Some(_)) => {
            return Err(error::config(
                "key: both `secret_env` and `key_file` are set",
                Some("keep one of them (or neither, to use the keyring)".into()),
            ));
        }
        (Some(var), None) => match std::env::var_os(var) {
            Some(v) if !v.is_empty() => (
                format!("`{var}`"),
                v.into_encoded_bytes(), // raw bytes: an HMAC secret need not be UTF-8
            ),
            _ => {
                return Err(error::auth(
                    format!("the JWT signing key variable `{var}` is not set"),
                    Some(format!("export {var} before running claude")),
                ));
            }
        },
        (None, Some(path)) => match std::fs::read(path) {
            Ok(b) => (format!("`{}`", path.display()), b),
            Err(e) => {
                return Err(error::auth(
                    format!(
                        "could not read the JWT signing key `{}`: {e}",
                        path.display()
                    ),
                    Some("check `key.key_file` in the profile".into()),
                ));
            }
        },
        (None, None) => {
            let secret = keyring::jwt_signing_key_slot(name).read()?;
            ("the keyring".to_owned(), secret.into_bytes())
        }
    };
    let parsed = match alg.family() {
        jsonwebtoken::AlgorithmFamily::Hmac => Ok(EncodingKey::from_secret(&bytes)),
        jsonwebtoken::AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(&bytes),
        jsonwebtoken::AlgorithmFamily::Ec => EncodingKey::from_ec_pem(&bytes),
        jsonwebtoken::AlgorithmFamily::Ed => EncodingKey::from_ed_pem(&bytes),
    };
    // jsonwebtoken's errors here are bare variant names (`InvalidKeyFormat`): say it plainly.
    parsed.map_err(|_| {
        error::config(
            format!("the JWT signing key from {origin} is not usable for {alg:?}"),
            Some(pem_hint(alg).into()),
        )
    })
}

/// A signing failure: the key parsed but does not fit the algorithm (a P-384 key for ES256).
fn key_error(alg: Algorithm, e: &jsonwebtoken::errors::Error) -> anyhow::Error {
    let what = match e.kind() {
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
            format!("the signing key does not fit {alg:?}")
        }
        _ => format!("could not sign the JWT with {alg:?}: {e}"),
    };
    error::config(what, Some(pem_hint(alg).into()))
}

fn pem_hint(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => "HS* take any secret bytes",
        Algorithm::ES256 => {
            "ES256 needs a P-256 private key in PKCS#8 PEM (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`; convert an `EC PRIVATE KEY` with `openssl pkcs8 -topk8 -nocrypt`)"
        }
        Algorithm::ES384 => {
            "ES384 needs a P-384 private key in PKCS#8 PEM (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`; convert an `EC PRIVATE KEY` with `openssl pkcs8 -topk8 -nocrypt`)"
        }
        Algorithm::EdDSA => {
            "EdDSA needs an Ed25519 private key in PKCS#8 PEM (`openssl genpkey -algorithm ed25519`)"
        }
        _ => {
            "RS*/PS* need an RSA private key PEM of at least 2048 bits (`openssl genpkey -algorithm RSA`)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> JwtSource {
        JwtSource {
            algorithm: "HS256".into(),
            ..Default::default()
        }
    }

    fn vars(env: &dyn Fn(&str) -> Option<String>) -> TemplateVars<'_> {
        TemplateVars {
            profile: "work".into(),
            user: Some("ada".into()),
            host: Some("box1".into()),
            env,
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn msg(e: anyhow::Error) -> (String, u8) {
        let code = e.downcast_ref::<error::Failure>().map_or(1, |f| f.code);
        (format!("{e:#}"), code)
    }

    #[test]
    fn always_sets_iat_exp_jti_in_order() {
        let mut s = src();
        s.issuer = Some("ccgw".into());
        s.audience = Some("litellm".into());
        s.subject = Some("{user}@{host}".into());
        let c = build_claims(&s, &vars(&no_env), 1000, Duration::from_secs(3600), "ab").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"iss":"ccgw","sub":"ada@box1","aud":"litellm","iat":1000,"exp":4600,"jti":"ab"}"#
        );
    }

    #[test]
    fn templates_apply_recursively_to_strings_only() {
        let mut s = src();
        let env = |v: &str| (v == "TEAM").then(|| "platform".to_owned());
        s.claims.insert(
            "ctx".into(),
            serde_json::json!({"who": "{user}", "list": ["{profile}", 7, "{env:TEAM}"], "{user}": true}),
        );
        let c = build_claims(&s, &vars(&env), 0, Duration::from_secs(60), "x").unwrap();
        assert_eq!(
            c["ctx"],
            serde_json::json!({"who": "ada", "list": ["work", 7, "platform"], "{user}": true})
        );
    }

    #[test]
    fn unset_env_template_is_a_config_error_naming_the_var() {
        let mut s = src();
        s.claims.insert("team".into(), "{env:CCGW_NOPE}".into());
        let (m, code) =
            msg(build_claims(&s, &vars(&no_env), 0, Duration::from_secs(60), "x").unwrap_err());
        assert_eq!(code, 2);
        assert!(m.contains("`CCGW_NOPE` is not set"), "{m}");
    }

    #[test]
    fn braces_escape_and_typos_fail() {
        let v = vars(&no_env);
        assert_eq!(
            expand("{{literal}} {profile}", &v).unwrap(),
            "{literal} work"
        );
        assert_eq!(expand("plain", &v).unwrap(), "plain");
        for bad in ["{usr}", "{env:}", "a{b", "a}b"] {
            let (m, code) = msg(expand(bad, &v).unwrap_err());
            assert_eq!(code, 2, "{bad}");
            assert!(m.contains(bad), "{m}");
        }
    }

    #[test]
    fn missing_user_is_named() {
        let mut v = vars(&no_env);
        v.user = None;
        let (m, code) = msg(expand("{user}", &v).unwrap_err());
        assert_eq!(code, 2);
        assert!(m.contains("login name"), "{m}");
    }

    #[test]
    fn reserved_and_duplicate_claims_are_refused() {
        let mut s = src();
        s.claims.insert("exp".into(), 1.into());
        let (m, _) =
            msg(build_claims(&s, &vars(&no_env), 0, Duration::from_secs(60), "x").unwrap_err());
        assert!(m.contains("key.claims.exp"), "{m}");
        let mut s = src();
        s.subject = Some("a".into());
        s.claims.insert("sub".into(), "b".into());
        let (m, _) =
            msg(build_claims(&s, &vars(&no_env), 0, Duration::from_secs(60), "x").unwrap_err());
        assert!(m.contains("key.subject"), "{m}");
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(algorithm("hs512").unwrap(), Algorithm::HS512);
        assert_eq!(algorithm("EdDSA").unwrap(), Algorithm::EdDSA);
        assert_eq!(algorithm("eddsa").unwrap(), Algorithm::EdDSA);
        let (m, code) = msg(algorithm("none").unwrap_err());
        assert_eq!(code, 2);
        assert!(m.contains("unknown JWT algorithm `none`"), "{m}");
    }

    /// The rule's list is exactly what ccgw can sign with: each name parses, in any case.
    #[test]
    fn every_listed_algorithm_signs() {
        for name in config::rules::JWT_ALGORITHMS {
            let alg = algorithm(name).unwrap();
            assert_eq!(format!("{alg:?}"), name);
            assert_eq!(algorithm(&name.to_ascii_lowercase()).unwrap(), alg);
        }
        assert_eq!(config::rules::jwt_algorithm("rs384"), Ok("RS384"));
        for bad in ["none", "ES512", "HS256 ", ""] {
            let b = config::rules::jwt_algorithm(bad).unwrap_err();
            assert!(b.message.starts_with("unknown JWT algorithm"), "{bad:?}");
            assert!(b.hint.unwrap().contains("HS256 HS384"), "{bad:?}");
        }
    }

    /// A bad algorithm is a config error when the file loads, naming file, line and field,
    /// not when a token is first minted.
    #[test]
    fn a_bad_algorithm_fails_at_load() {
        let text = "[profiles.j]\ngateway = \"http://gw\"\n[profiles.j.key]\nsource = \"jwt\"\nalgorithm = \"none\"\nsecret_env = \"S\"\n";
        let (m, code) = msg(config::parse(std::path::Path::new("c.toml"), text).unwrap_err());
        assert_eq!(code, 2);
        assert_eq!(
            m,
            "c.toml:5: profiles.j.key.algorithm: unknown JWT algorithm `none`"
        );
        let ok = text.replace("\"none\"", "\"es256\"");
        assert!(config::parse(std::path::Path::new("c.toml"), &ok).is_ok());
    }

    #[test]
    fn jti_is_128_bit_hex_and_fresh() {
        let a = new_jti().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_jti().unwrap());
    }
}
