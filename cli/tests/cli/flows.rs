//! `axiom flows`, `invoke`, `executions` and `usage`, written against PRODUCT.md sections 5 to 7.
//! Ignored until the routes of issue 3 are served.

use std::time::{Duration, Instant};

use axiom_tests::{Server, account};
use serde_json::{Value, json};

use crate::support::{User, piped};

/// A logged-in user of a fresh account, and a folder for flow files.
async fn logged_in() -> (Server, User) {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let user = User::new();
    user.login(&server.base, &raw).await;
    (server, user)
}

/// Saves `definition` with `axiom flows create --file`; returns the graph id.
async fn create_flow(user: &User, name: &str, definition: Value) -> String {
    let file = user.home().join(format!("{name}.json"));
    std::fs::write(&file, definition.to_string()).unwrap();
    let created = user
        .run(&[
            "flows",
            "create",
            name,
            "--file",
            file.to_str().unwrap(),
            "--json",
        ])
        .await
        .json();
    assert_eq!(created["name"], name, "{created}");
    created["graph_id"].as_str().unwrap().to_owned()
}

fn greeting() -> Value {
    json!({"steps": [
        {"id": "greet", "op": "set", "value": {"greeting": "hello", "who": {"$from": "/user"}}}
    ]})
}

fn declined() -> Value {
    json!({"steps": [
        {"id": "reserve", "op": "set", "value": {"reserved": true},
         "compensate": {"op": "set", "value": {"reserved": false}}},
        {"id": "charge", "op": "fail", "message": "card declined"}
    ]})
}

fn approval() -> Value {
    json!({"steps": [
        {"id": "ask", "op": "set", "value": {"asked": true}},
        {"id": "approve", "op": "pause"},
        {"id": "done", "op": "set", "value": {"done": true}}
    ]})
}

/// `axiom executions get --json` until the status is `status` (or 30 seconds pass).
async fn until_status(user: &User, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let execution = user.run(&["executions", "get", id, "--json"]).await.json();
        if execution["status"] == status {
            return execution;
        }
        assert!(Instant::now() < deadline, "never {status}: {execution}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn flows_are_created_from_a_file_and_listed() {
    let (_server, user) = logged_in().await;
    assert_eq!(user.run(&["flows", "list"]).await.ok().trim(), "No flows.");

    let file = user.home().join("greeting.json");
    std::fs::write(&file, greeting().to_string()).unwrap();
    let created = user
        .run(&["flows", "create", "greeting", "--file", file.to_str().unwrap()])
        .await;
    let stdout = created.ok();
    assert!(stdout.contains("Graph ID: "), "{stdout}");

    // From stdin too.
    let from_stdin = piped(
        user.axiom(&["flows", "create", "declined", "--file", "-", "--json"]),
        Some(&declined().to_string()),
    )
    .await
    .json();
    let declined_id = from_stdin["graph_id"].as_str().unwrap();

    let list = user.run(&["flows", "list", "--json"]).await.json();
    let flows = list["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "{list}");
    let table = user.run(&["flows", "list"]).await.ok().to_owned();
    for column in ["Graph ID", "Name", "Created"] {
        assert!(table.lines().next().unwrap().contains(column), "{table}");
    }
    assert!(
        table.contains("greeting") && table.contains(declined_id),
        "{table}"
    );

    // A file that is not JSON never reaches the API.
    std::fs::write(&file, "{nope").unwrap();
    let bad = user
        .run(&["flows", "create", "bad", "--file", file.to_str().unwrap()])
        .await;
    assert!(bad.failed(2).contains("not valid JSON"), "{bad:?}");
    // One the API refuses: its message.
    let empty = piped(
        user.axiom(&["flows", "create", "empty", "--file", "-"]),
        Some(r#"{"steps": []}"#),
    )
    .await;
    assert!(empty.failed(1).contains("HTTP 400"), "{empty:?}");
}

#[tokio::test]
async fn invoke_wait_prints_a_succeeded_run_and_exits_0() {
    let (_server, user) = logged_in().await;
    let graph_id = create_flow(&user, "greeting", greeting()).await;

    let run = user
        .run(&[
            "invoke",
            &graph_id,
            "--input",
            r#"{"user": "ada"}"#,
            "--wait",
            "--json",
        ])
        .await
        .json();
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["output"]["who"], "ada", "{run}");
    assert_eq!(run["graph_id"], graph_id.as_str());

    let input = user.home().join("input.json");
    std::fs::write(&input, r#"{"user": "grace"}"#).unwrap();
    let text = user
        .run(&[
            "invoke",
            &graph_id,
            "--input-file",
            input.to_str().unwrap(),
            "--wait",
        ])
        .await;
    let stdout = text.ok();
    assert!(stdout.contains("Status     succeeded"), "{stdout}");
    assert!(stdout.contains("\"grace\""), "{stdout}");
}

#[tokio::test]
async fn invoke_exits_4_when_the_run_did_not_succeed() {
    let (_server, user) = logged_in().await;
    let graph_id = create_flow(&user, "declined", declined()).await;

    let run = user.run(&["invoke", &graph_id, "--wait"]).await;
    assert_eq!(run.code, 4, "{run:?}");
    assert!(run.stdout.contains("Status     failed"), "{run:?}");
    assert!(run.stdout.contains("card declined"), "{run:?}");

    let json = user.run(&["invoke", &graph_id, "--wait", "--json"]).await;
    assert_eq!(json.code, 4, "{json:?}");
    let execution: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(execution["error"]["step"], "charge");
}

#[tokio::test]
async fn invoke_without_wait_returns_at_once_and_get_follows_the_run() {
    let (_server, user) = logged_in().await;
    let graph_id = create_flow(&user, "greeting", greeting()).await;
    let run = user.run(&["invoke", &graph_id, "--json"]).await.json();
    let id = run["execution_id"].as_str().unwrap();
    let done = until_status(&user, id, "succeeded").await;
    assert_eq!(done["output"]["greeting"], "hello");
    let text = user.run(&["executions", "get", id]).await;
    assert!(text.ok().contains(&format!("Execution  {id}")), "{text:?}");
}

#[tokio::test]
async fn a_paused_run_is_resumed_with_input() {
    let (_server, user) = logged_in().await;
    let graph_id = create_flow(&user, "approval", approval()).await;

    let paused = user.run(&["invoke", &graph_id, "--wait"]).await;
    assert!(paused.ok().contains("Status     paused"), "{paused:?}");
    assert!(paused.stderr.contains("axiom executions resume"), "{paused:?}");
    let id = user.run(&["invoke", &graph_id, "--wait", "--json"]).await.json()["execution_id"]
        .as_str()
        .unwrap()
        .to_owned();

    user.run(&["executions", "resume", &id, "--input", r#"{"approved": true}"#])
        .await
        .ok();
    let done = until_status(&user, &id, "succeeded").await;
    assert_eq!(done["output"]["approved"], true, "{done}");
    assert_eq!(done["output"]["done"], true, "{done}");

    // Only a paused run resumes: the API's 409 and its message.
    let again = user.run(&["executions", "resume", &id]).await;
    assert!(again.failed(1).contains("HTTP 409"), "{again:?}");
}

#[tokio::test]
async fn a_paused_run_is_cancelled_once() {
    let (_server, user) = logged_in().await;
    let graph_id = create_flow(&user, "approval", approval()).await;
    let paused = user.run(&["invoke", &graph_id, "--wait", "--json"]).await.json();
    assert_eq!(paused["status"], "paused", "{paused}");
    let id = paused["execution_id"].as_str().unwrap();

    let cancelled = user.run(&["executions", "cancel", id, "--json"]).await.json();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    let again = user.run(&["executions", "cancel", id]).await;
    assert!(again.failed(1).contains("HTTP 409"), "{again:?}");

    let unknown = user
        .run(&["executions", "get", "0193f1e2-0000-7000-8000-000000000000"])
        .await;
    unknown.failed(1);
}

#[tokio::test]
async fn usage_shows_the_summary_and_a_chart_in_80_columns() {
    let (_server, user) = logged_in().await;

    let empty = user.run(&["usage"]).await;
    let text = empty.ok();
    assert!(text.contains("Executions    0"), "{text}");
    assert!(text.contains("Success rate  —"), "{text}");
    assert!(text.contains("Avg duration  —"), "{text}");

    let greeting = create_flow(&user, "greeting", greeting()).await;
    let declined = create_flow(&user, "declined", declined()).await;
    user.run(&["invoke", &greeting, "--wait"]).await.ok();
    assert_eq!(user.run(&["invoke", &declined, "--wait"]).await.code, 4);

    let usage = user.run(&["usage", "--json"]).await.json();
    assert_eq!(usage["executions"], 2, "{usage}");
    assert_eq!(usage["succeeded"], 1, "{usage}");
    assert_eq!(usage["failed"], 1, "{usage}");
    assert_eq!(usage["daily"].as_array().unwrap().len(), 30);

    let chart = user.run(&["usage"]).await;
    let text = chart.ok();
    assert!(text.contains("Executions    2"), "{text}");
    assert!(text.contains("Success rate  50.00%"), "{text}");
    assert!(text.contains('█') && text.contains('▒'), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line:?}");
    }
}
