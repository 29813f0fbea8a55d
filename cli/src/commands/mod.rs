//! One function per command. Each returns the exit code of a command that did its job, or the
//! error that stopped it.

mod account;
mod device;
mod flows;
mod keys;
mod lists;
mod runs;
mod usage;

use std::{io::Read, path::Path};

use serde_json::Value;

use crate::{
    api::{self, Api, Key, Reply},
    args::{Cli, Command, ExecutionsCommand, FlowsCommand, KeysCommand},
    credentials::{self, Credentials},
    error::{CliError, Exit, KeySource},
};

/// Where no endpoint is configured: the local server of `make dev`.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:3000";

pub fn run(cli: Cli) -> Result<Exit, CliError> {
    let context = Context {
        json: cli.json,
        // An empty AXIOM_ENDPOINT counts as unset, as an empty AXIOM_API_KEY does.
        endpoint: cli.endpoint.filter(|endpoint| !endpoint.trim().is_empty()),
    };
    match cli.command {
        Command::Login(args) => account::login(&context, &args),
        Command::Logout { revoke } => account::logout(&context, revoke),
        Command::Whoami => account::whoami(&context),
        Command::Keys(KeysCommand::Create { name, expiry }) => keys::create(&context, &name, expiry.at()),
        Command::Keys(KeysCommand::Roll {
            id,
            overlap,
            expiry,
            yes,
        }) => keys::roll(&context, &id, overlap, expiry.at(), yes),
        Command::Keys(KeysCommand::List(paging)) => lists::show(&context, &lists::KEYS, paging),
        Command::Keys(KeysCommand::Revoke { id, yes }) => keys::revoke(&context, &id, yes),
        Command::Flows(FlowsCommand::Create { name, file }) => flows::create(&context, &name, &file),
        Command::Flows(FlowsCommand::List(paging)) => lists::show(&context, &lists::FLOWS, paging),
        Command::Invoke(args) => runs::invoke(&context, args),
        Command::Executions(ExecutionsCommand::List { status, flow, paging }) => {
            lists::show(&context, &lists::executions(status, flow), paging)
        }
        Command::Executions(ExecutionsCommand::Get { id }) => runs::get(&context, &id),
        Command::Executions(ExecutionsCommand::Cancel { id }) => runs::cancel(&context, &id),
        Command::Executions(ExecutionsCommand::Resume { id, input }) => runs::resume(&context, &id, input),
        Command::Usage => usage::show(&context),
        Command::Audit(paging) => lists::show(&context, &lists::AUDIT, paging),
    }
}

/// What every command shares: the output mode and the endpoint from the command line.
pub struct Context {
    json: bool,
    /// `--endpoint`, else `AXIOM_ENDPOINT` (clap reads both).
    endpoint: Option<String>,
}

impl Context {
    /// `--endpoint`, then `AXIOM_ENDPOINT`, then the stored endpoint, then the default.
    fn endpoint(&self, stored: Option<&Credentials>) -> String {
        self.endpoint
            .clone()
            .or_else(|| stored.map(|credentials| credentials.endpoint.clone()))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
    }

    /// A client for the endpoint with the key: `AXIOM_API_KEY` when set, else the stored key.
    /// The credentials file is read only when something comes from it.
    fn api(&self) -> Result<Api, CliError> {
        let Some(value) = environment_key() else {
            return self.stored_api();
        };
        let stored = match &self.endpoint {
            Some(_) => None,
            None => credentials::load()?,
        };
        let key = Key {
            value,
            source: KeySource::Environment,
        };
        Api::new(&self.endpoint(stored.as_ref()), key)
    }

    /// A client with the stored key, for the endpoint it was stored for and no other
    /// (PRODUCT.md section 8): another endpoint gets [`CliError::OtherEndpoint`].
    fn stored_api(&self) -> Result<Api, CliError> {
        let stored = credentials::load()?.ok_or(CliError::NotLoggedIn)?;
        let endpoint = api::normalize_endpoint(&self.endpoint(Some(&stored)))?;
        if !api::same_endpoint(&endpoint, &stored.endpoint) {
            return Err(CliError::OtherEndpoint {
                stored: stored.endpoint,
                requested: endpoint,
            });
        }
        let key = Key {
            value: stored.api_key,
            source: KeySource::Stored,
        };
        Api::new(&endpoint, key)
    }

    /// Prints the API's JSON with `--json`, else the text that `text` makes of it.
    fn print(&self, reply: &Reply, text: impl FnOnce() -> Result<String, CliError>) -> Result<(), CliError> {
        if self.json {
            println!("{}", reply.body.trim_end());
        } else {
            println!("{}", text()?);
        }
        Ok(())
    }
}

/// `AXIOM_API_KEY`, trimmed; unset and empty are the same.
fn environment_key() -> Option<String> {
    std::env::var("AXIOM_API_KEY")
        .ok()
        .map(|key| key.trim().to_owned())
        .filter(|key| !key.is_empty())
}

/// A JSON document from a file, or from stdin when the path is `-`. Bad JSON is a usage error.
fn read_json(path: &Path) -> Result<Value, CliError> {
    let (name, text) = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| CliError::Local(format!("cannot read stdin: {error}")))?;
        ("stdin".to_owned(), text)
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|error| CliError::Local(format!("cannot read {}: {error}", path.display())))?;
        (path.display().to_string(), text)
    };
    serde_json::from_str(&text).map_err(|error| CliError::Usage(format!("{name} is not valid JSON: {error}")))
}
