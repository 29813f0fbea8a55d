//! The command line: commands, arguments and the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

const AFTER_HELP: &str = "\
Environment:
  AXIOM_API_KEY   API key to use instead of the stored one; `axiom login` stores it without a prompt
  AXIOM_ENDPOINT  API endpoint, used when --endpoint is not given
  HOME            the credentials live in $HOME/.axiom/credentials

The endpoint is --endpoint, then AXIOM_ENDPOINT, then the one stored by `axiom login`, then
http://127.0.0.1:3000 (the local server of `make dev`).

Exit codes:
  0  success
  1  the API answered with an error (not found, conflict, invalid request, server error), the
     network failed, or a local file could not be used
  2  bad arguments or input, or a confirmation that cannot be asked (stdin is not a terminal)
  3  no API key, or the key is malformed, invalid or revoked: run `axiom login`
  4  `axiom invoke`: the run ended other than succeeded (failed, cancelled, compensation_failed)";

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
    /// Check an API key and store it, with the endpoint, in ~/.axiom/credentials.
    ///
    /// The key comes from AXIOM_API_KEY when it is set (no prompt: for CI), else from the
    /// terminal without echo, or from stdin when stdin is not a terminal. A key that the API
    /// refuses is not stored.
    Login,
    /// Forget the stored API key (the key itself stays valid; revoke it to end it).
    Logout,
    /// Show the email and tenant of the account the API key belongs to.
    Whoami,
    /// Create, list and revoke the account's API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Save and list flows.
    #[command(subcommand)]
    Flows(FlowsCommand),
    /// Run a saved flow and print its execution.
    Invoke(InvokeArgs),
    /// Show, cancel or resume an execution.
    #[command(subcommand)]
    Executions(ExecutionsCommand),
    /// Executions of the last 30 days: summary figures and a per-day chart.
    Usage,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Mint a key; the key is printed this once and can never be shown again.
    Create {
        /// What identifies where the key will live, such as `ci` or `laptop`.
        name: String,
    },
    /// List the account's keys, newest first (masked: the full key is never shown again).
    List,
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
    /// List the account's flows.
    List,
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
}

#[derive(Debug, Subcommand)]
pub enum ExecutionsCommand {
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
}
