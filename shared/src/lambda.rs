//! Lambda wiring shared by the function binaries: tracing, one store per process (built at
//! init, reused by every invocation), and the runtime loop.

use std::convert::Infallible;

pub use lambda_http::Error;
use lambda_http::{Body, Request, Response, lambda_runtime, service_fn};

use crate::{auth, config, logging, runner, store::Store, timestamp};

/// How long one runner invocation carries runs on before handing the rest over. The runner's
/// Lambda timeout in `template.yaml` (90 s) leaves room for the last step and the hand-over.
/// (Its own clock, not the invocation's deadline, which local emulators do not all send as an
/// epoch time.)
pub const RUNNER_BUDGET_MS: i64 = 60_000;

/// Serves a route's handler under the Lambda runtime, with the store built once at init. Each
/// binary names its own handler, so it links only that one.
pub async fn run_route<H, F>(handler: H) -> Result<(), Error>
where
    H: Fn(Store, Request) -> F,
    F: Future<Output = Response<Body>> + Send,
{
    logging::init(std::io::stdout);
    let store = config::store().await;
    lambda_http::run(service_fn(move |request| {
        let response = handler(store.clone(), request);
        async move { Ok::<_, Infallible>(response.await) }
    }))
    .await
}

/// Serves a route that needs no database (whoami, the Console).
pub async fn run_route_without_store<H, F>(handler: H) -> Result<(), Error>
where
    H: Fn(Request) -> F,
    F: Future<Output = Response<Body>> + Send,
{
    logging::init(std::io::stdout);
    lambda_http::run(service_fn(move |request| {
        let response = handler(request);
        async move { Ok::<_, Infallible>(response.await) }
    }))
    .await
}

/// Serves the authorizer under the Lambda runtime. The DynamoDB connection is opened during
/// init so that the first request does not pay the TLS handshake.
pub async fn run_authorizer() -> Result<(), Error> {
    logging::init(std::io::stdout);
    let store = config::store().await;
    store.warm_connection().await;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |event: lambda_runtime::LambdaEvent<_>| async move {
            auth::authorize(store, event.payload).await.map_err(Error::from)
        },
    ))
    .await
}

/// Serves the runner: table stream batches of runnable runs.
pub async fn run_runner() -> Result<(), Error> {
    logging::init(std::io::stdout);
    let store = config::store().await;
    store.warm_connection().await;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::dynamodb::Event>| async move {
            let until_ms = timestamp::now_ms() + RUNNER_BUDGET_MS;
            Ok::<_, Error>(runner::on_stream(store, &event.payload.records, until_ms).await)
        },
    ))
    .await
}

/// Serves the sweep, invoked on a schedule.
pub async fn run_sweeper() -> Result<(), Error> {
    logging::init(std::io::stdout);
    let store = config::store().await;
    let store = &store;
    lambda_runtime::run(service_fn(
        move |_: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let sweep = runner::sweep(store, timestamp::now_ms()).await?;
            tracing::info!(timed_out = sweep.timed_out, redriven = sweep.redriven, "swept");
            Ok::<_, Error>(serde_json::json!({"timed_out": sweep.timed_out, "redriven": sweep.redriven}))
        },
    ))
    .await
}
