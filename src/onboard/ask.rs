//! Who answers `init`'s questions: the [`Ask`] trait the question tree talks to, the kinds of
//! question it puts, and the askers that do not talk to a person: [`FlagsOnly`]
//! (`--non-interactive`) and, in unit tests, [`Scripted`]. The inquire wizard is
//! `wizard::Inquire`.

use std::io::IsTerminal;

use anyhow::Result;

use super::{FlagError, SecretKind};
use crate::config::Profile;
use crate::error;
use crate::secret_input::{self, NewSecret};

/// A text question's default answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggest {
    None,
    /// Shown on the prompt and taken for an empty answer; `--non-interactive` still needs the flag.
    Offered(&'static str),
    /// As `Offered`, and also the answer without a prompt (`--non-interactive`).
    Assumed(&'static str),
}

/// A question answered with a line of text.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    /// The flag that answers it, named when `--non-interactive` lacks it.
    pub flag: &'static str,
    pub prompt: &'static str,
    pub help: &'static str,
    pub default: Suggest,
    /// An empty answer means "none"; otherwise it is refused (unless there is a default).
    pub optional: bool,
    /// The rule a non-empty answer follows; the prompt asks again until it does. A flag's
    /// value is held to it too.
    pub check: fn(&str) -> Result<(), String>,
}

impl Text {
    /// A typed line as the answer (`None`: no answer), or why it is refused. Trimmed; empty is
    /// the default if there is one, else none (optional) or refused.
    pub fn judge(&self, line: &str) -> Result<Option<String>, String> {
        let line = line.trim();
        if line.is_empty() {
            return match self.default {
                Suggest::Offered(d) | Suggest::Assumed(d) => Ok(Some(d.to_owned())),
                Suggest::None if self.optional => Ok(None),
                Suggest::None => Err("an answer is required".into()),
            };
        }
        (self.check)(line)?;
        Ok(Some(line.to_owned()))
    }

    /// The default's text, if any.
    pub fn default_text(&self) -> Option<&'static str> {
        match self.default {
            Suggest::Offered(d) | Suggest::Assumed(d) => Some(d),
            Suggest::None => None,
        }
    }
}

/// A question answered by picking one option.
#[derive(Debug, Clone)]
pub struct Choose<'a> {
    /// The flag that answers it, named when `--non-interactive` lacks it.
    pub flag: &'static str,
    pub prompt: &'a str,
    pub help: &'a str,
    /// One line per option: its name, then (after two spaces) what it means.
    pub options: Vec<&'a str>,
    /// The option taken without a prompt (`--non-interactive`); `None`: the flag is required.
    pub assumed: Option<usize>,
    /// Options shown at once; `None`: the prompt's own.
    pub page_size: Option<usize>,
}

/// The name of an option: its line up to the first two spaces (which start its explanation).
pub fn option_name(line: &str) -> &str {
    line.split_once("  ").map_or(line, |(name, _)| name).trim()
}

/// A yes/no question.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub prompt: String,
    pub help: Option<String>,
    pub default: bool,
    /// The answer without a prompt (`--non-interactive`).
    pub assumed: bool,
}

/// Whoever answers `init`'s questions. The tree puts each question it needs, in order; an
/// asker only answers (a flag on the command line has already answered its question).
pub trait Ask {
    /// `None`: no answer to an optional question.
    fn text(&mut self, q: &Text) -> Result<Option<String>>;
    /// The index of the option picked.
    fn choose(&mut self, q: &Choose<'_>) -> Result<usize>;
    fn confirm(&mut self, q: &Confirm) -> Result<bool>;
    /// The secret of `kind`, to be stored in the keyring.
    fn secret(&mut self, kind: SecretKind) -> Result<NewSecret>;
    /// Take secrets only after the last question (so that every flag is judged first)
    /// instead of where they stand in the tree.
    fn defers_secrets(&self) -> bool {
        false
    }
    /// The model names to offer for `profile` (the gateway's list); empty: ask for a name.
    fn models(&mut self, name: &str, profile: &Profile, secret: Option<&NewSecret>) -> Vec<String>;
    /// Show what will be written before the last question.
    fn show(&mut self, text: &str);
}

/// `--non-interactive`: no prompt ever. A question its flag did not answer takes its assumed
/// answer, or fails naming the flag; secrets come from stdin after every flag is judged.
pub struct FlagsOnly {
    read_secret: fn(SecretKind) -> Result<NewSecret>,
}

impl FlagsOnly {
    /// Secrets from this process's stdin.
    pub fn from_stdin() -> Self {
        Self {
            read_secret: secret_from_stdin,
        }
    }
}

/// The secret from stdin (a pipe or a file); a terminal is refused, since reading it would be
/// a prompt.
fn secret_from_stdin(kind: SecretKind) -> Result<NewSecret> {
    let what = kind.what();
    let hint = "pipe it in: `printf %s \"$SECRET\" | ccgw init --non-interactive …` (never on the command line)";
    if std::io::stdin().is_terminal() {
        return Err(error::config(
            format!("--non-interactive reads the {what} from stdin, which is a terminal"),
            Some(hint.to_owned()),
        ));
    }
    let secret = secret_input::from_pipe(what, hint)?;
    kind.rule()(&secret.0).map_err(|e| {
        error::config(
            e,
            Some("check what you piped in; only one trailing newline is removed".into()),
        )
    })?;
    Ok(secret)
}

impl Ask for FlagsOnly {
    fn text(&mut self, q: &Text) -> Result<Option<String>> {
        match q.default {
            Suggest::Assumed(d) => Ok(Some(d.to_owned())),
            _ if q.optional => Ok(None),
            _ => Err(FlagError::Missing(q.flag).into()),
        }
    }

    fn choose(&mut self, q: &Choose<'_>) -> Result<usize> {
        q.assumed.ok_or_else(|| FlagError::Missing(q.flag).into())
    }

    fn confirm(&mut self, q: &Confirm) -> Result<bool> {
        Ok(q.assumed)
    }

    fn secret(&mut self, kind: SecretKind) -> Result<NewSecret> {
        (self.read_secret)(kind)
    }

    fn defers_secrets(&self) -> bool {
        true
    }

    fn models(&mut self, _: &str, _: &Profile, _: Option<&NewSecret>) -> Vec<String> {
        Vec::new()
    }

    fn show(&mut self, _: &str) {}
}

#[cfg(test)]
pub use scripted::{Reply, Scripted};

#[cfg(test)]
mod scripted {
    use std::collections::VecDeque;

    use anyhow::Result;

    use super::{Ask, Choose, Confirm, FlagsOnly, Text, option_name};
    use crate::config::Profile;
    use crate::onboard::{SecretKind, questions};
    use crate::secret_input::NewSecret;

    impl FlagsOnly {
        /// `--non-interactive` with `secret` on stdin.
        pub fn with_stdin(read_secret: fn(SecretKind) -> Result<NewSecret>) -> Self {
            Self { read_secret }
        }
    }

    /// One answer of a script.
    #[derive(Debug, Clone, Copy)]
    pub enum Reply {
        /// A typed line ("" takes the default, or gives no answer).
        Text(&'static str),
        /// The option of this name.
        Pick(&'static str),
        Yes,
        No,
        /// A typed secret.
        Secret(&'static str),
    }

    /// Answers from a script of (prompt start, reply): every question must be the next one
    /// the script expects. A refused answer is recorded and the question asked again, as
    /// the wizard does.
    pub struct Scripted {
        replies: VecDeque<(&'static str, Reply)>,
        /// Why answers were refused, in order.
        pub refused: Vec<String>,
        /// What was shown before the last question.
        pub shown: Vec<String>,
        /// What the gateway lists.
        pub models: Vec<String>,
    }

    impl Scripted {
        pub fn new(replies: &[(&'static str, Reply)]) -> Self {
            Self {
                replies: replies.iter().copied().collect(),
                refused: Vec::new(),
                shown: Vec::new(),
                models: Vec::new(),
            }
        }

        /// Every reply was asked for.
        pub fn finish(&self) {
            assert!(
                self.replies.is_empty(),
                "not asked: {:?}",
                self.replies.iter().map(|(p, _)| p).collect::<Vec<_>>()
            );
        }

        fn next(&mut self, prompt: &str) -> Reply {
            let (want, reply) = self
                .replies
                .pop_front()
                .unwrap_or_else(|| panic!("asked {prompt:?}, which the script does not expect"));
            assert!(
                prompt.starts_with(want),
                "asked {prompt:?}, the script expects {want:?}"
            );
            reply
        }
    }

    impl Ask for Scripted {
        fn text(&mut self, q: &Text) -> Result<Option<String>> {
            loop {
                let Reply::Text(line) = self.next(q.prompt) else {
                    panic!("{:?} takes text", q.prompt)
                };
                match q.judge(line) {
                    Ok(a) => return Ok(a),
                    Err(e) => self.refused.push(e),
                }
            }
        }

        fn choose(&mut self, q: &Choose<'_>) -> Result<usize> {
            let Reply::Pick(name) = self.next(q.prompt) else {
                panic!("{:?} takes a pick", q.prompt)
            };
            Ok(q.options
                .iter()
                .position(|o| option_name(o) == name)
                .unwrap_or_else(|| panic!("{:?} has no option {name:?}", q.prompt)))
        }

        fn confirm(&mut self, q: &Confirm) -> Result<bool> {
            match self.next(&q.prompt) {
                Reply::Yes => Ok(true),
                Reply::No => Ok(false),
                r => panic!("{:?} takes yes or no, not {r:?}", q.prompt),
            }
        }

        fn secret(&mut self, kind: SecretKind) -> Result<NewSecret> {
            loop {
                let Reply::Secret(s) = self.next(&questions::secret_prompt(kind)) else {
                    panic!("the {} takes a secret", kind.what())
                };
                match kind.rule()(s) {
                    Ok(()) => return Ok(NewSecret(s.to_owned())),
                    Err(e) => self.refused.push(e),
                }
            }
        }

        fn models(&mut self, _: &str, _: &Profile, _: Option<&NewSecret>) -> Vec<String> {
            self.models.clone()
        }

        fn show(&mut self, text: &str) {
            self.shown.push(text.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(default: Suggest, optional: bool) -> Text {
        Text {
            flag: "--x",
            prompt: "X:",
            help: "",
            default,
            optional,
            check: |s| if s == "bad" { Err("no".into()) } else { Ok(()) },
        }
    }

    #[test]
    fn judging_a_typed_line() {
        let required = text(Suggest::None, false);
        assert_eq!(required.judge("  a "), Ok(Some("a".into())));
        assert_eq!(required.judge(" "), Err("an answer is required".into()));
        assert_eq!(required.judge("bad"), Err("no".into()));
        assert_eq!(text(Suggest::None, true).judge(""), Ok(None));
        assert_eq!(
            text(Suggest::Offered("d"), false).judge(""),
            Ok(Some("d".into()))
        );
    }

    #[test]
    fn flags_only_takes_the_assumed_answer_or_names_the_flag() {
        let mut f = FlagsOnly::from_stdin();
        let missing = f.text(&text(Suggest::Offered("d"), false)).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "--x is required with --non-interactive"
        );
        assert_eq!(f.text(&text(Suggest::None, true)).unwrap(), None);
        assert_eq!(
            f.text(&text(Suggest::Assumed("d"), false)).unwrap(),
            Some("d".into())
        );
        let mut q = Choose {
            flag: "--pick",
            prompt: "P:",
            help: "",
            options: vec!["a  first", "b  second"],
            assumed: None,
            page_size: None,
        };
        let e = f.choose(&q).unwrap_err();
        assert_eq!(e.to_string(), "--pick is required with --non-interactive");
        q.assumed = Some(1);
        assert_eq!(f.choose(&q).unwrap(), 1);
        assert!(f.defers_secrets());
    }

    #[test]
    fn option_names() {
        assert_eq!(option_name("unified    the gateway's own"), "unified");
        assert_eq!(
            option_name("(none: Claude Code's default)"),
            "(none: Claude Code's default)"
        );
        assert_eq!(option_name("HS256"), "HS256");
    }
}
