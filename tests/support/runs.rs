//! Runs over HTTP: saving flows, invoking, reading and changing runs, waiting for them, and
//! recounting usage from the records themselves.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::types::AttributeValue;
use axiom_shared::domain::executions::Status;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Server, answer};

pub async fn save_flow(server: &Server, key: &str, steps: Value) -> String {
    let body = json!({"name": "test flow", "definition": {"steps": steps}});
    let (status, flow) = answer(server.post("/v1/flows", key).json(&body)).await;
    assert_eq!(status, 201, "{flow}");
    flow["graph_id"].as_str().unwrap().to_owned()
}

pub async fn invoke(server: &Server, key: &str, graph_id: &str, input: Value, wait: bool) -> (u16, Value) {
    let body = json!({"graph_id": graph_id, "input": input, "wait": wait});
    answer(server.post("/invocations/v1/flows/invoke", key).json(&body)).await
}

pub async fn execution(server: &Server, key: &str, id: &str) -> (u16, Value) {
    answer(server.get(&format!("/invocations/v1/executions/{id}"), key)).await
}

pub async fn action(server: &Server, key: &str, id: &str, action: &str, body: Option<Value>) -> (u16, Value) {
    let request = server.post(&format!("/invocations/v1/executions/{id}/{action}"), key);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    answer(request).await
}

/// Polls the run until `done` holds (at most 30 s).
pub async fn wait_until(server: &Server, key: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, run) = execution(server, key, id).await;
        assert_eq!(status, 200, "{run}");
        if done(&run) {
            return run;
        }
        assert!(
            Instant::now() < give_up,
            "run never reached the expected state: {run}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn settle(server: &Server, key: &str, id: &str) -> Value {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, run) = answer(server.get(&format!("/invocations/v1/executions/{id}"), key)).await;
        if !matches!(
            run["status"].as_str(),
            Some("queued" | "running" | "compensating")
        ) {
            return run;
        }
        assert!(Instant::now() < give_up, "never settled: {run}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[derive(Deserialize)]
struct RecordCount {
    status: Status,
    started_at: String,
    duration_ms: Option<u64>,
}

/// Recounts every run of the account from the records themselves (a test may read them all),
/// and compares with `GET /v1/usage`.
pub async fn assert_usage_matches_records(server: &Server, key: &str) {
    let (_, who) = answer(server.get("/v1/whoami", key)).await;
    // Each run's control item (`RUN#<account>#<run>` / `RUN`), found by a Scan: only a test
    // reads every run of an account without an index.
    let items = server
        .store
        .client()
        .scan()
        .table_name(server.store.table())
        .consistent_read(true)
        .filter_expression("begins_with(pk, :runs) AND sk = :control")
        .expression_attribute_values(
            ":runs",
            AttributeValue::S(format!("RUN#{}#", who["account_id"].as_str().unwrap())),
        )
        .expression_attribute_values(":control", AttributeValue::S("RUN".into()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let mut daily: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    let (mut succeeded, mut failed, mut in_flight, mut durations) = (0u64, 0u64, 0u64, 0u64);
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    for item in items {
        let record: RecordCount = serde_dynamo::from_item(item).unwrap();
        let day = daily.entry(record.started_at[..10].to_owned()).or_default();
        day[0] += 1;
        match record.status {
            Status::Succeeded => {
                succeeded += 1;
                day[1] += 1;
            }
            status if status.is_terminal() => {
                failed += 1;
                day[2] += 1;
                *by_status.entry(status.as_str()).or_default() += 1;
            }
            _ => {
                in_flight += 1;
                day[3] += 1;
            }
        }
        if record.status.is_terminal() {
            durations += record.duration_ms.unwrap();
        }
    }
    let (status, usage) = answer(server.get("/v1/usage", key)).await;
    assert_eq!(status, 200);
    assert_eq!(
        usage["executions"].as_u64().unwrap(),
        succeeded + failed + in_flight
    );
    assert_eq!(
        (usage["succeeded"].as_u64(), usage["failed"].as_u64()),
        (Some(succeeded), Some(failed))
    );
    assert_eq!(usage["in_flight"].as_u64(), Some(in_flight));
    for name in ["failed", "cancelled", "compensation_failed"] {
        assert_eq!(
            usage["failed_by_status"][name].as_u64(),
            Some(*by_status.get(name).unwrap_or(&0)),
            "{name}"
        );
    }
    let finished = succeeded + failed;
    if finished == 0 {
        assert_eq!(usage["success_rate"], Value::Null);
        assert_eq!(usage["avg_duration_ms"], Value::Null);
    } else {
        let rate = (succeeded as f64 / finished as f64 * 10_000.0).round() / 10_000.0;
        assert_eq!(usage["success_rate"].as_f64(), Some(rate));
        let mean = (durations as f64 / finished as f64 * 10.0).round() / 10.0;
        assert_eq!(usage["avg_duration_ms"].as_f64(), Some(mean));
    }
    for day in usage["daily"].as_array().unwrap() {
        let counted = daily
            .get(day["date"].as_str().unwrap())
            .copied()
            .unwrap_or_default();
        let shown = ["total", "succeeded", "failed", "in_flight"].map(|field| day[field].as_u64().unwrap());
        assert_eq!(shown, counted, "{day}");
    }
}
