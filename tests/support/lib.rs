//! Test support: a fresh table per test on DynamoDB Local (so tests run in parallel without
//! seeing each other), accounts with keys, the local gateway served over real HTTP, the sample
//! events of `events/` as a given account, and the OpenAPI document's checker ([`openapi`]).

pub mod faults;
pub mod openapi;
pub mod runs;

use std::sync::LazyLock;

use axiom_shared::{
    domain::{
        accounts::Account,
        audit::Actor,
        ids::new_id,
        pages::{MAX_LIMIT, PageRequest},
    },
    store::{NewKey, Store, client, table},
};
use serde::Deserialize;
use tokio::net::TcpListener;

/// A store on a table of its own. Needs `AWS_ENDPOINT_URL_DYNAMODB` (set by `make test`).
pub async fn store() -> Store {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("tests need DynamoDB Local: run them with `make test`");
    let client = client::local_dynamodb_client(&endpoint).await;
    let name = format!("test-{}", new_id());
    table::ensure_table(&client, &name)
        .await
        .expect("create the test table");
    Store::new(client, name)
}

/// A store whose database never answers: connections are accepted and left hanging.
pub async fn unresponsive_store() -> Store {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    Store::new(client::local_dynamodb_client(&endpoint).await, "unreachable")
}

/// The operator: the actor of the changes tests make straight through the store.
pub fn operator() -> Actor {
    Actor::default()
}

/// A first page as large as a page gets.
pub fn first_page() -> PageRequest {
    PageRequest::first(MAX_LIMIT)
}

/// A key to mint, that never expires.
pub fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.to_owned(),
        expires_at: None,
    }
}

/// An account with its first key; returns the account and the raw key.
pub async fn account(store: &Store, name: &str) -> (Account, String) {
    let email = format!("{name}-{}@example.com", new_id());
    let (account, key) = store
        .create_account(&email, name, "cli")
        .await
        .expect("create account");
    (account, key.raw.expose().to_owned())
}

/// The local gateway on a free port, serving `store`.
pub struct Server {
    pub base: String,
    pub store: Store,
    pub http: reqwest::Client,
}

impl Server {
    pub async fn start(store: Store) -> Self {
        Self::serve(store.clone(), axiom_local::app(store)).await
    }

    /// A server whose runs queue and runner are set up as `config` says.
    pub async fn with_queue(config: axiom_local::queue::QueueConfig) -> Self {
        let store = store().await;
        Self::serve(store.clone(), axiom_local::app_with_queue(store, config)).await
    }

    async fn serve(store: Store, router: axum::Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            base,
            store,
            http: reqwest::Client::new(),
        }
    }

    /// A server on a fresh table.
    pub async fn new() -> Self {
        Self::start(store().await).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(key)
    }

    pub fn post(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(key)
    }

    pub fn delete(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(key)
    }
}

/// Sends the request; its status and JSON body.
pub async fn answer(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    status_json(request.send().await.unwrap()).await
}

/// Asserts an error answer: its status, the one error shape, its code, and that its message
/// mentions `mentions`.
pub fn assert_error(status: u16, body: &serde_json::Value, expected_status: u16, code: &str, mentions: &str) {
    assert_eq!(status, expected_status, "{body}");
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("error shape: {body}"));
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(error.len(), 2, "{body}");
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(mentions),
        "{message:?} should mention {mentions:?}"
    );
}

/// Status and JSON body of a response (`Null` when the body is empty).
pub async fn status_json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

/// The placeholder values in `events/*.json`, from `support/event-placeholders.json` (which
/// `scripts/lambda-runtime-check` reads too), replaced by real values in event-driven tests.
#[derive(Deserialize)]
pub struct EventPlaceholders {
    pub account_id: String,
    pub key_id: String,
    /// Replaced only as a JSON string (`"acme"`), never inside another string.
    pub tenant: String,
    pub email: String,
    pub graph_id: String,
    pub execution_id: String,
    pub key: String,
}

pub static EVENT: LazyLock<EventPlaceholders> = LazyLock::new(|| {
    serde_json::from_str(include_str!("event-placeholders.json")).expect("event-placeholders.json")
});

/// The text of `events/<name>.json`.
pub fn event(name: &str) -> String {
    let path = format!("{}/../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `events/<name>.json` as the caller `account` (and its key `key_id`, raw key `raw_key`).
pub fn event_as(name: &str, account: &Account, key_id: &str, raw_key: &str) -> String {
    event(name)
        .replace(&EVENT.account_id, &account.account_id)
        .replace(&EVENT.key_id, key_id)
        .replace(
            &format!("\"{}\"", EVENT.tenant),
            &format!("\"{}\"", account.tenant),
        )
        .replace(&EVENT.email, &account.email)
        .replace(&EVENT.key, raw_key)
}

/// A fresh table with an account, its first key's id and the raw key: who event-driven tests
/// send `events/*.json` as.
pub struct EventSender {
    pub store: Store,
    pub account: Account,
    pub key_id: String,
    pub raw: String,
}

impl EventSender {
    pub async fn new() -> Self {
        let store = store().await;
        let (account, raw) = account(&store, "acme").await;
        let key_id = store
            .list_keys(&account.account_id, &first_page())
            .await
            .expect("list the first key")
            .items[0]
            .key_id
            .clone();
        Self {
            store,
            account,
            key_id,
            raw,
        }
    }

    /// `events/<name>.json` as this caller.
    pub fn event(&self, name: &str) -> String {
        event_as(name, &self.account, &self.key_id, &self.raw)
    }
}
