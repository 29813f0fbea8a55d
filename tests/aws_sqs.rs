//! The runs queue's SQS path (`RunQueue::Sqs`), against an SQS emulator (moto's server) that
//! `scripts/with-sqs` starts: what `SendMessage` puts on a standard queue (the body naming the
//! run, the account's fair-queue group, the delay), as `ReceiveMessage` gives it back; and end
//! to end, a queued run started through the store (on DynamoDB Local) carried by the queue to
//! the runner, its sleep coming back as a delayed message. Each test makes a queue of its own.
//!
//! Run inside both wrappers, as `make test` does:
//!   scripts/with-dynamodb-local scripts/with-sqs cargo test -p axiom-tests --test aws_sqs

use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_sqs::{
    error::DisplayErrorContext,
    types::{Message, MessageSystemAttributeName},
};
use axiom_shared::{
    domain::{
        executions::{Execution, RunRef, StartIds, Status},
        flows::Definition,
        ids::new_id,
        timestamp,
    },
    runner,
    store::{RunQueue, Store, client, queue::run_of_message},
};
use axiom_tests::{EventSender, operator};
use serde_json::{Value, json};

/// The emulator's endpoint, which `scripts/with-sqs` exports. Without it the tests fail: they
/// are part of `make test`, and skipping them would pass without the SQS path being tried.
fn sqs_endpoint() -> String {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS")
        .ok()
        .filter(|endpoint| !endpoint.is_empty())
        .expect(
            "AWS_ENDPOINT_URL_SQS is not set: run these tests inside scripts/with-sqs \
             (`make test` does), e.g. scripts/with-dynamodb-local scripts/with-sqs \
             cargo test -p axiom-tests --test aws_sqs",
        );
    // These tests create queues: never on AWS.
    assert!(
        ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
            .iter()
            .any(|local| endpoint.starts_with(local)),
        "AWS_ENDPOINT_URL_SQS={endpoint} is not on this machine: run these tests inside scripts/with-sqs"
    );
    endpoint
}

/// An SQS client as `store::client::store()` builds the runs queue's, from the SDK's standard
/// environment (so the endpoint is `AWS_ENDPOINT_URL_SQS`, as the SDK itself reads it).
async fn sender() -> aws_sdk_sqs::Client {
    sqs_endpoint();
    client::sqs_client().await
}

/// The consumer's client (Lambda's event source, on AWS): the same environment, without the
/// store's timeouts, which a long poll outlasts.
async fn receiver() -> aws_sdk_sqs::Client {
    sqs_endpoint();
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .http_client(client::https_client())
        .load()
        .await;
    aws_sdk_sqs::Client::new(&sdk)
}

/// A standard queue of the test's own (as `template.yaml`'s: no FIFO attribute); its URL.
async fn new_queue(sqs: &aws_sdk_sqs::Client) -> String {
    let created = sqs
        .create_queue()
        .queue_name(format!("axiom-test-{}", new_id()))
        .send()
        .await
        .unwrap_or_else(|error| panic!("CreateQueue: {}", DisplayErrorContext(&error)));
    let url = created.queue_url().expect("a queue URL").to_owned();
    assert!(
        url.starts_with(&sqs_endpoint()),
        "the SDK took AWS_ENDPOINT_URL_SQS: {url}"
    );
    url
}

/// The messages one `ReceiveMessage` gives (up to 10, with every system attribute), waiting up
/// to `wait_seconds` for one.
async fn receive(sqs: &aws_sdk_sqs::Client, url: &str, wait_seconds: i32) -> Vec<Message> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap_or_else(|error| panic!("ReceiveMessage: {}", DisplayErrorContext(&error)))
        .messages()
        .to_vec()
}

/// The one message the next `ReceiveMessage`s give within `within`; deleted, as Lambda's
/// event source deletes a message its function took.
async fn receive_one(sqs: &aws_sdk_sqs::Client, url: &str, within: Duration) -> Message {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = i32::try_from(left.as_secs().clamp(1, 20)).unwrap();
        let mut messages = receive(sqs, url, wait).await;
        if !messages.is_empty() {
            assert_eq!(messages.len(), 1, "{messages:?}");
            let message = messages.remove(0);
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().expect("a receipt handle"))
                .send()
                .await
                .unwrap_or_else(|error| panic!("DeleteMessage: {}", DisplayErrorContext(&error)));
            return message;
        }
        assert!(Instant::now() < deadline, "no message within {within:?}");
    }
}

/// Asserts that the queue gives nothing for a second (a one-second long poll).
async fn assert_nothing_yet(sqs: &aws_sdk_sqs::Client, url: &str, what: &str) {
    let messages = receive(sqs, url, 1).await;
    assert!(messages.is_empty(), "{what}: {messages:?}");
}

fn run_ref() -> RunRef {
    RunRef {
        account_id: new_id(),
        execution_id: new_id(),
    }
}

/// The body as JSON, the run it names, and its `MessageGroupId`.
fn read(message: &Message) -> (Value, Option<RunRef>, Option<&str>) {
    let body = message.body().expect("a body");
    let group = message
        .attributes()
        .and_then(|attributes| attributes.get(&MessageSystemAttributeName::MessageGroupId))
        .map(String::as_str);
    (
        serde_json::from_str(body).expect("a JSON body"),
        run_of_message(body),
        group,
    )
}

#[tokio::test]
async fn a_run_is_sent_as_its_ids_in_its_account_s_group_on_a_standard_queue() {
    let (sqs, consumer) = (sender().await, receiver().await);
    let url = new_queue(&sqs).await;
    let queue = RunQueue::Sqs {
        client: sqs,
        url: url.clone().into(),
    };
    let run = run_ref();
    queue
        .send(&run, 0)
        .await
        .expect("SendMessage with a MessageGroupId on a standard queue");

    let message = receive_one(&consumer, &url, Duration::from_secs(5)).await;
    let (body, named, group) = read(&message);
    assert_eq!(
        body,
        json!({"account_id": run.account_id, "execution_id": run.execution_id}),
        "the body is the run's ids and nothing else"
    );
    assert_eq!(named.as_ref(), Some(&run));
    // On a standard queue a MessageGroupId makes it a fair queue: the emulator keeps it and
    // gives it back, as SQS does.
    assert_eq!(group, Some(run.account_id.as_str()));
    assert_nothing_yet(&consumer, &url, "one message per send").await;
}

#[tokio::test]
async fn a_delayed_run_is_not_received_before_its_delay_and_is_after_it() {
    let (sqs, consumer) = (sender().await, receiver().await);
    let url = new_queue(&sqs).await;
    let queue = RunQueue::Sqs {
        client: sqs,
        url: url.clone().into(),
    };
    let run = run_ref();
    let sent = Instant::now();
    queue.send(&run, 2).await.unwrap();

    let early = receive(&consumer, &url, 1).await;
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "the early look ended before the delay: {:?}",
        sent.elapsed()
    );
    assert!(early.is_empty(), "received before its delay: {early:?}");

    let message = receive_one(&consumer, &url, Duration::from_secs(6)).await;
    assert!(
        sent.elapsed() >= Duration::from_secs(2),
        "received {:?} after a send delayed by 2 s",
        sent.elapsed()
    );
    let (_, named, group) = read(&message);
    assert_eq!(named, Some(run.clone()));
    assert_eq!(group, Some(run.account_id.as_str()));
}

#[tokio::test]
async fn a_delay_past_sqs_s_longest_is_capped_where_sqs_would_refuse_it() {
    let (sqs, consumer) = (sender().await, receiver().await);
    let url = new_queue(&sqs).await;
    // SQS takes delays of 0 to 900 s: the emulator refuses 901 as SQS does ...
    let refused = sqs
        .send_message()
        .queue_url(&url)
        .message_body("{}")
        .delay_seconds(901)
        .send()
        .await
        .expect_err("a delay of 901 s is refused");
    let refused = DisplayErrorContext(&refused).to_string();
    assert!(refused.contains("DelaySeconds"), "{refused}");

    // ... and the queue sends a longer one as 900 s, not failing the write that made a run runnable.
    let queue = RunQueue::Sqs {
        client: sqs,
        url: url.clone().into(),
    };
    queue.send(&run_ref(), 5_000).await.expect("a capped delay");
    assert_nothing_yet(&consumer, &url, "a run delayed by 900 s").await;
}

/// The Lambda event a runner batch of `messages` is (as the SQS event source builds it from
/// the messages it received): see `events/runner-queue.json`.
fn lambda_event(url: &str, messages: &[Message]) -> aws_lambda_events::sqs::SqsEvent {
    let queue_name = url.rsplit('/').next().unwrap();
    let records: Vec<Value> = messages
        .iter()
        .map(|message| {
            let attributes: serde_json::Map<String, Value> = message
                .attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), json!(value)))
                .collect();
            json!({
                "messageId": message.message_id(),
                "receiptHandle": message.receipt_handle(),
                "body": message.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": message.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{queue_name}"),
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("an SQS event")
}

#[tokio::test]
async fn a_queued_run_goes_through_sqs_to_the_runner_and_its_sleep_comes_back_delayed() {
    let caller = EventSender::new().await;
    let (sqs, consumer) = (sender().await, receiver().await);
    let url = new_queue(&sqs).await;
    let store: Store = caller.store.clone().with_queue(RunQueue::Sqs {
        client: sqs,
        url: url.clone().into(),
    });

    let steps = json!([
        {"id": "nap", "op": "sleep", "ms": 2500},
        {"id": "finish", "op": "set", "value": {"done": true}}
    ]);
    let definition = Definition::parse(&json!({ "steps": steps })).unwrap();
    let account_id = caller.account.account_id.clone();
    let graph_id = store
        .create_flow(
            &account_id,
            "sqs flow".into(),
            &definition,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap()
        .graph_id;
    let input = json!({"user": "ada"});
    let execution = Execution::start(
        StartIds {
            execution_id: new_id(),
            account_id: account_id.clone(),
            graph_id,
            key_id: caller.key_id.clone(),
        },
        &definition,
        input.to_string(),
        input,
        None,
        timestamp::now_ms(),
    );
    assert_eq!(execution.status, Status::Queued);
    let run = RunRef {
        account_id: account_id.clone(),
        execution_id: execution.execution_id.clone(),
    };

    // Starting the run sends its message, at once.
    store.start_execution(&execution, None, None).await.unwrap();
    let started = receive_one(&consumer, &url, Duration::from_secs(5)).await;
    let (_, named, group) = read(&started);
    assert_eq!((named, group), (Some(run.clone()), Some(account_id.as_str())));

    // The runner, fed that message as Lambda would feed it, reaches the sleep, lets go of the
    // run and sends it again, delayed to the sleep's end (2.5 s, rounded up to 3).
    let parked_at = Instant::now();
    let event = lambda_event(&url, std::slice::from_ref(&started));
    let response = runner::on_queue(&store, &event, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let parked = store
        .get_execution(&account_id, &run.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            parked.status,
            parked.lease_owner.as_deref(),
            parked.runnable.is_some()
        ),
        (Status::Running, None, true)
    );
    assert_nothing_yet(&consumer, &url, "the sleep's message before its end").await;
    assert!(
        parked_at.elapsed() < Duration::from_millis(2500),
        "the look for nothing ended after the sleep: {:?}",
        parked_at.elapsed()
    );

    let woken = receive_one(&consumer, &url, Duration::from_secs(6)).await;
    assert!(
        parked_at.elapsed() >= Duration::from_millis(2500),
        "the sleep's message came {:?} after the run was parked",
        parked_at.elapsed()
    );
    let (_, named, group) = read(&woken);
    assert_eq!((named, group), (Some(run.clone()), Some(account_id.as_str())));

    // That message, once the sleep is over, finishes the run; an ended run is not queued.
    let event = lambda_event(&url, std::slice::from_ref(&woken));
    let response = runner::on_queue(&store, &event, timestamp::now_ms() + 60_000).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let done = store
        .get_execution(&account_id, &run.execution_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, Status::Succeeded);
    assert!(done.duration_ms.unwrap() >= 2500, "{:?}", done.duration_ms);
    assert_nothing_yet(&consumer, &url, "a message after the run ended").await;
}
