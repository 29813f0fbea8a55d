//! `make bench`: cold starts. Each function's release binary is started under a minimal Lambda
//! Runtime API emulator (this file's: `/runtime/invocation/next`, `/response`, `/error` and
//! `/runtime/init/error`), with the environment Lambda gives a function (and DynamoDB Local as
//! its endpoint), and sent one sample event of `events/` as a real account. Measured:
//!
//! - init: exec → the runtime's first `GET /next` (what Lambda reports as Init Duration);
//! - first answer: that `/next` answered with the event → its `/response` (or `/error`);
//! - warm answer: the same event again, in the same process (what DynamoDB itself takes, for
//!   comparison);
//!
//! next to a hello-world `lambda_runtime` binary (`benches/hello-lambda`) built with the same
//! profile in the same `cargo build`. The binaries are started in turn (round after round, a
//! fresh process each time; 60 rounds, or `BENCH_COLD_STARTS`), the first round discarded.
//! Prints a table of medians with the ratio of init + first answer to the hello-world's (target
//! ≤ 2.0). `scripts/bench` builds the binaries; run it as
//! `scripts/with-dynamodb-local cargo bench -p axiom-tests --bench cold_start`.
//!
//! DynamoDB Local answers a new connection's first request more slowly than the hello-world's
//! whole cold start, so the table also has an adjusted figure, labelled as such: init + first
//! answer minus DynamoDB Local's own time for the calls, estimated in the same run as
//! - the function's warm answer beyond the hello-world's (the same calls, on an open connection);
//! - plus what a new connection's first request costs over the next one (a new client's
//!   `GetItem`, measured between the starts, as is a `TransactWriteItems` for comparison);
//! - plus, for the functions that open the connection during init (authorizer, runner), their
//!   warm-up `GetItem` (the next request's time).
//!
//! Each start is adjusted by its own warm answer (from the same process, moments later), the
//! connection figures being medians over the rounds; the table shows the median adjusted start.
//! A first answer that opens several connections at once (usage's and the sweeper's concurrent
//! queries) pays the new-connection cost more than once and is adjusted for one only: its
//! adjusted figure is an upper bound.

mod common;

use axiom_shared::domain::timestamp;
use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use axiom_shared::{
    domain::{flows::Definition, ids::new_id, keys::KeyHash},
    store::{
        Store, client,
        table::{self, PARTITION_KEY, SORT_KEY},
    },
};
use axiom_tests::{EVENT, account, event_as, first_page, operator};
use axum::{
    Router,
    body::{Body, to_bytes},
    http::{Request, Response, StatusCode},
};
use common::{binary, median, ms};
use tokio::{net::TcpListener, process::Command, sync::oneshot};

const RUNTIME: &str = "/2018-06-01/runtime";
const TARGET: f64 = 2.0;

/// For the adjusted figure: the functions that call no database (`run_route_without_store`),
/// and those that open their connection during init (`warm_connection`, `shared/src/lambda.rs`).
const WITHOUT_DATABASE: [&str; 3] = ["hello-lambda", "whoami", "console"];
const WARMED_IN_INIT: [&str; 2] = ["authorizer", "runner"];

/// What one start saw.
#[derive(Debug)]
struct Start {
    init: Duration,
    first_answer: Duration,
    warm_answer: Duration,
    answer: String,
}

/// The emulator's state for one start: the invocations to hand out and when the runtime asked
/// for and answered each.
struct Emulator {
    events: Vec<String>,
    asked: Vec<Instant>,
    answered: Vec<Instant>,
    answers: Vec<Result<String, String>>,
    done: Option<oneshot::Sender<()>>,
}

/// The number of invocations per start: the cold one, then a warm one.
const INVOCATIONS: usize = 2;

async fn runtime_api(emulator: Arc<Mutex<Emulator>>, request: Request<Body>) -> Response<Body> {
    let now = Instant::now();
    let path = request.uri().path().to_owned();
    let respond = |status: StatusCode, body: String| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    if path == format!("{RUNTIME}/invocation/next") {
        let event = {
            let mut emulator = emulator.lock().unwrap();
            let event = emulator.events.pop();
            if event.is_some() {
                emulator.asked.push(now);
            }
            event
        };
        let Some(event) = event else {
            // Past the last invocation, polls wait until the process is stopped.
            return std::future::pending().await;
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        return Response::builder()
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", new_id())
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:000000000000:function:bench",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .body(Body::from(event))
            .unwrap();
    }
    let body = to_bytes(request.into_body(), 6 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let outcome = if path.starts_with(&format!("{RUNTIME}/invocation/")) && path.ends_with("/response") {
        Ok(body)
    } else if path.ends_with("/error") {
        Err(format!("{path}: {body}"))
    } else {
        return respond(StatusCode::NOT_FOUND, "{}".into());
    };
    let mut emulator = emulator.lock().unwrap();
    emulator.answered.push(now);
    let failed = outcome.is_err();
    emulator.answers.push(outcome);
    if (failed || emulator.answers.len() == INVOCATIONS)
        && let Some(done) = emulator.done.take()
    {
        let _ = done.send(());
    }
    respond(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.into())
}

/// Starts `name`'s release binary under a fresh emulator, hands it `event`, and stops it once it
/// has answered.
async fn start(name: &str, event: &str, table: &str) -> Result<Start, String> {
    let (done, finished) = oneshot::channel();
    let emulator = Arc::new(Mutex::new(Emulator {
        events: vec![event.to_owned(); INVOCATIONS],
        asked: Vec::new(),
        answered: Vec::new(),
        answers: Vec::new(),
        done: Some(done),
    }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = emulator.clone();
    let app = Router::new().fallback(move |request: Request<Body>| runtime_api(state.clone(), request));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // The environment Lambda gives a function, nothing inherited (no SSL_CERT_FILE either).
    let mut command = Command::new(binary("release", name));
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("LAMBDA_TASK_ROOT", "/var/task")
        .env("_HANDLER", "bootstrap")
        .env("TZ", ":UTC")
        .env("LANG", "en_US.UTF-8")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_SESSION_TOKEN", "local")
        .env("TABLE_NAME", table)
        .env(
            "AWS_ENDPOINT_URL_DYNAMODB",
            std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap(),
        )
        .envs(extra_environment())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let exec = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot start {name}: {e}"))?;
    let finished = tokio::time::timeout(Duration::from_secs(30), finished).await;
    let _ = child.kill().await;
    server.abort();
    let emulator = emulator.lock().unwrap();
    if let Some(Err(error)) = emulator.answers.iter().find(|answer| answer.is_err()) {
        return Err(format!("{name} failed: {error}"));
    }
    if finished.is_err() || emulator.answered.len() < INVOCATIONS {
        return Err(format!("{name} did not answer within 30 s"));
    }
    Ok(Start {
        init: emulator.asked[0] - exec,
        first_answer: emulator.answered[0] - emulator.asked[0],
        warm_answer: emulator.answered[1] - emulator.asked[1],
        answer: emulator.answers[0].clone().unwrap_or_default(),
    })
}

/// DynamoDB Local's time for two requests from a new client: the first on its new connection
/// (connecting included), and the next one.
async fn on_a_new_connection<F: Future<Output = ()>>(
    endpoint: &str,
    request: impl Fn(client::Client) -> F,
) -> (Duration, Duration) {
    let fresh = client::local_dynamodb_client(endpoint).await;
    let started = Instant::now();
    request(fresh.clone()).await;
    let first = started.elapsed();
    let started = Instant::now();
    request(fresh).await;
    (first, started.elapsed())
}

/// `BENCH_FUNCTION_ENV=NAME=VALUE,...`: more variables for every function started (such as
/// `SSL_CERT_FILE=...`, to compare with the system's root certificates loaded).
fn extra_environment() -> Vec<(String, String)> {
    std::env::var("BENCH_FUNCTION_ENV")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// A payload 2.0 route event made from another: the same caller and headers, another route
/// (`{id}` keeps the event's own path parameter).
fn routed(event: &str, method: &str, path: &str) -> String {
    let mut event: serde_json::Value = serde_json::from_str(event).unwrap();
    let id = event["pathParameters"]["id"].as_str().map(str::to_owned);
    let raw_path = match &id {
        Some(id) => path.replace("{id}", id),
        None => path.to_owned(),
    };
    event["routeKey"] = format!("{method} {path}").into();
    event["rawPath"] = raw_path.clone().into();
    event["requestContext"]["routeKey"] = format!("{method} {path}").into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = raw_path.into();
    event.to_string()
}

/// Whether an answer is the one expected of the function.
fn check(name: &str, answer: &str) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_str(answer).map_err(|e| format!("{name} answered no JSON ({e}): {answer}"))?;
    let ok = match name {
        "hello-lambda" => value["hello"] == "world",
        "authorizer" => value["isAuthorized"] == true,
        "runner" => value["batchItemFailures"].as_array().is_some_and(Vec::is_empty),
        "sweeper" => value["failed"] == 0,
        _ => value["statusCode"].as_u64().is_some_and(|status| status < 500),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{name} answered {answer}"))
    }
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_COLD_STARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("needs DynamoDB Local: run it inside scripts/with-dynamodb-local");
    let dynamodb = client::local_dynamodb_client(&endpoint).await;
    let table_name = format!("bench-{}", new_id());
    table::ensure_table(&dynamodb, &table_name).await.unwrap();
    let store = Store::new(dynamodb, &table_name);
    let (account, key) = account(&store, "cold").await;
    let key_id = store
        .list_keys(&account.account_id, &first_page())
        .await
        .unwrap()
        .items[0]
        .key_id
        .clone();
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

    // Each function and the sample event it is sent, as the account (revoke-key and roll-key
    // get another key's id, so that the account's key survives).
    let as_account = |name: &str| event_as(name, &account, &key_id, &key);
    let other_key = |event: String| event.replace(&key_id, &new_id());
    let mut events: Vec<(String, String)> = vec![
        ("hello-lambda".into(), r#"{"hello":"world"}"#.into()),
        ("authorizer".into(), as_account("authorizer-valid")),
        ("whoami".into(), as_account("whoami")),
        ("console".into(), as_account("console")),
        ("create-key".into(), as_account("create-key")),
        ("list-keys".into(), as_account("list-keys")),
        ("revoke-key".into(), other_key(as_account("revoke-key"))),
        (
            "roll-key".into(),
            other_key(routed(
                &as_account("revoke-key"),
                "POST",
                "/v1/api-keys/{id}/roll",
            )),
        ),
        ("flows".into(), as_account("flows-list")),
        (
            "invoke".into(),
            as_account("invoke-queued").replace(&EVENT.graph_id, &flow.graph_id),
        ),
        ("executions".into(), as_account("executions-get")),
        ("usage".into(), as_account("usage")),
        (
            "audit".into(),
            routed(&as_account("list-keys"), "GET", "/v1/audit-events"),
        ),
        (
            "device".into(),
            routed(&as_account("whoami"), "POST", "/v1/auth/device"),
        ),
        ("runner".into(), as_account("runner-queue")),
        ("sweeper".into(), as_account("sweeper-schedule")),
    ];
    // Every function under functions/ that has an event here; the others are named.
    let mut names: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let unmeasured: Vec<&str> = names
        .iter()
        .filter(|name| !events.iter().any(|(function, _)| function == *name))
        .map(String::as_str)
        .collect();
    // `BENCH_FUNCTIONS=authorizer,whoami` measures those only (next to the hello-world).
    let only = std::env::var("BENCH_FUNCTIONS").unwrap_or_default();
    let only: Vec<&str> = only.split(',').filter(|name| !name.is_empty()).collect();
    events.retain(|(function, _)| {
        function == "hello-lambda"
            || (names.contains(function) && (only.is_empty() || only.contains(&function.as_str())))
    });
    let functions: Vec<(&str, String)> = events
        .iter()
        .map(|(name, event)| (name.as_str(), event.clone()))
        .collect();
    let sizes: Vec<u64> = functions
        .iter()
        .map(|(name, _)| std::fs::metadata(binary("release", name)).map_or(0, |m| m.len()))
        .collect();

    // DynamoDB Local's own time for what a cold function asks of it, measured between the
    // starts from new clients: a GetItem of the credential, and a one-item transaction (a put of
    // an item of its own), each the first on a new connection and then the next one.
    let credential_pk = AttributeValue::S(format!("CREDENTIAL#{}", KeyHash::of(&key).as_str()));
    let credential_sk = AttributeValue::S("CREDENTIAL".into());
    let get_item = |dynamodb: client::Client| {
        let request = dynamodb
            .get_item()
            .table_name(&table_name)
            .consistent_read(true)
            .key(PARTITION_KEY, credential_pk.clone())
            .key(SORT_KEY, credential_sk.clone());
        async move { assert!(request.send().await.unwrap().item.is_some()) }
    };
    let transaction = |dynamodb: client::Client| {
        let put = Put::builder()
            .table_name(&table_name)
            .item(
                PARTITION_KEY,
                AttributeValue::S(format!("COLD-START-PROBE#{}", new_id())),
            )
            .item(SORT_KEY, AttributeValue::S("PROBE".into()))
            .build()
            .unwrap();
        let request = dynamodb
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build());
        async move { request.send().await.map(drop).unwrap() }
    };
    let (mut fresh_get, mut fresh_transaction) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    let mut starts: Vec<Vec<Start>> = functions.iter().map(|_| Vec::new()).collect();
    for round in 0..=rounds {
        let get = on_a_new_connection(&endpoint, get_item).await;
        let transact = on_a_new_connection(&endpoint, transaction).await;
        if round > 0 {
            fresh_get.0.push(get.0);
            fresh_get.1.push(get.1);
            fresh_transaction.0.push(transact.0);
            fresh_transaction.1.push(transact.1);
        }
        // A rotating order: each function follows each other in turn.
        for step in 0..functions.len() {
            let index = (round + step) % functions.len();
            let (name, event) = &functions[index];
            let start = match start(name, event, &table_name).await {
                Ok(start) => start,
                Err(error) => {
                    eprintln!("cold start: {error}");
                    std::process::exit(1);
                }
            };
            if let Err(error) = check(name, &start.answer) {
                eprintln!("cold start: {error}");
                std::process::exit(1);
            }
            // The first round loads the binaries from disk and warms DynamoDB Local: discarded.
            if round > 0 {
                starts[index].push(start);
            }
        }
    }

    println!(
        "cold starts under the Lambda Runtime API emulator, DynamoDB Local: median of {rounds} \
         starts each ({})",
        common::machine()
    );
    // DynamoDB Local's own time (module documentation): what a new connection's first request
    // costs over the next one, and the hello-world's warm answer (the Runtime API's round trip).
    let (new_get, next_get) = (median(&fresh_get.0), median(&fresh_get.1));
    let new_connection = median(
        &fresh_get
            .0
            .iter()
            .zip(&fresh_get.1)
            .map(|(first, next)| first.saturating_sub(*next))
            .collect::<Vec<_>>(),
    );
    assert_eq!(functions[0].0, "hello-lambda");
    let hello_warm = median(&starts[0].iter().map(|s| s.warm_answer).collect::<Vec<_>>());
    println!(
        "  {:<13} {:>8} {:>9} {:>13} {:>12} {:>15} {:>8} {:>15} {:>8}",
        "function",
        "size",
        "init",
        "first answer",
        "init + first",
        "(warm answer)",
        "× hello",
        "adjusted: − DB",
        "× hello"
    );
    let mut hello_total = None;
    let (mut missed, mut missed_adjusted) = (Vec::new(), Vec::new());
    for ((name, _), (runs, size)) in functions.iter().zip(starts.iter().zip(&sizes)) {
        let of = |part: fn(&Start) -> Duration| median(&runs.iter().map(part).collect::<Vec<_>>());
        let total = of(|s| s.init + s.first_answer);
        let warm = of(|s| s.warm_answer);
        let hello = *hello_total.get_or_insert(total);
        // Per start (its first and warm answers come from the same process, moments apart),
        // then the median.
        let database = |start: &Start| match *name {
            name if WITHOUT_DATABASE.contains(&name) => Duration::ZERO,
            name if WARMED_IN_INIT.contains(&name) => {
                start.warm_answer.saturating_sub(hello_warm) + new_connection + next_get
            }
            _ => start.warm_answer.saturating_sub(hello_warm) + new_connection,
        };
        let adjusted = median(
            &runs
                .iter()
                .map(|s| (s.init + s.first_answer).saturating_sub(database(s)))
                .collect::<Vec<_>>(),
        );
        let ratio = total.as_secs_f64() / hello.as_secs_f64();
        let adjusted_ratio = adjusted.as_secs_f64() / hello.as_secs_f64();
        if ratio > TARGET {
            missed.push(*name);
        }
        if adjusted_ratio > TARGET {
            missed_adjusted.push(*name);
        }
        println!(
            "  {name:<13} {:>5.2} MB {:>6.2} ms {:>10.2} ms {:>9.2} ms {:>12.2} ms {ratio:>7.2}× \
             {:>12.2} ms {adjusted_ratio:>7.2}×",
            *size as f64 / 1e6,
            ms(of(|s| s.init)),
            ms(of(|s| s.first_answer)),
            ms(total),
            ms(warm),
            ms(adjusted),
        );
    }
    println!(
        "  DynamoDB Local alone, from this process, on a new connection then the next request \
         (medians): GetItem {:.2} then {:.2} ms, TransactWriteItems {:.2} then {:.2} ms",
        ms(new_get),
        ms(next_get),
        ms(median(&fresh_transaction.0)),
        ms(median(&fresh_transaction.1)),
    );
    println!(
        "  adjusted, per start: init + first answer − (its warm answer − the hello-world's {:.2} ms) \
         − a new connection's first GetItem over the next one, {:.2} ms − for authorizer and \
         runner the warm-up GetItem, {:.2} ms (medians); an estimate, not a measurement",
        ms(hello_warm),
        ms(new_connection),
        ms(next_get),
    );
    if !unmeasured.is_empty() {
        println!(
            "not measured (no event for them in {}): {}",
            file!(),
            unmeasured.join(", ")
        );
    }
    for (label, missed) in [("", missed), ("adjusted ", missed_adjusted)] {
        if missed.is_empty() {
            println!("every function's {label}init + first answer within {TARGET:.1}× the hello-world's");
        } else {
            println!(
                "{label}init + first answer over {TARGET:.1}× the hello-world's: {}",
                missed.join(", ")
            );
        }
    }
}
