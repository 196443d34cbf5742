//! The `keyring` source: the OS keyring (Keychain, Credential Manager, Secret Service, keyutils).

use anyhow::Result;

use crate::config::KeyringSource;
use crate::key::Fetched;

/// Read the gateway key of profile `name` from the keyring.
pub fn read(_name: &str, _src: &KeyringSource) -> Result<Fetched> {
    anyhow::bail!("the keyring key source is not implemented yet")
}
