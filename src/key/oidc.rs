//! The `oidc` source: the token of an OpenID Connect sign-in (`ccgw login`), refreshed with
//! the refresh token the sign-in left in the OS keyring. `ccgw key` never prompts: without a
//! usable refresh token it is exit 4 and a hint to sign in again.
//!
//! The refresh runs inside `key::resolve`'s cache lock (this is a source like any other), so
//! concurrent `ccgw key`s at expiry make one refresh: a rotating refresh token used twice
//! signs the user out at most IdPs.

use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::config::{OidcFlow, OidcSource, OidcToken, Profile};
use crate::error;
use crate::key::keyring::{DEFAULT_SERVICE, Slot};
use crate::key::{Fetched, claims};
use crate::oidc::{self, Discovery, Idp, RefreshError, TokenSet};
use crate::transport;

/// A token is served until this long before its own `exp`: Claude Code (2.1.332) refuses a
/// JWT helper value with less than 30 s left and waits for a fresh run.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

const REFRESH_SUFFIX: &str = ":oidc-refresh-token";

/// Where the refresh token of profile `name` lives.
pub fn refresh_slot(name: &str, src: &OidcSource) -> Slot {
    slot(src, format!("{name}{REFRESH_SUFFIX}"))
}

fn slot(src: &OidcSource, account: String) -> Slot {
    Slot {
        service: src
            .service
            .clone()
            .unwrap_or_else(|| DEFAULT_SERVICE.into()),
        account,
        backend: src.backend,
    }
}

fn login_hint(name: &str) -> String {
    format!("run `ccgw login --profile {name}`")
}

/// The client secret of a confidential client, from the keyring.
fn client_secret(src: &OidcSource) -> Result<Option<String>> {
    src.client_secret_account
        .as_ref()
        .map(|account| slot(src, account.clone()).read())
        .transpose()
}

/// The IdP client and its discovery document.
pub async fn connect(src: &OidcSource) -> Result<(Idp<'_>, Discovery)> {
    let idp = Idp::new(src, client_secret(src)?)?;
    let discovery = idp.discover().await?;
    Ok((idp, discovery))
}

/// The key `tokens` give the gateway (the profile's `token`) and until when to serve it: the
/// earlier of the answer's `expires_in` and the token's own `exp`, less [`EXPIRY_MARGIN`].
pub fn key_of(name: &str, src: &OidcSource, tokens: &TokenSet, now: SystemTime) -> Result<Fetched> {
    let key = match src.token {
        OidcToken::AccessToken => tokens.access_token.clone(),
        OidcToken::IdToken => tokens.id_token.clone().ok_or_else(|| {
            error::auth(
                "the identity provider sent no ID token (profile `token = \"id_token\"`)",
                Some(login_hint(name)),
            )
        })?,
    };
    let by_answer = tokens.expires_in.map(|s| now + Duration::from_secs(s));
    let by_claim = claims::peek(&key).and_then(|c| c.expires_at());
    let until = match (by_answer, by_claim) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(Fetched {
        key,
        expires_at: until.map(|u| (u - EXPIRY_MARGIN).max(now)),
    })
}

/// Fetch: refresh with the keyring's refresh token, store a rotated one, serve the new token.
pub fn fetch(name: &str, src: &OidcSource) -> Result<Fetched> {
    let slot = refresh_slot(name, src);
    let refresh_token = slot.read_if_any()?.ok_or_else(|| signed_out(name))?;
    let rt = transport::runtime()?;
    let tokens = rt.block_on(async {
        let (idp, d) = connect(src).await?;
        match idp.refresh(&d, &refresh_token).await {
            Ok(t) => Ok(t),
            Err(RefreshError::Rejected(e)) => Err(error::auth(
                format!(
                    "the identity provider no longer accepts the sign-in of profile `{name}`: {e}"
                ),
                Some(login_hint(name)),
            )),
            Err(RefreshError::Other(e)) => Err(error::auth(format!("{e:#}"), None)),
        }
    })?;
    if let Some(rotated) = tokens
        .refresh_token
        .as_deref()
        .filter(|r| *r != refresh_token)
    {
        // Stored before the new token is served: the old one is spent at a rotating IdP.
        slot.store(rotated)?;
    }
    key_of(name, src, &tokens, SystemTime::now())
}

/// No refresh token: exit 4 and the hint to sign in.
fn signed_out(name: &str) -> anyhow::Error {
    error::auth(
        format!("profile `{name}` is not signed in (no refresh token in the keyring)"),
        Some(login_hint(name)),
    )
}

/// Whether a refresh token for profile `name` is held (doctor: yes or no, never the token).
pub fn signed_in(name: &str, src: &OidcSource) -> Result<bool> {
    Ok(refresh_slot(name, src).read_if_any()?.is_some())
}

/// What `ccgw login` tells the user: who the tokens say signed in.
pub fn who(tokens: &TokenSet) -> Option<String> {
    [
        tokens.id_token.as_deref(),
        Some(tokens.access_token.as_str()),
    ]
    .into_iter()
    .flatten()
    .find_map(|t| claims::peek(t).and_then(|c| c.who().map(str::to_owned)))
}

/// Keep the refresh token of a sign-in in the keyring.
pub fn keep_refresh_token(name: &str, src: &OidcSource, tokens: &TokenSet) -> Result<()> {
    let Some(refresh) = tokens.refresh_token.as_deref() else {
        return Err(error::auth(
            "the identity provider sent no refresh token, so `ccgw key` could not renew the sign-in",
            Some("ask for the `offline_access` scope (the default) and check the client may use the refresh_token grant".into()),
        ));
    };
    refresh_slot(name, src).store(refresh)
}

/// Revoke the refresh token of profile `name` at the IdP (when it can revoke) and delete it
/// from the keyring. Says what was done; a failed revocation still deletes.
pub fn sign_out(name: &str, src: &OidcSource) -> Result<SignOut> {
    let slot = refresh_slot(name, src);
    let token = slot.read_if_any()?;
    let revoked = match &token {
        None => Ok(false),
        Some(t) => transport::runtime()?.block_on(async {
            let (idp, d) = connect(src).await?;
            idp.revoke(&d, t).await
        }),
    };
    let deleted = slot.delete()?;
    Ok(SignOut { revoked, deleted })
}

/// What `sign_out` did.
pub struct SignOut {
    /// Revoked at the IdP (`Ok(false)`: nothing to revoke or no revocation endpoint).
    pub revoked: Result<bool>,
    pub deleted: bool,
}

/// The profile's source, when it is `oidc`.
pub fn source(profile: &Profile) -> Option<&OidcSource> {
    match &profile.key {
        crate::config::KeySource::Oidc(o) => Some(o),
        _ => None,
    }
}

/// Sign profile `name` in: run its flow (`show_code` tells the user the device code, `open`
/// sends them to a URL), keep the refresh token in the keyring and the token in the cache.
/// Returns who signed in, as the tokens say.
pub fn sign_in(
    name: &str,
    profile: &Profile,
    config: &std::path::Path,
    show_code: impl FnOnce(&oidc::proto::DeviceStart),
    open: impl FnOnce(&str),
) -> Result<Option<String>> {
    let Some(src) = source(profile) else {
        return Err(error::config(
            format!(
                "profile `{name}` does not sign in: its key source is `{}`",
                profile.key.kind()
            ),
            Some("`ccgw login` is for profiles with `source = \"oidc\"`".into()),
        ));
    };
    let tokens = transport::runtime()?.block_on(async {
        let (idp, d) = connect(src).await?;
        match src.flow {
            OidcFlow::Device => idp.device_login(&d, show_code).await,
            OidcFlow::Browser => idp.browser_login(&d, open).await,
        }
    })?;
    let fetched = key_of(name, src, &tokens, SystemTime::now())?;
    crate::key::check_key(&fetched.key, "oidc")?;
    crate::key::with_entry_lock(name, profile, config, || {
        keep_refresh_token(name, src, &tokens)?;
        crate::key::seed(name, profile, config, fetched);
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(who(&tokens))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(token: OidcToken) -> OidcSource {
        OidcSource {
            issuer: "https://idp.example.com".into(),
            client_id: "cli".into(),
            token,
            ..Default::default()
        }
    }

    fn jwt(exp: u64) -> String {
        let b = |s: &str| oidc::proto::base64url(s.as_bytes());
        format!(
            "{}.{}.c2ln",
            b(r#"{"alg":"RS256"}"#),
            b(&format!(r#"{{"sub":"u1","exp":{exp}}}"#))
        )
    }

    #[test]
    fn a_token_is_served_until_a_minute_before_its_earliest_expiry() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let tokens = TokenSet {
            access_token: jwt(1_000_300),
            id_token: None,
            refresh_token: None,
            expires_in: Some(600),
        };
        let f = key_of("p", &src(OidcToken::AccessToken), &tokens, now).unwrap();
        assert_eq!(
            f.expires_at,
            Some(now + Duration::from_secs(240)),
            "exp wins over expires_in"
        );
        let opaque = TokenSet {
            access_token: "opaque".into(),
            ..tokens.clone()
        };
        let f = key_of("p", &src(OidcToken::AccessToken), &opaque, now).unwrap();
        assert_eq!(f.expires_at, Some(now + Duration::from_secs(540)));
        let short = TokenSet {
            access_token: jwt(1_000_030),
            expires_in: None,
            ..tokens.clone()
        };
        let f = key_of("p", &src(OidcToken::AccessToken), &short, now).unwrap();
        assert_eq!(
            f.expires_at,
            Some(now),
            "a token with under a minute left is not cached"
        );
        let err = key_of("p", &src(OidcToken::IdToken), &tokens, now).unwrap_err();
        assert!(err.to_string().contains("no ID token"));
        let with_id = TokenSet {
            id_token: Some(jwt(1_000_600)),
            ..tokens
        };
        let f = key_of("p", &src(OidcToken::IdToken), &with_id, now).unwrap();
        assert_eq!(f.key, jwt(1_000_600));
        assert_eq!(who(&with_id).as_deref(), Some("u1"));
    }

    #[test]
    fn the_refresh_token_has_its_own_account() {
        let s = refresh_slot("work", &src(OidcToken::AccessToken));
        assert_eq!(s.service, "ccgw");
        assert_eq!(s.account, "work:oidc-refresh-token");
    }
}
