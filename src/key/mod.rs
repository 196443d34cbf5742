//! The key: sources (vault, keyring, jwt, command, env) and the shared TTL cache.
//!
//! `resolve` is the one entry point: cache first (a hit reads one small file: no async runtime,
//! no TLS, no network, no keyring), then the profile's source under a lock.

pub mod jwt;
pub mod keyring;

use std::time::SystemTime;

use anyhow::Result;

use crate::config::{KeySource, Profile};
use crate::error;

/// A key fresh from its source, with the expiry the source itself imposes (a JWT's `exp`, a
/// Vault lease), if any. The cache takes the earliest of this and the profile's `key_ttl`.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub key: String,
    pub expires_at: Option<SystemTime>,
}

/// Fetch straight from the profile's source (no cache).
pub fn fetch(name: &str, profile: &Profile) -> Result<Fetched> {
    match &profile.key {
        KeySource::Env(src) => match std::env::var(&src.var) {
            Ok(v) if !v.trim().is_empty() => Ok(Fetched {
                key: v.trim().to_owned(),
                expires_at: None,
            }),
            _ => Err(error::auth(
                format!("environment variable `{}` is not set", src.var),
                Some(format!("export {} before running claude", src.var)),
            )),
        },
        KeySource::Jwt(src) => jwt::mint(name, profile, src),
        KeySource::Keyring(src) => keyring::read(name, src),
        other => Err(error::auth(
            format!("key source `{}` is not implemented yet", other.kind()),
            None,
        )),
    }
}
