//! Hostile and oversized input over HTTP (PRODUCT.md §11): every cap is enforced before work is
//! done, nothing a client sends gives a 5xx or drops a connection, and the server keeps serving.
//! Includes the three requests that once broke the service.

use axiom_tests::{
    Server, account, answer, assert_error,
    runs::{assert_usage_matches_records, invoke, save_flow},
    status_json,
};
use serde_json::{Value, json};

/// JSON nested `levels` deep: `{"a": {"a": ... 1}}`.
fn nested(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!({ "a": inner }))
}

#[tokio::test]
async fn a_copy_past_the_state_cap_fails_the_run_with_its_own_message_fast() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    // Once: a 60,000-character fail message and a 130 KB input gave a 500 and a run that ended
    // "timed out". Now the message is refused at save, an input past 128 KiB at invoke...
    let long = "m".repeat(60_000);
    let body = json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "fail", "message": long}]}});
    let (status, error) = answer(server.post("/v1/flows", &key).json(&body)).await;
    assert_error(status, &error, 400, "invalid_request", "4 KiB");
    let steps = json!([
        {"id": "copy", "op": "set", "value": {"b": {"$from": "/a"}}},
        {"id": "stop", "op": "fail", "message": "m".repeat(4 * 1024)}
    ]);
    let graph = save_flow(&server, &key, steps).await;
    let (status, error) = invoke(&server, &key, &graph, json!({"a": "x".repeat(140_000)}), true).await;
    assert_error(status, &error, 400, "invalid_request", "128 KiB");
    // ...and within the caps the copy passes the state's: the run fails on its own, counted.
    let (status, run) = invoke(&server, &key, &graph, json!({"a": "x".repeat(130_000)}), true).await;
    assert_eq!(
        (status, run["status"].as_str()),
        (200, Some("failed")),
        "{}",
        run["status"]
    );
    assert_eq!(
        run["error"],
        json!({"step": "copy", "message": "the run's state would grow past 160 KiB"})
    );
    assert_usage_matches_records(&server, &key).await;
}

#[tokio::test]
async fn thousands_of_whole_state_copies_stop_at_the_cap() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    // Once: 13.5 s of CPU and some 300 MB before failing.
    let value: serde_json::Map<String, Value> = (0..3_000)
        .map(|i| (format!("k{i}"), json!({"$from": ""})))
        .collect();
    let graph = save_flow(
        &server,
        &key,
        json!([{"id": "copies", "op": "set", "value": value}]),
    )
    .await;
    let (status, run) = invoke(&server, &key, &graph, json!({"blob": "y".repeat(100_000)}), true).await;
    assert_eq!((status, run["status"].as_str()), (200, Some("failed")), "{run}");
    assert_eq!(run["error"]["message"], "the run's state would grow past 160 KiB");
}

#[tokio::test]
async fn hostile_headers_get_answers_not_dropped_connections() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let client = reqwest::Client::new();
    for (name, value) in [
        ("x-forwarded-proto", "a b"),
        ("x-forwarded-proto", "javascript"),
        ("host", "a b"),
        ("host", "example.com:99999"),
        ("host", "[::1"),
    ] {
        let console = client
            .get(server.url("/console/api-keys"))
            .header(name, value)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {value}: {e}"));
        assert_eq!(console.status(), 200, "{name}: {value}");
        let (status, who) = answer(
            client
                .get(server.url("/v1/whoami"))
                .bearer_auth(&key)
                .header(name, value),
        )
        .await;
        assert_eq!(status, 200, "{name}: {value}: {who}");
    }
    // Odd spacing and bytes in the key's header are refused like any malformed key.
    for value in ["Bearer  ", "Bearer\t", "bearer    x", "Bearer \u{e9}"] {
        let response = client
            .get(server.url("/v1/whoami"))
            .header("authorization", value.as_bytes())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{value:?}");
    }
    let (status, _) = answer(server.get("/v1/whoami", &key)).await;
    assert_eq!(status, 200, "the server still serves");
}

#[tokio::test]
async fn every_response_of_ours_says_no_store() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let responses = [
        server.post("/v1/api-keys", &key).json(&json!({"name": "k"})),
        server.get("/v1/api-keys", &key),
        server.get("/v1/whoami", &key),
        server.get("/v1/usage", &key),
        server.get("/v1/flows", &key),
        server.post("/v1/flows", &key).body("{"),
        server.get("/invocations/v1/executions/nope", &key),
        server.delete("/v1/api-keys/nope", &key),
        server.http.get(server.url("/console/api-keys")),
        server.http.get(server.url("/console/missing")),
    ];
    for request in responses {
        let response = request.send().await.unwrap();
        let url = response.url().clone();
        assert_eq!(response.headers()["cache-control"], "no-store", "{url}");
    }
}

#[tokio::test]
async fn names_that_spoof_are_refused_and_joiners_kept() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    for name in [
        "ci\u{202e}yek",
        "a\u{200b}b",
        "\u{feff}ci",
        "ci\u{2066}x",
        "a\u{1b}[31mb",
    ] {
        let (status, error) = answer(server.post("/v1/api-keys", &key).json(&json!({ "name": name }))).await;
        assert_error(status, &error, 400, "invalid_request", "name");
        let body = json!({"name": name, "definition": {"steps": [{"id": "a", "op": "pause"}]}});
        let (status, error) = answer(server.post("/v1/flows", &key).json(&body)).await;
        assert_error(status, &error, 400, "invalid_request", "name");
    }
    let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
    let (status, created) = answer(server.post("/v1/api-keys", &key).json(&json!({ "name": family }))).await;
    assert_eq!((status, created["name"].as_str()), (201, Some(family)));
}

#[tokio::test]
async fn fail_messages_keep_newlines_and_tabs_only() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(
        &server,
        &key,
        json!([{"id": "a", "op": "fail", "message": "line one\n\tline two"}]),
    )
    .await;
    let (_, run) = invoke(&server, &key, &graph, json!({}), true).await;
    assert_eq!(run["error"]["message"], "line one\n\tline two");
    let body =
        json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "fail", "message": "bell\u{7}"}]}});
    let (status, error) = answer(server.post("/v1/flows", &key).json(&body)).await;
    assert_error(status, &error, 400, "invalid_request", "control characters");
}

#[tokio::test]
async fn nesting_is_capped_at_64_levels_and_deep_json_is_kept_whole() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(&server, &key, json!([{"id": "a", "op": "pause"}])).await;
    let (status, error) = invoke(&server, &key, &graph, nested(65), true).await;
    assert_error(status, &error, 400, "invalid_request", "64 levels");
    // 64 levels, past DynamoDB's own 32-level limit for maps: stored as JSON text, kept whole.
    let (status, run) = invoke(&server, &key, &graph, nested(64), true).await;
    assert_eq!((status, run["status"].as_str()), (202, Some("paused")), "{run}");
    assert_eq!(run["input"], nested(64));
    let id = run["execution_id"].as_str().unwrap();
    let resume = server.post(&format!("/invocations/v1/executions/{id}/resume"), &key);
    let (status, error) = answer(resume.json(&json!({"input": nested(65)}))).await;
    assert_error(status, &error, 400, "invalid_request", "64 levels");
    let body = json!({"name": "f", "definition": {"steps": [{"id": "a", "op": "set", "value": nested(65)}]}});
    let (status, error) = answer(server.post("/v1/flows", &key).json(&body)).await;
    assert_error(status, &error, 400, "invalid_request", "64 levels");
}

#[tokio::test]
async fn a_definition_is_measured_as_received() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    // Compact, this definition is tiny; as sent, padded with white space, it is over 64 KiB.
    let padding = " ".repeat(64 * 1024);
    let body =
        format!(r#"{{"name": "f", "definition": {{"steps": [{padding}{{"id": "a", "op": "pause"}}]}}}}"#);
    let response = server
        .post("/v1/flows", &key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, error) = status_json(response).await;
    assert_error(status, &error, 400, "invalid_request", "64 KiB");
}
