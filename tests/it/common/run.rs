//! Tests that read like specs: a run builder, a snapshot macro and a config builder.
//!
//! ```ignore
//! Ccgw::new(&env).args(["key"]).code(4).stdout_is("").stderr_has("hint:").run();
//! ccgw_snapshot!(Ccgw::new(&env).args(["profile", "show"]));
//! env.write_config(&Config::new().profile(Profile::new("work").key_env("K")).build());
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use super::TestEnv;

/// What a finished `ccgw` run printed, decoded (a test that gets non-UTF-8 output fails).
#[derive(Debug, Clone)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Exit code, stdout and stderr in one text, for snapshots.
    pub fn transcript(&self) -> String {
        let code = self
            .code
            .map_or_else(|| "signal".to_owned(), |c| c.to_string());
        format!(
            "exit: {code}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.stdout, self.stderr
        )
    }
}

/// One `ccgw` run in a [`TestEnv`], with what it must show. Nothing happens until [`Ccgw::run`],
/// which checks every expectation and panics with the whole transcript when one is not met.
#[must_use = "a Ccgw run does nothing until .run()"]
pub struct Ccgw<'a> {
    env: &'a TestEnv,
    args: Vec<String>,
    vars: BTreeMap<String, Option<String>>,
    stdin: Option<Vec<u8>>,
    code: Option<i32>,
    stdout_is: Option<String>,
    stdout_has: Vec<String>,
    stdout_lacks: Vec<String>,
    stderr_has: Vec<String>,
    stderr_lacks: Vec<String>,
}

impl<'a> Ccgw<'a> {
    pub fn new(env: &'a TestEnv) -> Self {
        Self {
            env,
            args: Vec::new(),
            vars: BTreeMap::new(),
            stdin: None,
            code: None,
            stdout_is: None,
            stdout_has: Vec::new(),
            stdout_lacks: Vec::new(),
            stderr_has: Vec::new(),
            stderr_lacks: Vec::new(),
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Set a variable for this run only.
    pub fn env(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.vars
            .insert(name.to_owned(), Some(value.as_ref().to_owned()));
        self
    }

    /// Remove a variable the environment would otherwise pass on.
    pub fn env_remove(mut self, name: &str) -> Self {
        self.vars.insert(name.to_owned(), None);
        self
    }

    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// The exit code the run must end with (default: none checked).
    pub fn code(mut self, code: i32) -> Self {
        self.code = Some(code);
        self
    }

    pub fn success(self) -> Self {
        self.code(0)
    }

    /// stdout must be exactly this ("" for empty).
    pub fn stdout_is(mut self, text: &str) -> Self {
        self.stdout_is = Some(text.to_owned());
        self
    }

    pub fn stdout_has(mut self, text: impl AsRef<str>) -> Self {
        self.stdout_has.push(text.as_ref().to_owned());
        self
    }

    pub fn stdout_lacks(mut self, text: impl AsRef<str>) -> Self {
        self.stdout_lacks.push(text.as_ref().to_owned());
        self
    }

    pub fn stderr_has(mut self, text: impl AsRef<str>) -> Self {
        self.stderr_has.push(text.as_ref().to_owned());
        self
    }

    pub fn stderr_lacks(mut self, text: impl AsRef<str>) -> Self {
        self.stderr_lacks.push(text.as_ref().to_owned());
        self
    }

    /// Run it, check every expectation, and return what it printed.
    pub fn run(self) -> Output {
        let mut cmd = std::process::Command::new(super::ccgw_bin());
        self.env.apply(&mut cmd);
        cmd.args(&self.args);
        for (k, v) in &self.vars {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn ccgw");
        if let Some(input) = &self.stdin {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            // A command that refuses before reading its input closes the pipe: not our error.
            if let Err(e) = pipe.write_all(input)
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                panic!("writing ccgw's stdin: {e}");
            }
        }
        let out = child.wait_with_output().expect("wait for ccgw");
        let output = Output {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("ccgw's stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("ccgw's stderr is UTF-8"),
        };
        let mut problems = Vec::new();
        if let Some(want) = self.code
            && output.code != Some(want)
        {
            problems.push(format!("exit code {:?}, expected {want}", output.code));
        }
        if let Some(want) = &self.stdout_is
            && &output.stdout != want
        {
            problems.push(format!("stdout is not exactly {want:?}"));
        }
        for (stream, text, wanted, present) in [
            ("stdout", &output.stdout, &self.stdout_has, true),
            ("stdout", &output.stdout, &self.stdout_lacks, false),
            ("stderr", &output.stderr, &self.stderr_has, true),
            ("stderr", &output.stderr, &self.stderr_lacks, false),
        ] {
            for w in wanted {
                if text.contains(w.as_str()) != present {
                    let verb = if present { "lacks" } else { "has" };
                    problems.push(format!("{stream} {verb} {w:?}"));
                }
            }
        }
        assert!(
            problems.is_empty(),
            "ccgw {:?}: {}\n{}",
            self.args,
            problems.join("; "),
            output.transcript()
        );
        output
    }
}

/// The filters every snapshot applies: this environment's temp root, then ports and times that
/// change from run to run.
pub fn snapshot_filters(env: &TestEnv) -> Vec<(String, String)> {
    let root = env.root.path().display().to_string();
    vec![
        (regex_escape(&root), "[ROOT]".to_owned()),
        (
            r"127\.0\.0\.1:\d+".to_owned(),
            "127.0.0.1:[PORT]".to_owned(),
        ),
        (r"\[::1\]:\d+".to_owned(), "[::1]:[PORT]".to_owned()),
        (r"\b\d+(\.\d+)?\s?ms\b".to_owned(), "[TIME]".to_owned()),
    ]
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if r"\.+*?()|[]{}^$#&-~".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Snapshot a run's exit code, stdout and stderr together, with the temp paths, ports and times
/// filtered (in the spirit of uv's `uv_snapshot!`). The run itself checks nothing else.
#[macro_export]
macro_rules! ccgw_snapshot {
    ($env:expr, $run:expr) => {{
        let output = $run.run();
        let filters = $crate::common::run::snapshot_filters(&$env);
        let filters: Vec<(&str, &str)> = filters
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insta::with_settings!({ filters => filters }, {
            insta::assert_snapshot!(output.transcript());
        });
        output
    }};
}

/// A config file, built instead of pasted (every value TOML-quoted).
#[derive(Debug, Default, Clone)]
pub struct Config {
    default_profile: Option<String>,
    profiles: Vec<Profile>,
}

impl Config {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a profile; the first one added is the default unless [`Config::default_profile`] says.
    pub fn profile(mut self, p: Profile) -> Self {
        if self.default_profile.is_none() {
            self.default_profile = Some(p.name.clone());
        }
        self.profiles.push(p);
        self
    }

    pub fn default_profile(mut self, name: &str) -> Self {
        self.default_profile = Some(name.to_owned());
        self
    }

    pub fn build(&self) -> String {
        let mut out = String::new();
        if let Some(d) = &self.default_profile {
            out.push_str(&format!("default_profile = {}\n", quote(d)));
        }
        for p in &self.profiles {
            out.push('\n');
            out.push_str(&p.build());
        }
        out
    }
}

/// One `[profiles.NAME]` table and its `[profiles.NAME.key]`.
#[derive(Debug, Clone)]
pub struct Profile {
    name: String,
    fields: Vec<(String, String)>,
    key: Vec<(String, String)>,
}

impl Profile {
    /// A unified profile for `http://127.0.0.1:4000` with a 40m key TTL and no key source yet.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            fields: vec![
                ("gateway".into(), quote("http://127.0.0.1:4000")),
                ("mode".into(), quote("unified")),
                ("key_ttl".into(), quote("40m")),
            ],
            key: Vec::new(),
        }
    }

    /// Set a profile field to a string.
    pub fn set(self, field: &str, value: &str) -> Self {
        self.raw(field, &quote(value))
    }

    /// Set a profile field to a TOML value written as is (`true`, `{ a = "b" }`).
    pub fn raw(mut self, field: &str, toml: &str) -> Self {
        self.fields.retain(|(f, _)| f != field);
        self.fields.push((field.to_owned(), toml.to_owned()));
        self
    }

    pub fn gateway(self, url: &str) -> Self {
        self.set("gateway", url)
    }

    pub fn mode(self, mode: &str) -> Self {
        self.set("mode", mode)
    }

    /// The key source table: `source` and its string fields.
    pub fn key(mut self, source: &str, fields: &[(&str, &str)]) -> Self {
        self.key = std::iter::once(("source".to_owned(), quote(source)))
            .chain(fields.iter().map(|(k, v)| ((*k).to_owned(), quote(v))))
            .collect();
        self
    }

    /// Set a key source field to a TOML value written as is (`2`, `true`).
    pub fn key_raw(mut self, field: &str, toml: &str) -> Self {
        self.key.retain(|(f, _)| f != field);
        self.key.push((field.to_owned(), toml.to_owned()));
        self
    }

    /// `source = "env"` reading `var`.
    pub fn key_env(self, var: &str) -> Self {
        self.key("env", &[("var", var)])
    }

    fn build(&self) -> String {
        let name = bare_or_quoted(&self.name);
        let mut out = format!("[profiles.{name}]\n");
        for (f, v) in &self.fields {
            out.push_str(&format!("{f} = {v}\n"));
        }
        if !self.key.is_empty() {
            out.push_str(&format!("\n[profiles.{name}.key]\n"));
            for (f, v) in &self.key {
                out.push_str(&format!("{f} = {v}\n"));
            }
        }
        out
    }
}

/// A table name as a person writes it: bare when TOML allows, quoted otherwise.
fn bare_or_quoted(s: &str) -> String {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { s.to_owned() } else { quote(s) }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
