//! A secret typed or piped in by the user, on its way to the keyring (`ccgw secret set`,
//! `ccgw init`). Never argv: argv is visible to every user via `ps`.
//!
//! From a pipe or a file everything is read, at most [`MAX_SECRET`], and one trailing newline
//! dropped, so that `printf` and `echo` both work and a PEM keeps its inner lines. From a
//! terminal one line is read without echo (inquire's password prompt, on stderr).

use std::fmt;
use std::io::{IsTerminal, Read};

use anyhow::{Context, Result};

use crate::error;
use crate::key;

/// Far above any key or PEM; stops `ccgw secret set < /dev/zero` from eating memory.
pub const MAX_SECRET: u64 = 1 << 20;

/// A secret entered by the user. Never printed: `Debug` says only that it is there.
pub struct NewSecret(pub String);

impl fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewSecret(…)")
    }
}

/// The `what` (e.g. "gateway key") from stdin: a hidden prompt on a terminal, else all of the
/// pipe or file. Empty is refused, with `hint` saying how to pipe it in.
pub fn read(what: &str, hint: &str) -> Result<NewSecret> {
    let secret = if std::io::stdin().is_terminal() {
        inquire::Password::new(&format!("{what}:"))
            .without_confirmation()
            .prompt()
            .map_err(|e| error::config(format!("no {what} entered: {e}"), None))?
    } else {
        read_piped(what)?
    };
    non_empty(secret, what, hint)
}

/// The `what` from stdin, which must be a pipe or a file (see the module doc); empty is
/// refused, with `hint` saying how to pipe it in.
pub fn from_pipe(what: &str, hint: &str) -> Result<NewSecret> {
    non_empty(read_piped(what)?, what, hint)
}

fn non_empty(secret: String, what: &str, hint: &str) -> Result<NewSecret> {
    if secret.trim().is_empty() {
        return Err(error::config(
            format!("the {what} on stdin is empty"),
            Some(hint.to_owned()),
        ));
    }
    Ok(NewSecret(secret))
}

/// All of stdin (a pipe or a file), at most [`MAX_SECRET`] bytes of UTF-8, with one trailing
/// newline dropped.
fn read_piped(what: &str) -> Result<String> {
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

/// A gateway key the user enters must be one Claude Code takes from a helper: the key rule
/// ([`key::key_problem`]), said now rather than at the first request.
pub fn gateway_key(key: &str) -> Result<(), String> {
    match key::key_problem(key) {
        None => Ok(()),
        Some(p) => Err(format!(
            "the gateway key {p}: Claude Code takes one token of printable ASCII"
        )),
    }
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
        assert!(gateway_key("sk-abc_123").is_ok());
        for bad in ["", "sk abc", "sk\nabc", "sk-é"] {
            let e = gateway_key(bad).unwrap_err();
            assert!(e.contains("one token of printable ASCII"), "{bad:?}: {e}");
        }
        // The key rule's length limit, not a copy of it.
        let long = "k".repeat(key::MAX_KEY_LEN + 1);
        assert!(gateway_key(&long).unwrap_err().contains("characters long"));
        assert!(gateway_key(&"k".repeat(key::MAX_KEY_LEN)).is_ok());
    }

    #[test]
    fn empty_is_refused_with_the_hint() {
        let e = non_empty(" \n".into(), "gateway key", "pipe it").unwrap_err();
        let f = e.downcast_ref::<error::Failure>().unwrap();
        assert_eq!(f.message, "the gateway key on stdin is empty");
        assert_eq!(f.hint.as_deref(), Some("pipe it"));
        assert_eq!(format!("{:?}", NewSecret("sk-live".into())), "NewSecret(…)");
    }
}
