//! `make dev`: DynamoDB Local (unless `AWS_ENDPOINT_URL_DYNAMODB` names another), the table, a
//! demo account, and the whole API on http://127.0.0.1:$PORT (default 3000).

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use axiom_shared::{
    domain::{accounts::Account, audit::Actor, timestamp},
    store::{NewKey, Store, StoreError, client, table},
};
use tokio::{net::TcpListener, process::Child};

const DEMO_EMAIL: &str = "demo@axiom.local";
const DEMO_TENANT: &str = "demo";

#[tokio::main(flavor = "current_thread")]
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
        Ok(endpoint) if !endpoint.is_empty() => {
            let client = match connection(&endpoint, &environment, shared_aws_config_exists())? {
                Connection::Loopback { region, credentials } => {
                    let credentials = match credentials {
                        Keys::Dummy => client::Credentials::new("local", "local", None, None, "local"),
                        Keys::Environment {
                            access_key_id,
                            secret_access_key,
                            session_token,
                        } => client::Credentials::new(
                            access_key_id,
                            secret_access_key,
                            session_token,
                            None,
                            "environment",
                        ),
                    };
                    client::loopback_dynamodb_client(&endpoint, &region, credentials).await
                }
                Connection::Standard => client::dynamodb_client().await,
            };
            (client, endpoint, None)
        }
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

/// The region when none is set, for a DynamoDB on this machine.
const DEFAULT_LOCAL_REGION: &str = "us-east-1";

/// How to reach the DynamoDB that `AWS_ENDPOINT_URL_DYNAMODB` names.
#[derive(Debug, PartialEq, Eq)]
enum Connection {
    /// On this machine (DynamoDB Local): the environment's region and keys when set, else
    /// [`DEFAULT_LOCAL_REGION`] and dummy keys; never profiles or instance metadata, so nothing
    /// waits on a lookup that cannot succeed.
    Loopback { region: String, credentials: Keys },
    /// Elsewhere: the AWS SDK's standard environment (keys, profiles, roles).
    Standard,
}

#[derive(Debug, PartialEq, Eq)]
enum Keys {
    /// What DynamoDB Local accepts: any keys at all.
    Dummy,
    Environment {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
    },
}

/// Decides [`Connection`] from the endpoint, the environment (`env` gives a variable's
/// non-empty value) and whether an AWS config or credentials file exists. Pure, so that it is
/// tested without touching the process's environment. `Err` is one line: what to set.
fn connection(
    endpoint: &str,
    env: &dyn Fn(&str) -> Option<String>,
    shared_config: bool,
) -> Result<Connection, String> {
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    let keys = env("AWS_ACCESS_KEY_ID").zip(env("AWS_SECRET_ACCESS_KEY"));
    if is_loopback(endpoint)? {
        return Ok(Connection::Loopback {
            region: region.unwrap_or_else(|| DEFAULT_LOCAL_REGION.to_owned()),
            credentials: match keys {
                Some((access_key_id, secret_access_key)) => Keys::Environment {
                    access_key_id,
                    secret_access_key,
                    session_token: env("AWS_SESSION_TOKEN"),
                },
                None => Keys::Dummy,
            },
        });
    }
    let credentials = keys.is_some()
        || shared_config
        || [
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]
        .into_iter()
        .any(|name| env(name).is_some());
    if !credentials {
        return Err(format!(
            "AWS_ENDPOINT_URL_DYNAMODB={endpoint} is not on this machine and no AWS credentials are \
             set: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and AWS_REGION, \
             or unset AWS_ENDPOINT_URL_DYNAMODB to use DynamoDB Local"
        ));
    }
    if region.is_none() && !shared_config {
        return Err(format!(
            "AWS_ENDPOINT_URL_DYNAMODB={endpoint} is not on this machine and no AWS region is set: \
             set AWS_REGION"
        ));
    }
    Ok(Connection::Standard)
}

/// Whether the endpoint's host is this machine: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback(endpoint: &str) -> Result<bool, String> {
    let host = endpoint
        .parse::<axum::http::Uri>()
        .ok()
        .filter(|uri| uri.scheme().is_some())
        .and_then(|uri| uri.host().map(str::to_owned))
        .ok_or_else(|| {
            format!("AWS_ENDPOINT_URL_DYNAMODB={endpoint:?} is not a URL such as http://127.0.0.1:8000")
        })?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

/// A variable's value when set and not empty.
fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Whether the AWS CLI's config or credentials file exists (where profiles, regions and keys
/// may be).
fn shared_aws_config_exists() -> bool {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let file = |variable: &str, default: &str| {
        std::env::var_os(variable)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|home| home.join(".aws").join(default)))
    };
    [
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
    .into_iter()
    .flatten()
    .any(|path| path.is_file())
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
            let key = NewKey {
                name: "demo".to_owned(),
                expires_at: None,
            };
            Ok(store
                .create_key(&account, &Actor::default(), key, timestamp::now())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment of the given variables only.
    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    fn dummy() -> Connection {
        Connection::Loopback {
            region: "us-east-1".into(),
            credentials: Keys::Dummy,
        }
    }

    #[test]
    fn loopback_without_credentials_or_region_uses_local_defaults() {
        for endpoint in [
            "http://127.0.0.1:8000",
            "http://localhost:8000",
            "http://LOCALHOST:8000/",
            "http://127.0.0.2:8000",
            "http://[::1]:8000",
            "https://127.0.0.1",
        ] {
            assert_eq!(connection(endpoint, &env(&[]), false), Ok(dummy()), "{endpoint}");
            // A config file on the machine changes nothing for a local database.
            assert_eq!(connection(endpoint, &env(&[]), true), Ok(dummy()), "{endpoint}");
        }
    }

    #[test]
    fn loopback_keeps_the_environments_region_and_keys() {
        let vars = [
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ];
        assert_eq!(
            connection("http://127.0.0.1:8000", &env(&vars), false),
            Ok(Connection::Loopback {
                region: "eu-west-1".into(),
                credentials: Keys::Environment {
                    access_key_id: "AKID".into(),
                    secret_access_key: "secret".into(),
                    session_token: Some("token".into()),
                },
            })
        );
        // A key id without its secret is no credentials: dummy ones, and AWS_REGION first.
        let vars = [
            ("AWS_REGION", "ap-south-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
        ];
        assert_eq!(
            connection("http://localhost:8000", &env(&vars), false),
            Ok(Connection::Loopback {
                region: "ap-south-1".into(),
                credentials: Keys::Dummy,
            })
        );
    }

    #[test]
    fn elsewhere_without_credentials_fails_with_one_line() {
        for endpoint in [
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://10.0.0.5:8000",
            "http://127.0.0.1.example.com:8000",
            "http://localhost.example.com",
        ] {
            let error = connection(endpoint, &env(&[("AWS_REGION", "us-east-1")]), false).unwrap_err();
            assert!(!error.contains('\n'), "{error}");
            assert!(
                error.contains("no AWS credentials") && error.contains("AWS_ACCESS_KEY_ID"),
                "{error}"
            );
        }
        let error = connection(
            "https://dynamodb.us-east-1.amazonaws.com",
            &env(&[("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "secret")]),
            false,
        )
        .unwrap_err();
        assert!(!error.contains('\n') && error.contains("AWS_REGION"), "{error}");
    }

    #[test]
    fn elsewhere_with_credentials_uses_the_standard_environment() {
        let endpoint = "https://dynamodb.eu-west-1.amazonaws.com";
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_REGION", "eu-west-1"),
        ];
        assert_eq!(connection(endpoint, &env(&keys), false), Ok(Connection::Standard));
        let profile = [("AWS_PROFILE", "dev"), ("AWS_REGION", "eu-west-1")];
        assert_eq!(
            connection(endpoint, &env(&profile), false),
            Ok(Connection::Standard)
        );
        // Profiles in ~/.aws may hold both.
        assert_eq!(connection(endpoint, &env(&[]), true), Ok(Connection::Standard));
    }

    #[test]
    fn an_endpoint_that_is_no_url_fails() {
        for endpoint in ["127.0.0.1:8000", "not a url", "localhost"] {
            let error = connection(endpoint, &env(&[]), false).unwrap_err();
            assert!(error.contains("is not a URL"), "{error}");
        }
    }
}
