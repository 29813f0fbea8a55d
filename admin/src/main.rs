//! `axiom-admin`: operator commands. There is no sign-up here; an operator creates accounts.

use std::process::ExitCode;

use axiom_shared::{
    domain::accounts,
    store::{StoreError, client},
};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "axiom-admin",
    version,
    about = "Operator commands for an Axiom deployment"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an account and its first API key (named `cli`); prints them as one JSON object.
    ///
    /// Uses the table named by TABLE_NAME (default `axiom`) through the AWS SDK's standard
    /// environment (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, credentials).
    CreateAccount {
        /// The account's email; unique across accounts.
        #[arg(long)]
        email: String,
        /// The account's tenant, a short name such as `acme`.
        #[arg(long)]
        tenant: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let Command::CreateAccount { email, tenant } = Cli::parse().command;
    let (email, tenant) = match (
        accounts::normalize_email(&email),
        accounts::validate_tenant(&tenant),
    ) {
        (Ok(email), Ok(tenant)) => (email, tenant),
        (Err(invalid), _) | (_, Err(invalid)) => {
            eprintln!("axiom-admin: {invalid}");
            return ExitCode::from(2);
        }
    };
    let store = client::store().await;
    match store.create_account(&email, &tenant, "cli").await {
        Ok((account, key)) => {
            let output = serde_json::json!({
                "account_id": account.account_id,
                "email": account.email,
                "tenant": account.tenant,
                "key_id": key.summary.key_id,
                "key": key.raw.expose(),
            });
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(StoreError::AlreadyExists) => {
            eprintln!("axiom-admin: an account with the email {email} exists already");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("axiom-admin: could not create the account: {error}");
            ExitCode::FAILURE
        }
    }
}
