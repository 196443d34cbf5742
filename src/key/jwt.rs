//! The `jwt` source: mint a short-lived, signed JWT locally.

use anyhow::Result;

use crate::config::{JwtSource, Profile};
use crate::key::Fetched;

/// Mint a token for profile `name`.
pub fn mint(_name: &str, _profile: &Profile, _src: &JwtSource) -> Result<Fetched> {
    anyhow::bail!("the jwt key source is not implemented yet")
}
