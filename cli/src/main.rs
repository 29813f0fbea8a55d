//! `axiom`: the command line client of the Axiom API. Wiring only: parse the arguments, run the
//! command, turn the outcome into an exit code.

mod api;
mod args;
mod commands;
mod credentials;
mod error;
mod escape;
mod render;
mod schema;
mod terminal;
mod times;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Cli::parse();
    match commands::run(args) {
        Ok(exit) => exit.into(),
        Err(error) => {
            // Error messages carry the API's messages and parts of its answers: escaped too.
            eprintln!("axiom: {}", escape::escape(&error.to_string()));
            error.exit().into()
        }
    }
}
