//! The Lambda entry points that `functions/*/src/main.rs` call: logging, one store per process
//! (built at init, reused by every invocation), and the runtime loop.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
pub use lambda_http::Error;
use lambda_http::{
    Body, LambdaEvent, Request, Response,
    lambda_runtime::{self, service_fn},
};

use crate::{
    api::{authorizer, http},
    domain::timestamp,
    logging, runner,
    store::{Store, WarmUp, client},
};

/// Serves an authorized route's handler (one of `api`'s, in the one handler shape), with the
/// store built once at init. Each binary names its own handler, so it links only that one.
#[macro_export]
macro_rules! serve_route {
    ($handler:path) => {
        $crate::lambda::run_route(|store, request| async move {
            $crate::api::respond($handler, &store, request).await
        })
    };
}

/// The runtime loop of [`serve_route!`]: a closure per request over the store built at init.
/// (A generic `AsyncFn` handler cannot be required to return a `Send` future, which the
/// runtime needs; the macro names the handler so that its future is a concrete type.)
pub async fn run_route<H, F>(handler: H) -> Result<(), Error>
where
    H: Fn(Store, Request) -> F,
    F: Future<Output = Response<Body>> + Send,
{
    logging::init(std::io::stdout);
    let store = client::store().await;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<ApiGatewayV2httpRequest>| {
        // Boxed: a handler's future nests deeply enough to pass the compiler's type depth limit
        // inside the runtime's own futures.
        let response = Box::pin(handler(store.clone(), http::request_of(event.payload)));
        async move { Ok::<_, Error>(http::gateway_response(response.await)) }
    }))
    .await
}

/// Serves a route that needs no database: `whoami` (its answer is the caller) or the public
/// Console.
pub async fn run_route_without_store(handler: fn(&Request) -> Response<Body>) -> Result<(), Error> {
    logging::init(std::io::stdout);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<_, Error>(http::gateway_response(handler(&http::request_of(event.payload))))
        },
    ))
    .await
}

/// Serves the authorizer. The DynamoDB connection is opened during init so that the first
/// request does not pay the TLS handshake.
pub async fn run_authorizer() -> Result<(), Error> {
    logging::init(std::io::stdout);
    let store = client::store().await;
    store.warm_connection(WarmUp::Credentials).await;
    let store = &store;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        authorizer::authorize(store, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}

/// Serves the runner: batches of the runs queue's messages.
pub async fn run_runner() -> Result<(), Error> {
    logging::init(std::io::stdout);
    let store = client::store().await;
    store.warm_connection(WarmUp::Flows).await;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::sqs::SqsEvent>| async move {
            let until_ms = timestamp::now_ms() + runner::RUNNER_BUDGET_MS;
            Ok::<_, Error>(runner::on_queue(store, &event.payload, until_ms).await)
        },
    ))
    .await
}

/// Serves the sweep, invoked on a schedule.
pub async fn run_sweeper() -> Result<(), Error> {
    logging::init(std::io::stdout);
    let store = client::store().await;
    let store = &store;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let sweep = runner::sweep(store, timestamp::now_ms()).await;
        tracing::info!(
            timed_out = sweep.timed_out,
            redriven = sweep.redriven,
            failed = sweep.failed,
            "swept"
        );
        Ok::<_, Error>(serde_json::json!({
            "timed_out": sweep.timed_out,
            "redriven": sweep.redriven,
            "failed": sweep.failed,
        }))
    }))
    .await
}
