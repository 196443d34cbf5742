//! Shell syntax: quoting for each shell `ccgw env` speaks, and the renderers of a plan.

/// Quote `s` for POSIX sh so that it is one word with exactly this value. Plain words are left
/// as they are; anything else is single-quoted, with `'` written as `'\''`.
pub fn quote_posix(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_quoting() {
        assert_eq!(quote_posix("abc/def"), "abc/def");
        assert_eq!(quote_posix(""), "''");
        assert_eq!(quote_posix("it's $x"), r"'it'\''s $x'");
    }
}
