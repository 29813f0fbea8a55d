//! `make bench`: the authorizer's request path against its floor, on DynamoDB Local, measured
//! in one run with the cases interleaved (each round runs every case once, rounds going through
//! every order of the cases):
//!
//! 1. the floor: a bare strongly consistent `GetItem` of the credential item, through a client
//!    built exactly as the store's (`client::local_dynamodb_client`);
//! 2. the authorizer handler end to end: the payload 2.0 event's JSON in, the verdict's JSON out
//!    (`axiom_shared::api::authorizer::authorize`, its one `GetItem` included);
//! 3. `GET /v1/whoami` through the local gateway's release build (route, identity check,
//!    authorizer, handler), over one keep-alive HTTP/1.1 connection;
//! 4. the same through the dev build, the one `make dev` runs.
//!
//! Prints each case's median and p95 and its ratio to the floor's median, with the targets
//! (docs/performance.md). `BENCH_GATEWAYS=name=path,...` adds other builds of the gateway to
//! compare (such as an earlier one). `scripts/bench` builds both gateways first; run it as
//! `scripts/with-dynamodb-local cargo bench -p axiom-tests --bench authorizer_path`.

mod common;

use std::{path::Path, process::Stdio, time::Duration};

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use aws_sdk_dynamodb::types::AttributeValue;
use axiom_shared::{
    api::authorizer,
    domain::{ids::new_id, keys::KeyHash},
    store::{
        Store, client,
        table::{self, PARTITION_KEY, SORT_KEY},
    },
};
use axiom_tests::{account, event_as, first_page};
use common::{binary, free_port, ms, percentile, timed};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
};

/// One keep-alive HTTP/1.1 connection sending the same GET again and again: the lightest
/// client there is, so that what is measured is the gateway.
struct Connection {
    stream: BufReader<TcpStream>,
    request: Vec<u8>,
}

impl Connection {
    async fn open(port: u16, path: &str, key: Option<&str>) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let authorization = key
            .map(|key| format!("authorization: Bearer {key}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n{authorization}\
             user-agent: axiom-bench\r\naccept: */*\r\n\r\n"
        );
        Self {
            stream: BufReader::new(stream),
            request: request.into_bytes(),
        }
    }

    /// Sends the request; the status and the body.
    async fn get(&mut self) -> (u16, Vec<u8>) {
        self.stream.get_mut().write_all(&self.request).await.unwrap();
        let mut line = String::new();
        self.stream.read_line(&mut line).await.unwrap();
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
        let mut length = 0;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.unwrap();
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.unwrap();
        (status, body)
    }
}

/// Where the gateway on `port` logs (shown when it answers something unexpected).
fn gateway_log(port: u16) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("axiom-bench-gateway-{port}.log"))
}

/// `axiom-local` (the given binary) on a free port, on the bench's table; ready once it has
/// printed its demo key.
async fn start_gateway(path: &Path, table: &str) -> (Child, u16) {
    let port = free_port();
    let mut child = Command::new(path)
        .env("PORT", port.to_string())
        .env("TABLE_NAME", table)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(gateway_log(port)).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("export AXIOM_API_KEY=") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "{} did not start", path.display());
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, port)
}

/// A shuffled order of `0..n` (xorshift: no dependency, the same orders every run).
fn shuffled(n: usize, state: &mut u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        order.swap(i, (*state % (i as u64 + 1)) as usize);
    }
    order
}

struct Case {
    name: String,
    target: Option<f64>,
    samples: Vec<Duration>,
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let warm_up = 200;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("needs DynamoDB Local: run it inside scripts/with-dynamodb-local");

    // The store's own client configuration; a table of the bench's own.
    let dynamodb = client::local_dynamodb_client(&endpoint).await;
    let table_name = format!("bench-{}", new_id());
    table::ensure_table(&dynamodb, &table_name).await.unwrap();
    let store = Store::new(dynamodb.clone(), &table_name);
    let (account, key) = account(&store, "bench").await;
    let key_id = store
        .list_keys(&account.account_id, &first_page())
        .await
        .unwrap()
        .items[0]
        .key_id
        .clone();
    let event = event_as("authorizer-valid", &account, &key_id, &key).into_bytes();
    let credential_pk = AttributeValue::S(format!("CREDENTIAL#{}", KeyHash::of(&key).as_str()));
    let credential_sk = AttributeValue::S("CREDENTIAL".into());

    // The two builds of the gateway, and any others to compare (`BENCH_GATEWAYS`: `name=path`
    // pairs separated by commas, such as an earlier build).
    let mut gateways = vec![
        (
            "whoami via the gateway, release build".to_owned(),
            binary("release", "axiom-local"),
            Some(1.25),
        ),
        (
            "whoami via the gateway, dev build (make dev)".to_owned(),
            binary("debug", "axiom-local"),
            Some(2.0),
        ),
    ];
    for extra in std::env::var("BENCH_GATEWAYS").unwrap_or_default().split(',') {
        if let Some((name, path)) = extra.split_once('=') {
            gateways.push((format!("whoami via {name}"), path.into(), None));
        }
    }
    let mut children = Vec::new();
    let mut connections = Vec::new();
    let mut ports = Vec::new();
    for (_, path, _) in &gateways {
        let (child, port) = start_gateway(path, &table_name).await;
        children.push(child);
        ports.push(port);
        connections.push(Connection::open(port, "/v1/whoami", Some(&key)).await);
    }
    // What HTTP alone costs through the release gateway: its own 401 to a request without an
    // `Authorization` header (no authorizer, no DynamoDB), for reading the ratios.
    let release_port = ports[0];
    connections.push(Connection::open(release_port, "/v1/whoami", None).await);

    let mut cases: Vec<Case> = [
        ("GetItem, bare (the floor)".to_owned(), None),
        ("authorizer handler: event → verdict".to_owned(), Some(1.10)),
    ]
    .into_iter()
    .chain(gateways.iter().map(|(name, _, target)| (name.clone(), *target)))
    .chain([(
        "(for reference) the release gateway's own 401, HTTP alone".to_owned(),
        None,
    )])
    .map(|(name, target)| Case {
        name,
        target,
        samples: Vec::with_capacity(rounds),
    })
    .collect();

    // A new order every round, so that each case follows each other equally often (what ran
    // just before, another process or this one, warms or cools caches and threads).
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for round in 0..warm_up + rounds {
        for which in shuffled(cases.len(), &mut seed) {
            let elapsed = match which {
                0 => {
                    let (elapsed, found) = timed(
                        dynamodb
                            .get_item()
                            .table_name(&table_name)
                            .consistent_read(true)
                            .key(PARTITION_KEY, credential_pk.clone())
                            .key(SORT_KEY, credential_sk.clone())
                            .send(),
                    )
                    .await;
                    assert!(found.unwrap().item.is_some());
                    elapsed
                }
                1 => {
                    let (elapsed, verdict) = timed(async {
                        let request: ApiGatewayV2CustomAuthorizerV2Request =
                            serde_json::from_slice(&event).unwrap();
                        let verdict = authorizer::authorize(&store, request).await.unwrap();
                        (verdict.is_authorized, serde_json::to_vec(&verdict).unwrap())
                    })
                    .await;
                    assert!(verdict.0, "the bench key is allowed");
                    elapsed
                }
                _ => {
                    let (elapsed, (status, body)) = timed(connections[which - 2].get()).await;
                    let expected = if which == cases.len() - 1 { 401 } else { 200 };
                    if status != expected {
                        let port = ports[(which - 2).min(ports.len() - 1)];
                        let log = std::fs::read_to_string(gateway_log(port)).unwrap_or_default();
                        let tail: Vec<&str> = log.lines().rev().take(20).collect();
                        panic!(
                            "{}: {status} {}; the gateway's last log lines:\n{}",
                            cases[which].name,
                            String::from_utf8_lossy(&body),
                            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                        );
                    }
                    elapsed
                }
            };
            if round >= warm_up {
                cases[which].samples.push(elapsed);
            }
        }
    }

    println!(
        "authorizer path on DynamoDB Local: {rounds} requests per case, interleaved, after {warm_up} \
         warm-up rounds ({})",
        common::machine()
    );
    let floor = common::median(&cases[0].samples);
    let mut missed = Vec::new();
    for case in &mut cases {
        case.samples.sort();
        let (p50, p95) = (percentile(&case.samples, 0.5), percentile(&case.samples, 0.95));
        let ratio = p50.as_secs_f64() / floor.as_secs_f64();
        let verdict = match case.target {
            None => String::new(),
            Some(target) if ratio <= target => format!("(target ≤ {target:.2}×: met)"),
            Some(target) => {
                missed.push(case.name.clone());
                format!("(target ≤ {target:.2}×: MISSED)")
            }
        };
        println!(
            "  {:<58} median {:>6.3} ms  p95 {:>6.3} ms  {ratio:>5.2}× the floor {verdict}",
            case.name,
            ms(p50),
            ms(p95),
        );
    }
    for port in ports {
        let _ = std::fs::remove_file(gateway_log(port));
    }
    if !missed.is_empty() {
        println!("over target: {}", missed.join(", "));
    }
}
