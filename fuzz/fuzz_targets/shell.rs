//! Every `ccgw env` renderer: any variables, any values, through `Shell::exports` and
//! `Shell::unsets`, then back through a decoder written here from each format's own quoting
//! rules (not from ccgw's code). What the decoder reads must be exactly the variables given,
//! and the removals asked for; names and values no environment can hold must be refused.
//!
//! The decoders are strict: they accept only the forms ccgw promises to print (in fish,
//! PowerShell, nu and dotenv one whole command per line, so that line-wise evaluation works),
//! and panic on anything else. The real shells run the same outputs in the integration tests
//! (`tests/it/env.rs`); this target tries far more values than those can.

#![no_main]

use arbitrary::Arbitrary;
use ccgw::fuzz_api::{ALL_PLAN_VARS, SHELLS, Shell};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Name {
    /// A variable a plan sets (always a valid name).
    Plan(u8),
    /// Anything: most are no valid name.
    Other(String),
}

impl Name {
    fn text(&self) -> String {
        match self {
            Name::Plan(i) => ALL_PLAN_VARS[usize::from(*i) % ALL_PLAN_VARS.len()].to_owned(),
            Name::Other(s) => s.clone(),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    vars: Vec<(Name, String)>,
    unset: Vec<Name>,
}

/// What evaluating one command of the output does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Set(String, String),
    Unset(String),
}

/// The environment-name rule, as every shell has it: `[A-Za-z_][A-Za-z0-9_]*`.
fn valid_name(n: &str) -> bool {
    let mut b = n.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn split_name(rest: &str, sep: &str) -> (String, String) {
    let (name, value) = rest
        .split_once(sep)
        .unwrap_or_else(|| panic!("no `{sep}` in {rest:?}"));
    assert!(valid_name(name), "name {name:?}");
    (name.to_owned(), value.to_owned())
}

// ---------------------------------------------------------------------------------------------
// POSIX sh (bash, zsh): the whole text is one script; a single-quoted word may span lines.

fn decode_posix(text: &str) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("unset -v ") {
            let (line, after) = r.split_once('\n').expect("unset line ends");
            for name in line.split(' ') {
                assert!(valid_name(name), "unset {name:?}");
                ops.push(Op::Unset(name.to_owned()));
            }
            rest = after;
            continue;
        }
        let r = rest
            .strip_prefix("export ")
            .unwrap_or_else(|| panic!("not a command: {rest:?}"));
        let eq = r.find('=').expect("export NAME=");
        let name = &r[..eq];
        assert!(valid_name(name), "export {name:?}");
        // One word: single-quoted runs (everything literal inside) and backslash-escaped
        // characters; nothing unquoted that the shell would expand.
        let mut chars = r[eq + 1..].char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next() {
                Some((_, '\'')) => loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => value.push(c),
                        None => panic!("unterminated quote in {r:?}"),
                    }
                },
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\n')) | None => panic!("line continuation in {r:?}"),
                    Some((_, c)) => value.push(c),
                },
                Some((i, '\n')) => break eq + 1 + i,
                Some((_, c)) => panic!("unquoted {c:?} in {r:?}"),
                None => panic!("export without a newline: {r:?}"),
            }
        };
        ops.push(Op::Set(name.to_owned(), value));
        rest = &r[end + 1..];
    }
    ops
}

// ---------------------------------------------------------------------------------------------
// fish: one command per line. Single quotes know only `\\` and `\'`; outside them `\xHH`.

fn decode_fish(text: &str) -> Vec<Op> {
    let mut ops = Vec::new();
    for line in lines(text) {
        if let Some(r) = line.strip_prefix("if set -q -g ") {
            let (name, r) = r.split_once("; set -e -g ").expect("fish unset");
            assert!(valid_name(name));
            assert_eq!(r, format!("{name}; end"), "{line:?}");
            ops.push(Op::Unset(name.to_owned()));
            continue;
        }
        let r = line
            .strip_prefix("set -gx ")
            .unwrap_or_else(|| panic!("not a fish command: {line:?}"));
        let (name, word) = split_name(r, " ");
        let mut chars = word.chars().peekable();
        let mut value = String::new();
        assert!(chars.peek().is_some(), "an empty word sets a list of none");
        while let Some(c) = chars.next() {
            match c {
                '\'' => loop {
                    match chars.next().expect("unterminated fish quote") {
                        '\'' => break,
                        '\\' if matches!(chars.peek(), Some('\\' | '\'')) => {
                            value.push(chars.next().unwrap());
                        }
                        c => {
                            assert!(!c.is_ascii_control(), "raw {c:?} in {line:?}");
                            value.push(c);
                        }
                    }
                },
                '\\' => {
                    assert_eq!(chars.next(), Some('x'), "{line:?}");
                    let hex: String = chars.by_ref().take(2).collect();
                    let code = u32::from_str_radix(&hex, 16).expect("\\xHH");
                    assert!(code < 0x80, "a byte, not a character: {line:?}");
                    value.push(char::from_u32(code).unwrap());
                }
                c => panic!("unquoted {c:?} in {line:?}"),
            }
        }
        ops.push(Op::Set(name, value));
    }
    ops
}

// ---------------------------------------------------------------------------------------------
// PowerShell: `'…'` strings (the five single-quote characters all open and close one, and any
// of them followed by another stands for the second) and `[char]0xHH`, joined by ` + `.

const PWSH_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'];

fn decode_powershell(text: &str) -> Vec<Op> {
    let mut ops = Vec::new();
    for line in lines(text) {
        let r = line
            .strip_prefix("$env:")
            .unwrap_or_else(|| panic!("not a PowerShell assignment: {line:?}"));
        let (name, expr) = split_name(r, " = ");
        if expr == "$null" {
            ops.push(Op::Unset(name));
            continue;
        }
        let chars: Vec<char> = expr.chars().collect();
        let mut i = 0;
        let mut value = String::new();
        let mut first = true;
        loop {
            if PWSH_QUOTES.contains(&chars[i]) {
                i += 1;
                loop {
                    let c = *chars.get(i).expect("unterminated string");
                    if PWSH_QUOTES.contains(&c) {
                        match chars.get(i + 1) {
                            Some(n) if PWSH_QUOTES.contains(n) => {
                                value.push(*n);
                                i += 2;
                                continue;
                            }
                            _ => {
                                i += 1;
                                break;
                            }
                        }
                    }
                    assert!(!c.is_control(), "raw control {c:?} in {line:?}");
                    value.push(c);
                    i += 1;
                }
            } else {
                // `[char]` first would make `+` add numbers, not join strings.
                assert!(!first, "expression starts with [char]: {line:?}");
                let item: String = chars[i..].iter().take(10).collect();
                let hex = item
                    .strip_prefix("[char]0x")
                    .unwrap_or_else(|| panic!("item {item:?} in {line:?}"));
                let code = u32::from_str_radix(hex, 16).expect("hex");
                value.push(char::from_u32(code).unwrap());
                i += 10;
            }
            first = false;
            if i == chars.len() {
                break;
            }
            let sep: String = chars[i..].iter().take(3).collect();
            assert_eq!(sep, " + ", "in {line:?}");
            i += 3;
        }
        ops.push(Op::Set(name, value));
    }
    ops
}

// ---------------------------------------------------------------------------------------------
// nu: `$env.NAME = "…"` with `\\ \" \n \r \t \u{X}`; `hide-env --ignore-errors NAME`.

fn decode_nu(text: &str) -> Vec<Op> {
    let mut ops = Vec::new();
    for line in lines(text) {
        if let Some(name) = line.strip_prefix("hide-env --ignore-errors ") {
            assert!(valid_name(name));
            ops.push(Op::Unset(name.to_owned()));
            continue;
        }
        let r = line
            .strip_prefix("$env.")
            .unwrap_or_else(|| panic!("not a nu assignment: {line:?}"));
        let (name, quoted) = split_name(r, " = ");
        let inner = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or_else(|| panic!("not a double-quoted string: {line:?}"));
        let mut chars = inner.chars();
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next().expect("escape at the end") {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    'u' => {
                        assert_eq!(chars.next(), Some('{'));
                        let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                        let code = u32::from_str_radix(&hex, 16).expect("\\u{X}");
                        value.push(char::from_u32(code).expect("a character"));
                    }
                    e => panic!("escape \\{e} in {line:?}"),
                },
                '"' => panic!("unescaped quote in {line:?}"),
                c => {
                    assert!(!c.is_control(), "raw control {c:?} in {line:?}");
                    value.push(c);
                }
            }
        }
        ops.push(Op::Set(name, value));
    }
    ops
}

// ---------------------------------------------------------------------------------------------
// dotenv, as python-dotenv 1.x reads `NAME="…"`: the escapes `\\ \' \" \a \b \f \n \r \t \v`,
// then (its default `interpolate=True`) every `${NAME}` / `${NAME:-DEFAULT}` replaced by the
// variable's value — an earlier line of the file or the environment — or the default.

fn decode_dotenv(text: &str) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::new();
    for line in lines(text) {
        let (name, quoted) = split_name(line, "=");
        let inner = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or_else(|| panic!("not a double-quoted value: {line:?}"));
        let mut chars = inner.chars().peekable();
        let mut unescaped = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let decoded = match chars.peek() {
                        Some('\\') => Some('\\'),
                        Some('\'') => Some('\''),
                        Some('"') => Some('"'),
                        Some('a') => Some('\u{7}'),
                        Some('b') => Some('\u{8}'),
                        Some('f') => Some('\u{c}'),
                        Some('n') => Some('\n'),
                        Some('r') => Some('\r'),
                        Some('t') => Some('\t'),
                        Some('v') => Some('\u{b}'),
                        _ => None,
                    };
                    match decoded {
                        Some(d) => {
                            chars.next();
                            unescaped.push(d);
                        }
                        None => unescaped.push('\\'),
                    }
                }
                // python-dotenv's value regex ends the value at the first unescaped quote.
                '"' => panic!("unescaped quote in {line:?}"),
                c => {
                    assert!(c != '\n' && c != '\r', "raw line break in {line:?}");
                    unescaped.push(c);
                }
            }
        }
        let earlier = |n: &str| {
            ops.iter().rev().find_map(|op| match op {
                Op::Set(k, v) if k == n => Some(v.clone()),
                _ => None,
            })
        };
        ops.push(Op::Set(name, interpolate(&unescaped, earlier)));
    }
    ops
}

/// python-dotenv's `\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}`, leftmost first, not
/// re-expanded. A set variable gives its value, even an empty one; an unset one the default.
/// The environment the decoder stands for sets none of the names ccgw could print.
fn interpolate(s: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let body = &rest[at + 2..];
        let name_len = body.find(['}', ':']).unwrap_or(body.len());
        let name = &body[..name_len];
        let after = &body[name_len..];
        let (default, tail) = if let Some(d) = after.strip_prefix(":-") {
            match d.find('}') {
                Some(e) => (Some(&d[..e]), Some(&d[e + 1..])),
                None => (None, None),
            }
        } else if let Some(t) = after.strip_prefix('}') {
            (None, Some(t))
        } else {
            (None, None)
        };
        match tail {
            Some(tail) => {
                let got = lookup(name).unwrap_or_else(|| default.unwrap_or("").to_owned());
                out.push_str(&got);
                rest = tail;
            }
            // No match here: the `$` is literal; the search goes on from the next character.
            None => {
                out.push('$');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------
// JSON: one object; a string sets, `null` removes.

fn decode_json(text: &str) -> Vec<Op> {
    assert!(text.ends_with('\n'));
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).expect("valid JSON");
    map.into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Op::Set(k, s),
            serde_json::Value::Null => Op::Unset(k),
            other => panic!("{k}: {other}"),
        })
        .collect()
}

/// The lines of a line-per-command output: every command ends with `\n`.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("output does not end with a newline: {text:?}"));
    body.split('\n')
}

fn decode(shell: Shell, text: &str) -> Vec<Op> {
    if text.is_empty() {
        return Vec::new();
    }
    match shell {
        Shell::Bash | Shell::Zsh => decode_posix(text),
        Shell::Fish => decode_fish(text),
        Shell::Powershell => decode_powershell(text),
        Shell::Nu => decode_nu(text),
        Shell::Dotenv => decode_dotenv(text),
        Shell::Json => decode_json(text),
    }
}

/// The environment after `ops`, in first-set order (as a JSON object holds it).
fn effect(ops: &[Op]) -> Vec<(String, Option<String>)> {
    let mut env: Vec<(String, Option<String>)> = Vec::new();
    for op in ops {
        let (k, v) = match op {
            Op::Set(k, v) => (k, Some(v.clone())),
            Op::Unset(k) => (k, None),
        };
        match env.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v,
            None => env.push((k.clone(), v)),
        }
    }
    env
}

fuzz_target!(|input: Input| {
    let vars: Vec<(String, String)> = input
        .vars
        .iter()
        .map(|(n, v)| (n.text(), v.clone()))
        .collect();
    let unset: Vec<String> = input.unset.iter().map(Name::text).collect();
    let unset: Vec<&str> = unset.iter().map(String::as_str).collect();
    let holdable = vars.iter().all(|(n, v)| valid_name(n) && !v.contains('\0'));
    let unset_valid = unset.iter().all(|n| valid_name(n));

    for shell in SHELLS {
        // `exports` takes the removals to print first only from the plan's own list.
        let plan_unset: Vec<&str> = unset
            .iter()
            .copied()
            .filter(|n| ALL_PLAN_VARS.contains(n))
            .collect();
        match shell.exports(&vars, &plan_unset) {
            Err(_) => assert!(!holdable, "{shell:?} refused {vars:?}"),
            Ok(text) => {
                assert!(
                    holdable,
                    "{shell:?} printed {vars:?} no environment can hold"
                );
                let mut want: Vec<Op> = Vec::new();
                if shell.can_unset() {
                    want.extend(plan_unset.iter().map(|n| Op::Unset((*n).to_owned())));
                }
                want.extend(vars.iter().map(|(k, v)| Op::Set(k.clone(), v.clone())));
                let got = decode(shell, &text);
                if shell == Shell::Json {
                    assert_eq!(effect(&got), effect(&want), "{shell:?}: {text:?}");
                } else {
                    assert_eq!(got, want, "{shell:?}: {text:?}");
                }
            }
        }
        // `ccgw env --unset` always names the plan's variables: an empty list is never asked.
        if unset.is_empty() {
            continue;
        }
        match shell.unsets(&unset) {
            Err(_) => assert!(
                !unset_valid || shell == Shell::Dotenv,
                "{shell:?} {unset:?}"
            ),
            Ok(text) => {
                assert!(unset_valid && shell != Shell::Dotenv, "{shell:?} {unset:?}");
                let want: Vec<Op> = unset.iter().map(|n| Op::Unset((*n).to_owned())).collect();
                let got = decode(shell, &text);
                if shell == Shell::Json {
                    assert_eq!(effect(&got), effect(&want), "{shell:?}: {text:?}");
                } else {
                    assert_eq!(got, want, "{shell:?}: {text:?}");
                }
            }
        }
    }
});
