//! The flow, execution, usage and runner handlers, fed the sample events of `events/` (the same
//! files `cargo lambda invoke --data-file` and `sam local invoke -e` use), with their placeholder
//! ids replaced by real ones.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use aws_lambda_events::sqs::SqsEvent;
use axiom_shared::{
    api::{self, routes::Function},
    domain::{
        executions::{Execution, LEASE_MS, RunRef, StartIds, Status},
        flows::Definition,
        keys::KeyHash,
        timestamp,
    },
    runner,
    store::{QueueMessage, RunQueue, Store, queue::SendLocally},
};
use axiom_tests::{EVENT, EventSender, account, event, event_as, operator};
use serde_json::{Value, json};

fn body(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    serde_json::from_slice(response.body()).unwrap_or(Value::Null)
}

/// The caller, with the runs' own placeholders replaced too.
struct Fixture(EventSender);

impl std::ops::Deref for Fixture {
    type Target = EventSender;
    fn deref(&self) -> &EventSender {
        &self.0
    }
}

impl Fixture {
    async fn new() -> Self {
        Self(EventSender::new().await)
    }

    /// `events/<name>.json` as this account, naming `graph_id` and `execution_id` where the
    /// sample names its placeholders.
    fn event(&self, name: &str, graph_id: &str, execution_id: &str) -> String {
        self.0
            .event(name)
            .replace(EVENT.graph_id.as_str(), graph_id)
            .replace(EVENT.execution_id.as_str(), execution_id)
    }

    async fn send(&self, function: Function, event: &str) -> (u16, Value) {
        let request = lambda_http::request::from_str(event).unwrap();
        let response = api::handle(function, &self.store, request).await;
        (response.status().as_u16(), body(&response))
    }

    /// Sends the sample event `name` with real ids.
    async fn call(&self, function: Function, name: &str, graph_id: &str, execution_id: &str) -> (u16, Value) {
        self.send(function, &self.event(name, graph_id, execution_id))
            .await
    }

    /// Saves a flow through the store; returns its `graph_id`.
    async fn flow(&self, steps: Value) -> String {
        let definition = Definition::parse(&json!({ "steps": steps })).unwrap();
        self.store
            .create_flow(
                &self.account.account_id,
                "test flow".into(),
                &definition,
                &operator(),
                timestamp::now(),
            )
            .await
            .unwrap()
            .graph_id
    }

    /// Invokes `graph_id` through the invoke event (input `{"user": "ada"}`, `wait: true`).
    async fn invoke(&self, graph_id: &str) -> (u16, Value) {
        self.call(Function::Invoke, "invoke", graph_id, EVENT.execution_id.as_str())
            .await
    }

    /// A run paused at its first step, before a `set`; returns its id.
    async fn paused_run(&self) -> String {
        let graph_id = self
            .flow(json!([
                {"id": "approve", "op": "pause"},
                {"id": "after", "op": "set", "value": {"done": true, "who": {"$from": "/user"}}}
            ]))
            .await;
        let (status, run) = self.invoke(&graph_id).await;
        assert_eq!(status, 202, "{run}");
        assert_eq!(run["status"], "paused");
        run["execution_id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn flows_create_event_saves_a_flow_that_flows_list_lists() {
    let fixture = Fixture::new().await;
    let (status, created) = fixture.call(Function::Flows, "flows-create", "-", "-").await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "demo");
    let graph_id = created["graph_id"].as_str().unwrap();
    assert_eq!(graph_id.len(), 36);
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

    let (status, listed) = fixture.call(Function::Flows, "flows-list", "-", "-").await;
    assert_eq!(status, 200);
    assert_eq!(listed, json!({ "flows": [created], "next_cursor": null }));

    // The saved definition is the sample's, validated.
    let definition = fixture
        .store
        .flow_definition(&fixture.account.account_id, graph_id)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = definition.steps.iter().map(|step| step.id.as_str()).collect();
    assert_eq!(ids, ["greet", "think", "finish"]);
}

#[tokio::test]
async fn invoke_event_runs_the_sample_flow_to_its_end() {
    let fixture = Fixture::new().await;
    let (_, created) = fixture.call(Function::Flows, "flows-create", "-", "-").await;
    let graph_id = created["graph_id"].as_str().unwrap();

    let (status, run) = fixture.invoke(graph_id).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["graph_id"], graph_id);
    assert_eq!(run["key_id"], fixture.key_id.as_str());
    assert_eq!(run["input"], json!({"user": "ada"}));
    assert_eq!(run["output"], json!({"user": "ada", "who": "ada", "done": true}));
    assert_eq!(run["error"], Value::Null);
    assert!(
        run["duration_ms"].as_i64().unwrap() >= 10,
        "the sleep step slept: {run}"
    );
    assert!(run["ended_at"].is_string());
    let statuses: Vec<&str> = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["succeeded"; 3]);
}

#[tokio::test]
async fn invoke_event_with_the_placeholder_flow_is_a_404() {
    let fixture = Fixture::new().await;
    let (status, error) = fixture
        .send(
            Function::Invoke,
            &event_as("invoke", &fixture.account, &fixture.key_id, &fixture.raw),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(error["error"]["code"], "not_found");
}

#[tokio::test]
async fn executions_get_event_reads_the_run_in_its_account_only() {
    let fixture = Fixture::new().await;
    let (_, created) = fixture.call(Function::Flows, "flows-create", "-", "-").await;
    let (_, run) = fixture.invoke(created["graph_id"].as_str().unwrap()).await;
    let execution_id = run["execution_id"].as_str().unwrap();

    let (status, read) = fixture
        .call(Function::Executions, "executions-get", "-", execution_id)
        .await;
    assert_eq!(status, 200);
    assert_eq!(read, run);

    // The placeholder run does not exist.
    let (status, error) = fixture
        .call(
            Function::Executions,
            "executions-get",
            "-",
            EVENT.execution_id.as_str(),
        )
        .await;
    assert_eq!((status, &error["error"]["code"]), (404, &json!("not_found")));

    // Another account asking for this run is told it does not exist.
    let (other_account, other_raw) = account(&fixture.store, "globex").await;
    let other_key = fixture
        .store
        .find_credential(&KeyHash::of(&other_raw))
        .await
        .unwrap()
        .unwrap()
        .key_id;
    let event = event_as("executions-get", &other_account, &other_key, &other_raw)
        .replace(EVENT.execution_id.as_str(), execution_id);
    let (status, error) = fixture.send(Function::Executions, &event).await;
    assert_eq!((status, &error["error"]["code"]), (404, &json!("not_found")));
}

#[tokio::test]
async fn executions_cancel_event_cancels_a_paused_run_and_refuses_an_ended_one() {
    let fixture = Fixture::new().await;
    let execution_id = fixture.paused_run().await;

    let (status, cancelled) = fixture
        .call(Function::Executions, "executions-cancel", "-", &execution_id)
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        cancelled["error"],
        json!({"step": "approve", "message": "cancelled"})
    );
    assert_eq!(cancelled["output"], Value::Null);
    assert!(cancelled["ended_at"].is_string());
    assert_eq!(cancelled["steps"][0]["status"], "cancelled");
    assert_eq!(cancelled["steps"][1]["status"], "pending");

    // Cancelled is terminal: a second cancel (and a resume) conflicts.
    let (status, error) = fixture
        .call(Function::Executions, "executions-cancel", "-", &execution_id)
        .await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (409, &json!("conflict")),
        "{error}"
    );
    let (status, error) = fixture
        .call(Function::Executions, "executions-resume", "-", &execution_id)
        .await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (409, &json!("conflict")),
        "{error}"
    );

    // A run that succeeded cannot be cancelled either.
    let (_, created) = fixture.call(Function::Flows, "flows-create", "-", "-").await;
    let (_, done) = fixture.invoke(created["graph_id"].as_str().unwrap()).await;
    let (status, error) = fixture
        .call(
            Function::Executions,
            "executions-cancel",
            "-",
            done["execution_id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (409, &json!("conflict")),
        "{error}"
    );
    let (_, still) = fixture
        .call(
            Function::Executions,
            "executions-get",
            "-",
            done["execution_id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(still["status"], "succeeded");
}

#[tokio::test]
async fn executions_resume_event_continues_a_paused_run_with_its_input() {
    let fixture = Fixture::new().await;
    let execution_id = fixture.paused_run().await;

    let (status, resumed) = fixture
        .call(Function::Executions, "executions-resume", "-", &execution_id)
        .await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["status"], "succeeded");
    assert_eq!(
        resumed["output"],
        json!({"user": "ada", "approved": true, "done": true, "who": "ada"})
    );
    assert_eq!(resumed["steps"][0]["status"], "succeeded");
    assert_eq!(resumed["steps"][1]["status"], "succeeded");

    // Only a paused run can be resumed.
    let (status, error) = fixture
        .call(Function::Executions, "executions-resume", "-", &execution_id)
        .await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (409, &json!("conflict")),
        "{error}"
    );
}

#[tokio::test]
async fn usage_event_counts_the_run_in_thirty_days() {
    let fixture = Fixture::new().await;
    let (_, created) = fixture.call(Function::Flows, "flows-create", "-", "-").await;
    let (_, run) = fixture.invoke(created["graph_id"].as_str().unwrap()).await;
    assert_eq!(run["status"], "succeeded");

    let (status, usage) = fixture.call(Function::Usage, "usage", "-", "-").await;
    assert_eq!(status, 200, "{usage}");
    let daily = usage["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(usage["window"]["days"], 30);
    assert_eq!(usage["window"]["start"], daily[0]["date"]);
    assert_eq!(usage["window"]["end"], daily[29]["date"]);
    assert_eq!(
        (
            &usage["executions"],
            &usage["succeeded"],
            &usage["failed"],
            &usage["in_flight"]
        ),
        (&json!(1), &json!(1), &json!(0), &json!(0))
    );
    assert_eq!(usage["success_rate"], 1.0);
    assert_eq!(
        usage["avg_duration_ms"].as_f64(),
        run["duration_ms"].as_f64(),
        "{usage}"
    );
    let today = &run["started_at"].as_str().unwrap()[..10];
    let day = daily.iter().find(|day| day["date"] == today).unwrap();
    assert_eq!(
        day,
        &json!({"date": today, "total": 1, "succeeded": 1, "failed": 0, "in_flight": 0})
    );
    let total: u64 = daily.iter().map(|day| day["total"].as_u64().unwrap()).sum();
    assert_eq!(total, 1);
}

/// `events/runner-queue.json`, its message naming `execution_id` of `account`.
fn queue_event(account_id: &str, execution_id: &str) -> SqsEvent {
    let text = event("runner-queue")
        .replace(EVENT.account_id.as_str(), account_id)
        .replace(EVENT.execution_id.as_str(), execution_id);
    serde_json::from_str(&text).expect("an SQS event")
}

/// A queue that keeps what is sent to it, as the local server's and SQS would take it.
#[derive(Debug, Default)]
struct Sent(Mutex<Vec<QueueMessage>>);

impl SendLocally for Sent {
    fn send(&self, message: QueueMessage) -> Result<(), QueueMessage> {
        self.0.lock().unwrap().push(message);
        Ok(())
    }
}

impl Sent {
    fn take(&self) -> Vec<QueueMessage> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Fixture {
    /// Starts a queued run of a new flow of `steps` (input `{"user": "ada"}`).
    async fn queued_run(&self, store: &Store, steps: Value) -> Execution {
        let graph_id = self.flow(steps.clone()).await;
        let definition = Definition::parse(&json!({ "steps": steps })).unwrap();
        let input = json!({"user": "ada"});
        let execution = Execution::start(
            StartIds {
                execution_id: axiom_shared::domain::ids::new_id(),
                account_id: self.account.account_id.clone(),
                graph_id,
                key_id: self.key_id.clone(),
            },
            &definition,
            input.to_string(),
            input,
            None,
            timestamp::now_ms(),
        );
        assert_eq!(execution.status, Status::Queued);
        store.start_execution(&execution, None, None).await.unwrap();
        execution
    }
}

#[test]
fn runner_queue_event_is_a_message_naming_a_run_in_its_account_s_group() {
    let parsed = queue_event(EVENT.account_id.as_str(), EVENT.execution_id.as_str());
    assert_eq!(parsed.records.len(), 1);
    let message = &parsed.records[0];
    assert_eq!(message.event_source.as_deref(), Some("aws:sqs"));
    assert!(message.message_id.is_some());
    let expected = QueueMessage::new(
        &RunRef {
            account_id: EVENT.account_id.to_string(),
            execution_id: EVENT.execution_id.to_string(),
        },
        0,
    );
    assert_eq!(message.body.as_deref(), Some(expected.body.as_str()));
    assert_eq!(message.attributes["MessageGroupId"], expected.group_id);
}

#[tokio::test]
async fn runner_queue_event_carries_a_queued_run_to_its_end() {
    let fixture = Fixture::new().await;
    let steps = json!([
        {"id": "greet", "op": "set", "value": {"who": {"$from": "/user"}}},
        {"id": "think", "op": "sleep", "ms": 10},
        {"id": "finish", "op": "set", "value": {"done": true}}
    ]);
    let execution = fixture.queued_run(&fixture.store, steps).await;

    let event = queue_event(&fixture.account.account_id, &execution.execution_id);
    let response = runner::on_queue(&fixture.store, &event, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty());

    let run = fixture
        .store
        .get_execution(&fixture.account.account_id, &execution.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, Status::Succeeded);
    let view = serde_json::to_value(run.view()).unwrap();
    assert_eq!(view["input"], json!({"user": "ada"}));
    assert_eq!(view["output"], json!({"user": "ada", "who": "ada", "done": true}));

    // The same message delivered again is harmless: the run has ended, nothing runs twice.
    let again = runner::on_queue(&fixture.store, &event, timestamp::now_ms() + 60_000).await;
    assert!(again.batch_item_failures.is_empty());
    let after = fixture
        .store
        .get_execution(&fixture.account.account_id, &execution.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, run);
}

#[tokio::test]
async fn a_sleep_of_a_second_or_more_holds_no_runner_and_the_delayed_message_finishes_it() {
    let fixture = Fixture::new().await;
    let sent = Arc::new(Sent::default());
    let store = fixture.store.clone().with_queue(RunQueue::Local(sent.clone()));
    let steps = json!([
        {"id": "nap", "op": "sleep", "ms": 1500},
        {"id": "finish", "op": "set", "value": {"done": true}}
    ]);
    let execution = fixture.queued_run(&store, steps).await;
    let run = RunRef {
        account_id: fixture.account.account_id.clone(),
        execution_id: execution.execution_id.clone(),
    };
    assert_eq!(
        sent.take(),
        [QueueMessage::new(&run, 0)],
        "the start queues the run"
    );
    let event = queue_event(&run.account_id, &run.execution_id);

    // The runner takes the run, reaches the sleep and lets go of it at once.
    let began = std::time::Instant::now();
    let response = runner::on_queue(&store, &event, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty());
    assert!(
        began.elapsed() < std::time::Duration::from_millis(1000),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(
        sent.take(),
        [QueueMessage::new(&run, 2)],
        "sent again for the sleep's end"
    );
    let parked = store
        .get_execution(&run.account_id, &run.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parked.status, Status::Running);
    assert_eq!(
        (parked.lease_owner.as_deref(), parked.runnable.is_some()),
        (None, true)
    );
    assert!(parked.steps[0].started_at.is_some() && parked.steps[0].ended_at.is_none());

    // A delivery before the sleep is over (a duplicate) writes nothing and sends it again.
    let response = runner::on_queue(&store, &event, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty());
    let unchanged = store
        .get_execution(&run.account_id, &run.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.version, parked.version);
    let again = sent.take();
    assert_eq!(again.len(), 1);
    assert!((1..=2).contains(&again[0].delay_seconds), "{again:?}");

    // The delayed message, once the sleep is over, finishes the run.
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let response = runner::on_queue(&store, &event, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty());
    let done = store
        .get_execution(&run.account_id, &run.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, Status::Succeeded);
    let nap = &done.steps[0];
    assert_eq!(
        nap.started_at, parked.steps[0].started_at,
        "the sleep began when it was parked"
    );
    assert!(done.duration_ms.unwrap() >= 1500, "{:?}", done.duration_ms);
    assert!(sent.take().is_empty(), "an ended run is not queued");
}

/// A queue that refuses every message until told to `accept`, as a failing `SendMessage` would.
#[derive(Debug, Default)]
struct Unreliable {
    accept: AtomicBool,
    sent: Sent,
}

impl SendLocally for Unreliable {
    fn send(&self, message: QueueMessage) -> Result<(), QueueMessage> {
        if self.accept.load(Ordering::SeqCst) {
            self.sent.send(message)
        } else {
            Err(message)
        }
    }
}

#[tokio::test]
async fn a_run_whose_message_could_not_be_sent_is_sent_again_by_the_sweep() {
    let fixture = Fixture::new().await;
    let queue = Arc::new(Unreliable::default());
    let store = fixture.store.clone().with_queue(RunQueue::Local(queue.clone()));
    let steps = json!([{"id": "one", "op": "set", "value": {"ok": true}}]);
    // The start stands although its message was refused.
    let execution = fixture.queued_run(&store, steps).await;
    assert!(queue.sent.take().is_empty());
    let run = RunRef {
        account_id: fixture.account.account_id.clone(),
        execution_id: execution.execution_id.clone(),
    };
    queue.accept.store(true, Ordering::SeqCst);
    let sweep = runner::sweep(&store, timestamp::now_ms() + LEASE_MS + 1).await;
    assert_eq!((sweep.redriven, sweep.failed), (1, 0), "{sweep:?}");
    assert_eq!(queue.sent.take(), [QueueMessage::new(&run, 0)]);
}

#[tokio::test]
async fn runner_messages_of_unknown_runs_are_harmless_and_unreadable_ones_are_failures() {
    let fixture = Fixture::new().await;
    // The sample as it is: its placeholder account and run exist nowhere.
    let sample = queue_event(EVENT.account_id.as_str(), EVENT.execution_id.as_str());
    let response = runner::on_queue(&fixture.store, &sample, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty());
    // An unknown run of a real account.
    let unknown = queue_event(&fixture.account.account_id, &axiom_shared::domain::ids::new_id());
    let response = runner::on_queue(&fixture.store, &unknown, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty());
    // A message that names no run is reported, so that the queue's redrive keeps it.
    let mut unreadable = sample.clone();
    unreadable.records[0].body = Some("{\"run\": 1}".to_owned());
    let response = runner::on_queue(&fixture.store, &unreadable, timestamp::now_ms() + 60_000).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_str())
        .collect();
    assert_eq!(failed, [sample.records[0].message_id.as_deref().unwrap()]);
}

#[tokio::test]
async fn sweeper_schedule_event_triggers_a_sweep() {
    // The sweeper takes any JSON payload and only sweeps; the sample is EventBridge's.
    let event: Value = serde_json::from_str(&event("sweeper-schedule")).unwrap();
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(event["source"], "aws.events");
    assert_eq!(event["detail"], json!({}));

    // A queued run that no runner took up for over 15 minutes ends as failed.
    let fixture = Fixture::new().await;
    let steps = json!([{"id": "only", "op": "set", "value": {"x": 1}}]);
    let graph_id = fixture.flow(steps.clone()).await;
    let definition = Definition::parse(&json!({ "steps": steps })).unwrap();
    let started_ms = timestamp::now_ms() - 16 * 60 * 1000;
    let execution = Execution::start(
        StartIds {
            execution_id: axiom_shared::domain::ids::new_id(),
            account_id: fixture.account.account_id.clone(),
            graph_id,
            key_id: fixture.key_id.clone(),
        },
        &definition,
        "{}".into(),
        json!({}),
        None,
        started_ms,
    );
    fixture
        .store
        .start_execution(&execution, None, None)
        .await
        .unwrap();
    let sweep = runner::sweep(&fixture.store, timestamp::now_ms()).await;
    assert_eq!(sweep.timed_out, 1, "{sweep:?}");
    let run = fixture
        .store
        .get_execution(&fixture.account.account_id, &execution.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, Status::Failed);
    assert!(run.error.unwrap().message.contains("timed out"));
}
