//! The handlers, fed the same `events/*.json` that `cargo lambda invoke --data-file` and
//! `sam local invoke -e` use.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use axiom_shared::{
    api::{self, authorizer, routes::Function},
    domain::keys::KeyHash,
};
use axiom_tests::{EventSender, event, event_as, first_page, store, unresponsive_store};
use serde_json::Value;

fn body(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    serde_json::from_slice(response.body()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn create_key_event() {
    let EventSender {
        store,
        account: acme,
        key_id,
        raw,
    } = EventSender::new().await;
    let request = lambda_http::request::from_str(&event_as("create-key", &acme, &key_id, &raw)).unwrap();
    let response = api::handle(Function::CreateKey, &store, request).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/json");
    let created = body(&response);
    assert_eq!(created["name"], "laptop");
    assert_eq!(created["key"].as_str().unwrap().len(), 64);
    let names: Vec<_> = store
        .list_keys(&acme.account_id, &first_page())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["laptop", "cli"]);
}

#[tokio::test]
async fn list_keys_event() {
    let EventSender {
        store,
        account: acme,
        key_id,
        raw,
    } = EventSender::new().await;
    let request = lambda_http::request::from_str(&event_as("list-keys", &acme, &key_id, &raw)).unwrap();
    let response = api::handle(Function::ListKeys, &store, request).await;
    assert_eq!(response.status(), 200);
    let listed = body(&response);
    assert_eq!(listed["keys"][0]["id"], key_id.as_str());
    assert!(
        !response
            .body()
            .iter()
            .as_slice()
            .windows(64)
            .any(|w| w == raw.as_bytes())
    );
}

#[tokio::test]
async fn revoke_key_event() {
    let EventSender {
        store,
        account: acme,
        key_id,
        raw,
    } = EventSender::new().await;
    let event = event_as("revoke-key", &acme, &key_id, &raw);
    let response = api::handle(
        Function::RevokeKey,
        &store,
        lambda_http::request::from_str(&event).unwrap(),
    )
    .await;
    assert_eq!(response.status(), 204);
    assert!(response.body().is_empty());
    assert_eq!(store.find_credential(&KeyHash::of(&raw)).await.unwrap(), None);
    let again = api::handle(
        Function::RevokeKey,
        &store,
        lambda_http::request::from_str(&event).unwrap(),
    )
    .await;
    assert_eq!(again.status(), 404);
    assert_eq!(body(&again)["error"]["code"], "not_found");
}

#[tokio::test]
async fn whoami_event_answers_from_the_authorizer_context() {
    let store = store().await;
    let request = lambda_http::request::from_str(&event("whoami")).unwrap();
    let response = api::handle(Function::Whoami, &store, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        body(&response),
        serde_json::json!({
            "email": "dev@acme.io",
            "tenant": "acme",
            "account_id": axiom_tests::EVENT.account_id.as_str(),
            "key_id": axiom_tests::EVENT.key_id.as_str(),
        })
    );
}

#[tokio::test]
async fn a_route_event_without_authorizer_context_is_a_500_without_details() {
    let store = store().await;
    let mut event: Value = serde_json::from_str(&event("list-keys")).unwrap();
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let response = api::handle(
        Function::ListKeys,
        &store,
        lambda_http::request::from_str(&event.to_string()).unwrap(),
    )
    .await;
    assert_eq!(response.status(), 500);
    assert_eq!(body(&response)["error"]["code"], "internal_error");
}

fn authorizer_event(text: &str) -> ApiGatewayV2CustomAuthorizerV2Request {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn authorizer_events() {
    let EventSender {
        store,
        account: acme,
        key_id,
        raw,
    } = EventSender::new().await;

    let valid = authorizer::authorize(
        &store,
        authorizer_event(&event_as("authorizer-valid", &acme, &key_id, &raw)),
    )
    .await
    .unwrap();
    assert!(valid.is_authorized);
    assert_eq!(valid.context["account_id"], acme.account_id.as_str());
    assert_eq!(valid.context["tenant"], "acme");
    assert_eq!(valid.context["email"], acme.email.as_str());
    assert_eq!(valid.context["key_id"], key_id.as_str());

    // The placeholder key of the sample event is well formed but unknown.
    let unknown = authorizer::authorize(&store, authorizer_event(&event("authorizer-valid")))
        .await
        .unwrap();
    assert!(!unknown.is_authorized);
    assert!(unknown.context.is_empty());

    for name in [
        "authorizer-missing",
        "authorizer-malformed",
        "authorizer-wrong-scheme",
    ] {
        let verdict = authorizer::authorize(&store, authorizer_event(&event(name)))
            .await
            .unwrap();
        assert!(!verdict.is_authorized, "{name}");
    }
}

#[tokio::test]
async fn refusals_of_form_never_reach_the_database() {
    // This store's database never answers: any lookup would fail, not refuse.
    let store = unresponsive_store().await;
    for name in [
        "authorizer-missing",
        "authorizer-malformed",
        "authorizer-wrong-scheme",
    ] {
        let verdict = authorizer::authorize(&store, authorizer_event(&event(name))).await;
        assert!(!verdict.expect(name).is_authorized, "{name}");
    }
}

#[tokio::test]
async fn the_authorizer_fails_closed_within_seconds_when_the_database_does_not_answer() {
    let store = unresponsive_store().await;
    let started = std::time::Instant::now();
    let verdict = authorizer::authorize(&store, authorizer_event(&event("authorizer-valid"))).await;
    assert!(
        verdict.is_err(),
        "an unanswered lookup must be an error, never a verdict"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn console_event_serves_the_page_with_a_strict_policy() {
    let store = store().await;
    let request = lambda_http::request::from_str(&event("console")).unwrap();
    let response = api::handle(Function::Console, &store, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let policy = response.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert!(String::from_utf8_lossy(response.body()).contains("API Keys"));
    let mut unknown: Value = serde_json::from_str(&event("console")).unwrap();
    unknown["pathParameters"]["proxy"] = "../Cargo.toml".into();
    let response = api::handle(
        Function::Console,
        &store,
        lambda_http::request::from_str(&unknown.to_string()).unwrap(),
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn device_events_start_a_sign_in_and_refuse_codes_never_issued() {
    let sender = EventSender::new().await;
    let handle = |name: &str| {
        let request = lambda_http::request::from_str(&sender.event(name)).unwrap();
        api::handle(Function::Device, &sender.store, request)
    };
    let response = handle("device-grant").await;
    assert_eq!(response.status(), 200);
    let grant = body(&response);
    assert_eq!(
        grant["verification_uri"],
        "https://r3pmxmplak.execute-api.us-east-1.amazonaws.com/console/device"
    );
    let response = handle("device-token").await;
    assert_eq!(response.status(), 400);
    assert_eq!(body(&response)["error"]["code"], "invalid_grant");
    let response = handle("device-approve").await;
    assert_eq!(response.status(), 404, "no grant has the sample's code");
}
