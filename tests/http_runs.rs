//! End to end over HTTP: flows, invoke, executions and usage (PRODUCT.md §5–7), with the local
//! gateway's runner carrying runs on as the stream-triggered runner does on AWS.

use std::time::{Duration, Instant};

use axiom_tests::{
    Server, account, answer, assert_error,
    runs::{action, execution, invoke, save_flow, wait_until},
};
use serde_json::{Value, json};

fn step_statuses(run: &Value) -> Vec<&str> {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn flows_are_saved_once_and_listed() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let body = json!({"name": "  checkout ", "definition": {"steps": [{"id": "a", "op": "pause"}]}});
    let (status, flow) = answer(server.post("/v1/flows", &key).json(&body)).await;
    assert_eq!(status, 201);
    let mut fields: Vec<_> = flow.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(fields, ["created_at", "graph_id", "name"]);
    assert_eq!(flow["name"], "checkout");
    let second = save_flow(&server, &key, json!([{"id": "b", "op": "pause"}])).await;
    let (status, list) = answer(server.get("/v1/flows", &key)).await;
    assert_eq!(status, 200);
    let ids: Vec<_> = list["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["graph_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [second.as_str(), flow["graph_id"].as_str().unwrap()],
        "newest first"
    );
    assert!(list["flows"][0].get("definition").is_none());
}

#[tokio::test]
async fn bad_flows_are_400_naming_the_problem_and_nothing_is_saved() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let big = "x".repeat(64 * 1024);
    let cases = [
        (json!({"name": "f"}), "definition"),
        (
            json!({"definition": {"steps": [{"id": "a", "op": "pause"}]}}),
            "name",
        ),
        (
            json!({"name": "", "definition": {"steps": [{"id": "a", "op": "pause"}]}}),
            "name",
        ),
        (json!({"name": "f", "definition": {"steps": []}}), "1 to 50 steps"),
        (
            json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "sleep", "ms": 9000}]}}),
            "steps[0] (step `a`).ms",
        ),
        (
            json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "nope"}]}}),
            "steps[0] (step `a`).op",
        ),
        (
            json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "pause"}, {"id": "a", "op": "pause"}]}}),
            "duplicate",
        ),
        (
            json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "set", "value": {"x": big}}]}}),
            "64 KiB",
        ),
        (
            json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "pause"}]}, "owner": "x"}),
            "owner",
        ),
    ];
    for (body, mentions) in cases {
        let (status, error) = answer(server.post("/v1/flows", &key).json(&body)).await;
        assert_error(status, &error, 400, "invalid_request", mentions);
    }
    let (_, list) = answer(server.get("/v1/flows", &key)).await;
    assert_eq!(list["flows"], json!([]));
}

#[tokio::test]
async fn a_waited_run_succeeds_with_its_final_state_as_output() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(
        &server,
        &key,
        json!([
            {"id": "reserve", "op": "set", "value": {"reserved": true, "who": {"$from": "/user"}, "none": {"$from": "/missing"}}},
            {"id": "think", "op": "sleep", "ms": 50},
        ]),
    )
    .await;
    let (status, run) = invoke(&server, &key, &graph, json!({"user": "ada"}), true).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded");
    assert_eq!(
        run["output"],
        json!({"user": "ada", "reserved": true, "who": "ada", "none": null})
    );
    assert_eq!(run["input"], json!({"user": "ada"}));
    assert_eq!(run["error"], Value::Null);
    assert_eq!(run["graph_id"], graph.as_str());
    assert!(run["duration_ms"].as_i64().unwrap() >= 50);
    assert!(run["ended_at"].is_string());
    assert_eq!(step_statuses(&run), ["succeeded", "succeeded"]);
    let (_, who) = answer(server.get("/v1/whoami", &key)).await;
    assert_eq!(run["key_id"], who["key_id"], "the invoking key");
    let mut fields: Vec<_> = run.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "duration_ms",
            "ended_at",
            "error",
            "execution_id",
            "graph_id",
            "input",
            "key_id",
            "output",
            "started_at",
            "status",
            "steps"
        ]
    );
    assert_eq!(
        execution(&server, &key, run["execution_id"].as_str().unwrap())
            .await
            .1,
        run
    );
}

#[tokio::test]
async fn non_object_input_starts_the_state_under_input() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(
        &server,
        &key,
        json!([{"id": "copy", "op": "set", "value": {"first": {"$from": "/input/0"}}}]),
    )
    .await;
    let (_, run) = invoke(&server, &key, &graph, json!([7, 8]), true).await;
    assert_eq!(run["output"], json!({"input": [7, 8], "first": 7}));
}

#[tokio::test]
async fn an_unwaited_run_answers_at_once_and_the_runner_finishes_it() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(&server, &key, json!([{"id": "nap", "op": "sleep", "ms": 300}])).await;
    let started = Instant::now();
    let (status, run) = invoke(&server, &key, &graph, json!({}), false).await;
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "did not wait for the run"
    );
    assert_eq!(status, 202);
    assert_eq!(run["status"], "queued");
    assert_eq!(
        (
            run["ended_at"].clone(),
            run["duration_ms"].clone(),
            run["output"].clone()
        ),
        (Value::Null, Value::Null, Value::Null)
    );
    let done = wait_until(&server, &key, run["execution_id"].as_str().unwrap(), |r| {
        r["status"] == "succeeded"
    })
    .await;
    assert_eq!(done["output"], json!({}));
}

#[tokio::test]
async fn a_failed_step_runs_the_compensations_in_reverse() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(
        &server,
        &key,
        json!([
            {"id": "one", "op": "set", "value": {"log": "one"}, "compensate": {"op": "set", "value": {"undo1": true}}},
            {"id": "plain", "op": "set", "value": {"plain": true}},
            {"id": "two", "op": "set", "value": {"log": "two"}, "compensate": {"op": "set", "value": {"undo2": "done"}}},
            {"id": "charge", "op": "fail", "message": "card declined"},
            {"id": "never", "op": "set", "value": {"never": true}},
        ]),
    )
    .await;
    let (status, run) = invoke(&server, &key, &graph, json!({}), true).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "failed");
    assert_eq!(
        run["error"],
        json!({"step": "charge", "message": "card declined"})
    );
    assert_eq!(run["output"], Value::Null);
    assert_eq!(
        step_statuses(&run),
        ["compensated", "succeeded", "compensated", "failed", "pending"]
    );
}

/// `one`'s compensation fails, yet `two` was compensated: so `two` went first.
#[tokio::test]
async fn compensations_run_last_completed_first() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(
        &server,
        &key,
        json!([
            {"id": "one", "op": "set", "value": {}, "compensate": {"op": "fail", "message": "saw {undo2}"}},
            {"id": "two", "op": "set", "value": {}, "compensate": {"op": "set", "value": {"undo2": true}}},
            {"id": "boom", "op": "fail", "message": "boom"},
        ]),
    )
    .await;
    let (status, run) = invoke(&server, &key, &graph, json!({}), true).await;
    assert_eq!(status, 200);
    assert_eq!(run["status"], "compensation_failed");
    assert_eq!(
        step_statuses(&run),
        ["compensation_failed", "compensated", "failed"]
    );
    assert_eq!(run["error"]["step"], "one");
    assert!(
        run["error"]["message"]
            .as_str()
            .unwrap()
            .contains("compensation failed")
    );
    assert!(run["ended_at"].is_string() && run["duration_ms"].is_i64());
}

#[tokio::test]
async fn pause_resume_with_input_and_the_409s() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(
        &server,
        &key,
        json!([
            {"id": "ask", "op": "pause"},
            {"id": "use", "op": "set", "value": {"answer": {"$from": "/approved"}}},
        ]),
    )
    .await;
    let (status, run) = invoke(&server, &key, &graph, json!({"n": 1}), true).await;
    assert_eq!(status, 202);
    assert_eq!(run["status"], "paused");
    assert_eq!(step_statuses(&run), ["paused", "pending"]);
    let id = run["execution_id"].as_str().unwrap();

    let (status, error) = action(
        &server,
        &key,
        id,
        "resume",
        Some(json!({"input": {"approved": "yes"}, "extra": 1})),
    )
    .await;
    assert_error(status, &error, 400, "invalid_request", "extra");
    let (status, done) = action(
        &server,
        &key,
        id,
        "resume",
        Some(json!({"input": {"approved": "yes"}})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(
        done["output"],
        json!({"n": 1, "approved": "yes", "answer": "yes"})
    );

    let (status, error) = action(&server, &key, id, "resume", None).await;
    assert_error(status, &error, 409, "conflict", "succeeded");
    let (status, error) = action(&server, &key, id, "cancel", None).await;
    assert_error(status, &error, 409, "conflict", "succeeded");
}

#[tokio::test]
async fn resume_without_a_body_and_a_pause_as_the_last_step() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(&server, &key, json!([{"id": "end", "op": "pause"}])).await;
    let (_, run) = invoke(&server, &key, &graph, json!({"a": 1}), true).await;
    let (status, done) = action(
        &server,
        &key,
        run["execution_id"].as_str().unwrap(),
        "resume",
        None,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (done["status"].as_str(), done["output"].clone()),
        (Some("succeeded"), json!({"a": 1}))
    );
}

#[tokio::test]
async fn cancel_ends_paused_and_running_runs_without_compensation() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let paused_flow = save_flow(
        &server,
        &key,
        json!([{"id": "a", "op": "set", "value": {}, "compensate": {"op": "fail", "message": "must not run"}}, {"id": "wait", "op": "pause"}]),
    )
    .await;
    let (_, run) = invoke(&server, &key, &paused_flow, json!({}), true).await;
    let (status, cancelled) = action(
        &server,
        &key,
        run["execution_id"].as_str().unwrap(),
        "cancel",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(step_statuses(&cancelled), ["succeeded", "cancelled"]);
    assert_eq!(cancelled["error"]["message"], "cancelled");

    let slow = save_flow(
        &server,
        &key,
        json!([{"id": "s1", "op": "sleep", "ms": 400}, {"id": "s2", "op": "sleep", "ms": 400}, {"id": "s3", "op": "sleep", "ms": 400}]),
    )
    .await;
    let (_, run) = invoke(&server, &key, &slow, json!({}), false).await;
    let id = run["execution_id"].as_str().unwrap();
    wait_until(&server, &key, id, |r| r["status"] == "running").await;
    let (status, cancelled) = action(&server, &key, id, "cancel", None).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    // The runner stops at its next step boundary and changes nothing after the cancel.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, later) = execution(&server, &key, id).await;
    assert_eq!(later, cancelled);
}

#[tokio::test]
async fn a_compensating_run_cannot_be_cancelled() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(
        &server,
        &key,
        json!([{"id": "a", "op": "set", "value": {}, "compensate": {"op": "sleep", "ms": 1500}}, {"id": "b", "op": "fail", "message": "no"}]),
    )
    .await;
    let (_, run) = invoke(&server, &key, &graph, json!({}), false).await;
    let id = run["execution_id"].as_str().unwrap();
    wait_until(&server, &key, id, |r| r["status"] == "compensating").await;
    let (status, error) = action(&server, &key, id, "cancel", None).await;
    assert_error(status, &error, 409, "conflict", "compensating");
    let done = wait_until(&server, &key, id, |r| r["status"] == "failed").await;
    assert_eq!(done["error"], json!({"step": "b", "message": "no"}));
}

#[tokio::test]
async fn bad_invocations_are_refused_and_lose_nothing() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(&server, &key, json!([{"id": "a", "op": "pause"}])).await;
    let cases = [
        (json!({"input": {}}), 400, "invalid_request", "graph_id"),
        (json!({"graph_id": graph}), 400, "invalid_request", "input"),
        (
            json!({"graph_id": graph, "input": {}, "wait": "yes"}),
            400,
            "invalid_request",
            "wait",
        ),
        (
            json!({"graph_id": graph, "input": {}, "tenant": "other"}),
            400,
            "invalid_request",
            "tenant",
        ),
        (
            json!({"graph_id": graph, "input": "x".repeat(128 * 1024)}),
            400,
            "invalid_request",
            "128 KiB",
        ),
        (
            json!({"graph_id": "no-such-flow", "input": {}}),
            404,
            "not_found",
            "flow",
        ),
    ];
    for (body, status, code, mentions) in cases {
        let (actual, error) = answer(server.post("/invocations/v1/flows/invoke", &key).json(&body)).await;
        assert_error(actual, &error, status, code, mentions);
    }
    let huge = json!({"graph_id": graph, "input": "x".repeat(300 * 1024)});
    let (status, error) = answer(server.post("/invocations/v1/flows/invoke", &key).json(&huge)).await;
    assert_error(status, &error, 413, "payload_too_large", "256 KiB");
    // Ids of any length or form are unknown ids, never a database fault.
    let long = "x".repeat(1100);
    for id in ["no-such-run", long.as_str()] {
        let (status, error) = execution(&server, &key, id).await;
        assert_error(status, &error, 404, "not_found", "execution");
        for verb in ["cancel", "resume"] {
            let (status, error) = action(&server, &key, id, verb, None).await;
            assert_error(status, &error, 404, "not_found", "execution");
        }
    }
    let (status, error) = invoke(&server, &key, &long, json!({}), false).await;
    assert_error(status, &error, 404, "not_found", "flow");
    let (_, paused) = invoke(&server, &key, &graph, json!({}), true).await;
    let cancel = format!(
        "/invocations/v1/executions/{}/cancel",
        paused["execution_id"].as_str().unwrap()
    );
    let (status, error) = answer(server.post(&cancel, &key).body(r#"{"reason": "x"}"#)).await;
    assert_error(status, &error, 400, "invalid_request", "reason");
    let (status, error) = answer(server.post(&cancel, &key).body("x".repeat(300 * 1024))).await;
    assert_error(status, &error, 413, "payload_too_large", "256 KiB");
    assert_eq!(
        execution(&server, &key, paused["execution_id"].as_str().unwrap())
            .await
            .1["status"],
        "paused"
    );
    let whitespace = " ".repeat(300 * 1024);
    let resume = server
        .post(&format!("/invocations/v1/executions/{graph}/resume"), &key)
        .body(whitespace);
    let (status, error) = answer(resume).await;
    assert_error(status, &error, 413, "payload_too_large", "256 KiB");
    let (_, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(
        usage["executions"], 1,
        "no run was started by a refused request (one paused run above)"
    );
}

#[tokio::test]
async fn another_accounts_flows_and_runs_are_404_everywhere() {
    let server = Server::new().await;
    let (_, acme) = account(&server.store, "acme").await;
    let (_, globex) = account(&server.store, "globex").await;
    let graph = save_flow(&server, &acme, json!([{"id": "a", "op": "pause"}])).await;
    let (_, run) = invoke(&server, &acme, &graph, json!({}), true).await;
    let id = run["execution_id"].as_str().unwrap();

    let (status, error) = invoke(&server, &globex, &graph, json!({}), true).await;
    assert_error(status, &error, 404, "not_found", "flow");
    let (status, error) = execution(&server, &globex, id).await;
    assert_error(status, &error, 404, "not_found", "execution");
    for verb in ["cancel", "resume"] {
        let (status, error) = action(&server, &globex, id, verb, None).await;
        assert_error(status, &error, 404, "not_found", "execution");
    }
    let (_, flows) = answer(server.get("/v1/flows", &globex)).await;
    assert_eq!(flows["flows"], json!([]));
    let (_, usage) = answer(server.get("/v1/usage", &globex)).await;
    assert_eq!(usage["executions"], 0);
    // Still paused for its owner.
    assert_eq!(execution(&server, &acme, id).await.1["status"], "paused");
}

#[tokio::test]
async fn usage_counts_every_run_by_outcome() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let ok = save_flow(&server, &key, json!([{"id": "a", "op": "sleep", "ms": 20}])).await;
    let bad = save_flow(&server, &key, json!([{"id": "a", "op": "fail", "message": "x"}])).await;
    let paused = save_flow(&server, &key, json!([{"id": "a", "op": "pause"}])).await;
    for _ in 0..3 {
        assert_eq!(invoke(&server, &key, &ok, json!({}), true).await.0, 200);
    }
    assert_eq!(invoke(&server, &key, &bad, json!({}), true).await.0, 200);
    let (_, to_cancel) = invoke(&server, &key, &paused, json!({}), true).await;
    action(
        &server,
        &key,
        to_cancel["execution_id"].as_str().unwrap(),
        "cancel",
        None,
    )
    .await;
    invoke(&server, &key, &paused, json!({}), true).await;

    let (status, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(status, 200);
    assert_eq!(
        (usage["executions"].as_u64(), usage["succeeded"].as_u64()),
        (Some(6), Some(3))
    );
    assert_eq!(
        (usage["failed"].as_u64(), usage["in_flight"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        usage["failed_by_status"],
        json!({"failed": 1, "cancelled": 1, "compensation_failed": 0})
    );
    assert_eq!(usage["success_rate"], 0.6);
    assert!(usage["avg_duration_ms"].as_f64().unwrap() > 0.0);
    let daily = usage["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(
        daily[29],
        json!({"date": usage["window"]["end"], "total": 6, "succeeded": 3, "failed": 2, "in_flight": 1})
    );
    assert!(daily[..29].iter().all(|d| d["total"] == 0));
    assert_eq!(usage["window"]["days"], 30);
}

#[tokio::test]
async fn usage_of_an_idle_account_is_zeros_and_nulls() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let (_, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(usage["success_rate"], Value::Null);
    assert_eq!(usage["avg_duration_ms"], Value::Null);
    assert_eq!(usage["executions"], 0);
    assert_eq!(usage["daily"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn a_waited_run_answers_within_25_seconds_and_the_runner_finishes_it() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let steps: Vec<Value> = (0..6)
        .map(|i| json!({"id": format!("s{i}"), "op": "sleep", "ms": 5000}))
        .collect();
    let graph = save_flow(&server, &key, Value::Array(steps)).await;
    let started = Instant::now();
    let (status, run) = invoke(&server, &key, &graph, json!({}), true).await;
    assert!(
        started.elapsed() <= Duration::from_secs(25),
        "answered after {:?}",
        started.elapsed()
    );
    assert_eq!(status, 202, "{run}");
    assert!(
        matches!(run["status"].as_str(), Some("running" | "queued")),
        "{run}"
    );
    let done = wait_until(&server, &key, run["execution_id"].as_str().unwrap(), |r| {
        r["status"] == "succeeded"
    })
    .await;
    assert!(done["duration_ms"].as_i64().unwrap() >= 30_000);
}
