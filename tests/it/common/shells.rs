//! Running `ccgw env` output through the real shells, and small helpers to build configs with
//! hostile values and read environments back.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use super::{TestEnv, ccgw_bin, require};

/// A TOML basic string holding exactly `s`: `"` and `\` escaped, every control character as
/// `\uXXXX` (TOML allows none of them raw, except tab).
pub fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parse `env -0` output (`NAME=value\0…`).
pub fn parse_env0(bytes: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8(bytes.to_vec()).expect("environment is UTF-8");
    text.split('\0')
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (k, v) = e
                .split_once('=')
                .unwrap_or_else(|| panic!("bad entry {e:?}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The environment a real `shell` ends up with after loading `ccgw <args>` the way the README
/// says (`eval "$(ccgw env)"` in bash and zsh, `ccgw env | source` in fish, `save` then
/// `source` in nu), then `env -0`. `preset` is the shell's environment before; `locale` its
/// `LC_ALL`. Panics, with ccgw's stderr, if ccgw or the shell fail.
pub fn eval_in_shell(
    env: &TestEnv,
    shell: &str,
    args: &[&str],
    preset: &[(&str, &str)],
    locale: &str,
) -> BTreeMap<String, String> {
    if shell == "nu" {
        return eval_in_nu(env, args, preset, locale);
    }
    let script = match shell {
        // ccgw's own exit code is checked before eval runs: 97 = ccgw failed, 98 = eval did.
        "bash" | "zsh" => r#"out=$("$0" "$@") || exit 97; eval "$out" || exit 98; exec env -0"#,
        "fish" => {
            "set -l ccgw $argv[1]; set -e argv[1]; $ccgw $argv | source; \
             set -l st $pipestatus; test $st[1] -eq 0; or exit 97; test $st[2] -eq 0; or exit 98; \
             exec env -0"
        }
        other => panic!("no such test shell {other}"),
    };
    let mut cmd = Command::new(require(shell));
    env.apply(&mut cmd);
    cmd.env("LC_ALL", locale);
    for (k, v) in preset {
        cmd.env(k, v);
    }
    // bash and zsh take the first word after the script as `$0`, fish as `$argv[1]`.
    cmd.arg("-c").arg(script).arg(ccgw_bin()).args(args);
    let out = cmd.output().expect("spawn shell");
    assert_success(
        &out,
        &format!("{shell} evaluating `ccgw {}`", args.join(" ")),
    );
    parse_env0(&out.stdout)
}

pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {:?}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// nu has no `eval`: `source` takes a file known when the script is parsed. So, as in the
/// README, one nu saves the output (`ccgw env --shell nu | save -f FILE`) and the next
/// `source`s it, like two lines typed at the prompt.
fn eval_in_nu(
    env: &TestEnv,
    args: &[&str],
    preset: &[(&str, &str)],
    locale: &str,
) -> BTreeMap<String, String> {
    let file = env.root.path().join("ccgw-env.nu");
    let _ = std::fs::remove_file(&file);
    let words: Vec<String> = std::iter::once(ccgw_bin().display().to_string())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .map(|w| nu_raw(&w))
        .collect();
    let save = format!(
        "^{} | save -f {}",
        words.join(" "),
        nu_raw(&file.display().to_string())
    );
    let out = nu(env, &save, preset, locale);
    assert_success(&out, &format!("nu saving `ccgw {}`", args.join(" ")));
    assert!(
        file.exists(),
        "ccgw wrote nothing for nu: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let load = format!("source {}; ^env -0", nu_raw(&file.display().to_string()));
    let out = nu(env, &load, preset, locale);
    assert_success(&out, &format!("nu sourcing `ccgw {}`", args.join(" ")));
    parse_env0(&out.stdout)
}

/// The real nu (`nushell` from npm) running `script`, with no config file of the user's.
pub fn nu(env: &TestEnv, script: &str, preset: &[(&str, &str)], locale: &str) -> Output {
    let mut cmd = Command::new(super::dep("nu"));
    env.apply(&mut cmd);
    cmd.env("LC_ALL", locale);
    for (k, v) in preset {
        cmd.env(k, v);
    }
    cmd.args(["--no-config-file", "-c", script])
        .output()
        .expect("spawn nu")
}

/// A nu raw string literal holding exactly `s` (`r#'…'#`, with enough `#`s).
pub fn nu_raw(s: &str) -> String {
    let mut hashes = String::from("#");
    while s.contains(&format!("'{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}'{s}'{hashes}")
}
