//! End to end over real HTTP through the local gateway: PRODUCT.md sections 3 and 4 for the
//! key routes and whoami.

use std::time::{Duration, Instant};

use axiom_shared::{
    api::authorizer,
    domain::{keys::KeyHash, timestamp},
};
use axiom_tests::{Server, account, answer, assert_error, first_page, status_json, unresponsive_store};
use futures::future::join_all;
use serde_json::{Value, json};

const WELL_FORMED_UNKNOWN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn key_routes() -> [(&'static str, &'static str); 4] {
    [
        ("POST", "/v1/api-keys"),
        ("GET", "/v1/api-keys"),
        ("DELETE", "/v1/api-keys/some-id"),
        ("GET", "/v1/whoami"),
    ]
}

#[tokio::test]
async fn without_an_authorization_header_every_route_is_401() {
    let server = Server::new().await;
    for (method, path) in key_routes() {
        let response = server
            .http
            .request(method.parse().unwrap(), server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_json(response).await,
            (401, json!({"message": "Unauthorized"})),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn malformed_unknown_and_non_bearer_keys_are_403() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let refused = [
        "Bearer not-a-key".to_owned(),
        format!("Bearer {}", raw.to_uppercase()),
        format!("Bearer {}", &raw[1..]),
        format!("Bearer {WELL_FORMED_UNKNOWN}"),
        format!("Basic {raw}"),
        raw.clone(),
    ];
    for (method, path) in key_routes() {
        for authorization in &refused {
            let response = server
                .http
                .request(method.parse().unwrap(), server.url(path))
                .header("authorization", authorization)
                .send()
                .await
                .unwrap();
            assert_eq!(
                status_json(response).await,
                (403, json!({"message": "Forbidden"})),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn unknown_routes_are_the_gateways_404() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    for (method, path) in [
        ("GET", "/v1/nope"),
        ("PUT", "/v1/api-keys"),
        ("GET", "/v1/api-keys/x/y"),
    ] {
        let response = server
            .http
            .request(method.parse().unwrap(), server.url(path))
            .bearer_auth(&raw)
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_json(response).await,
            (404, json!({"message": "Not Found"}))
        );
    }
}

#[tokio::test]
async fn whoami_answers_who_the_key_belongs_to() {
    let server = Server::new().await;
    let (acme, raw) = account(&server.store, "acme").await;
    let key_id = server
        .store
        .find_credential(&KeyHash::of(&raw))
        .await
        .unwrap()
        .unwrap()
        .key_id;
    let (status, body) = answer(server.get("/v1/whoami", &raw)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"email": acme.email, "tenant": "acme", "account_id": acme.account_id, "key_id": key_id})
    );
}

#[tokio::test]
async fn a_created_key_is_returned_once_masked_afterwards_and_works_at_once() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let response = server
        .post("/v1/api-keys", &raw)
        .json(&json!({"name": "  laptop  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, created) = status_json(response).await;
    assert_eq!(status, 201);
    let fields: Vec<_> = created.as_object().unwrap().keys().cloned().collect();
    assert_eq!(fields.len(), 6, "{created}");
    assert_eq!(created["expires_at"], Value::Null);
    for field in ["id", "name", "key", "masked", "created_at"] {
        assert!(created.get(field).is_some(), "{field} in {created}");
    }
    assert_eq!(created["name"], "laptop");
    let key = created["key"].as_str().unwrap();
    assert!(axiom_shared::domain::keys::is_well_formed(key));
    assert_eq!(created["masked"], format!("{}…{}", &key[..8], &key[60..]));
    let created_at = created["created_at"].as_str().unwrap();
    assert_eq!(created_at.len(), 20);
    assert!(time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339).is_ok());

    let (status, who) = answer(server.get("/v1/whoami", key)).await;
    assert_eq!(status, 200);
    assert_eq!(who["key_id"], created["id"]);

    let listing = server
        .get("/v1/api-keys", &raw)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listing.contains(key), "the raw key is never returned again");
    assert!(!listing.contains(&raw));
}

#[tokio::test]
async fn the_list_is_newest_first_with_masked_and_last_used() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    for name in ["first", "second"] {
        let response = server
            .post("/v1/api-keys", &raw)
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let (status, body) = answer(server.get("/v1/api-keys", &raw)).await;
    assert_eq!(status, 200);
    let keys = body["keys"].as_array().unwrap();
    let names: Vec<_> = keys.iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["second", "first", "cli"]);
    for key in keys {
        let mut fields: Vec<_> = key.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "created_at",
                "expires_at",
                "id",
                "last_used_at",
                "last_used_ip",
                "last_used_user_agent",
                "masked",
                "name",
                "status"
            ]
        );
        assert_eq!(key["status"], "active");
        assert!(key["masked"].as_str().unwrap().contains('…'));
    }
    assert_eq!(keys[0]["last_used_at"], Value::Null, "never used");
    // The cli key authenticated the requests above.
    let used = keys[2]["last_used_at"].as_str().unwrap();
    assert!(used <= timestamp::format(timestamp::now()).as_str());
}

#[tokio::test]
async fn bad_names_are_400_naming_the_field() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    for name in [
        json!(""),
        json!("   "),
        json!("x".repeat(65)),
        json!("tab\there"),
        json!("nul\u{0}"),
    ] {
        let (status, body) = answer(server.post("/v1/api-keys", &raw).json(&json!({ "name": name }))).await;
        assert_error(status, &body, 400, "invalid_request", "name");
    }
    let longest = "é".repeat(64);
    let (status, body) = answer(
        server
            .post("/v1/api-keys", &raw)
            .json(&json!({ "name": longest })),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(body["name"], longest);
}

#[tokio::test]
async fn bad_bodies_get_their_status_and_the_error_shape() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let cases: [(&str, u16, &str, &str); 8] = [
        ("{", 400, "invalid_json", "JSON"),
        ("not json", 400, "invalid_json", "JSON"),
        ("", 400, "invalid_json", "JSON object"),
        ("{}", 400, "invalid_request", "name"),
        (r#"{"name": 7}"#, 400, "invalid_request", "name"),
        (
            r#"{"name": "ok", "account_id": "someone-else"}"#,
            400,
            "invalid_request",
            "account_id",
        ),
        (r#"["name"]"#, 400, "invalid_request", "JSON object"),
        (r#"{"name": null}"#, 400, "invalid_request", "name"),
    ];
    for (body, status, code, mentions) in cases {
        let response = server
            .post("/v1/api-keys", &raw)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (actual, json) = status_json(response).await;
        assert_error(actual, &json, status, code, mentions);
    }
    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(256 * 1024));
    let (status, body) = answer(server.post("/v1/api-keys", &raw).body(big)).await;
    assert_error(status, &body, 413, "payload_too_large", "256 KiB");
    // Nothing was created by any of them.
    let (_, listing) = answer(server.get("/v1/api-keys", &raw)).await;
    assert_eq!(listing["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn revoking_is_immediate_and_final() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let (_, created) = answer(server.post("/v1/api-keys", &raw).json(&json!({"name": "ci"}))).await;
    let (id, key) = (created["id"].as_str().unwrap(), created["key"].as_str().unwrap());
    assert_eq!(server.get("/v1/whoami", key).send().await.unwrap().status(), 200);

    let response = server
        .delete(&format!("/v1/api-keys/{id}"), &raw)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let (status, body) = answer(server.get("/v1/whoami", key)).await;
    assert_eq!((status, body), (403, json!({"message": "Forbidden"})));

    let (status, body) = answer(server.delete(&format!("/v1/api-keys/{id}"), &raw)).await;
    assert_error(status, &body, 404, "not_found", "not found");
    let (status, body) = answer(server.delete("/v1/api-keys/does-not-exist", &raw)).await;
    assert_error(status, &body, 404, "not_found", "not found");
    let long = format!("/v1/api-keys/{}", "x".repeat(1100));
    let (status, body) = answer(server.delete(&long, &raw)).await;
    assert_error(status, &body, 404, "not_found", "not found");
}

#[tokio::test]
async fn a_key_can_revoke_itself() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let (_, who) = answer(server.get("/v1/whoami", &raw)).await;
    let response = server
        .delete(&format!("/v1/api-keys/{}", who["key_id"].as_str().unwrap()), &raw)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        server.get("/v1/api-keys", &raw).send().await.unwrap().status(),
        403
    );
}

#[tokio::test]
async fn accounts_cannot_see_or_revoke_each_others_keys() {
    let server = Server::new().await;
    let (_, acme_key) = account(&server.store, "acme").await;
    let (_, globex_key) = account(&server.store, "globex").await;
    let (_, created) = answer(
        server
            .post("/v1/api-keys", &acme_key)
            .json(&json!({"name": "acme-ci"})),
    )
    .await;
    let acme_id = created["id"].as_str().unwrap();

    let (_, globex_list) = answer(server.get("/v1/api-keys", &globex_key)).await;
    assert!(!globex_list.to_string().contains(acme_id));
    assert_eq!(globex_list["keys"].as_array().unwrap().len(), 1);

    let (status, body) = answer(server.delete(&format!("/v1/api-keys/{acme_id}"), &globex_key)).await;
    assert_error(status, &body, 404, "not_found", "not found");
    let (status, unknown) = answer(server.delete("/v1/api-keys/not-a-real-id", &globex_key)).await;
    assert_eq!(
        (status, &unknown),
        (404, &body),
        "another account's key looks exactly like a missing one"
    );

    // Acme's key still works.
    let (_, who) = answer(server.get("/v1/whoami", created["key"].as_str().unwrap())).await;
    assert_eq!(who["tenant"], "acme");
}

#[tokio::test]
async fn no_request_started_after_a_revoke_returned_succeeds() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let (_, created) = answer(server.post("/v1/api-keys", &raw).json(&json!({"name": "busy"}))).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let revoke_path = format!("/v1/api-keys/{}", created["id"].as_str().unwrap());

    let stop = Instant::now() + Duration::from_secs(3);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (http, url, key) = (server.http.clone(), server.url("/v1/whoami"), key.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while Instant::now() < stop {
                    let started = Instant::now();
                    let status = http
                        .get(&url)
                        .bearer_auth(&key)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    seen.push((started, status));
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        server.delete(&revoke_path, &raw).send().await.unwrap().status(),
        204
    );
    let revoked_at = Instant::now();

    let mut before = 0;
    let mut after = 0;
    for worker in workers {
        for (started, status) in worker.await.unwrap() {
            if started >= revoked_at {
                assert_eq!(
                    status, 403,
                    "a request started after the revoke returned was let through"
                );
                after += 1;
            } else if status == 200 {
                before += 1;
            }
        }
    }
    assert!(
        before > 0 && after > 0,
        "the key was in use on both sides of the revoke ({before}, {after})"
    );
}

#[tokio::test]
async fn a_concurrent_burst_writes_last_used_at_once() {
    let server = Server::new().await;
    let (acme, raw) = account(&server.store, "acme").await;
    let event: aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_str(
        &axiom_tests::event("authorizer-valid").replace(axiom_tests::EVENT.key.as_str(), &raw),
    )
    .unwrap();
    let now = timestamp::now();
    let decisions = join_all((0..25).map(|_| authorizer::decide(&server.store, &event, now))).await;
    let writes = decisions
        .iter()
        .filter(|decision| {
            matches!(
                decision,
                Ok(authorizer::Decision::Allow {
                    recorded_use: true,
                    ..
                })
            )
        })
        .count();
    assert_eq!(writes, 1, "{decisions:?}");
    assert!(
        decisions
            .iter()
            .all(|d| matches!(d, Ok(authorizer::Decision::Allow { .. })))
    );

    // And over HTTP: a burst leaves last_used_at set, once.
    let responses = join_all((0..20).map(|_| server.get("/v1/whoami", &raw).send())).await;
    assert!(responses.iter().all(|r| r.as_ref().unwrap().status() == 200));
    let keys = server
        .store
        .list_keys(&acme.account_id, &first_page())
        .await
        .unwrap()
        .items;
    assert_eq!(
        keys[0].last_used_at.as_deref(),
        Some(timestamp::format(now).as_str())
    );
}

#[tokio::test]
async fn an_unreachable_database_fails_closed_with_a_500_but_malformed_keys_still_get_403() {
    let server = Server::start(unresponsive_store().await).await;
    let started = Instant::now();
    let (status, body) = answer(server.get("/v1/whoami", WELL_FORMED_UNKNOWN)).await;
    assert_eq!((status, body), (500, json!({"message": "Internal Server Error"})));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    let (status, _) = answer(server.get("/v1/whoami", "short")).await;
    assert_eq!(status, 403, "a malformed key is refused without the database");
}

#[tokio::test]
async fn names_need_not_be_unique_ids_are() {
    let server = Server::new().await;
    let (_, raw) = account(&server.store, "acme").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (status, created) = answer(server.post("/v1/api-keys", &raw).json(&json!({"name": "ci"}))).await;
        assert_eq!(status, 201);
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    assert_ne!(ids[0], ids[1]);
    let (_, listing) = answer(server.get("/v1/api-keys", &raw)).await;
    let named_ci = listing["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"] == "ci")
        .count();
    assert_eq!(named_ci, 2);
}
