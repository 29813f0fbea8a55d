//! Fairness and load through the local gateway, whose runs queue emulates the SQS queue and
//! event source mapping of `template.yaml` (PRODUCT.md §16): another account's backlog of
//! sleeping runs does not delay a run, within `make dev`'s bounds and within much tighter ones;
//! and under concurrent load with every message delivered twice, every run ends once and usage
//! recounts exactly from the records.

use std::time::{Duration, Instant};

use axiom_local::queue::QueueConfig;
use axiom_shared::domain::executions::Status;
use axiom_tests::{
    Server, account,
    runs::{assert_usage_matches_records, invoke, save_flow, settle, wait_until},
};
use futures::{StreamExt, stream};
use serde_json::{Value, json};

/// How many runs account A holds, each sleeping this long (PRODUCT.md §16).
const BACKLOG: usize = 300;
const BACKLOG_SLEEP_MS: u64 = 5_000;
/// How soon account B's one-step run must have succeeded.
const WITHIN: Duration = Duration::from_secs(4);

/// Invokes `graph` `count` times without waiting, 16 at a time; the run ids.
async fn invoke_many(server: &Server, key: &str, graph: &str, count: usize) -> Vec<String> {
    stream::iter(0..count)
        .map(|_| async {
            let (status, run) = invoke(server, key, graph, json!({}), false).await;
            assert_eq!(status, 202, "{run}");
            run["execution_id"].as_str().unwrap().to_owned()
        })
        .buffer_unordered(16)
        .collect()
        .await
}

/// A holds [`BACKLOG`] runs that sleep; B's one-step run, invoked without waiting, succeeds
/// within [`WITHIN`]; A's runs sleep without a runner holding them, then all succeed; usage of
/// both accounts recounts from the records.
async fn a_backlog_of_sleeping_runs_does_not_delay_another_account(server: Server) {
    let (_, a) = account(&server.store, "a").await;
    let (_, b) = account(&server.store, "b").await;
    let sleepy = save_flow(
        &server,
        &a,
        json!([{"id": "nap", "op": "sleep", "ms": BACKLOG_SLEEP_MS}]),
    )
    .await;
    let quick = save_flow(
        &server,
        &b,
        json!([{"id": "one", "op": "set", "value": {"done": true}}]),
    )
    .await;
    let backlog = invoke_many(&server, &a, &sleepy, BACKLOG).await;

    let began = Instant::now();
    let (status, run) = invoke(&server, &b, &quick, json!({}), false).await;
    assert_eq!(status, 202, "{run}");
    let id = run["execution_id"].as_str().unwrap();
    let done = wait_until(&server, &b, id, |run| {
        run["status"] != "queued" && run["status"] != "running"
    })
    .await;
    let took = began.elapsed();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(took < WITHIN, "B's run took {took:?} behind A's backlog");

    // A's runs, meanwhile, sleep in the queue, held by no runner (the earliest may have woken
    // since: one still parked is looked for).
    let sleeping = a_parked_run(&server, &a, &backlog).await;
    assert_eq!(sleeping.status, Status::Running);

    for id in &backlog {
        assert_eq!(settle(&server, &a, id).await["status"], "succeeded");
    }
    assert_usage_matches_records(&server, &a).await;
    assert_usage_matches_records(&server, &b).await;
}

/// One of `runs` (of `key`'s account) read while it sleeps without a runner holding it.
async fn a_parked_run(
    server: &Server,
    key: &str,
    runs: &[String],
) -> axiom_shared::domain::executions::Execution {
    let (_, who) = axiom_tests::answer(server.get("/v1/whoami", key)).await;
    let account_id = who["account_id"].as_str().unwrap();
    for id in runs {
        let run = server.store.get_execution(account_id, id).await.unwrap().unwrap();
        if run.sleep_until_ms.is_some() && run.lease_owner.is_none() {
            return run;
        }
    }
    panic!("no run of the backlog is parked in its sleep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_make_dev_s_bounds_a_backlog_does_not_delay_another_account() {
    // `make dev`'s queue: at most 50 runner invocations of 10 messages (the template's default).
    a_backlog_of_sleeping_runs_does_not_delay_another_account(Server::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_runner_invocations_a_backlog_does_not_delay_another_account() {
    // Two invocations of ten: were a sleeping run to hold its runner, A's backlog would take
    // 300 / 20 × 5 s = 75 s, and B would wait behind it.
    let server = Server::with_queue(QueueConfig {
        max_concurrency: 2,
        ..QueueConfig::default()
    })
    .await;
    a_backlog_of_sleeping_runs_does_not_delay_another_account(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_with_every_message_delivered_twice_each_run_ends_once() {
    let server = Server::with_queue(QueueConfig {
        deliver_twice: true,
        ..QueueConfig::default()
    })
    .await;
    let (_, key) = account(&server.store, "busy").await;
    let steps: Vec<Value> = (0..5)
        .map(|n| json!({"id": format!("s{n}"), "op": "set", "value": {format!("v{n}"): n}}))
        .collect();
    let five_sets = save_flow(&server, &key, json!(steps)).await;
    let napping = save_flow(
        &server,
        &key,
        json!([{"id": "nap", "op": "sleep", "ms": 1_000}, {"id": "done", "op": "set", "value": {"ok": true}}]),
    )
    .await;
    let (runs, naps) = tokio::join!(
        invoke_many(&server, &key, &five_sets, 200),
        invoke_many(&server, &key, &napping, 50)
    );
    for id in runs.iter().chain(&naps) {
        let run = settle(&server, &key, id).await;
        assert_eq!(run["status"], "succeeded", "{run}");
    }
    let (_, one) = axiom_tests::runs::execution(&server, &key, &runs[0]).await;
    assert_eq!(
        one["output"],
        json!({"v0": 0, "v1": 1, "v2": 2, "v3": 3, "v4": 4})
    );
    assert_usage_matches_records(&server, &key).await;
}
