//! The key lifecycle and the lists over HTTP (PRODUCT.md §12 to §15): expiry, roll with and
//! without overlap, last-use origin, the audit log (one event per change, in its transaction),
//! pages with account-bound cursors, the executions list, idempotent invoke.

use std::{collections::BTreeSet, time::Duration};

use axiom_shared::domain::timestamp;
use axiom_tests::{
    Server, account, answer, assert_error,
    faults::{Fault, Faults},
    runs::{action, assert_usage_matches_records, invoke, save_flow},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures::future::join_all;
use serde_json::{Value, json};

/// RFC 3339 text of now plus `seconds`.
fn in_seconds(seconds: i64) -> String {
    timestamp::format(timestamp::now() + time::Duration::seconds(seconds))
}

async fn create_key(server: &Server, key: &str, body: Value) -> (u16, Value) {
    answer(server.post("/v1/api-keys", key).json(&body)).await
}

async fn whoami_status(server: &Server, key: &str) -> u16 {
    answer(server.get("/v1/whoami", key)).await.0
}

/// Waits until the clock passes `at` (RFC 3339, whole seconds).
async fn sleep_past(at: &str) {
    while timestamp::format(timestamp::now()).as_str() <= at {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn audit_actions(server: &Server, key: &str) -> Vec<(String, String)> {
    let (status, page) = answer(server.get("/v1/audit-events?limit=100", key)).await;
    assert_eq!(status, 200, "{page}");
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["action"].as_str().unwrap().to_owned(),
                event["target"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_expiring_key_is_refused_from_its_expiry_on_and_listed_as_expired() {
    let server = Server::new().await;
    let (_, root) = account(&server.store, "acme").await;
    let expires_at = in_seconds(2);
    let (status, created) =
        create_key(&server, &root, json!({"name": "short", "expires_at": expires_at})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["expires_at"], expires_at);
    let short = created["key"].as_str().unwrap();
    assert_eq!(whoami_status(&server, short).await, 200);
    sleep_past(&expires_at).await;
    assert_eq!(whoami_status(&server, short).await, 403);
    let (_, list) = answer(server.get("/v1/api-keys", &root)).await;
    let listed = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == created["id"])
        .unwrap();
    assert_eq!(
        (listed["status"].as_str(), listed["expires_at"].as_str()),
        (Some("expired"), Some(expires_at.as_str()))
    );
    for (bad, mentions) in [
        (json!("tomorrow"), "RFC 3339"),
        (json!(in_seconds(-5)), "future"),
        (json!(in_seconds(367 * 24 * 3600)), "366 days"),
        (json!(5), "expires_at"),
    ] {
        let (status, error) = create_key(&server, &root, json!({"name": "x", "expires_at": bad})).await;
        assert_error(status, &error, 400, "invalid_request", mentions);
    }
}

#[tokio::test]
async fn a_roll_with_overlap_keeps_the_old_key_until_the_overlap_ends() {
    let server = Server::new().await;
    let (_, root) = account(&server.store, "acme").await;
    let (_, old) = create_key(&server, &root, json!({"name": "deploy"})).await;
    let old_id = old["id"].as_str().unwrap();
    let before = timestamp::format(timestamp::now());
    let (status, rolled) = answer(
        server
            .post(&format!("/v1/api-keys/{old_id}/roll"), &root)
            .json(&json!({"overlap_seconds": 2})),
    )
    .await;
    assert_eq!(status, 201, "{rolled}");
    assert_eq!(
        (rolled["name"].as_str(), rolled["rolled_from"].as_str()),
        (Some("deploy"), Some(old_id))
    );
    let new_key = rolled["key"].as_str().unwrap();
    assert_eq!(whoami_status(&server, new_key).await, 200);
    assert_eq!(whoami_status(&server, old["key"].as_str().unwrap()).await, 200);
    let (_, list) = answer(server.get("/v1/api-keys", &root)).await;
    let listed_old = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == old_id)
        .unwrap()
        .clone();
    let until = listed_old["expires_at"].as_str().unwrap().to_owned();
    assert!(
        until.as_str() > before.as_str() && until <= in_seconds(3),
        "{until}"
    );
    sleep_past(&until).await;
    assert_eq!(whoami_status(&server, old["key"].as_str().unwrap()).await, 403);
    assert_eq!(whoami_status(&server, new_key).await, 200);
    // An expired key cannot be rolled again.
    let (status, error) = answer(server.post(&format!("/v1/api-keys/{old_id}/roll"), &root)).await;
    assert_error(status, &error, 409, "conflict", "expired");
    assert!(
        audit_actions(&server, &root)
            .await
            .contains(&("key.rolled".to_owned(), old_id.to_owned()))
    );
}

#[tokio::test]
async fn a_roll_without_overlap_ends_the_old_key_at_once() {
    let server = Server::new().await;
    let (_, root) = account(&server.store, "acme").await;
    let (_, old) = create_key(&server, &root, json!({"name": "ci"})).await;
    let old_id = old["id"].as_str().unwrap();
    let old_key = old["key"].as_str().unwrap();
    // The old key rolls itself: its own request succeeds, its next one is refused.
    let (status, rolled) = answer(server.post(&format!("/v1/api-keys/{old_id}/roll"), old_key)).await;
    assert_eq!(status, 201, "{rolled}");
    assert_eq!(whoami_status(&server, old_key).await, 403);
    assert_eq!(whoami_status(&server, rolled["key"].as_str().unwrap()).await, 200);
    let (_, list) = answer(server.get("/v1/api-keys", &root)).await;
    assert!(list["keys"].as_array().unwrap().iter().all(|k| k["id"] != old_id));
    let (status, error) = answer(server.post(&format!("/v1/api-keys/{old_id}/roll"), &root)).await;
    assert_error(status, &error, 404, "not_found", "not found");
    let (_, other) = account(&server.store, "globex").await;
    let new_id = rolled["id"].as_str().unwrap();
    let (status, _) = answer(server.post(&format!("/v1/api-keys/{new_id}/roll"), &other)).await;
    assert_eq!(status, 404, "another account's key is unknown");
    for (body, mentions) in [
        (json!({"overlap_seconds": 604_801}), "overlap_seconds"),
        (json!({"overlap_seconds": -1}), "overlap_seconds"),
        (json!({"overlap": 5}), "overlap"),
    ] {
        let (status, error) = answer(
            server
                .post(&format!("/v1/api-keys/{new_id}/roll"), &root)
                .json(&body),
        )
        .await;
        assert_error(status, &error, 400, "invalid_request", mentions);
    }
}

#[tokio::test]
async fn the_last_use_keeps_where_it_came_from() {
    let server = Server::new().await;
    let (_, root) = account(&server.store, "acme").await;
    let agent = format!("axiom-test/1.0 {}", "x".repeat(300));
    let (status, _) = answer(server.get("/v1/whoami", &root).header("user-agent", &agent)).await;
    assert_eq!(status, 200);
    let (_, list) = answer(server.get("/v1/api-keys", &root)).await;
    let key = &list["keys"][0];
    assert_eq!(key["last_used_ip"], "127.0.0.1");
    assert_eq!(key["last_used_user_agent"].as_str().unwrap(), &agent[..256]);
    assert!(key["last_used_at"].is_string());
}

#[tokio::test]
async fn every_change_leaves_one_audit_event_and_a_refused_change_none() {
    let faults = Faults::default();
    let server = Server::start(faults.store().await).await;
    let (_, root) = account(&server.store, "acme").await;
    let (_, created) = create_key(&server, &root, json!({"name": "temp"})).await;
    let temp = created["id"].as_str().unwrap().to_owned();
    let (_, rolled) = answer(server.post(&format!("/v1/api-keys/{temp}/roll"), &root)).await;
    let rolled_id = rolled["id"].as_str().unwrap().to_owned();
    let (status, _) = answer(server.delete(&format!("/v1/api-keys/{rolled_id}"), &root)).await;
    assert_eq!(status, 204);
    let graph = save_flow(&server, &root, json!([{"id": "wait", "op": "pause"}])).await;
    let (_, first) = invoke(&server, &root, &graph, json!({}), true).await;
    let (_, second) = invoke(&server, &root, &graph, json!({}), true).await;
    let first = first["execution_id"].as_str().unwrap().to_owned();
    let second = second["execution_id"].as_str().unwrap().to_owned();
    assert_eq!(action(&server, &root, &first, "resume", None).await.0, 200);
    assert_eq!(action(&server, &root, &second, "cancel", None).await.0, 200);
    // Refused or failed changes leave nothing: an unknown key, a run that cannot be cancelled,
    // and a create whose transaction never commits.
    assert_eq!(
        answer(server.delete(&format!("/v1/api-keys/{rolled_id}"), &root))
            .await
            .0,
        404
    );
    assert_eq!(action(&server, &root, &second, "cancel", None).await.0, 409);
    faults.inject("TransactWriteItems", Fault::Throttle, 0, usize::MAX);
    assert_eq!(create_key(&server, &root, json!({"name": "never"})).await.0, 503);
    faults.clear();

    let (_, who) = answer(server.get("/v1/whoami", &root)).await;
    let root_id = who["key_id"].as_str().unwrap().to_owned();
    let mut actions = audit_actions(&server, &root).await;
    actions.reverse();
    assert_eq!(
        actions,
        [
            ("key.created".to_owned(), root_id),
            ("key.created".to_owned(), temp.clone()),
            // A roll is one event (the new key is its result, not another creation).
            ("key.rolled".to_owned(), temp),
            ("key.revoked".to_owned(), rolled_id),
            ("flow.created".to_owned(), graph),
            ("execution.resumed".to_owned(), first),
            ("execution.cancelled".to_owned(), second),
        ]
    );
    let (_, page) = answer(server.get("/v1/audit-events", &root)).await;
    let newest = &page["events"][0];
    assert_eq!(newest["actor_key_id"], who["key_id"]);
    assert_eq!(newest["target"]["type"], "execution");
    assert_eq!(newest["source_ip"], "127.0.0.1");
    let operator_event = page["events"].as_array().unwrap().last().unwrap();
    assert_eq!(
        operator_event["actor_key_id"],
        Value::Null,
        "axiom-admin's first key"
    );
    let text = page.to_string();
    assert!(!text.contains(&root), "no raw key in the audit log");
}

#[tokio::test]
async fn paging_through_120_keys_sees_each_once_while_keys_are_added() {
    let server = Server::new().await;
    let (_, root) = account(&server.store, "acme").await;
    let mut expected = BTreeSet::new();
    for i in 0..119 {
        let (_, key) = create_key(&server, &root, json!({ "name": format!("k{i}") })).await;
        expected.insert(key["id"].as_str().unwrap().to_owned());
    }
    let (_, first) = answer(server.get("/v1/api-keys?limit=50", &root)).await;
    expected.insert(
        first["keys"].as_array().unwrap().last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/v1/api-keys?limit=50".to_owned(),
            Some(cursor) => format!("/v1/api-keys?limit=50&cursor={cursor}"),
        };
        let (status, page) = answer(server.get(&path, &root)).await;
        assert_eq!(status, 200, "{page}");
        let keys = page["keys"].as_array().unwrap();
        assert!(keys.len() <= 50);
        seen.extend(keys.iter().map(|k| k["id"].as_str().unwrap().to_owned()));
        // Keys added between pages land before the first page: never in a later one.
        create_key(&server, &root, json!({"name": "meanwhile"})).await;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let all_root = root_key_id(&server, &root).await;
    expected.insert(all_root);
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no key repeats");
    assert_eq!(
        unique, expected,
        "every key of the first page's time is seen once"
    );
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
}

async fn root_key_id(server: &Server, key: &str) -> String {
    answer(server.get("/v1/whoami", key)).await.1["key_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn bad_limits_and_cursors_are_400_and_never_show_another_account() {
    let server = Server::new().await;
    let (_, acme) = account(&server.store, "acme").await;
    let (_, globex) = account(&server.store, "globex").await;
    for _ in 0..3 {
        create_key(&server, &acme, json!({"name": "a"})).await;
        create_key(&server, &globex, json!({"name": "g"})).await;
    }
    let (_, acme_page) = answer(server.get("/v1/api-keys?limit=1", &acme)).await;
    let acme_cursor = acme_page["next_cursor"].as_str().unwrap();
    let (_, flows_page) = answer(server.get("/v1/flows?limit=1", &acme)).await;
    assert_eq!(flows_page["next_cursor"], Value::Null);
    for (path, mentions) in [
        ("/v1/api-keys?limit=0".to_owned(), "limit"),
        ("/v1/api-keys?limit=101".to_owned(), "limit"),
        ("/v1/api-keys?limit=ten".to_owned(), "limit"),
        ("/v1/api-keys?cursor=not-a-cursor".to_owned(), "cursor"),
        (format!("/v1/api-keys?cursor={acme_cursor}x"), "cursor"),
        (format!("/v1/flows?cursor={acme_cursor}"), "cursor"),
        (format!("/v1/audit-events?cursor={acme_cursor}"), "cursor"),
        (
            format!("/invocations/v1/executions?cursor={acme_cursor}"),
            "cursor",
        ),
        ("/invocations/v1/executions?status=done".to_owned(), "status"),
    ] {
        let (status, error) = answer(server.get(&path, &acme)).await;
        assert_error(status, &error, 400, "invalid_request", mentions);
    }
    // Another account's cursor is refused, not followed.
    let (status, error) = answer(server.get(&format!("/v1/api-keys?cursor={acme_cursor}"), &globex)).await;
    assert_error(status, &error, 400, "invalid_request", "cursor");
    // A cursor forged to name another account's position still lists only the caller's keys.
    let (_, acme_who) = answer(server.get("/v1/whoami", &acme)).await;
    let (_, globex_keys) = answer(server.get("/v1/api-keys", &globex)).await;
    let globex_key = globex_keys["keys"][0]["id"].as_str().unwrap();
    let forged = serde_json::json!({"a": acme_who["account_id"], "l": "keys", "p": globex_key});
    let forged = URL_SAFE_NO_PAD.encode(forged.to_string());
    let (status, page) = answer(server.get(&format!("/v1/api-keys?cursor={forged}"), &acme)).await;
    assert_eq!(status, 200);
    assert!(!page.to_string().contains("\"g\""), "{page}");
}

#[tokio::test]
async fn runs_are_listed_newest_first_across_shards_with_filters() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let done = save_flow(&server, &key, json!([{"id": "a", "op": "set", "value": {}}])).await;
    let waits = save_flow(&server, &key, json!([{"id": "w", "op": "pause"}])).await;
    let mut succeeded = Vec::new();
    let mut paused = Vec::new();
    for i in 0..30 {
        let (graph, list) = if i % 3 == 0 {
            (&waits, &mut paused)
        } else {
            (&done, &mut succeeded)
        };
        let (_, run) = invoke(&server, &key, graph, json!({}), true).await;
        list.push(run["execution_id"].as_str().unwrap().to_owned());
    }
    let all = list_all(&server, &key, "limit=7").await;
    let ids: Vec<String> = all
        .iter()
        .map(|run| run["execution_id"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = succeeded.iter().chain(&paused).cloned().collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, expected, "every run once, newest first");
    let mut fields: Vec<&str> = all[0].as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "duration_ms",
            "ended_at",
            "execution_id",
            "graph_id",
            "key_id",
            "started_at",
            "status"
        ]
    );

    let only_paused = list_all(&server, &key, "status=paused&limit=4").await;
    let mut expected_paused = paused.clone();
    expected_paused.sort_by(|a, b| b.cmp(a));
    let got: Vec<&str> = only_paused
        .iter()
        .map(|run| run["execution_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected_paused);
    let of_flow = list_all(&server, &key, &format!("graph_id={done}&status=succeeded")).await;
    assert_eq!(of_flow.len(), succeeded.len());
    assert!(of_flow.iter().all(|run| run["graph_id"] == done.as_str()));
    assert!(list_all(&server, &key, "graph_id=not-an-id").await.is_empty());
}

/// Every run a list gives, following `next_cursor`.
async fn list_all(server: &Server, key: &str, query: &str) -> Vec<Value> {
    let mut runs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/invocations/v1/executions?{query}"),
            Some(cursor) => format!("/invocations/v1/executions?{query}&cursor={cursor}"),
        };
        let (status, page) = answer(server.get(&path, key)).await;
        assert_eq!(status, 200, "{page}");
        runs.extend(page["executions"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return runs,
        }
    }
}

#[tokio::test]
async fn concurrent_repeats_with_one_idempotency_key_start_one_run() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(&server, &key, json!([{"id": "a", "op": "sleep", "ms": 300}])).await;
    let send = |input: Value, wait: bool| {
        let request = server
            .post("/invocations/v1/flows/invoke", &key)
            .header("idempotency-key", "order-42")
            .json(&json!({"graph_id": graph, "input": input, "wait": wait}));
        answer(request)
    };
    let answers = join_all((0..8).map(|i| send(json!({"b": 1, "a": [1, 2]}), i % 2 == 0))).await;
    let ids: BTreeSet<&str> = answers
        .iter()
        .map(|(_, run)| run["execution_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|(status, _)| *status == 200 || *status == 202));
    // The same input written otherwise is the same request; another input is not.
    let (_, again) = send(json!({"a": [1, 2], "b": 1}), false).await;
    assert_eq!(again["execution_id"].as_str(), ids.first().copied());
    let (status, error) = send(json!({"b": 2}), false).await;
    assert_error(status, &error, 409, "idempotency_key_reused", "Idempotency-Key");
    let (_, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(usage["executions"], 1);
    assert_usage_matches_records(&server, &key).await;

    // A request refused with a 4xx binds nothing: the key still starts a run afterwards.
    let fresh = |graph_id: &str| {
        let request = server
            .post("/invocations/v1/flows/invoke", &key)
            .header("idempotency-key", "after-a-404")
            .json(&json!({"graph_id": graph_id, "input": {}}));
        answer(request)
    };
    assert_eq!(fresh("0193f1e2-9e6f-7c32-9d80-4b3c5d6e7f80").await.0, 404);
    assert_eq!(fresh(&graph).await.0, 202);
    for bad in ["", "caf\u{e9}", &"k".repeat(256)] {
        let request = server
            .post("/invocations/v1/flows/invoke", &key)
            .header("idempotency-key", bad.as_bytes())
            .json(&json!({"graph_id": graph, "input": {}}));
        let (status, error) = answer(request).await;
        assert_error(status, &error, 400, "invalid_request", "Idempotency-Key");
    }
}

#[tokio::test]
async fn records_carry_their_cleanup_times() {
    let server = Server::new().await;
    let (_, key) = account(&server.store, "acme").await;
    let graph = save_flow(&server, &key, json!([{"id": "a", "op": "set", "value": {}}])).await;
    let (_, run) = invoke(&server, &key, &graph, json!({}), true).await;
    let expires_at = in_seconds(3600);
    create_key(&server, &key, json!({"name": "x", "expires_at": expires_at})).await;
    let items = server
        .store
        .client()
        .scan()
        .table_name(server.store.table())
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    let ttl_of = |prefix: &str| -> Vec<i64> {
        items
            .iter()
            .filter(|item| item["sk"].as_s().unwrap().starts_with(prefix))
            .filter_map(|item| item.get("ttl").map(|ttl| ttl.as_n().unwrap().parse().unwrap()))
            .collect()
    };
    let now = timestamp::now().unix_timestamp();
    let day = 24 * 3600;
    let run_ttl: Vec<i64> = items
        .iter()
        .filter(|item| item["pk"].as_s().unwrap().starts_with("RUN#"))
        .filter_map(|item| item.get("ttl").map(|ttl| ttl.as_n().unwrap().parse().unwrap()))
        .collect();
    assert_eq!(run_ttl.len(), 3, "the run's control item, input and state: {run}");
    assert!(run_ttl.iter().all(|ttl| (ttl - (now + 90 * day)).abs() < 60));
    let key_ttl = ttl_of("KEY#");
    assert_eq!(key_ttl.len(), 1, "only the expiring key");
    assert!((key_ttl[0] - (now + 3600 + 30 * day)).abs() < 60);
    assert!(
        ttl_of("AUDIT#")
            .iter()
            .all(|ttl| (ttl - (now + 90 * day)).abs() < 60)
    );
}
