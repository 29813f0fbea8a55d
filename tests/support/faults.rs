//! Faults on demand: a DynamoDB client whose HTTP layer throttles, conflicts, delays or fails
//! chosen operations (and, optionally, only requests that name a chosen item), answering as
//! DynamoDB does, so the SDK classifies and retries them exactly as on AWS. DynamoDB Local never
//! throttles, conflicts or stalls; these are the tests' way to make it.
//!
//! It wraps the HTTP client rather than being an interceptor: interceptors are synchronous and
//! cannot keep a request from being sent, so a delay would block the runtime and a "conflict"
//! would still write. A faulted request here never reaches the database (a slow one does, late).

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::Duration,
};

use aws_smithy_runtime_api::{
    client::{
        http::{
            HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
            SharedHttpConnector,
        },
        orchestrator::HttpRequest,
        runtime_components::RuntimeComponents,
    },
    http::{Response, StatusCode},
};
use aws_smithy_types::body::SdkBody;
use axiom_shared::{
    domain::ids::new_id,
    store::{Store, client, table},
};

/// What a faulted request gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `ThrottlingException`, as DynamoDB answers past a partition's or table's capacity.
    Throttle,
    /// `TransactionCanceledException` for a `TransactionConflict`: another transaction was
    /// changing one of the items (meant for `TransactWriteItems`).
    Conflict,
    /// `InternalServerError` (HTTP 500).
    ServerError,
    /// Sent only after this long: a slow database.
    Slow(Duration),
}

#[derive(Debug)]
struct Rule {
    /// The operation, as in `X-Amz-Target` (`GetItem`, `TransactWriteItems`, ...).
    operation: String,
    /// When set, only requests whose body contains this text (an id, say).
    naming: Option<String>,
    fault: Fault,
    /// Requests matched and let through before the fault starts.
    skip: usize,
    /// Requests faulted before the rule is spent.
    times: usize,
}

/// The faults to inject, shared with every client made by [`Faults::store`].
#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Vec<Rule>>>);

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Faults")
    }
}

impl Faults {
    /// From now on, the next `times` requests of `operation` (after `skip` of them succeed)
    /// get `fault`. `usize::MAX` times: until [`Faults::clear`].
    pub fn inject(&self, operation: &str, fault: Fault, skip: usize, times: usize) {
        self.add(operation, None, fault, skip, times);
    }

    /// As [`Faults::inject`], for the requests that name `item` (in their body) only.
    pub fn inject_for(&self, operation: &str, item: &str, fault: Fault, times: usize) {
        self.add(operation, Some(item.to_owned()), fault, 0, times);
    }

    fn add(&self, operation: &str, naming: Option<String>, fault: Fault, skip: usize, times: usize) {
        self.0.lock().unwrap().push(Rule {
            operation: operation.to_owned(),
            naming,
            fault,
            skip,
            times,
        });
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// A store on a fresh table of DynamoDB Local, whose requests pass these faults.
    pub async fn store(&self) -> Store {
        let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
            .expect("tests need DynamoDB Local: run them with `make test`");
        let http = SharedHttpClient::new(FaultyClient {
            inner: client::https_client(),
            faults: self.clone(),
        });
        let dynamodb = client::local_dynamodb_client_over(&endpoint, http).await;
        let name = format!("test-{}", new_id());
        table::ensure_table(&dynamodb, &name)
            .await
            .expect("create the test table");
        Store::new(dynamodb, name)
    }

    /// The fault for this request, if a rule takes it.
    fn take(&self, request: &HttpRequest) -> Option<Fault> {
        let operation = request
            .headers()
            .get("x-amz-target")?
            .rsplit('.')
            .next()?
            .to_owned();
        let body = request
            .body()
            .bytes()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let mut rules = self.0.lock().unwrap();
        let rule = rules.iter_mut().find(|rule| {
            rule.operation == operation
                && rule.times > 0
                && rule.naming.as_deref().is_none_or(|item| body.contains(item))
        })?;
        if rule.skip > 0 {
            rule.skip -= 1;
            return None;
        }
        rule.times -= 1;
        Some(rule.fault)
    }
}

#[derive(Debug)]
struct FaultyClient {
    inner: SharedHttpClient,
    faults: Faults,
}

impl HttpClient for FaultyClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            faults: self.faults.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: Faults,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match self.faults.take(&request) {
            None => self.inner.call(request),
            Some(Fault::Slow(delay)) => {
                let inner = self.inner.clone();
                HttpConnectorFuture::new(async move {
                    tokio::time::sleep(delay).await;
                    inner.call(request).await
                })
            }
            Some(Fault::Throttle) => answer(
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
            ),
            Some(Fault::Conflict) => answer(
                400,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#,
            ),
            Some(Fault::ServerError) => answer(
                500,
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#,
            ),
        }
    }
}

/// DynamoDB's answer with `status` and `body`.
fn answer(status: u16, body: &'static str) -> HttpConnectorFuture {
    let mut response = Response::new(
        StatusCode::try_from(status).expect("a valid status"),
        SdkBody::from(body),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    HttpConnectorFuture::ready(Ok(response))
}
