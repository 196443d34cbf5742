//! The wizard: [`Inquire`] puts `init`'s questions with inquire on the terminal (prompts render
//! on stderr). Nothing is written here: Ctrl-C or Esc at any prompt ends `init` with exit 130
//! and no trace.

use std::io::IsTerminal;

use anyhow::Result;
use inquire::list_option::ListOption;
use inquire::validator::Validation;
use inquire::{InquireError, Password, Select};

use super::ask::{self, Ask, Choose, Confirm, Text};
use super::{SecretKind, models, questions};
use crate::config::Profile;
use crate::error::{self, Failure};
use crate::secret_input::NewSecret;

/// Ctrl-C (or Esc) at a prompt: one line, exit 130, nothing written.
pub fn cancelled() -> anyhow::Error {
    Failure {
        code: error::code::INTERRUPTED,
        message: "cancelled; nothing was written".into(),
        hint: None,
    }
    .into()
}

/// A prompt's answer, with Ctrl-C and Esc turned into [`cancelled`].
pub fn answer<T>(r: Result<T, InquireError>) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(InquireError::OperationInterrupted | InquireError::OperationCanceled) => {
            Err(cancelled())
        }
        Err(e) => Err(anyhow::Error::new(e).context("the prompt failed")),
    }
}

/// The interactive asker.
pub struct Inquire(());

impl Inquire {
    /// The wizard, which needs a terminal: without one `init` refuses rather than prompt.
    pub fn on_terminal() -> Result<Self> {
        if !std::io::stdin().is_terminal() {
            return Err(error::config(
                "stdin is not a terminal, so `ccgw init` will not prompt: pass --non-interactive and a flag for each answer",
                None,
            ));
        }
        Ok(Self(()))
    }
}

fn validation(r: Result<(), String>) -> Validation {
    match r {
        Ok(()) => Validation::Valid,
        Err(e) => Validation::Invalid(e.into()),
    }
}

impl Ask for Inquire {
    fn text(&mut self, q: &Text) -> Result<Option<String>> {
        let judge = *q;
        let mut t = inquire::Text::new(q.prompt)
            .with_help_message(q.help)
            .with_validator(move |s: &str| Ok(validation(judge.judge(s).map(drop))));
        if let Some(d) = q.default_text() {
            t = t.with_default(d);
        }
        let line = answer(t.prompt())?;
        q.judge(&line).map_err(|e| error::config(e, None))
    }

    fn choose(&mut self, q: &Choose<'_>) -> Result<usize> {
        // Once answered, the line shows the option's name, not its explanation.
        let short = |o: ListOption<&&str>| ask::option_name(o.value).to_owned();
        let mut s = Select::new(q.prompt, q.options.clone())
            .with_help_message(q.help)
            .with_formatter(&short);
        if let Some(n) = q.page_size {
            s = s.with_page_size(n);
        }
        Ok(answer(s.raw_prompt())?.index)
    }

    fn confirm(&mut self, q: &Confirm) -> Result<bool> {
        let mut c = inquire::Confirm::new(&q.prompt).with_default(q.default);
        if let Some(h) = &q.help {
            c = c.with_help_message(h);
        }
        answer(c.prompt())
    }

    /// Typed without echo. One entry, no confirmation: a mistyped key shows up at once in the
    /// doctor run that ends `init`, and `ccgw secret set` replaces it.
    fn secret(&mut self, kind: SecretKind) -> Result<NewSecret> {
        let prompt = questions::secret_prompt(kind);
        let rule = kind.rule();
        let p = Password::new(&prompt)
            .without_confirmation()
            .with_help_message(questions::SECRET_HELP)
            .with_validator(move |s: &str| Ok(validation(rule(s))));
        Ok(NewSecret(answer(p.prompt())?))
    }

    fn models(&mut self, name: &str, profile: &Profile, secret: Option<&NewSecret>) -> Vec<String> {
        models::offer(name, profile, secret)
    }

    fn show(&mut self, text: &str) {
        eprint!("{text}");
    }
}
