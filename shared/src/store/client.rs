//! Connecting to the table: the DynamoDB client and the table name, from the environment,
//! read once at init.

use std::time::Duration;

use aws_config::{BehaviorVersion, retry::RetryConfig, timeout::TimeoutConfig};
pub use aws_sdk_dynamodb::{Client, config::SharedHttpClient};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

pub const DEFAULT_TABLE_NAME: &str = "axiom";

/// Name of the one table, from `TABLE_NAME` (default `axiom`).
pub fn table_name() -> String {
    std::env::var("TABLE_NAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_TABLE_NAME.to_owned())
}

/// Bounds every DynamoDB call so that a database outage fails a request within a few seconds
/// (the authorizer then fails closed) instead of hanging until the Lambda timeout.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_secs(4))
        .build()
}

/// Retries of one call that DynamoDB answered with throttling, a 5xx or not at all: the SDK's
/// standard mode (exponential backoff with jitter, a retry quota). Transactions cancelled by a
/// conflict are retried by the store itself.
/// The first pause is short, as DynamoDB's own guidance has it for a database answering in
/// milliseconds (the SDK's default, one second, would spend a request's budget on one retry).
fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
}

/// HTTPS with rustls on ring; the system's root certificates.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// A DynamoDB client from the SDK's standard environment (`AWS_REGION`,
/// `AWS_ENDPOINT_URL_DYNAMODB`, credentials), with bounded timeouts and retries.
pub async fn dynamodb_client() -> Client {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await;
    Client::new(&sdk)
}

/// A client for a DynamoDB Local endpoint, with the dummy credentials it accepts.
pub async fn local_dynamodb_client(endpoint: &str) -> Client {
    local_dynamodb_client_over(endpoint, https_client()).await
}

/// [`local_dynamodb_client`] over another HTTP client (tests put one that injects faults).
pub async fn local_dynamodb_client_over(endpoint: &str, http: SharedHttpClient) -> Client {
    let credentials = aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "local");
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .timeout_config(timeouts())
        .retry_config(retries())
        .load()
        .await;
    Client::new(&sdk)
}

/// The store for this process, from the environment.
pub async fn store() -> super::Store {
    super::Store::new(dynamodb_client().await, table_name())
}
