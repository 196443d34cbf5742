//! `ccgw secret set | delete`: put a profile's secret into the OS keyring, or take it out.
//!
//! The secret comes from stdin, never argv (`secret_input`: a pipe or file whole, one trailing
//! newline dropped; a terminal one hidden line); pipe a PEM in instead of typing it.

use anyhow::Result;

use crate::cli::SecretCommand;
use crate::cmd::Ctx;
use crate::config::{KeySource, Profile};
use crate::error;
use crate::key::keyring::{self, Slot};
use crate::secret_input;

pub fn run(ctx: &Ctx, cmd: SecretCommand) -> Result<()> {
    let sel = ctx.select()?;
    let name = sel.name.as_str();
    match cmd {
        SecretCommand::Set { jwt_signing_key } => {
            let (slot, what) = slot(name, sel.profile(), jwt_signing_key, true)?;
            let secret = secret_input::read(
                &what,
                "pipe it in: `printf %s \"$KEY\" | ccgw secret set`, or `ccgw secret set < file`",
            )?;
            if matches!(sel.profile().key, KeySource::Keyring(_)) {
                secret_input::gateway_key(&secret.0).map_err(|e| {
                    error::config(
                        e,
                        Some(
                            "check what you piped in; only one trailing newline is removed".into(),
                        ),
                    )
                })?;
            }
            slot.store(&secret.0)?;
            eprintln!("stored the {what} of profile `{name}` in the keyring ({slot})");
        }
        SecretCommand::Delete { jwt_signing_key } => {
            let (slot, what) = slot(name, sel.profile(), jwt_signing_key, false)?;
            if slot.delete()? {
                eprintln!("deleted the {what} of profile `{name}` from the keyring ({slot})");
            } else {
                eprintln!("no {what} of profile `{name}` was in the keyring ({slot})");
            }
        }
    }
    Ok(())
}

/// Where the profile keeps the secret `set`/`delete` acts on, and what to call it.
fn slot(name: &str, profile: &Profile, jwt: bool, setting: bool) -> Result<(Slot, String)> {
    match (&profile.key, jwt) {
        (KeySource::Keyring(src), false) => {
            Ok((Slot::for_source(name, src), "gateway key".to_owned()))
        }
        (KeySource::Jwt(src), true) => {
            let other = match (&src.secret_env, &src.key_file) {
                (Some(v), _) => Some(format!("`secret_env = \"{v}\"`")),
                (None, Some(p)) => Some(format!("`key_file = \"{}\"`", p.display())),
                (None, None) => None,
            };
            // A key stored but never read would be a trap; deleting one is always fine.
            if let (Some(other), true) = (other, setting) {
                return Err(error::config(
                    format!(
                        "profile `{name}` takes its JWT signing key from {other}, not the keyring"
                    ),
                    Some("remove that line from the profile's key to use the keyring".into()),
                ));
            }
            Ok((
                keyring::jwt_signing_key_slot(name),
                "JWT signing key".to_owned(),
            ))
        }
        (KeySource::Vault(src), false) => match keyring::vault_credential_slot(name, src.auth) {
            Some((slot, what)) => Ok((slot, what.to_owned())),
            None => Err(error::config(
                format!(
                    "profile `{name}` logs in to Vault with a token file; it has no secret to store"
                ),
                Some("the `jwt_file` of the profile's [key] holds its login token".into()),
            )),
        },
        (KeySource::Jwt(_), false) => Err(error::config(
            format!("profile `{name}` mints JWTs; it has no gateway key to store"),
            Some("pass --jwt-signing-key to store the key that signs them".into()),
        )),
        (other, _) => Err(error::config(
            format!(
                "profile `{name}` takes its key from `{}`, not the keyring",
                other.kind()
            ),
            Some(format!(
                "set `source = \"{}\"` in [profiles.{name}.key] first",
                if jwt { "jwt" } else { "keyring" }
            )),
        )),
    }
}
