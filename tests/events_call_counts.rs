//! How many DynamoDB calls each hot path makes, counted by an SDK interceptor on the real
//! client against DynamoDB Local: the authorizer's one GetItem, invoke's one read and one
//! transaction, usage's one Query, whatever the data.

use axiom_shared::domain::timestamp;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::{
    Client,
    config::{ConfigBag, Intercept, interceptors::BeforeSerializationInterceptorContextRef},
    error::BoxError,
    operation::{
        get_item::GetItemInput, put_item::PutItemInput, query::QueryInput,
        transact_write_items::TransactWriteItemsInput, update_item::UpdateItemInput,
    },
};
use axiom_shared::{
    api::{self, authorizer, routes::Function},
    store::Store,
};
use axiom_tests::{EVENT, EventSender, account, event, operator, store};

#[derive(Clone, Debug, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "Calls"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let name = if input.downcast_ref::<GetItemInput>().is_some() {
            "GetItem"
        } else if input.downcast_ref::<UpdateItemInput>().is_some() {
            "UpdateItem"
        } else if input.downcast_ref::<PutItemInput>().is_some() {
            "PutItem"
        } else if input.downcast_ref::<QueryInput>().is_some() {
            "Query"
        } else if input.downcast_ref::<TransactWriteItemsInput>().is_some() {
            "TransactWriteItems"
        } else {
            "other"
        };
        self.0.lock().unwrap().push(name.to_owned());
        Ok(())
    }
}

impl Calls {
    /// The calls made since the last take.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// The same table, through a client that records every call.
fn counted(store: &Store) -> (Store, Calls) {
    let calls = Calls::default();
    let config = store
        .client()
        .config()
        .to_builder()
        .interceptor(calls.clone())
        .build();
    (Store::new(Client::from_conf(config), store.table()), calls)
}

fn request(text: &str) -> lambda_http::Request {
    lambda_http::request::from_str(text).unwrap()
}

#[tokio::test]
async fn the_authorizer_reads_one_item_and_writes_last_use_at_most_once_a_minute() {
    let plain = store().await;
    let (acme, raw) = account(&plain, "acme").await;
    let (store, calls) = counted(&plain);
    let valid = || {
        serde_json::from_str(&event("authorizer-valid").replace(axiom_tests::EVENT.key.as_str(), &raw))
            .unwrap()
    };

    assert!(
        authorizer::authorize(&store, valid())
            .await
            .unwrap()
            .is_authorized
    );
    assert_eq!(
        calls.take(),
        ["GetItem", "TransactWriteItems"],
        "first use: lookup, then the claim and the shown time in one transaction"
    );
    for _ in 0..3 {
        assert!(
            authorizer::authorize(&store, valid())
                .await
                .unwrap()
                .is_authorized
        );
        assert_eq!(calls.take(), ["GetItem"], "within the minute: the lookup only");
    }
    let malformed = serde_json::from_str(&event("authorizer-malformed")).unwrap();
    assert!(
        !authorizer::authorize(&store, malformed)
            .await
            .unwrap()
            .is_authorized
    );
    assert_eq!(
        calls.take(),
        Vec::<String>::new(),
        "a malformed key never reaches the database"
    );
    let _ = acme;
}

fn pause_flow() -> axiom_shared::domain::flows::Definition {
    axiom_shared::domain::flows::Definition::parse(
        &serde_json::json!({"steps": [{"id": "a", "op": "pause"}]}),
    )
    .unwrap()
}

#[tokio::test]
async fn key_routes_make_one_call_each_and_whoami_none() {
    let caller = EventSender::new().await;
    let (store, calls) = counted(&caller.store);
    let as_caller = |name: &str| request(&caller.event(name));

    assert_eq!(
        api::handle(Function::CreateKey, &store, as_caller("create-key"))
            .await
            .status(),
        201
    );
    assert_eq!(calls.take(), ["TransactWriteItems"]);
    assert_eq!(
        api::handle(Function::ListKeys, &store, as_caller("list-keys"))
            .await
            .status(),
        200
    );
    assert_eq!(calls.take(), ["Query"]);
    assert_eq!(
        api::handle(Function::Whoami, &store, as_caller("whoami"))
            .await
            .status(),
        200
    );
    assert_eq!(calls.take(), Vec::<String>::new());
    assert_eq!(
        api::handle(Function::RevokeKey, &store, as_caller("revoke-key"))
            .await
            .status(),
        204
    );
    assert_eq!(calls.take(), ["GetItem", "TransactWriteItems"]);
}

#[tokio::test]
async fn invoke_reads_the_flow_once_and_starts_the_run_in_one_transaction() {
    let caller = EventSender::new().await;
    let flow = caller
        .store
        .create_flow(
            &caller.account.account_id,
            "f".into(),
            &pause_flow(),
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    let (store, calls) = counted(&caller.store);
    let invoke = caller
        .event("invoke-queued")
        .replace(EVENT.graph_id.as_str(), &flow.graph_id);
    let response = api::handle(Function::Invoke, &store, request(&invoke)).await;
    assert_eq!(response.status(), 202);
    // The flow and the account's quota, read at once, then the start.
    assert_eq!(calls.take(), ["GetItem", "GetItem", "TransactWriteItems"]);
}

#[tokio::test]
async fn usage_is_one_query_of_day_counters_however_many_runs() {
    let caller = EventSender::new().await;
    let (acme, key_id, plain) = (&caller.account, &caller.key_id, &caller.store);
    let (store, calls) = counted(plain);
    let usage = || request(&caller.event("usage"));
    assert_eq!(api::handle(Function::Usage, &store, usage()).await.status(), 200);
    assert_eq!(calls.take(), ["Query"]);
    let definition = pause_flow();
    let flow = plain
        .create_flow(
            &acme.account_id,
            "f".into(),
            &definition,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    for _ in 0..40 {
        let ids = axiom_shared::domain::executions::StartIds {
            execution_id: axiom_shared::domain::ids::new_id(),
            account_id: acme.account_id.clone(),
            graph_id: flow.graph_id.clone(),
            key_id: key_id.clone(),
        };
        let run = axiom_shared::domain::executions::Execution::start(
            ids,
            &definition,
            "{}".into(),
            serde_json::json!({}),
            None,
            axiom_shared::domain::timestamp::now_ms(),
        );
        plain.start_execution(&run, None, None).await.unwrap();
    }
    let response = api::handle(Function::Usage, &store, usage()).await;
    let summary: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(summary["executions"], 40);
    assert_eq!(calls.take(), ["Query"]);
}
