//! The CLI's browser sign-in over HTTP (PRODUCT.md §17): a grant, its approval with a key, the
//! key minted at the token poll (once), and every refusal: pending, slow down, denied, the
//! approving key gone, expired, invalid; per-IP limits; nothing secret at rest.

use axiom_shared::domain::{
    device::{DeviceCode, DeviceGrant, UserCode},
    timestamp,
};
use axiom_tests::{Server, account, answer, assert_error};
use serde_json::{Value, json};

async fn grant(server: &Server) -> Value {
    let (status, grant) = answer(server.http.post(server.url("/v1/auth/device"))).await;
    assert_eq!(status, 200, "{grant}");
    grant
}

async fn poll(server: &Server, grant: &Value) -> (u16, Value) {
    let body = json!({"device_code": grant["device_code"]});
    answer(server.http.post(server.url("/v1/auth/device/token")).json(&body)).await
}

async fn decide(server: &Server, key: &str, user_code: &str, approve: bool) -> (u16, Value) {
    let body = json!({"user_code": user_code, "approve": approve});
    answer(server.post("/v1/auth/device/approve", key).json(&body)).await
}

fn assert_device_error(answer: (u16, Value), code: &str) {
    let (status, body) = answer;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some(code)),
        "{body}"
    );
}

#[tokio::test]
async fn an_approved_grant_gets_a_cli_key_once() {
    let server = Server::new().await;
    let (account, root) = account(&server.store, "acme").await;
    let grant = grant(&server).await;
    let user_code = grant["user_code"].as_str().unwrap();
    assert!(user_code.len() == 9 && user_code.as_bytes()[4] == b'-', "{grant}");
    assert_eq!(
        (grant["expires_in"].as_i64(), grant["interval"].as_i64()),
        (Some(600), Some(5))
    );
    let uri = grant["verification_uri"].as_str().unwrap();
    assert_eq!(
        uri,
        server.url("/console/device"),
        "this server's own origin and scheme"
    );
    assert_eq!(
        grant["verification_uri_complete"],
        format!("{uri}?code={user_code}")
    );

    assert_device_error(poll(&server, &grant).await, "authorization_pending");
    assert_device_error(poll(&server, &grant).await, "slow_down");
    // Case and the dash do not matter.
    let typed = user_code.replace('-', "").to_lowercase();
    assert_eq!(decide(&server, &root, &typed, true).await.0, 204);
    assert_eq!(
        decide(&server, &root, user_code, true).await.0,
        404,
        "decided already"
    );
    // The next poll may come once the (grown) interval has passed.
    tokio::time::sleep(std::time::Duration::from_millis(10_100)).await;
    let (status, minted) = poll(&server, &grant).await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(
        (minted["name"].as_str(), minted["email"].as_str()),
        (Some("cli"), Some(account.email.as_str()))
    );
    assert_eq!(minted["tenant"], account.tenant);
    let expires_at = minted["expires_at"].as_str().unwrap();
    let in_90_days = timestamp::format(timestamp::now() + time::Duration::days(90));
    assert!(
        expires_at <= in_90_days.as_str()
            && expires_at > timestamp::format(timestamp::now() + time::Duration::days(89)).as_str()
    );
    let key = minted["key"].as_str().unwrap();
    let (status, who) = answer(server.get("/v1/whoami", key)).await;
    assert_eq!((status, who["key_id"].as_str()), (200, minted["key_id"].as_str()));
    assert_device_error(poll(&server, &grant).await, "expired_token");

    let (_, root_who) = answer(server.get("/v1/whoami", &root)).await;
    let (_, events) = answer(server.get("/v1/audit-events", &root)).await;
    let events = events["events"].as_array().unwrap();
    assert_eq!(events[0]["action"], "key.created");
    assert_eq!(events[0]["target"]["id"], minted["key_id"]);
    assert_eq!(events[0]["actor_key_id"], root_who["key_id"]);
    assert_eq!(events[1]["action"], "device.approved");
    assert_eq!(events[1]["target"]["type"], "device_grant");

    // Neither the key nor the device code rests in the table.
    let items = server
        .store
        .client()
        .scan()
        .table_name(server.store.table())
        .send()
        .await
        .unwrap();
    let stored = format!("{:?}", items.items.unwrap());
    assert!(!stored.contains(key));
    assert!(!stored.contains(grant["device_code"].as_str().unwrap()));
}

#[tokio::test]
async fn a_denied_grant_and_one_whose_approver_is_gone_are_access_denied() {
    let server = Server::new().await;
    let (_, root) = account(&server.store, "acme").await;
    let denied = grant(&server).await;
    assert_eq!(
        decide(&server, &root, denied["user_code"].as_str().unwrap(), false)
            .await
            .0,
        204
    );
    assert_device_error(poll(&server, &denied).await, "access_denied");

    let (_, approver) = answer(
        server
            .post("/v1/api-keys", &root)
            .json(&json!({"name": "approver"})),
    )
    .await;
    let approved = grant(&server).await;
    let approver_key = approver["key"].as_str().unwrap();
    assert_eq!(
        decide(
            &server,
            approver_key,
            approved["user_code"].as_str().unwrap(),
            true
        )
        .await
        .0,
        204
    );
    let (status, _) = answer(server.delete(
        &format!("/v1/api-keys/{}", approver["id"].as_str().unwrap()),
        &root,
    ))
    .await;
    assert_eq!(status, 204);
    assert_device_error(poll(&server, &approved).await, "access_denied");
    let (_, keys) = answer(server.get("/v1/api-keys", &root)).await;
    assert!(
        keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|key| key["name"] != "cli" || key["id"] != approver["id"])
    );
    assert_eq!(
        keys["keys"].as_array().unwrap().len(),
        1,
        "no key was minted: {keys}"
    );
}

#[tokio::test]
async fn expired_unknown_and_forged_grants_are_refused() {
    let server = Server::new().await;
    let (_, root) = account(&server.store, "acme").await;
    // A grant made eleven minutes ago.
    let user_code = UserCode::generate();
    let device_code = DeviceCode::generate(&user_code);
    let long_ago = timestamp::now_ms() - 11 * 60 * 1000;
    let old = DeviceGrant::new(&device_code, long_ago);
    server
        .store
        .create_grant(&user_code, &old, "192.0.2.1", long_ago)
        .await
        .unwrap();
    assert_eq!(decide(&server, &root, &user_code.shown(), true).await.0, 404);
    let expired = json!({"device_code": device_code.expose()});
    assert_device_error(poll(&server, &expired).await, "expired_token");

    for forged in [
        json!({"device_code": "nonsense"}),
        json!({"device_code": format!("{}.{}", user_code.as_str(), "0".repeat(64))}),
        json!({"device_code": format!("BCDFGHJK.{}", "a".repeat(64))}),
    ] {
        assert_device_error(poll(&server, &forged).await, "invalid_grant");
    }
    for code in ["BCDF-GHJK", "nope", ""] {
        let (status, error) = decide(&server, &root, code, true).await;
        assert_error(status, &error, 404, "not_found", "code");
    }
    let (status, error) = answer(
        server
            .http
            .post(server.url("/v1/auth/device/token"))
            .json(&json!({})),
    )
    .await;
    assert_error(status, &error, 400, "invalid_request", "device_code");
    let (status, error) = answer(
        server
            .http
            .post(server.url("/v1/auth/device"))
            .json(&json!({"scope": "all"})),
    )
    .await;
    assert_error(status, &error, 400, "invalid_request", "scope");
    // Approving needs a key.
    let unauthenticated = server
        .http
        .post(server.url("/v1/auth/device/approve"))
        .json(&json!({"user_code": "BCDF-GHJK", "approve": true}));
    assert_eq!(answer(unauthenticated).await.0, 401);
}

#[tokio::test]
async fn grants_are_limited_per_source_ip() {
    let server = Server::new().await;
    for _ in 0..10 {
        grant(&server).await;
    }
    let response = server
        .http
        .post(server.url("/v1/auth/device"))
        .send()
        .await
        .unwrap();
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    let (status, error) = axiom_tests::status_json(response).await;
    assert_error(status, &error, 429, "too_many_requests", "too many");
}
