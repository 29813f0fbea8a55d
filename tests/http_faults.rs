//! Faults that DynamoDB Local never raises, injected by `support/faults.rs` on every hot path
//! (PRODUCT.md §11): conflicts and throttling are retried within the request's budget; when they
//! persist the API answers 503 `unavailable` with `Retry-After`; a run that exists is never lost
//! and never counted twice (every test ends with a recount of the records); a slow `last_used_at`
//! write never holds a request.

use std::time::{Duration, Instant};

use aws_lambda_events::sqs::SqsEvent;
use axiom_shared::{
    api::authorizer::{self, Decision},
    domain::{
        executions::{ACTIVE_LIMIT_MS, Execution, LEASE_MS, RunRef, StartIds},
        flows::Definition,
        ids::new_id,
        keys::KeyHash,
        timestamp,
    },
    runner,
    store::Store,
};
use axiom_tests::{
    EVENT, Server, account, answer, assert_error,
    faults::{Fault, Faults},
    operator,
    runs::{action, assert_usage_matches_records, execution, invoke, save_flow, wait_until},
};
use serde_json::{Value, json};

const ALWAYS: usize = usize::MAX;

/// A server on a store that passes `faults`, an account's key, and a saved flow of `steps`.
async fn serve(faults: &Faults, steps: Value) -> (Server, String, String) {
    let server = Server::start(faults.store().await).await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(&server, &key, steps).await;
    (server, key, graph)
}

fn one_set() -> Value {
    json!([{"id": "a", "op": "set", "value": {"done": true}}])
}

#[tokio::test]
async fn invoke_retries_transaction_conflicts_and_counts_the_run_once() {
    let faults = Faults::default();
    let (server, key, graph) = serve(&faults, one_set()).await;
    faults.inject("TransactWriteItems", Fault::Conflict, 0, 2);
    let (status, run) = invoke(&server, &key, &graph, json!({}), true).await;
    assert_eq!(
        (status, run["status"].as_str()),
        (200, Some("succeeded")),
        "{run}"
    );
    let (_, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(usage["executions"], 1);
    assert_usage_matches_records(&server, &key).await;
}

#[tokio::test]
async fn persistent_throttling_is_a_503_with_retry_after_and_starts_nothing() {
    let faults = Faults::default();
    let (server, key, graph) = serve(&faults, one_set()).await;
    faults.inject("TransactWriteItems", Fault::Throttle, 0, ALWAYS);
    let response = server
        .post("/invocations/v1/flows/invoke", &key)
        .json(&json!({"graph_id": graph, "input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (status, body) = axiom_tests::status_json(response).await;
    assert_error(status, &body, 503, "unavailable", "try again");
    faults.clear();
    let (_, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(usage["executions"], 0);
    assert_usage_matches_records(&server, &key).await;
}

#[tokio::test]
async fn a_read_that_keeps_failing_is_a_503_too() {
    let faults = Faults::default();
    let (server, key, graph) = serve(&faults, one_set()).await;
    faults.inject("GetItem", Fault::ServerError, 1, ALWAYS); // the authorizer's read passes
    let (status, body) = invoke(&server, &key, &graph, json!({}), false).await;
    assert_error(status, &body, 503, "unavailable", "try again");
}

#[tokio::test]
async fn a_waited_run_whose_step_writes_fail_is_answered_with_its_id_and_finished_later() {
    let faults = Faults::default();
    let (server, key, graph) = serve(&faults, one_set()).await;
    // The start goes through; every step write after it is throttled.
    faults.inject("TransactWriteItems", Fault::Throttle, 1, ALWAYS);
    let (status, run) = invoke(&server, &key, &graph, json!({}), true).await;
    assert_eq!((status, run["status"].as_str()), (202, Some("running")), "{run}");
    let id = run["execution_id"].as_str().unwrap().to_owned();
    faults.clear();
    // The lease of the request that gave up runs out; the sweep hands the run to a runner.
    let sweep = runner::sweep(&server.store, timestamp::now_ms() + LEASE_MS + 1).await;
    assert_eq!((sweep.redriven, sweep.failed), (1, 0));
    // (The sweep sent it to the runs queue; here the runner's code takes it at once.)
    let (_, who) = answer(server.get("/v1/whoami", &key)).await;
    let run = RunRef {
        account_id: who["account_id"].as_str().unwrap().to_owned(),
        execution_id: id.clone(),
    };
    let until = timestamp::now_ms() + runner::RUNNER_BUDGET_MS;
    runner::pick_up(&server.store, &run, until).await.unwrap();
    let done = wait_until(&server, &key, &id, |run| run["status"] == "succeeded").await;
    assert_eq!(done["output"], json!({"done": true}));
    assert_usage_matches_records(&server, &key).await;
}

#[tokio::test]
async fn cancel_and_resume_retry_conflicts_and_answer_503_when_they_persist() {
    let faults = Faults::default();
    let steps = json!([{"id": "wait", "op": "pause"}, {"id": "after", "op": "set", "value": {"x": 1}}]);
    let (server, key, graph) = serve(&faults, steps).await;
    let (_, first) = invoke(&server, &key, &graph, json!({}), true).await;
    let (_, second) = invoke(&server, &key, &graph, json!({}), true).await;
    let (first, second) = (
        first["execution_id"].as_str().unwrap(),
        second["execution_id"].as_str().unwrap(),
    );

    faults.inject("TransactWriteItems", Fault::Conflict, 0, 1);
    let (status, resumed) = action(&server, &key, first, "resume", None).await;
    assert_eq!(
        (status, resumed["status"].as_str()),
        (200, Some("succeeded")),
        "{resumed}"
    );

    faults.inject("TransactWriteItems", Fault::Throttle, 0, ALWAYS);
    let (status, body) = action(&server, &key, second, "cancel", None).await;
    assert_error(status, &body, 503, "unavailable", "try again");
    let (status, body) = action(&server, &key, second, "resume", None).await;
    assert_error(status, &body, 503, "unavailable", "try again");
    faults.clear();
    let (_, still) = execution(&server, &key, second).await;
    assert_eq!(still["status"], "paused");
    let (status, cancelled) = action(&server, &key, second, "cancel", None).await;
    assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")));
    assert_usage_matches_records(&server, &key).await;
}

#[tokio::test]
async fn a_slow_last_used_write_never_holds_the_request() {
    let faults = Faults::default();
    let store = faults.store().await;
    let (_, raw) = account(&store, "acme").await;
    faults.inject(
        "TransactWriteItems",
        Fault::Slow(Duration::from_secs(5)),
        0,
        ALWAYS,
    );
    let mut request = authorizer_request(&raw);
    let started = Instant::now();
    let decision = authorizer::decide(&store, &request, timestamp::now())
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        matches!(
            decision,
            Decision::Allow {
                recorded_use: false,
                ..
            }
        ),
        "{decision:?}"
    );
    assert!(
        waited < authorizer::RECORD_USE_BUDGET + Duration::from_millis(700),
        "waited {waited:?} on a write that takes 5 s"
    );
    // A failing write is no worse.
    faults.clear();
    faults.inject("TransactWriteItems", Fault::ServerError, 0, ALWAYS);
    request.headers = authorizer_request(&raw).headers;
    let decision = authorizer::decide(&store, &request, timestamp::now())
        .await
        .unwrap();
    assert!(
        matches!(
            decision,
            Decision::Allow {
                recorded_use: false,
                ..
            }
        ),
        "{decision:?}"
    );
    // And once the database is well, the use is recorded.
    faults.clear();
    let decision = authorizer::decide(&store, &request, timestamp::now())
        .await
        .unwrap();
    assert!(
        matches!(
            decision,
            Decision::Allow {
                recorded_use: true,
                ..
            }
        ),
        "{decision:?}"
    );
    let credential = store.find_credential(&KeyHash::of(&raw)).await.unwrap().unwrap();
    assert!(credential.last_used_at.is_some());
}

fn authorizer_request(raw: &str) -> aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request {
    let text = axiom_tests::event("authorizer-valid").replace(EVENT.key.as_str(), raw);
    serde_json::from_str(&text).unwrap()
}

/// A run started `ago_ms` ago, held by a runner that died.
async fn abandoned_run(
    store: &Store,
    account_id: &str,
    graph_id: &str,
    definition: &Definition,
    ago_ms: i64,
) -> Execution {
    let ids = StartIds {
        execution_id: new_id(),
        account_id: account_id.to_owned(),
        graph_id: graph_id.to_owned(),
        key_id: "key".into(),
    };
    let started = timestamp::now_ms() - ago_ms;
    let execution = Execution::start(
        ids,
        definition,
        "{}".into(),
        json!({}),
        Some("dead-runner"),
        started,
    );
    store.start_execution(&execution, None, None).await.unwrap();
    execution
}

#[tokio::test]
async fn the_sweep_passes_over_a_failing_run_and_ends_the_others_and_runs_without_a_flow() {
    let faults = Faults::default();
    let (server, key, graph) = serve(&faults, one_set()).await;
    let store = &server.store;
    let (_, who) = answer(server.get("/v1/whoami", &key)).await;
    let account_id = who["account_id"].as_str().unwrap();
    let definition = Definition::parse(&json!({"steps": one_set()})).unwrap();
    let overdue = ACTIVE_LIMIT_MS + 1_000;
    let failing = abandoned_run(store, account_id, &graph, &definition, overdue).await;
    let healthy = abandoned_run(store, account_id, &graph, &definition, overdue).await;
    let flowless = abandoned_run(store, account_id, &new_id(), &definition, overdue).await;

    faults.inject_for("Query", &failing.execution_id, Fault::ServerError, ALWAYS);
    let sweep = runner::sweep(store, timestamp::now_ms()).await;
    assert_eq!((sweep.timed_out, sweep.failed), (2, 1), "{sweep:?}");
    let (_, run) = execution(&server, &key, &healthy.execution_id).await;
    assert_eq!(run["status"], "failed");
    assert!(run["error"]["message"].as_str().unwrap().contains("timed out"));
    let (_, run) = execution(&server, &key, &flowless.execution_id).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(run["error"]["message"], "the run's flow no longer exists");

    faults.clear();
    let sweep = runner::sweep(store, timestamp::now_ms()).await;
    assert_eq!((sweep.timed_out, sweep.failed), (1, 0), "{sweep:?}");
    let (_, run) = execution(&server, &key, &failing.execution_id).await;
    assert_eq!(run["status"], "failed");
    assert_usage_matches_records(&server, &key).await;
}

#[tokio::test]
async fn the_runner_reports_a_run_it_could_not_write_for_redelivery() {
    let faults = Faults::default();
    let store = faults.store().await;
    let (account, _) = account(&store, "acme").await;
    let definition = Definition::parse(&json!({"steps": one_set()})).unwrap();
    let flow = store
        .create_flow(
            &account.account_id,
            "flow".into(),
            &definition,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    let ids = StartIds {
        execution_id: new_id(),
        account_id: account.account_id.clone(),
        graph_id: flow.graph_id,
        key_id: "key".into(),
    };
    let queued = Execution::start(
        ids,
        &definition,
        "{}".into(),
        json!({}),
        None,
        timestamp::now_ms(),
    );
    store.start_execution(&queued, None, None).await.unwrap();
    let text = axiom_tests::event("runner-queue")
        .replace(EVENT.account_id.as_str(), &account.account_id)
        .replace(EVENT.execution_id.as_str(), &queued.execution_id);
    let batch: SqsEvent = serde_json::from_str(&text).unwrap();
    let until = timestamp::now_ms() + runner::RUNNER_BUDGET_MS;

    // Every write throttled: the lease cannot be taken, nor a step recorded.
    faults.inject("PutItem", Fault::Throttle, 0, ALWAYS);
    faults.inject("TransactWriteItems", Fault::Throttle, 0, ALWAYS);
    let answer = runner::on_queue(&store, &batch, until).await;
    assert_eq!(answer.batch_item_failures.len(), 1);
    assert_eq!(
        Some(&answer.batch_item_failures[0].item_identifier),
        batch.records[0].message_id.as_ref()
    );

    faults.clear();
    let answer = runner::on_queue(&store, &batch, until).await;
    assert!(answer.batch_item_failures.is_empty());
    let done = store
        .get_execution(&account.account_id, &queued.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status.as_str(), "succeeded");
    let days = store
        .usage_days(&account.account_id, done.day(), done.day())
        .await
        .unwrap();
    assert_eq!((days[0].total, days[0].succeeded, days[0].in_flight), (1, 1, 0));
}
