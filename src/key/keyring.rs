//! The `keyring` source: the OS keyring (Keychain, Credential Manager, Secret Service, keyutils).
//!
//! A secret lives under a (service, account) pair: service `ccgw` and account the profile name
//! unless the profile says otherwise; the JWT signing key of profile `p` under account
//! `p:jwt-signing-key`. On Linux the default backend is the Secret Service (D-Bus; the items
//! carry the attributes `service` and `username`, so `secret-tool lookup service ccgw username
//! work` finds them); the kernel keyring (keyutils) is used only when the profile sets
//! `backend = "keyutils"`. When the keyring cannot be reached the error names the fix; ccgw never
//! falls back to a plaintext file.

use anyhow::Result;

use crate::config::{KeyringBackend, KeyringSource};
use crate::error;
use crate::key::Fetched;

/// The keyring service every ccgw secret uses unless the profile names another.
pub const DEFAULT_SERVICE: &str = "ccgw";

/// One secret's place in the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub service: String,
    pub account: String,
    pub backend: KeyringBackend,
}

impl Slot {
    /// The gateway key of profile `name`.
    pub fn for_source(name: &str, src: &KeyringSource) -> Self {
        Self {
            service: src
                .service
                .clone()
                .unwrap_or_else(|| DEFAULT_SERVICE.into()),
            account: src.account.clone().unwrap_or_else(|| name.into()),
            backend: src.backend,
        }
    }

    /// The secret exactly as stored; missing or blank is exit 4.
    pub fn read(&self) -> Result<String> {
        self.read_or(self.set_hint())
    }

    fn read_or(&self, missing_hint: String) -> Result<String> {
        match self.entry()?.get_password() {
            Ok(s) if !s.trim().is_empty() => Ok(s),
            Ok(_) | Err(keyring::Error::NoEntry) => Err(error::auth(
                format!("no secret in the keyring for {self}"),
                Some(missing_hint),
            )),
            Err(e) => Err(self.unreachable(&e)),
        }
    }

    /// Store `secret`, replacing any previous one.
    pub fn store(&self, secret: &str) -> Result<()> {
        self.entry()?
            .set_password(secret)
            .map_err(|e| self.unreachable(&e))
    }

    /// Delete the secret; `Ok(false)` when there was none.
    pub fn delete(&self) -> Result<bool> {
        match self.entry()?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.unreachable(&e)),
        }
    }

    fn entry(&self) -> Result<keyring::Entry> {
        let entry = match self.backend {
            KeyringBackend::Default => keyring::Entry::new(&self.service, &self.account),
            KeyringBackend::Keyutils => keyutils_entry(&self.service, &self.account)?,
        };
        entry.map_err(|e| self.unreachable(&e))
    }

    fn set_hint(&self) -> String {
        let flag = if self.account.ends_with(JWT_SUFFIX) {
            " --jwt-signing-key"
        } else {
            ""
        };
        format!("store it with `ccgw secret set{flag}` (the secret is read from stdin)")
    }

    /// The keyring could not be used at all: say why and how to fix it (exit 4).
    fn unreachable(&self, e: &keyring::Error) -> anyhow::Error {
        let detail = one_line(e);
        let hint = match self.backend {
            KeyringBackend::Keyutils => {
                "the kernel keyring must be available to this user (`keyctl show @s`)".to_owned()
            }
            KeyringBackend::Default if cfg!(target_os = "linux") => {
                let locked = matches!(e, keyring::Error::NoStorageAccess(_));
                let first = if locked {
                    "unlock the login keyring (e.g. `gnome-keyring-daemon --unlock`)"
                } else {
                    "start a Secret Service (gnome-keyring or KeePassXC) on the session D-Bus"
                };
                format!(
                    "{first}, or set `backend = \"keyutils\"` in the profile's key for the kernel keyring, or use another key source"
                )
            }
            KeyringBackend::Default => "unlock the OS keyring, or use another key source".into(),
        };
        error::auth(
            format!(
                "the {} keyring is not usable for {self}: {detail}",
                self.backend_name()
            ),
            Some(hint),
        )
    }

    fn backend_name(&self) -> &'static str {
        match self.backend {
            KeyringBackend::Keyutils => "kernel (keyutils)",
            KeyringBackend::Default if cfg!(target_os = "linux") => "Secret Service",
            KeyringBackend::Default => "OS",
        }
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "service `{}` account `{}`", self.service, self.account)
    }
}

const JWT_SUFFIX: &str = ":jwt-signing-key";

/// Where `ccgw secret set --jwt-signing-key` keeps profile `name`'s JWT signing key.
pub fn jwt_signing_key_slot(name: &str) -> Slot {
    Slot {
        service: DEFAULT_SERVICE.into(),
        account: format!("{name}{JWT_SUFFIX}"),
        backend: KeyringBackend::Default,
    }
}

#[cfg(target_os = "linux")]
fn keyutils_entry(service: &str, account: &str) -> Result<keyring::Result<keyring::Entry>> {
    Ok(
        keyring::keyutils::KeyutilsCredential::new_with_target(None, service, account)
            .map(|c| keyring::Entry::new_with_credential(Box::new(c))),
    )
}

#[cfg(not(target_os = "linux"))]
fn keyutils_entry(_service: &str, _account: &str) -> Result<keyring::Result<keyring::Entry>> {
    Err(error::config(
        "key.backend: `keyutils` (the Linux kernel keyring) exists only on Linux",
        Some("remove `backend` to use this system's keyring".into()),
    ))
}

/// The platform's errors can span lines (D-Bus messages); Claude Code shows one line best.
fn one_line(e: &keyring::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s = format!("{s}: {t}");
        }
        src = inner.source();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Read the gateway key of profile `name` from the keyring.
pub fn read(name: &str, src: &KeyringSource) -> Result<Fetched> {
    Ok(Fetched {
        key: Slot::for_source(name, src).read()?.trim().to_owned(),
        expires_at: None,
    })
}

/// Read any secret by service and account: for other sources' keyring fallbacks (a Vault
/// token, an AppRole secret id, a userpass password), trimmed. Missing is exit 4 with a hint
/// naming the service and account.
#[allow(dead_code)] // for the vault source's token/approle/userpass fallbacks
pub fn read_named(service: &str, account: &str, backend: KeyringBackend) -> Result<String> {
    let slot = Slot {
        service: service.into(),
        account: account.into(),
        backend,
    };
    let hint = format!("store it in the keyring under {slot}");
    Ok(slot.read_or(hint)?.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_ccgw_and_the_profile() {
        let s = Slot::for_source("work", &KeyringSource::default());
        assert_eq!(s.service, "ccgw");
        assert_eq!(s.account, "work");
        assert_eq!(s.backend, KeyringBackend::Default);
        let custom = KeyringSource {
            service: Some("corp".into()),
            account: Some("me".into()),
            backend: KeyringBackend::Keyutils,
        };
        let s = Slot::for_source("work", &custom);
        assert_eq!((s.service.as_str(), s.account.as_str()), ("corp", "me"));
    }

    #[test]
    fn jwt_slot_and_hint() {
        let s = jwt_signing_key_slot("work");
        assert_eq!(s.account, "work:jwt-signing-key");
        assert!(s.set_hint().contains("--jwt-signing-key"));
        assert!(
            !Slot::for_source("work", &KeyringSource::default())
                .set_hint()
                .contains("--jwt")
        );
    }
}
