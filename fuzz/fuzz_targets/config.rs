//! The config loader: any text, as `ccgw` reads it from `config.toml`, must load or be refused
//! with a message that names the file and a line of it (`c.toml:LINE: …`); it never panics.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A file that is not UTF-8 is refused by the read before the parser sees it.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Err(message) = ccgw::fuzz_api::load_config(Path::new("c.toml"), text) else {
        return;
    };
    let rest = message
        .strip_prefix("c.toml:")
        .unwrap_or_else(|| panic!("the error does not name the file: {message:?}"));
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line: usize = rest[..digits]
        .parse()
        .unwrap_or_else(|_| panic!("the error names no line: {message:?}"));
    assert!(
        rest[digits..].starts_with(": "),
        "no `: ` after the line: {message:?}"
    );
    // Lines are counted as an editor does: one more than the newlines.
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    assert!(
        (1..=lines).contains(&line),
        "line {line} of a {lines}-line file: {message:?}"
    );
});
