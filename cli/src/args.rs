//! The command line: commands, arguments and the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, builder::PossibleValuesParser};
use serde_json::Value;

use crate::times;

const AFTER_HELP: &str = "\
Environment:
  AXIOM_API_KEY   API key to use instead of the stored one; `axiom login` stores it without a prompt
  AXIOM_ENDPOINT  API endpoint, used when --endpoint is not given
  HOME            the credentials live in $HOME/.axiom/credentials
  BROWSER         the browser `axiom login` opens for the sign-in (else open or xdg-open)

The endpoint is --endpoint, then AXIOM_ENDPOINT, then the one stored by `axiom login`, then
http://127.0.0.1:3000 (the local server of `make dev`). The stored key is sent only to the
endpoint it was stored for, and plain http:// only to a loopback address (127.0.0.1, ::1,
localhost).

Exit codes:
  0  success
  1  the API answered with an error (not found, conflict, invalid request, server error), the
     network failed, or a local file could not be used
  2  bad arguments or input, or a confirmation that cannot be asked (stdin is not a terminal)
  3  no API key, or the key is malformed, invalid or revoked: run `axiom login`
  4  `axiom invoke`: the run ended other than succeeded (failed, cancelled, compensation_failed)
  130  stopped with Ctrl-C while `axiom login` waited for the sign-in (nothing stored)";

#[derive(Debug, Parser)]
#[command(
    name = "axiom",
    version,
    about = "Command line client of the Axiom API: keys, flows, runs and usage",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Print the API's JSON instead of text, for scripts.
    #[arg(long, global = true)]
    pub json: bool,

    /// The API's base URL, such as https://abc123.execute-api.eu-west-1.amazonaws.com.
    #[arg(long, global = true, env = "AXIOM_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in and store an API key, with the endpoint, in ~/.axiom/credentials.
    ///
    /// With AXIOM_API_KEY set, that key is checked and stored (no prompt, no browser: for CI).
    /// With --with-key, or when stdin is a pipe or a file, the key is read from stdin (typed
    /// without echo at a terminal). Otherwise a browser sign-in: approve the printed code in the
    /// Console and a new key named `cli` is stored. A key that the API refuses is not stored.
    Login(LoginArgs),
    /// Forget the stored API key; with --revoke, revoke it first.
    Logout {
        /// Also revoke the stored key at its endpoint, so it stops working everywhere.
        #[arg(long)]
        revoke: bool,
    },
    /// Show the email and tenant of the account the API key belongs to.
    Whoami,
    /// Create, roll, list and revoke the account's API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Save and list flows.
    #[command(subcommand)]
    Flows(FlowsCommand),
    /// Run a saved flow and print its execution.
    Invoke(InvokeArgs),
    /// List executions, or show, cancel or resume one.
    #[command(subcommand)]
    Executions(ExecutionsCommand),
    /// Executions of the last 30 days: summary figures and a per-day chart.
    Usage,
    /// The audit log, newest first: who created, rolled and revoked keys, saved flows, ...
    Audit(Paging),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Read the API key from stdin (a pipe, or typed without echo at a terminal) instead of
    /// signing in with a browser.
    #[arg(long)]
    pub with_key: bool,
    /// Do not open a browser for the sign-in; only print the address and the code.
    #[arg(long, conflicts_with = "with_key")]
    pub no_browser: bool,
}

/// `--all` or `--limit N`, for every list.
#[derive(Clone, Copy, Debug, Args)]
pub struct Paging {
    /// List everything, following the pages to the end.
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
    /// List one page of N items (1 to 100; the API's default page holds 50).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub limit: Option<u8>,
}

/// When a new key stops working (default: never).
#[derive(Debug, Args)]
pub struct Expiry {
    /// Expire this long from now: 90m, 12h, 30d, 1h30m (at most 366d).
    #[arg(long, value_name = "DURATION", value_parser = times::parse_expires_in, conflicts_with = "expires_at")]
    pub expires_in: Option<String>,
    /// Expire at this time (RFC 3339, such as 2027-01-31T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = times::parse_expires_at)]
    pub expires_at: Option<String>,
}

impl Expiry {
    /// The expiry as the API takes it (RFC 3339 UTC), if any.
    pub fn at(&self) -> Option<&str> {
        self.expires_in.as_deref().or(self.expires_at.as_deref())
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Mint a key; the key is printed this once and can never be shown again.
    Create {
        /// What identifies where the key will live, such as `ci` or `laptop`.
        name: String,
        #[command(flatten)]
        expiry: Expiry,
    },
    /// Replace a key by a new one with the same name; the old one stops after the overlap.
    Roll {
        /// The key's id, as `axiom keys list` shows it.
        id: String,
        /// How long the old key keeps working, for clients to switch: 0 (default: it stops at
        /// once), 1h, 24h, 7d (at most).
        #[arg(long, value_name = "DURATION", value_parser = times::parse_overlap)]
        overlap: Option<u64>,
        #[command(flatten)]
        expiry: Expiry,
        /// Do not ask for confirmation when the old key stops at once (no overlap).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// List the account's keys, newest first (masked: the full key is never shown again).
    List(Paging),
    /// Revoke a key at once and for good; clients using it stop working on their next request.
    Revoke {
        /// The key's id, as `axiom keys list` shows it.
        id: String,
        /// Do not ask for confirmation (needed when stdin is not a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FlowsCommand {
    /// Save a flow; prints its graph id, which `axiom invoke` takes.
    Create {
        /// The flow's name.
        name: String,
        /// The definition: a JSON file such as {"steps": [...]}, or `-` for stdin.
        #[arg(long, short = 'f', value_name = "FLOW.json")]
        file: PathBuf,
    },
    /// List the account's flows, newest first.
    List(Paging),
}

#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The flow to run, as `axiom flows create` printed it.
    pub graph_id: String,
    /// The run's input, as JSON (default: {}).
    #[arg(long, value_name = "JSON", value_parser = parse_json, conflicts_with = "input_file")]
    pub input: Option<Value>,
    /// Read the run's input from a JSON file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
    /// Wait until the run has ended or is paused (runs end within minutes).
    #[arg(long)]
    pub wait: bool,
    /// Retry safely: a repeat with the same key, flow and input within 24 hours starts no new
    /// run and returns the first one (1 to 255 printable ASCII characters).
    #[arg(long, value_name = "KEY", value_parser = parse_idempotency_key)]
    pub idempotency_key: Option<String>,
}

/// The statuses of PRODUCT.md section 6, which `executions list --status` takes.
const STATUSES: [&str; 8] = [
    "queued",
    "running",
    "paused",
    "compensating",
    "succeeded",
    "failed",
    "cancelled",
    "compensation_failed",
];

#[derive(Debug, Subcommand)]
pub enum ExecutionsCommand {
    /// List the account's executions, newest first.
    List {
        /// Only executions with this status.
        #[arg(long, value_parser = PossibleValuesParser::new(STATUSES))]
        status: Option<String>,
        /// Only executions of this flow.
        #[arg(long, value_name = "GRAPH_ID")]
        flow: Option<String>,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show an execution.
    Get {
        /// The execution's id.
        id: String,
    },
    /// Cancel a queued, running or paused execution (no compensation runs).
    Cancel {
        /// The execution's id.
        id: String,
    },
    /// Resume a paused execution.
    Resume {
        /// The execution's id.
        id: String,
        /// JSON object merged into the run's state before it goes on.
        #[arg(long, value_name = "JSON", value_parser = parse_json)]
        input: Option<Value>,
    },
}

fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|error| format!("not valid JSON: {error}"))
}

/// 1 to 255 printable ASCII characters (space included), as PRODUCT.md section 15 says; not
/// starting or ending with a space, which HTTP would drop.
fn parse_idempotency_key(text: &str) -> Result<String, String> {
    let printable = text.bytes().all(|byte| (0x20..=0x7e).contains(&byte));
    if !(1..=255).contains(&text.len()) || !printable {
        return Err("an idempotency key is 1 to 255 printable ASCII characters".into());
    }
    if text.trim() != text {
        return Err("an idempotency key cannot start or end with a space".into());
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn input_and_input_file_exclude_each_other() {
        let parsed = Cli::try_parse_from(["axiom", "invoke", "g", "--input", "{}", "--input-file", "f"]);
        assert_eq!(
            parsed.unwrap_err().kind(),
            clap::error::ErrorKind::ArgumentConflict
        );
        let parsed = Cli::try_parse_from(["axiom", "invoke", "g", "--input", "{nope"]);
        assert_eq!(
            parsed.unwrap_err().kind(),
            clap::error::ErrorKind::ValueValidation
        );
    }

    #[test]
    fn idempotency_keys_are_printable_ascii() {
        assert_eq!(
            parse_idempotency_key("order-42 retry"),
            Ok("order-42 retry".into())
        );
        assert!(parse_idempotency_key(&"k".repeat(255)).is_ok());
        for bad in ["", " lead", "trail ", "tab\there", "caf\u{e9}", "\u{7f}"] {
            assert!(parse_idempotency_key(bad).is_err(), "{bad:?}");
        }
        assert!(parse_idempotency_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn paging_is_all_or_a_limit_of_1_to_100() {
        for args in [
            &["keys", "list", "--limit", "0"][..],
            &["keys", "list", "--limit", "101"],
            &["audit", "--all", "--limit", "5"],
        ] {
            let parsed = Cli::try_parse_from([&["axiom"], args].concat());
            assert!(parsed.is_err(), "{args:?}");
        }
        let parsed = Cli::try_parse_from(["axiom", "executions", "list", "--limit", "100"]);
        assert!(parsed.is_ok());
    }
}
