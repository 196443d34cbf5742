//! `ccgw secret set | delete`: put a profile's secret into the OS keyring, or take it out.
//!
//! The secret comes from stdin, never argv (argv is visible to every user via `ps`). From a
//! pipe or file, everything is read and one trailing newline dropped, so `printf` and `echo`
//! both work and a PEM keeps its inner lines. From a terminal, one line is read without echo
//! (inquire's password prompt, on stderr); pipe a PEM in instead of typing it.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result};

use crate::cli::SecretCommand;
use crate::cmd::Ctx;
use crate::config::{KeySource, Profile};
use crate::error;
use crate::key::keyring::{self, Slot};

/// Far above any key or PEM; stops `ccgw secret set < /dev/zero` from eating memory.
const MAX_SECRET: u64 = 1 << 20;

pub fn run(ctx: &Ctx, cmd: SecretCommand) -> Result<()> {
    let sel = ctx.select()?;
    let name = sel.name.as_str();
    match cmd {
        SecretCommand::Set { jwt_signing_key } => {
            let (slot, what) = slot(name, sel.profile(), jwt_signing_key, true)?;
            let secret = read_secret(&what)?;
            if matches!(sel.profile().key, KeySource::Keyring(_)) {
                check_gateway_key(&secret)?;
            }
            slot.store(&secret)?;
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

/// The secret from stdin (see the module doc); empty is refused.
fn read_secret(what: &str) -> Result<String> {
    let stdin = std::io::stdin();
    let secret = if stdin.is_terminal() {
        inquire::Password::new(&format!("{what}:"))
            .without_confirmation()
            .prompt()
            .map_err(|e| error::config(format!("no {what} entered: {e}"), None))?
    } else {
        read_piped(what)?
    };
    if secret.trim().is_empty() {
        return Err(error::config(
            format!("the {what} on stdin is empty"),
            Some(
                "pipe it in: `printf %s \"$KEY\" | ccgw secret set`, or `ccgw secret set < file`"
                    .into(),
            ),
        ));
    }
    Ok(secret)
}

/// All of stdin (a pipe or a file), at most 1 MiB of UTF-8, with one trailing newline dropped
/// so that `printf` and `echo` both work and a PEM keeps its inner lines. Shared with `init`.
pub fn read_piped(what: &str) -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_SECRET + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("could not read the {what} from stdin"))?;
    if bytes.len() as u64 > MAX_SECRET {
        return Err(error::config(
            format!("the {what} on stdin is larger than 1 MiB"),
            None,
        ));
    }
    let mut s = String::from_utf8(bytes)
        .map_err(|_| error::config(format!("the {what} on stdin is not UTF-8"), None))?;
    strip_one_newline(&mut s);
    Ok(s)
}

fn strip_one_newline(s: &mut String) {
    if s.ends_with("\r\n") {
        s.truncate(s.len() - 2);
    } else if s.ends_with('\n') {
        s.pop();
    }
}

/// Claude Code accepts a helper's output only as one printable-ASCII token: refuse anything
/// else now rather than at the first request.
fn check_gateway_key(key: &str) -> Result<()> {
    if key.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(());
    }
    Err(error::config(
        "the gateway key must be one token of printable ASCII (no spaces, newlines or other characters)",
        Some("check what you piped in; only one trailing newline is removed".into()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_exactly_one_newline() {
        for (input, want) in [
            ("k\n", "k"),
            ("k\r\n", "k"),
            ("k\n\n", "k\n"),
            ("k", "k"),
            ("a\nb\n", "a\nb"),
        ] {
            let mut s = input.to_owned();
            strip_one_newline(&mut s);
            assert_eq!(s, want, "{input:?}");
        }
    }

    #[test]
    fn gateway_key_must_be_one_printable_token() {
        assert!(check_gateway_key("sk-abc_123").is_ok());
        for bad in ["sk abc", "sk\nabc", "sk-é"] {
            assert!(check_gateway_key(bad).is_err(), "{bad:?}");
        }
    }
}
