//! The `command` source: run the user's own helper and take the first line of its stdout.
//!
//! No shell unless `shell = true`: the words are split here (POSIX-like quoting), so a command
//! line in the config means the same thing everywhere. The child's stderr passes through (Claude
//! Code shows a helper's stderr on failure); its stdout may be a secret and is never echoed.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::config::CommandSource;
use crate::error;
use crate::key::Fetched;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Run the command and return the first line of its stdout.
pub fn run(src: &CommandSource) -> Result<Fetched> {
    let words = if src.shell {
        vec!["/bin/sh".to_owned(), "-c".to_owned(), src.command.clone()]
    } else {
        split(&src.command).map_err(|e| error::config(format!("key command: {e}"), None))?
    };
    let Some((program, args)) = words.split_first() else {
        return Err(error::config("key command is empty", None));
    };
    let timeout = src.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        // Its own process group, so that a timeout kills the whole helper (a script's children too).
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| {
        error::auth(
            format!("could not run key command `{program}`: {e}"),
            Some("check `command` in the profile's key".into()),
        )
    })?;

    // The first line arrives on a channel as soon as it is read; the reader then keeps draining
    // so the child never blocks on a full pipe. A background grandchild holding the pipe open
    // cannot make us wait past the first line.
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout.take(1 << 20));
        let mut line = String::new();
        let first = reader.read_line(&mut line).map(|_| line);
        let _ = tx.send(first);
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });

    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            kill(&mut child);
            return Err(error::auth(
                format!(
                    "key command `{program}` timed out after {} and was killed",
                    humantime::format_duration(timeout)
                ),
                Some("raise `timeout` in the profile's key, or make the command faster".into()),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if !status.success() {
        let how = match status.code() {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(error::auth(
            format!("key command `{program}` {how}"),
            Some("run it by hand to see why (ccgw passes on its stderr, never its stdout)".into()),
        ));
    }
    let wait = deadline.saturating_duration_since(Instant::now());
    let line = match rx.recv_timeout(wait) {
        Ok(Ok(line)) => line,
        Ok(Err(e)) => {
            return Err(error::auth(
                format!("could not read the output of key command `{program}`: {e}"),
                None,
            ));
        }
        Err(_) => String::new(),
    };
    let key = line.trim();
    if key.is_empty() {
        return Err(error::auth(
            format!("key command `{program}` printed nothing on stdout"),
            Some("the first line of its output must be the key".into()),
        ));
    }
    Ok(Fetched {
        key: key.to_owned(),
        expires_at: None,
    })
}

fn kill(child: &mut Child) {
    let pid = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

/// Split a command line into words, POSIX-like: whitespace separates; `'…'` is literal; `"…"`
/// keeps whitespace and honours `\"`, `\\`, `\$` and `` \` ``; a backslash outside quotes escapes
/// the next character; an unquoted leading `~/` is the home directory. No variables, globs or
/// operators: use `shell = true` for those.
pub fn split(line: &str) -> Result<Vec<String>, String> {
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

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_like_a_posix_shell() {
        let w = |s: &str| split(s).unwrap();
        assert_eq!(w("  vault  kv get "), ["vault", "kv", "get"]);
        assert_eq!(w("a 'b c' \"d e\""), ["a", "b c", "d e"]);
        assert_eq!(w(r#"a"b"'c' x\ y"#), ["abc", "x y"]);
        assert_eq!(
            w(r#""q\"uote" "back\\slash" "keep\n""#),
            ["q\"uote", "back\\slash", "keep\\n"]
        );
        assert_eq!(w("'' x"), ["", "x"]);
        assert_eq!(w("'$HOME' *"), ["$HOME", "*"]);
        assert!(w("~/bin/x a~b")[0].ends_with("/bin/x"));
        assert_eq!(w("~/bin/x a~b")[1], "a~b");
        assert_eq!(w("'~/x'"), ["~/x"]);
        assert!(split("'open").is_err());
        assert!(split("\"open").is_err());
        assert!(split("end\\").is_err());
        assert!(w("").is_empty());
    }
}
