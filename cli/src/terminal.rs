//! What needs a person at a terminal: the hidden key prompt, confirmations, the spinner, the
//! browser and Ctrl-C. Each one checks for a terminal first and behaves for scripts when there
//! is none.

use std::{
    env,
    fs::File,
    io::{self, BufRead, IsTerminal, Write},
    os::{fd::AsFd, unix::fs::FileTypeExt},
    process::{Command, Stdio},
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
            "no API key given: pipe or type the key into `axiom login --with-key`, set \
             AXIOM_API_KEY, or run `axiom login` without --with-key to sign in with a browser"
                .into(),
        ));
    }
    Ok(key.to_owned())
}

/// True when stdin is a pipe or a file (`echo $KEY | axiom login`, `axiom login < key.txt`):
/// something was given to read. A terminal, /dev/null or a closed stdin is not.
pub fn stdin_is_piped() -> bool {
    let Ok(stdin) = io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    File::from(stdin)
        .metadata()
        .is_ok_and(|metadata| metadata.file_type().is_fifo() || metadata.is_file())
}

/// The width of the terminal that stdout is, if it is one.
pub fn width() -> Option<u16> {
    comfy_table::Table::new().width()
}

/// Opens `url` in a browser, if one can be opened: `$BROWSER` (a command, or a list of them
/// separated by `:`, where `%s` stands for the address), else `open` on macOS, else `xdg-open`
/// in a graphical session (not over plain SSH, where it could start a text browser in this
/// terminal). True when a browser command started; whatever happens next is ignored, since the
/// address is printed anyway.
pub fn open_browser(url: &str) -> bool {
    let commands = match env::var("BROWSER") {
        Ok(list) if !list.trim().is_empty() => list.split(':').map(str::to_owned).collect(),
        _ if cfg!(target_os = "macos") => vec!["open".to_owned()],
        _ if env::var_os("DISPLAY").is_some() || env::var_os("WAYLAND_DISPLAY").is_some() => {
            vec!["xdg-open".to_owned()]
        }
        _ => Vec::new(),
    };
    commands.iter().any(|command| start(command, url))
}

/// Starts `command` (words separated by spaces) with `url`, detached from this terminal.
fn start(command: &str, url: &str) -> bool {
    let mut words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return false;
    }
    if words.iter().any(|word| word.contains("%s")) {
        words = words.iter().map(|word| word.replace("%s", url)).collect();
    } else {
        words.push(url.to_owned());
    }
    let child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            // Reaped in the background, so it never lingers as a zombie.
            std::thread::spawn(move || child.wait());
            true
        }
        Err(_) => false,
    }
}

/// From now on, Ctrl-C ends the process at once with exit code 130, saying that nothing was
/// stored: for the wait of the browser sign-in, before any key exists.
pub fn stop_on_interrupt() {
    // SAFETY: `stop` only makes async-signal-safe calls (write and _exit).
    unsafe {
        libc::signal(
            libc::SIGINT,
            stop as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// From now on, Ctrl-C is ignored: a key exists, and storing it takes a moment.
pub fn ignore_interrupt() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}

extern "C" fn stop(_signal: libc::c_int) {
    const NOTE: &[u8] = b"\nStopped: nothing was stored.\n";
    // SAFETY: write(2) and _exit(2) are async-signal-safe; NOTE is a valid buffer.
    unsafe {
        libc::write(libc::STDERR_FILENO, NOTE.as_ptr().cast(), NOTE.len());
        libc::_exit(130);
    }
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
