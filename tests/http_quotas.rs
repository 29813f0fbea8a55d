//! Runs in flight per account (PRODUCT.md §16): the (max+1)-th is refused with 429 and nothing
//! is started or counted; once one ends the next is admitted; concurrent invokes never admit
//! more than the quota; a repeat of an idempotent invoke is answered even at the quota.

use axiom_shared::domain::timestamp;
use axiom_tests::{
    Server, account, answer, assert_error,
    runs::{action, assert_usage_matches_records, invoke, save_flow},
};
use futures::future::join_all;
use serde_json::json;

async fn quota(server: &Server, email: &str, max: u32) {
    let who = server.store.find_account_by_email(email).await.unwrap().unwrap();
    server
        .store
        .set_max_in_flight(&who.account_id, max, timestamp::now())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_run_past_the_quota_is_refused_and_the_next_admitted_once_one_ends() {
    let server = Server::new().await;
    let (acme, key) = account(&server.store, "acme").await;
    quota(&server, &acme.email, 3).await;
    let graph = save_flow(&server, &key, json!([{"id": "wait", "op": "pause"}])).await;
    let mut runs = Vec::new();
    for _ in 0..3 {
        let (status, run) = invoke(&server, &key, &graph, json!({}), true).await;
        assert_eq!((status, run["status"].as_str()), (202, Some("paused")), "{run}");
        runs.push(run["execution_id"].as_str().unwrap().to_owned());
    }
    let response = server
        .post("/invocations/v1/flows/invoke", &key)
        .json(&json!({"graph_id": graph, "input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, error) = axiom_tests::status_json(response).await;
    assert_error(status, &error, 429, "too_many_requests", "3 runs in flight");
    let (_, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(usage["executions"], 3, "nothing counted for the refused run");

    assert_eq!(action(&server, &key, &runs[0], "cancel", None).await.0, 200);
    let (status, _) = invoke(&server, &key, &graph, json!({}), true).await;
    assert_eq!(status, 202, "admitted once one has ended");
    assert_usage_matches_records(&server, &key).await;

    // The operator's change is in the audit log, with no key as its actor.
    let (_, events) = answer(server.get("/v1/audit-events", &key)).await;
    let change = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["action"] == "quota.changed")
        .unwrap();
    assert_eq!(change["actor_key_id"], serde_json::Value::Null);
    assert_eq!(
        change["target"],
        json!({"type": "account", "id": acme.account_id})
    );
}

#[tokio::test]
async fn concurrent_invokes_never_admit_more_than_the_quota() {
    let server = Server::new().await;
    let (acme, key) = account(&server.store, "acme").await;
    quota(&server, &acme.email, 5).await;
    let graph = save_flow(&server, &key, json!([{"id": "wait", "op": "pause"}])).await;
    let answers = join_all((0..20).map(|_| invoke(&server, &key, &graph, json!({}), false))).await;
    let admitted = answers.iter().filter(|(status, _)| *status == 202).count();
    // Twenty transactions on a few items at once may also conflict past their retries: those
    // are 503s that started nothing, never a run past the quota.
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert!(
        statuses.iter().all(|status| [202, 429, 503].contains(status)),
        "{statuses:?}"
    );
    assert_eq!(admitted, 5, "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_usage_matches_records(&server, &key).await;
}

#[tokio::test]
async fn an_idempotent_repeat_is_answered_at_the_quota() {
    let server = Server::new().await;
    let (acme, key) = account(&server.store, "acme").await;
    quota(&server, &acme.email, 1).await;
    let graph = save_flow(&server, &key, json!([{"id": "wait", "op": "pause"}])).await;
    let send = || {
        answer(
            server
                .post("/invocations/v1/flows/invoke", &key)
                .header("idempotency-key", "once")
                .json(&json!({"graph_id": graph, "input": {}})),
        )
    };
    let (status, first) = send().await;
    assert_eq!(status, 202);
    let (status, again) = send().await;
    assert_eq!(
        (status, again["execution_id"].clone()),
        (202, first["execution_id"].clone())
    );
    let (status, _) = invoke(&server, &key, &graph, json!({}), false).await;
    assert_eq!(status, 429);
}
