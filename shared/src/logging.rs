//! Logging: `tracing` to standard output (standard error for the local server), JSON when
//! Lambda's log format is JSON. The level comes from `AWS_LAMBDA_LOG_LEVEL`, then `RUST_LOG`
//! (a plain level such as `debug`), else `info`. Nothing logs a key; a hash prefix at most.

use tracing_subscriber::{filter::LevelFilter, fmt::MakeWriter};

pub fn init<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let level = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .into_iter()
        .find_map(|name| std::env::var(name).ok()?.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_writer(writer);
    if json {
        subscriber.json().without_time().init();
    } else {
        subscriber.init();
    }
}
