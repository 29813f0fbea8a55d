//! `make dev`: DynamoDB Local (unless `AWS_ENDPOINT_URL_DYNAMODB` names another), the table, a
//! demo account, and the whole API on http://127.0.0.1:$PORT (default 3000).

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use axiom_shared::{
    domain::accounts::Account,
    store::{Store, StoreError, client, table},
};
use tokio::{net::TcpListener, process::Child};

const DEMO_EMAIL: &str = "demo@axiom.local";
const DEMO_TENANT: &str = "demo";

#[tokio::main]
async fn main() -> ExitCode {
    axiom_shared::logging::init(std::io::stderr);
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("axiom-local: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT must be a port number, not {port:?}"))?,
        Err(_) => 3000,
    };
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;

    // Kept alive until the server stops; dropping it stops DynamoDB Local.
    let (client, endpoint, _emulator) = match std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
        Ok(endpoint) if !endpoint.is_empty() => (client::dynamodb_client().await, endpoint, None),
        _ => {
            let (endpoint, child) = start_dynamodb_local().await?;
            (
                client::local_dynamodb_client(&endpoint).await,
                endpoint,
                Some(child),
            )
        }
    };
    let table_name = client::table_name();
    wait_for_table(&client, &table_name).await?;
    let store = Store::new(client, &table_name);
    let key = demo_key(&store)
        .await
        .map_err(|e| format!("cannot create the demo account: {e}"))?;

    let base = format!("http://127.0.0.1:{port}");
    println!(
        "\nAxiom is running on {base} (DynamoDB at {endpoint}, table {table_name}).\n\n\
         Demo account {DEMO_EMAIL} (tenant {DEMO_TENANT}). Its API key, shown once:\n\n  \
         export AXIOM_API_KEY={key}\n\n\
         Try:\n  \
         curl -s {base}/v1/whoami -H \"Authorization: Bearer $AXIOM_API_KEY\"\n  \
         curl -s -X POST {base}/v1/api-keys -H \"Authorization: Bearer $AXIOM_API_KEY\" \
         -H 'content-type: application/json' -d '{{\"name\":\"laptop\"}}'\n  \
         curl -s {base}/v1/api-keys -H \"Authorization: Bearer $AXIOM_API_KEY\"\n\n\
         Console: {base}/console/api-keys (paste the key)\n\n\
         Stop with Ctrl-C.\n"
    );

    axum::serve(listener, axiom_local::app(store))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

/// Starts DynamoDB Local in memory on a free port through `scripts/dynamodb-local`.
async fn start_dynamodb_local() -> Result<(String, Child), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("cannot find a free port for DynamoDB Local: {e}"))?
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/dynamodb-local");
    let child = tokio::process::Command::new(script)
        .arg(port.to_string())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start DynamoDB Local ({script}): {e}"))?;
    Ok((format!("http://127.0.0.1:{port}"), child))
}

/// Creates the table, retrying while the database is still starting (up to a minute).
async fn wait_for_table(client: &client::Client, name: &str) -> Result<(), String> {
    let mut last_error = None;
    for _ in 0..120 {
        match table::ensure_table(client, name).await {
            Ok(()) => return Ok(()),
            Err(error) => last_error = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!(
        "DynamoDB did not answer: {}",
        last_error.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// A fresh key for the demo account, creating the account the first time.
async fn demo_key(store: &Store) -> Result<String, StoreError> {
    match store.create_account(DEMO_EMAIL, DEMO_TENANT, "cli").await {
        Ok((_, key)) => Ok(key.raw.expose().to_owned()),
        Err(StoreError::AlreadyExists) => {
            let account: Account = store
                .find_account_by_email(DEMO_EMAIL)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(store
                .create_key(&account, None, "demo".to_owned())
                .await?
                .raw
                .expose()
                .to_owned())
        }
        Err(error) => Err(error),
    }
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("signal handlers install");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
