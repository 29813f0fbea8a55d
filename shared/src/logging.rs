//! Logging: `tracing` to standard output (standard error for the local server), JSON when
//! Lambda's log format is JSON. The level comes from `AWS_LAMBDA_LOG_LEVEL`, then `RUST_LOG`
//! (a plain level such as `debug`), else `info`. Nothing logs a key; a hash prefix at most.

use tracing_subscriber::{
    filter::{LevelFilter, Targets},
    fmt::MakeWriter,
    prelude::*,
};

/// Libraries whose `trace` logs hold secrets, so stop at `debug` whatever the level: the Lambda
/// runtime logs each raw event (with its `Authorization` header, so a key), the AWS SDK each
/// request body (with key hashes and device-code hashes).
const CAPPED_TARGETS: [&str; 6] = [
    "lambda_runtime",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_smithy_runtime_api",
    "aws_sdk_dynamodb",
];

pub fn init<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let level = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok()?.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    let targets = CAPPED_TARGETS
        .into_iter()
        .fold(Targets::new().with_default(level), |targets, capped| {
            targets.with_target(capped, level.min(LevelFilter::DEBUG))
        });
    let layer = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_writer(writer);
    if json {
        tracing_subscriber::registry()
            .with(layer.json().without_time().with_filter(targets))
            .init();
    } else {
        tracing_subscriber::registry()
            .with(layer.with_filter(targets))
            .init();
    }
}
