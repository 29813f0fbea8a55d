//! `make bench`: the latency of `GET /v1/usage` (handler and DynamoDB Local, no HTTP) for an
//! account with 480 runs in the window and one with 50,000, measured in the same run on the
//! same database. Usage reads only per-day counters, one item per day and usage shard at most
//! (30 × 16), and the 480 runs are chosen to fill every one of them; so the two should match,
//! and the run fails if the larger account is more than 1.3 times slower (median).

use std::time::{Duration, Instant};

use axiom_shared::{
    api::{self, routes::Function},
    domain::{
        accounts::Account,
        executions::{Execution, StartIds},
        flows::Definition,
        ids::{new_id, shard_of},
        timestamp,
    },
    store::{Store, USAGE_SHARDS},
};
use axiom_tests::{account, event_as, operator, store};
use futures::{StreamExt, stream};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Run ids: `count` of them, or with `fill_every_counter` one per usage shard and day (the
/// `i`-th on day `i % 30`, in shard `i / 30`), the fewest runs that make every counter item.
fn run_ids(count: usize, fill_every_counter: bool) -> Vec<String> {
    (0..count)
        .map(|i| {
            loop {
                let id = new_id();
                let shard = (i / 30) as u32;
                if !fill_every_counter || shard_of(&id, USAGE_SHARDS) == shard {
                    break id;
                }
            }
        })
        .collect()
}

/// A run of each id, the `i`-th on the `i % 30`-th of the last 30 days, each started and then
/// ended (cancelled), so every one changed its day's counters twice, as real runs do.
async fn seed(store: &Store, account: &Account, ids: Vec<String>) {
    let definition = Definition::parse(&serde_json::json!({"steps": [{"id": "a", "op": "pause"}]})).unwrap();
    let flow = store
        .create_flow(
            &account.account_id,
            "bench".into(),
            &definition,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    let now = timestamp::now_ms();
    stream::iter(ids.into_iter().enumerate())
        .for_each_concurrent(16, |(i, execution_id)| {
            let (definition, flow) = (&definition, &flow);
            async move {
                let ids = StartIds {
                    execution_id,
                    account_id: account.account_id.clone(),
                    graph_id: flow.graph_id.clone(),
                    key_id: "bench".into(),
                };
                let started = now - (i as i64 % 30) * DAY_MS;
                let mut run = Execution::start(
                    ids,
                    definition,
                    "{}".into(),
                    serde_json::json!({}),
                    Some("bench"),
                    started,
                );
                store.start_execution(&run, None, None).await.unwrap();
                run.cancel(started + 1_000).unwrap();
                assert!(
                    store
                        .save_execution(&mut run, axiom_shared::domain::executions::Status::Running)
                        .await
                        .unwrap()
                );
            }
        })
        .await;
}

fn usage_request(account: &Account) -> lambda_http::Request {
    let mut event: serde_json::Value =
        serde_json::from_str(&event_as("list-keys", account, "bench-key", &"0".repeat(64))).unwrap();
    event["routeKey"] = "GET /v1/usage".into();
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let large: usize = std::env::var("BENCH_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let store = store().await;
    let (small_account, _) = account(&store, "small").await;
    let (large_account, _) = account(&store, "large").await;
    let seeding = Instant::now();
    let small = (USAGE_SHARDS * 30) as usize;
    seed(&store, &small_account, run_ids(small, true)).await;
    seed(&store, &large_account, run_ids(large, false)).await;
    println!("seeded {small} + {large} runs in {:.1?}", seeding.elapsed());

    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..320 {
        for (which, account) in [&small_account, &large_account].into_iter().enumerate() {
            let started = Instant::now();
            let response = api::handle(Function::Usage, &store, usage_request(account)).await;
            let elapsed = started.elapsed();
            assert_eq!(response.status(), 200);
            if round >= 20 {
                samples[which].push(elapsed);
            }
        }
    }
    let summary: serde_json::Value = serde_json::from_slice(
        api::handle(Function::Usage, &store, usage_request(&large_account))
            .await
            .body(),
    )
    .unwrap();
    assert_eq!(summary["executions"].as_u64(), Some(large as u64));

    let mut medians = Vec::new();
    for (name, mut times) in [
        (&*format!("{small} runs"), samples[0].clone()),
        (&*format!("{large} runs"), samples[1].clone()),
    ] {
        times.sort();
        let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
        println!(
            "usage, {name:>12}: median {p50:>9.2?}  p95 {p95:>9.2?}  ({} samples)",
            times.len()
        );
        medians.push(p50);
    }
    let ratio = medians[1].as_secs_f64() / medians[0].as_secs_f64();
    println!("ratio of medians (large / small): {ratio:.2} (limit 1.30)");
    if ratio > 1.3 {
        eprintln!("usage latency grows with the number of runs");
        std::process::exit(1);
    }
}
