//! Shell syntax: quoting for each shell `ccgw env` speaks, and the renderers of a plan.
//!
//! Every renderer must give back exactly the value it was handed, whatever it holds: quotes,
//! `$`, backticks, backslashes, newlines, control characters, unicode, the empty string. Each
//! format therefore uses its most literal quoting, and says in a comment why that is enough.
//! The integration tests evaluate every output in the real bash, zsh and fish, parse the dotenv
//! output with python-dotenv, and decode the PowerShell and nu outputs with reference decoders.

use std::fmt::Write as _;

use anyhow::Result;

use crate::error;

/// An output format of `ccgw env` (and its `--shell` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Nu,
    Dotenv,
    Json,
}

impl Shell {
    pub fn as_str(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
            Shell::Powershell => "powershell",
            Shell::Nu => "nu",
            Shell::Dotenv => "dotenv",
            Shell::Json => "json",
        }
    }

    /// The shell a `$SHELL` value names (`/usr/bin/fish`, `-zsh` for a login shell, `pwsh.exe`).
    pub fn detect(shell_var: &str) -> Option<Shell> {
        let base = shell_var.rsplit(['/', '\\']).next().unwrap_or(shell_var);
        let base = base.trim_start_matches('-');
        let base = base.strip_suffix(".exe").unwrap_or(base);
        match base {
            "bash" => Some(Shell::Bash),
            "zsh" => Some(Shell::Zsh),
            "fish" => Some(Shell::Fish),
            "pwsh" | "pwsh-preview" | "powershell" => Some(Shell::Powershell),
            "nu" => Some(Shell::Nu),
            _ => None,
        }
    }

    /// Whether the format can remove a variable (a dotenv file cannot; JSON says `null`).
    pub fn can_unset(self) -> bool {
        !matches!(self, Shell::Dotenv | Shell::Json)
    }

    /// The exports of `vars`, in order, preceded by the removal of `unset_first` where the
    /// format can express it (see [`Shell::can_unset`]).
    pub fn exports(self, vars: &[(String, String)], unset_first: &[&str]) -> Result<String> {
        check_env(vars)?;
        let mut out = String::new();
        if self.can_unset() && !unset_first.is_empty() {
            out.push_str(&self.unset_lines(unset_first));
        }
        match self {
            Shell::Json => {
                let map: serde_json::Map<String, serde_json::Value> = vars
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                out.push_str(&json_object(map));
            }
            _ => {
                for (name, value) in vars {
                    out.push_str(&self.export_line(name, value));
                    out.push('\n');
                }
            }
        }
        Ok(out)
    }

    /// Commands that remove `names`. JSON gives `{"NAME": null, …}`; dotenv cannot say it.
    pub fn unsets(self, names: &[&str]) -> Result<String> {
        for name in names {
            check_name(name)?;
        }
        match self {
            Shell::Dotenv => Err(error::config(
                "a dotenv file cannot unset variables",
                Some(
                    "delete the file, or use `--unset --shell json` for a machine-readable list"
                        .into(),
                ),
            )),
            Shell::Json => Ok(json_object(
                names
                    .iter()
                    .map(|n| ((*n).to_owned(), serde_json::Value::Null))
                    .collect(),
            )),
            _ => Ok(self.unset_lines(names)),
        }
    }

    fn unset_lines(self, names: &[&str]) -> String {
        match self {
            // `-v`: only a variable, never a function that happens to have the name.
            Shell::Bash | Shell::Zsh => format!("unset -v {}\n", names.join(" ")),
            // `-g`: the global scope, where inherited and `ccgw env` variables live. Without
            // it fish would erase a universal variable of the user's for good. The `if` keeps
            // `$status` 0 (a failed `set -e` would be passed on by every later `set`).
            Shell::Fish => names
                .iter()
                .map(|n| format!("if set -q -g {n}; set -e -g {n}; end\n"))
                .collect(),
            Shell::Powershell => names
                .iter()
                .map(|n| format!("$env:{n} = $null\n"))
                .collect(),
            Shell::Nu => names
                .iter()
                .map(|n| format!("hide-env --ignore-errors {n}\n"))
                .collect(),
            Shell::Dotenv | Shell::Json => unreachable!("checked by can_unset"),
        }
    }

    fn export_line(self, name: &str, value: &str) -> String {
        match self {
            // Always quoted, even plain words: zsh expands an unquoted leading `=` (`=ls`).
            Shell::Bash | Shell::Zsh => format!("export {name}={}", single_quote_posix(value)),
            Shell::Fish => format!("set -gx {name} {}", quote_fish(value)),
            Shell::Powershell => format!("$env:{name} = {}", quote_powershell(value)),
            Shell::Nu => format!("$env.{name} = {}", quote_nu(value)),
            Shell::Dotenv => format!("{name}={}", quote_dotenv(value)),
            Shell::Json => unreachable!("rendered as one object"),
        }
    }
}

fn json_object(map: serde_json::Map<String, serde_json::Value>) -> String {
    let mut s = serde_json::to_string_pretty(&serde_json::Value::Object(map))
        .expect("a map of strings always serialises");
    s.push('\n');
    s
}

/// Refuse what no environment can hold, before anything is printed or run: a name that is not
/// an identifier (no shell could set it, and `A;rm -rf ~` would be code), or a NUL in a value
/// (the C environment ends a string at NUL). Values are never echoed: one may be a key.
pub fn check_env(vars: &[(String, String)]) -> Result<()> {
    for (name, value) in vars {
        check_name(name)?;
        if value.contains('\0') {
            return Err(error::config(
                format!(
                    "the value of `{name}` contains a NUL character, which no environment variable can hold"
                ),
                Some(
                    "remove the `\\u0000` from the profile (`ccgw profile show` prints it)".into(),
                ),
            ));
        }
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    crate::config::rules::env_name(name).map_err(|b| error::config(b.message, b.hint))
}

/// Split a command line into words, POSIX-like (the one word splitter: the `command` key
/// source and the apiKeyHelper line parse with it; `quote_posix` is its inverse): whitespace separates; `'…'` is literal; `"…"`
/// keeps whitespace and honours `\"`, `\\`, `\$` and `` \` ``; a backslash outside quotes escapes
/// the next character; an unquoted leading `~/` is the home directory. No variables, globs or
/// operators: use `shell = true` for those.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err("trailing backslash".into()),
                }
            }
            '~' if !in_word && matches!(chars.peek(), None | Some('/')) => {
                in_word = true;
                match dirs::home_dir() {
                    Some(h) => word.push_str(&h.to_string_lossy()),
                    None => word.push('~'),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Quote `s` for POSIX sh so that it is one word with exactly this value. Plain words are left
/// as they are; anything else is single-quoted, with `'` written as `'\''`.
pub fn quote_posix(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        s.to_owned()
    } else {
        single_quote_posix(s)
    }
}

/// `'…'` with `'` as `'\''`. Inside single quotes sh, bash and zsh take every character
/// literally, newlines and `!` included (history expansion does not look inside them).
fn single_quote_posix(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// fish: runs in single quotes, where only `\\` and `\'` are escapes; ASCII control
/// characters outside them as `\xHH`, so that each line holds one whole command. (Other
/// characters stay raw: fish maps bytes it cannot decode to private-use characters and back.)
fn quote_fish(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let mut out = String::new();
    let mut open = false;
    for c in s.chars() {
        if c.is_ascii_control() {
            if open {
                out.push('\'');
                open = false;
            }
            write!(out, "\\x{:02x}", c as u32).unwrap();
        } else {
            if !open {
                out.push('\'');
                open = true;
            }
            if c == '\\' || c == '\'' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    if open {
        out.push('\'');
    }
    out
}

/// PowerShell treats these five as single quotes alike; inside a single-quoted string any of
/// them is written by doubling it. Nothing else is special there (`$`, backtick are literal).
const PWSH_SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'];

/// PowerShell: printable runs as single-quoted strings, control characters (C0, DEL, C1) as
/// `[char]0xHH`, joined by `+` (a leading `''` keeps it string concatenation). One line per
/// command, so `… | Invoke-Expression`, which runs each line on its own, works too.
///
/// Older PowerShell removes a variable assigned the empty string; that is the shell's limit.
fn quote_powershell(s: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in s.chars() {
        if c.is_control() {
            if !run.is_empty() {
                parts.push(format!("'{}'", std::mem::take(&mut run)));
            }
            parts.push(format!("[char]0x{:02x}", c as u32));
        } else {
            if PWSH_SINGLE_QUOTES.contains(&c) {
                run.push(c);
            }
            run.push(c);
        }
    }
    if !run.is_empty() || parts.is_empty() {
        parts.push(format!("'{run}'"));
    }
    if parts[0].starts_with('[') {
        parts.insert(0, "''".into());
    }
    parts.join(" + ")
}

/// nu: a double-quoted string (no interpolation without a leading `$`) using only the escapes
/// every nu since 0.80 knows: `\\`, `\"`, `\n`, `\r`, `\t` and `\u{X}` for other controls
/// (C0, DEL, C1), so that each line holds one whole command.
fn quote_nu(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_control() => write!(out, "\\u{{{:x}}}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// dotenv, as python-dotenv reads it: double quotes, because they are the only ones with an
/// escape for `\r` (a file opened in text mode turns a raw `\r` into `\n`), and every
/// dotenv reader decodes `\\`, `\"`, `\n`, `\t`.
///
/// python-dotenv expands `${NAME}` in every value (its default `interpolate=True`) and has no
/// escape for `$`, so `${` is written `${:-$}{`: the empty variable name is never set, which
/// expands to its default `$`, and the result is not expanded again.
fn quote_dotenv(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.replace("${", "${:-$}{").chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            '\u{7}' => out.push_str(r"\a"),
            '\u{8}' => out.push_str(r"\b"),
            '\u{b}' => out.push_str(r"\v"),
            '\u{c}' => out.push_str(r"\f"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_posix_shell() {
        let w = |s: &str| split_words(s).unwrap();
        assert_eq!(w("  vault  kv get "), ["vault", "kv", "get"]);
        assert_eq!(w("a 'b c' \"d e\""), ["a", "b c", "d e"]);
        assert_eq!(w(r#"a"b"'c' x\ y"#), ["abc", "x y"]);
        assert_eq!(
            w(r#""q\"uote" "back\\slash" "keep\n""#),
            ["q\"uote", "back\\slash", "keep\\n"]
        );
        assert_eq!(w("'' x"), ["", "x"]);
        assert_eq!(w(r#"a "b c" d\ e"#), ["a", "b c", "d e"]);
        assert_eq!(w("'$HOME' *"), ["$HOME", "*"]);
        assert!(w("~/bin/x a~b")[0].ends_with("/bin/x"));
        assert_eq!(w("~/bin/x a~b")[1], "a~b");
        assert_eq!(w("'~/x'"), ["~/x"]);
        assert!(split_words("'open").is_err());
        assert!(split_words("\"open").is_err());
        assert!(split_words("end\\").is_err());
        assert!(w("").is_empty());
    }
    use crate::plan::test_vars as vars;

    #[test]
    fn posix_quoting() {
        assert_eq!(quote_posix("abc/def"), "abc/def");
        assert_eq!(quote_posix(""), "''");
        assert_eq!(quote_posix("it's $x"), r"'it'\''s $x'");
    }

    #[test]
    fn bash_always_quotes_and_unsets_first() {
        let out = Shell::Bash
            .exports(&vars(&[("A", "=ls"), ("B", "it's")]), &["X", "Y"])
            .unwrap();
        assert_eq!(out, "unset -v X Y\nexport A='=ls'\nexport B='it'\\''s'\n");
    }

    #[test]
    fn fish_puts_controls_outside_quotes() {
        assert_eq!(quote_fish(""), "''");
        assert_eq!(quote_fish("a\\b'c"), r"'a\\b\'c'");
        assert_eq!(quote_fish("a\nb\t"), r"'a'\x0a'b'\x09");
    }

    #[test]
    fn powershell_doubles_every_single_quote_kind() {
        assert_eq!(quote_powershell(""), "''");
        assert_eq!(quote_powershell("it's ‘x’ $y `z"), "'it''s ‘‘x’’ $y `z'");
        assert_eq!(quote_powershell("\na"), "'' + [char]0x0a + 'a'");
    }

    #[test]
    fn nu_escapes_controls() {
        assert_eq!(
            quote_nu("a\"b\\c\n\u{1b}\u{85}$(x)"),
            r#""a\"b\\c\n\u{1b}\u{85}$(x)""#
        );
    }

    #[test]
    fn dotenv_defuses_interpolation() {
        assert_eq!(quote_dotenv("${HOME}x\r"), r#""${:-$}{HOME}x\r""#);
    }

    #[test]
    fn json_keeps_plan_order_and_unsets_are_null() {
        let out = Shell::Json
            .exports(&vars(&[("Z", "1"), ("A", "2")]), &["X"])
            .unwrap();
        assert_eq!(out, "{\n  \"Z\": \"1\",\n  \"A\": \"2\"\n}\n");
        assert_eq!(Shell::Json.unsets(&["X"]).unwrap(), "{\n  \"X\": null\n}\n");
        assert!(Shell::Dotenv.unsets(&["X"]).is_err());
    }

    #[test]
    fn refuses_nul_and_bad_names() {
        let nul = Shell::Bash
            .exports(&vars(&[("A", "x\0y")]), &[])
            .unwrap_err();
        assert!(format!("{nul}").contains("`A` contains a NUL"), "{nul}");
        for bad in ["", "1A", "A-B", "A;rm", "Ä"] {
            assert!(
                Shell::Json.exports(&vars(&[(bad, "v")]), &[]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn detects_shells_from_their_path() {
        assert_eq!(Shell::detect("/usr/bin/fish"), Some(Shell::Fish));
        assert_eq!(Shell::detect("-zsh"), Some(Shell::Zsh));
        assert_eq!(Shell::detect("C:\\pwsh\\pwsh.exe"), Some(Shell::Powershell));
        assert_eq!(Shell::detect("/bin/nu"), Some(Shell::Nu));
        assert_eq!(Shell::detect("/bin/tcsh"), None);
        assert_eq!(Shell::detect(""), None);
    }
}
