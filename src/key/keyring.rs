//! The `keyring` source: the OS keyring (Keychain, Credential Manager, Secret Service, keyutils).
//!
//! A secret lives under a (service, account) pair: service `ccgw` and account the profile name
//! unless the profile says otherwise; the JWT signing key of profile `p` under account
//! `p:jwt-signing-key`.
//!
//! Backends: the platform's keyring through the `keyring` crate (on Linux the Secret Service
//! over D-Bus; its items carry the attributes `service` and `username`, so `secret-tool lookup
//! service ccgw username work` finds them), or, only when the profile sets
//! `backend = "keyutils"`, the Linux kernel keyring: a `user` key described
//! `keyring-rs:<account>@<service>` in the user keyring (`@u`), readable by every process of
//! the user, gone at reboot. When a keyring cannot be used the error names the fix; ccgw never
//! falls back to a plaintext file.

use std::time::Duration;

use anyhow::Result;

use crate::config::{KeyringBackend, KeyringSource, VaultAuth};
use crate::error;
use crate::key::Fetched;

/// The keyring service every ccgw secret uses unless the profile names another.
pub const DEFAULT_SERVICE: &str = "ccgw";

const JWT_SUFFIX: &str = ":jwt-signing-key";

/// How long one call to the Secret Service may take (as long as a Vault request): a bus that
/// accepts the connection and never answers would otherwise hang `ccgw key`, holding the cache
/// lock every other `claude` process waits for. An unlock prompt must be answered within it.
pub const SECRET_SERVICE_TIMEOUT: Duration = Duration::from_secs(10);

/// One secret's place in the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub service: String,
    pub account: String,
    pub backend: KeyringBackend,
}

/// Why a backend operation failed, before it becomes a message.
enum StoreError {
    /// No such secret.
    Missing,
    /// The keyring itself is unreachable, locked or refused: `locked` picks the hint.
    Unusable { detail: String, locked: bool },
    /// The Secret Service took the call and gave no answer within `SECRET_SERVICE_TIMEOUT`.
    NoAnswer,
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
        match self.get() {
            Ok(s) if !s.trim().is_empty() => Ok(s),
            Ok(_) | Err(StoreError::Missing) => Err(error::auth(
                format!("no secret in the keyring for {self}"),
                Some(missing_hint),
            )),
            Err(e) => Err(self.unusable(e)),
        }
    }

    /// The secret, or `None` when there is none (missing or blank); an unusable keyring is
    /// still an error.
    pub fn read_if_any(&self) -> Result<Option<String>> {
        match self.get() {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s)),
            Ok(_) | Err(StoreError::Missing) => Ok(None),
            Err(e) => Err(self.unusable(e)),
        }
    }

    /// Store `secret`, replacing any previous one.
    pub fn store(&self, secret: &str) -> Result<()> {
        self.set(secret).map_err(|e| self.unusable(e))
    }

    /// Delete the secret; `Ok(false)` when there was none.
    pub fn delete(&self) -> Result<bool> {
        match self.remove() {
            Ok(()) => Ok(true),
            Err(StoreError::Missing) => Ok(false),
            Err(e) => Err(self.unusable(e)),
        }
    }

    fn get(&self) -> Result<String, StoreError> {
        match self.backend {
            KeyringBackend::Default => self.os_call(|e| e.get_password()),
            KeyringBackend::Keyutils => kernel::get(&self.kernel_description()),
        }
    }

    fn set(&self, secret: &str) -> Result<(), StoreError> {
        match self.backend {
            KeyringBackend::Default => {
                let secret = secret.to_owned();
                self.os_call(move |e| e.set_password(&secret))
            }
            KeyringBackend::Keyutils => kernel::set(&self.kernel_description(), secret),
        }
    }

    fn remove(&self) -> Result<(), StoreError> {
        match self.backend {
            KeyringBackend::Default => self.os_call(|e| e.delete_credential()),
            KeyringBackend::Keyutils => kernel::remove(&self.kernel_description()),
        }
    }

    /// One call to the platform keyring. On Linux (the Secret Service over D-Bus, which blocks
    /// without a limit on a bus that never answers) it runs on a thread of its own and is given
    /// up after `SECRET_SERVICE_TIMEOUT`; the thread is left to the process's exit. Elsewhere the
    /// OS may show the user a prompt, which takes as long as the user does.
    fn os_call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (service, account) = (self.service.clone(), self.account.clone());
        let run = move || {
            let entry = keyring::Entry::new(&service, &account).map_err(os_error)?;
            call(&entry).map_err(os_error)
        };
        if !cfg!(target_os = "linux") {
            return run();
        }
        with_deadline(SECRET_SERVICE_TIMEOUT, run)
    }

    /// The same description the `keyring` crate's keyutils store uses, so `keyctl` users and
    /// other keyring-rs programs recognise it.
    fn kernel_description(&self) -> String {
        format!("keyring-rs:{}@{}", self.account, self.service)
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
    fn unusable(&self, e: StoreError) -> anyhow::Error {
        let (detail, locked) = match e {
            StoreError::Missing => ("no such entry".to_owned(), false),
            StoreError::Unusable { detail, locked } => (detail, locked),
            StoreError::NoAnswer => {
                return error::auth(
                    format!(
                        "the Secret Service did not answer within {}s for {self}",
                        SECRET_SERVICE_TIMEOUT.as_secs()
                    ),
                    Some(
                        "the session D-Bus (DBUS_SESSION_BUS_ADDRESS) took the call but nothing answered: restart the Secret Service (gnome-keyring-daemon, KeePassXC) or log in again; or set `backend = \"keyutils\"` in the profile's key, or use another key source".into(),
                    ),
                );
            }
        };
        let (backend, hint) = match self.backend {
            KeyringBackend::Keyutils => (
                "kernel (keyutils)",
                "check that this user may use the kernel keyring (`keyctl show @u`), or use another key source".to_owned(),
            ),
            KeyringBackend::Default if cfg!(target_os = "linux") => {
                let first = if locked {
                    "unlock the login keyring (`gnome-keyring-daemon --unlock`, or log in to the desktop)"
                } else {
                    "start a Secret Service (gnome-keyring, KeePassXC) on the session D-Bus"
                };
                let instead = if self.account.ends_with(JWT_SUFFIX) {
                    "or set `secret_env` or `key_file` in the profile's key instead"
                } else {
                    "or set `backend = \"keyutils\"` in the profile's key to use the kernel keyring; or use another key source"
                };
                ("Secret Service", format!("{first}; {instead}"))
            }
            KeyringBackend::Default => (
                "OS",
                "unlock the OS keyring, or use another key source".to_owned(),
            ),
        };
        error::auth(
            format!("the {backend} keyring is not usable for {self}: {detail}"),
            Some(hint),
        )
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "service `{}` account `{}`", self.service, self.account)
    }
}

/// `call`'s result, or `NoAnswer` when it takes longer than `limit` (it is then abandoned).
fn with_deadline<T: Send + 'static>(
    limit: Duration,
    call: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = tx.send(call());
        })
        .map_err(|e| StoreError::Unusable {
            detail: format!("could not start a thread: {e}"),
            locked: false,
        })?;
    rx.recv_timeout(limit).unwrap_or(Err(StoreError::NoAnswer))
}

fn os_error(e: keyring::Error) -> StoreError {
    match e {
        keyring::Error::NoEntry => StoreError::Missing,
        keyring::Error::NoStorageAccess(_) => StoreError::Unusable {
            detail: one_line(&e),
            locked: true,
        },
        _ => StoreError::Unusable {
            detail: one_line(&e),
            locked: false,
        },
    }
}

/// The platform's errors can span lines (D-Bus messages); Claude Code shows one line best.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s = format!("{s}: {t}");
        }
        src = inner.source();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Linux kernel keyring, through `linux-keyutils` directly: the `keyring` crate's keyutils
/// store also links every key into the persistent keyring and fails outright where that one is
/// not writable (containers, user namespaces: measured). Keys go into the user keyring so that
/// every login session of the user sees them, with user read/search permission so a process
/// that does not possess the user keyring (a fresh `keyctl session`) can still read them.
#[cfg(target_os = "linux")]
mod kernel {
    use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};

    use super::{StoreError, one_line};

    fn user_keyring() -> Result<KeyRing, StoreError> {
        KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(map)
    }

    fn map(e: KeyError) -> StoreError {
        match e {
            KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked => {
                StoreError::Missing
            }
            other => StoreError::Unusable {
                detail: one_line(&other),
                locked: false,
            },
        }
    }

    pub(super) fn get(description: &str) -> Result<String, StoreError> {
        let key = user_keyring()?.search(description).map_err(map)?;
        let bytes = key.read_to_vec().map_err(map)?;
        String::from_utf8(bytes).map_err(|_| StoreError::Unusable {
            detail: "the stored secret is not UTF-8".into(),
            locked: false,
        })
    }

    /// Create the key in this process's own keyring (so we possess it and may set its
    /// permissions even when the session does not link the user keyring), then link it into
    /// the user keyring, which displaces an older key of the same description.
    pub(super) fn set(description: &str, secret: &str) -> Result<(), StoreError> {
        let user = user_keyring()?;
        let process = KeyRing::from_special_id(KeyRingIdentifier::Process, true).map_err(map)?;
        let key = process.add_key(description, secret).map_err(map)?;
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::VIEW | Permission::READ | Permission::SEARCH)
            .build();
        key.set_perms(perms).map_err(map)?;
        user.link_key(key).map_err(map)?;
        process.unlink_key(key).map_err(map)
    }

    pub(super) fn remove(description: &str) -> Result<(), StoreError> {
        let key = user_keyring()?.search(description).map_err(map)?;
        key.invalidate().map_err(map)
    }
}

#[cfg(not(target_os = "linux"))]
mod kernel {
    use super::StoreError;

    fn unsupported<T>() -> Result<T, StoreError> {
        Err(StoreError::Unusable {
            detail: "`backend = \"keyutils\"` (the Linux kernel keyring) exists only on Linux"
                .into(),
            locked: false,
        })
    }

    pub(super) fn get(_: &str) -> Result<String, StoreError> {
        unsupported()
    }
    pub(super) fn set(_: &str, _: &str) -> Result<(), StoreError> {
        unsupported()
    }
    pub(super) fn remove(_: &str) -> Result<(), StoreError> {
        unsupported()
    }
}

/// Where `ccgw secret set --jwt-signing-key` keeps profile `name`'s JWT signing key (the
/// platform keyring: the jwt source has no `backend` field).
pub fn jwt_signing_key_slot(name: &str) -> Slot {
    Slot {
        service: DEFAULT_SERVICE.into(),
        account: format!("{name}{JWT_SUFFIX}"),
        backend: KeyringBackend::Default,
    }
}

/// Read the gateway key of profile `name` from the keyring (trimmed).
pub fn read(name: &str, src: &KeyringSource) -> Result<Fetched> {
    Ok(Fetched {
        key: Slot::for_source(name, src).read()?.trim().to_owned(),
        expires_at: None,
    })
}

/// Where `ccgw secret set` keeps the credential a Vault profile logs in with when no file or
/// variable provides it: a token (token auth), a secret id (AppRole) or a password (userpass).
/// Kubernetes and JWT logins read a token file and have no keyring slot.
pub fn vault_credential_slot(name: &str, auth: VaultAuth) -> Option<(Slot, &'static str)> {
    let (suffix, what) = match auth {
        VaultAuth::Token => (":vault-token", "Vault token"),
        VaultAuth::Approle => (":vault-secret-id", "AppRole secret id"),
        VaultAuth::Userpass => (":vault-password", "userpass password"),
        VaultAuth::Kubernetes | VaultAuth::Jwt => return None,
    };
    let slot = Slot {
        service: DEFAULT_SERVICE.into(),
        account: format!("{name}{suffix}"),
        backend: KeyringBackend::Default,
    };
    Some((slot, what))
}

/// Read a Vault profile's login credential from the keyring (see `vault_credential_slot`);
/// `why` says why the keyring is the last resort. Missing is exit 4 naming the fix.
pub fn read_vault_credential(name: &str, auth: VaultAuth, why: &str) -> Result<String> {
    let Some((slot, what)) = vault_credential_slot(name, auth) else {
        return Err(error::config(
            format!("vault auth has no keyring credential: {why}"),
            None,
        ));
    };
    let store = format!("store the {what} with `ccgw --profile {name} secret set` (reads stdin)");
    let hint = match auth {
        // Most people have a token from logging in, not in a keyring.
        VaultAuth::Token => format!(
            "log in with `vault login` or `bao login` (they write ~/.vault-token), export VAULT_TOKEN, or {store}"
        ),
        _ => store,
    };
    // Lead with why the keyring was the last resort: that is what the user can fix first.
    match slot.read_or(hint.clone()) {
        Ok(secret) => Ok(secret.trim().to_owned()),
        Err(e) => Err(error::auth(
            format!("no {what}: {why}, and the OS keyring has none ({e})"),
            Some(hint),
        )),
    }
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
        assert_eq!(s.kernel_description(), "keyring-rs:me@corp");
    }

    #[test]
    fn a_call_past_its_deadline_is_no_answer() {
        let slow = with_deadline(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(2));
            Ok(1)
        });
        assert!(matches!(slow, Err(StoreError::NoAnswer)));
        let quick = with_deadline(Duration::from_secs(5), || Ok(2));
        assert!(matches!(quick, Ok(2)));
    }

    #[test]
    fn jwt_slot_and_hint() {
        let s = jwt_signing_key_slot("work");
        assert_eq!(s.account, "work:jwt-signing-key");
        assert!(s.set_hint().contains("--jwt-signing-key"));
        let plain = Slot::for_source("work", &KeyringSource::default());
        assert!(!plain.set_hint().contains("--jwt"));
    }
}
