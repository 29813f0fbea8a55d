//! What the latency benches share: where the built binaries are, percentiles, free ports.
//! (Each bench uses part of it.)
#![allow(dead_code)]

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

/// The Cargo target directory the binaries under test were built in: `AXIOM_BENCH_TARGET_DIR`
/// (`scripts/bench` sets it), else `CARGO_TARGET_DIR`, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("AXIOM_BENCH_TARGET_DIR")
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
}

/// A built binary, `profile` being `release` or `debug`; stops with the command that builds it
/// when it is missing.
pub fn binary(profile: &str, name: &str) -> PathBuf {
    let path = target_dir().join(profile).join(name);
    if !path.is_file() {
        let flag = if profile == "release" { " --release" } else { "" };
        eprintln!(
            "{} is missing: run `make bench` (or `cargo build{flag} -p {name}` first)",
            path.display()
        );
        std::process::exit(2);
    }
    path
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The `p` quantile (0 to 1) of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    percentile(&sorted, 0.5)
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Times a future.
pub async fn timed<T>(future: impl Future<Output = T>) -> (Duration, T) {
    let started = Instant::now();
    let output = future.await;
    (started.elapsed(), output)
}

/// `nproc` and the CPU model, for the record.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    format!("{cores} cores, {model}")
}
