//! What needs a person at a terminal: the hidden key prompt, confirmations and the spinner.
//! Each one checks for a terminal first and behaves for scripts when there is none.

use std::{
    io::{self, BufRead, IsTerminal, Write},
    time::Duration,
};

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::CliError;

/// The key for `axiom login`: typed without echo at a terminal, else the first line of stdin.
pub fn read_key() -> Result<String, CliError> {
    let key = if io::stdin().is_terminal() {
        rpassword::prompt_password("API key (input is hidden): ")
            .map_err(|error| CliError::Local(format!("cannot read the key from the terminal: {error}")))?
    } else {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| CliError::Local(format!("cannot read the key from stdin: {error}")))?;
        line
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(CliError::Usage(
            "no API key given: set AXIOM_API_KEY, or type or pipe the key into `axiom login`".into(),
        ));
    }
    Ok(key.to_owned())
}

/// Asks `question` on stderr and reads y/N from stdin. Refuses, rather than guessing, when
/// stdin is not a terminal: the caller's `--yes` is the way to confirm from a script.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    if !io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "refusing to ask for confirmation: stdin is not a terminal; pass --yes to confirm".into(),
        ));
    }
    eprint!("{question} [y/N] ");
    io::stderr().flush().ok();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| CliError::Local(format!("cannot read the answer: {error}")))?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// A note for the person (on stderr, so stdout stays the command's output); silent with --json.
pub fn note(json: bool, text: &str) {
    if !json {
        eprintln!("{text}");
    }
}

/// A spinner on stderr while something waits; nothing at all when stderr is not a terminal.
/// It disappears when dropped.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    pub fn start(message: String) -> Self {
        if !io::stderr().is_terminal() {
            return Self(None);
        }
        let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("a valid template");
        let spinner = ProgressBar::new_spinner().with_style(style).with_message(message);
        spinner.enable_steady_tick(Duration::from_millis(120));
        Self(Some(spinner))
    }

    pub fn set_message(&self, message: String) {
        if let Some(spinner) = &self.0 {
            spinner.set_message(message);
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(spinner) = &self.0 {
            spinner.finish_and_clear();
        }
    }
}
