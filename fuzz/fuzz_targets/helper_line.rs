//! The `ccgw key` fast path against clap: for any command line and any `CCGW_CONFIG` /
//! `CCGW_PROFILE` in the environment, when the fast path answers, clap must parse the same
//! line to the same `ccgw key` invocation. (When it does not answer, clap parses the line, so
//! there is nothing to compare.) The exact helper line ccgw writes must take the fast path.

#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use arbitrary::Arbitrary;
use ccgw::fuzz_api::{clap_line, fast_helper_line};
use libfuzzer_sys::fuzz_target;

/// One argument: mostly the words a helper line is made of, so that the fuzzer spends its time
/// near the fast path's shape rather than on lines clap refuses at the first word.
#[derive(Debug, Arbitrary)]
enum Arg {
    Key,
    Profile,
    Config,
    Refresh,
    NoCache,
    DoubleDash,
    Dash,
    Help,
    Env,
    /// A value: any UTF-8.
    Word(String),
    /// Anything at all, non-UTF-8 included.
    Bytes(Vec<u8>),
}

impl Arg {
    fn os(&self) -> OsString {
        match self {
            Arg::Key => "key".into(),
            Arg::Profile => "--profile".into(),
            Arg::Config => "--config".into(),
            Arg::Refresh => "--refresh".into(),
            Arg::NoCache => "--no-cache".into(),
            Arg::DoubleDash => "--".into(),
            Arg::Dash => "-".into(),
            Arg::Help => "-h".into(),
            Arg::Env => "env".into(),
            Arg::Word(w) => w.into(),
            Arg::Bytes(b) => OsString::from_vec(b.clone()),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    argv: Vec<Arg>,
    config_env: Option<Vec<u8>>,
    profile_env: Option<Vec<u8>>,
}

/// Set or remove a variable of this process's environment (clap reads it there).
fn put_env(name: &str, value: &Option<Vec<u8>>) {
    // SAFETY: libFuzzer runs the target on one thread, and nothing else reads the environment
    // while it is changed.
    unsafe {
        match value {
            // The environment cannot hold a NUL; such a value is simply not set.
            Some(v) if !v.contains(&0) => std::env::set_var(name, OsString::from_vec(v.clone())),
            _ => std::env::remove_var(name),
        }
    }
}

fuzz_target!(|input: Input| {
    put_env("CCGW_CONFIG", &input.config_env);
    put_env("CCGW_PROFILE", &input.profile_env);
    let argv: Vec<OsString> = input.argv.iter().map(Arg::os).collect();

    let fast = fast_helper_line(&argv, |k| std::env::var_os(k));
    if let Some(fast) = &fast {
        match clap_line(&argv) {
            Ok(Some(clap)) => assert_eq!(fast, &clap, "{argv:?} {input:?}"),
            other => panic!("the fast path took {argv:?} as {fast:?}, clap says {other:?}"),
        }
    }

    // The line ccgw writes as apiKeyHelper, `key --profile NAME` with a plain profile name,
    // must take the fast path (a fast path that never answers would pass the check above),
    // unless the environment holds what clap refuses: an empty `CCGW_CONFIG`, a `CCGW_PROFILE`
    // that is not UTF-8.
    let env_clap_accepts = std::env::var_os("CCGW_CONFIG").is_none_or(|v| !v.is_empty())
        && std::env::var_os("CCGW_PROFILE").is_none_or(|v| v.to_str().is_some());
    if let [Arg::Key, Arg::Profile, Arg::Word(name)] = input.argv.as_slice()
        && env_clap_accepts
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        assert!(
            fast.is_some(),
            "the helper line {argv:?} missed the fast path"
        );
    }
});
