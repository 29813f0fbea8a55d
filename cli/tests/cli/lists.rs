//! The four lists and their pages (PRODUCT.md sections 13 and 14): `keys list`, `flows list`,
//! `executions list` and `audit`, with `--all`, `--limit` and `--json`. Against a fake API, which
//! says what each request asked for.

use serde_json::{Value, json};

use crate::support::FakeApi;

fn key(id: &str, status: &str, expires_at: Option<&str>) -> Value {
    json!({"id": id, "name": format!("key {id}"), "masked": "a1b2c3d4…9f0e",
           "created_at": "2026-11-20T08:00:00Z", "last_used_at": "2026-11-26T10:49:18Z",
           "last_used_ip": "203.0.113.7", "last_used_user_agent": "curl/8.5.0",
           "expires_at": expires_at, "status": status})
}

fn page(field: &str, items: &[Value], next_cursor: Option<&str>) -> String {
    json!({ field: items, "next_cursor": next_cursor }).to_string()
}

/// Keys in two pages of `--all` (100 a page), and a first page of the API's default size.
fn paged_keys() -> (FakeApi, [Value; 3]) {
    let keys = [
        key("k3", "active", None),
        key("k2", "expired", Some("2026-11-25T09:30:00Z")),
        key("k1", "active", Some("2027-01-31T00:00:00Z")),
    ];
    let api = FakeApi::serve(&[
        ("GET /v1/api-keys", 200, page("keys", &keys[..2], Some("c1"))),
        (
            "GET /v1/api-keys?limit=100",
            200,
            page("keys", &keys[..2], Some("c1")),
        ),
        (
            "GET /v1/api-keys?limit=100&cursor=c1",
            200,
            page("keys", &keys[2..], None),
        ),
        (
            "GET /v1/api-keys?limit=2",
            200,
            page("keys", &keys[..2], Some("c1")),
        ),
    ]);
    (api, keys)
}

#[tokio::test]
async fn keys_list_shows_one_page_and_says_when_there_is_more() {
    let (api, _) = paged_keys();
    let run = api.run(&["keys", "list"]).await;
    let table = run.ok();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "header and one page of two: {table}");
    for column in ["Expires", "Status", "Last IP", "Last user agent"] {
        assert!(lines[0].contains(column), "{table}");
    }
    assert!(lines[1].contains("k3") && lines[1].contains("Never"), "{table}");
    assert!(lines[1].contains("active   203.0.113.7  curl/8.5.0"), "{table}");
    assert!(lines[2].contains("2026-11-25 09:30  expired"), "{table}");
    assert!(run.stderr.contains("add --all"), "{run:?}");
    assert_eq!(
        api.routes(),
        ["GET /v1/api-keys"],
        "no limit: the API's default page"
    );

    let limited = api.run(&["keys", "list", "--limit", "2"]).await;
    assert!(limited.stderr.contains("--all"), "{limited:?}");
    assert_eq!(api.routes()[1], "GET /v1/api-keys?limit=2");
}

#[tokio::test]
async fn keys_list_all_follows_the_cursor_to_the_end() {
    let (api, keys) = paged_keys();
    let run = api.run(&["keys", "list", "--all"]).await;
    let table = run.ok();
    assert_eq!(table.lines().count(), 4, "header and three keys: {table}");
    assert!(run.stderr.is_empty(), "no note: everything is listed: {run:?}");
    assert_eq!(
        api.routes(),
        [
            "GET /v1/api-keys?limit=100",
            "GET /v1/api-keys?limit=100&cursor=c1"
        ]
    );

    // --json --all: one document with every item as the API sent it.
    let json = api.run(&["keys", "list", "--all", "--json"]).await;
    assert_eq!(json.json(), json!({"keys": keys, "next_cursor": null}));
    assert!(
        json.stdout.contains(&keys[0].to_string()),
        "items verbatim: {json:?}"
    );
    // --json alone: the first page as it came, next_cursor included.
    let one = api.run(&["keys", "list", "--json"]).await;
    assert_eq!(one.ok(), format!("{}\n", page("keys", &keys[..2], Some("c1"))));
}

#[tokio::test]
async fn a_limit_out_of_range_is_a_usage_error_before_any_request() {
    let api = FakeApi::serve(&[]);
    for args in [
        &["keys", "list", "--limit", "0"][..],
        &["keys", "list", "--limit", "101"],
        &["flows", "list", "--limit", "many"],
        &["audit", "--all", "--limit", "5"],
        &["executions", "list", "--status", "lost"],
    ] {
        let run = api.run(args).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
    assert!(api.requests().is_empty());
}

#[tokio::test]
async fn a_cursor_that_comes_back_stops_the_listing() {
    let flows = [json!({"graph_id": "g1", "name": "one", "created_at": "2026-11-26T10:00:00Z"})];
    let api = FakeApi::serve(&[
        ("GET /v1/flows?limit=100", 200, page("flows", &flows, Some("c1"))),
        (
            "GET /v1/flows?limit=100&cursor=c1",
            200,
            page("flows", &flows, Some("c1")),
        ),
    ]);
    let run = api.run(&["flows", "list", "--all"]).await;
    assert!(
        run.failed(1).contains("the same next_cursor came twice"),
        "{run:?}"
    );
    assert_eq!(api.requests().len(), 2);
}

#[tokio::test]
async fn flows_list_pages_like_the_others() {
    let flows: Vec<Value> = (1..=3)
        .map(|n| {
            json!({"graph_id": format!("g{n}"), "name": format!("flow {n}"),
                        "created_at": "2026-11-26T10:00:00Z"})
        })
        .collect();
    let api = FakeApi::serve(&[
        (
            "GET /v1/flows?limit=100",
            200,
            page("flows", &flows[..1], Some("a b")),
        ),
        (
            "GET /v1/flows?limit=100&cursor=a+b",
            200,
            page("flows", &flows[1..], None),
        ),
    ]);
    let all = api.run(&["flows", "list", "--all", "--json"]).await.json();
    assert_eq!(all, json!({"flows": flows, "next_cursor": null}));
    let table = api.run(&["flows", "list", "--all"]).await;
    assert_eq!(table.ok().lines().count(), 4, "{table:?}");
}

fn execution(id: &str, status: &str, duration_ms: Option<u64>) -> Value {
    json!({"execution_id": id, "graph_id": "g1", "key_id": "k1", "status": status,
           "started_at": "2026-11-26T10:49:18Z",
           "ended_at": duration_ms.map(|_| "2026-11-26T10:49:19Z"), "duration_ms": duration_ms})
}

#[tokio::test]
async fn executions_list_filters_by_status_and_flow() {
    let runs = [
        execution("e2", "failed", Some(1240)),
        execution("e1", "running", None),
    ];
    let route = "GET /invocations/v1/executions?status=failed&graph_id=g1&limit=5";
    let api = FakeApi::serve(&[
        (route, 200, page("executions", &runs, Some("c1"))),
        (
            "GET /invocations/v1/executions",
            200,
            page("executions", &[], None),
        ),
    ]);
    let run = api
        .run(&[
            "executions",
            "list",
            "--status",
            "failed",
            "--flow",
            "g1",
            "--limit",
            "5",
        ])
        .await;
    let table = run.ok();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "Execution ID  Flow  Status   Started              Duration  Key"
    );
    assert_eq!(
        lines[1],
        "e2            g1    failed   2026-11-26 10:49:18  1.24 s    k1"
    );
    assert_eq!(
        lines[2],
        "e1            g1    running  2026-11-26 10:49:18  —         k1"
    );
    assert!(run.stderr.contains("There may be more executions"), "{run:?}");
    assert_eq!(api.routes(), [route]);

    let empty = api.run(&["executions", "list"]).await;
    assert_eq!(empty.ok(), "No executions.\n");
    let json = api.run(&["executions", "list", "--json"]).await;
    assert_eq!(json.json(), json!({"executions": [], "next_cursor": null}));
}

#[tokio::test]
async fn audit_lists_events_with_their_actor_and_origin() {
    let events = [
        json!({"id": "a2", "at": "2026-11-26T10:49:18Z", "action": "key.rolled",
               "actor_key_id": "k1", "target": {"type": "key", "id": "k2"},
               "source_ip": "203.0.113.7", "user_agent": "axiom-cli/0.1.0"}),
        json!({"id": "a1", "at": "2026-11-20T08:00:00Z", "action": "key.created",
               "actor_key_id": null, "target": {"type": "key", "id": "k1"},
               "source_ip": null, "user_agent": null}),
    ];
    let api = FakeApi::serve(&[
        (
            "GET /v1/audit-events?limit=100",
            200,
            page("events", &events[..1], Some("c1")),
        ),
        (
            "GET /v1/audit-events?limit=100&cursor=c1",
            200,
            page("events", &events[1..], None),
        ),
        (
            "GET /v1/audit-events?limit=1",
            200,
            page("events", &events[..1], Some("c1")),
        ),
    ]);
    let run = api.run(&["audit", "--all"]).await;
    let lines: Vec<String> = run.ok().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{run:?}");
    assert!(
        lines[0].starts_with("Time") && lines[0].contains("User agent"),
        "{run:?}"
    );
    assert!(
        lines[1].contains("2026-11-26 10:49:18  key.rolled   key k2  k1"),
        "{run:?}"
    );
    assert!(lines[1].ends_with("203.0.113.7  axiom-cli/0.1.0"), "{run:?}");
    assert!(lines[2].contains("key.created  key k1  operator"), "{run:?}");

    let one = api.run(&["audit", "--limit", "1", "--json"]).await;
    assert_eq!(one.json(), json!({"events": [events[0]], "next_cursor": "c1"}));
    let all = api.run(&["audit", "--all", "--json"]).await.json();
    assert_eq!(all, json!({"events": events, "next_cursor": null}));
}
