//! `axiom-admin`: operator commands. There is no sign-up here; an operator creates accounts.

use std::process::ExitCode;

use axiom_shared::{
    domain::{accounts, timestamp},
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
    /// Set how many runs an account may have in flight at once (default 1000); prints the
    /// account and its quota as one JSON object. Recorded in the account's audit log.
    SetQuota {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// Runs in flight (queued, running, paused or compensating) at most.
        #[arg(long)]
        max_in_flight: u32,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::CreateAccount { email, tenant } => create_account(&email, &tenant).await,
        Command::SetQuota { email, max_in_flight } => set_quota(&email, max_in_flight).await,
    }
}

async fn set_quota(email: &str, max_in_flight: u32) -> ExitCode {
    let email = match accounts::normalize_email(email) {
        Ok(email) => email,
        Err(invalid) => {
            eprintln!("axiom-admin: {invalid}");
            return ExitCode::from(2);
        }
    };
    let store = client::store().await;
    let account = match store.find_account_by_email(&email).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            eprintln!("axiom-admin: no account has the email {email}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("axiom-admin: could not read the account: {error}");
            return ExitCode::FAILURE;
        }
    };
    match store
        .set_max_in_flight(&account.account_id, max_in_flight, timestamp::now())
        .await
    {
        Ok(()) => {
            let output = serde_json::json!({
                "account_id": account.account_id,
                "email": account.email,
                "max_in_flight": max_in_flight,
            });
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("axiom-admin: could not set the quota: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn create_account(email: &str, tenant: &str) -> ExitCode {
    let (email, tenant) = match (
        accounts::normalize_email(email),
        accounts::validate_tenant(tenant),
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
