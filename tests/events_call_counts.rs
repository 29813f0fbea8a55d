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
    domain::{
        executions::{Execution, RunRef, StartIds},
        flows::Definition,
        ids::new_id,
    },
    runner,
    store::Store,
};
use axiom_tests::{EVENT, EventSender, account, event, operator, store};
use serde_json::json;

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

fn pause_flow() -> Definition {
    Definition::parse(&json!({"steps": [{"id": "a", "op": "pause"}]})).unwrap()
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

/// Saves `definition` as a flow of the caller's account and starts `count` queued runs of it.
async fn queued_runs(caller: &EventSender, definition: &Definition, count: usize) -> Vec<Execution> {
    let flow = caller
        .store
        .create_flow(
            &caller.account.account_id,
            "f".into(),
            definition,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    let mut runs = Vec::with_capacity(count);
    for _ in 0..count {
        let ids = StartIds {
            execution_id: new_id(),
            account_id: caller.account.account_id.clone(),
            graph_id: flow.graph_id.clone(),
            key_id: caller.key_id.clone(),
        };
        let run = Execution::start(ids, definition, "{}".into(), json!({}), None, timestamp::now_ms());
        caller.store.start_execution(&run, None, None).await.unwrap();
        runs.push(run);
    }
    runs
}

#[tokio::test]
async fn usage_is_one_query_per_counter_shard_however_many_runs() {
    let shards = vec!["Query"; axiom_shared::store::USAGE_SHARDS as usize];
    let caller = EventSender::new().await;
    let (store, calls) = counted(&caller.store);
    let usage = || request(&caller.event("usage"));
    assert_eq!(api::handle(Function::Usage, &store, usage()).await.status(), 200);
    assert_eq!(calls.take(), shards);
    queued_runs(&caller, &pause_flow(), 40).await;
    let response = api::handle(Function::Usage, &store, usage()).await;
    let summary: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(summary["executions"], 40);
    assert_eq!(calls.take(), shards);
}

#[tokio::test]
async fn a_runner_step_writes_the_control_item_alone_unless_it_changes_the_state() {
    let caller = EventSender::new().await;
    let definition = Definition::parse(&json!({"steps": [
        {"id": "remember", "op": "set", "value": {"seen": true}},
        {"id": "nap", "op": "sleep", "ms": 1000}
    ]}))
    .unwrap();
    let run = queued_runs(&caller, &definition, 1).await.remove(0);
    let (store, calls) = counted(&caller.store);
    let run_ref = RunRef {
        account_id: run.account_id.clone(),
        execution_id: run.execution_id.clone(),
    };
    runner::pick_up(&store, &run_ref, timestamp::now_ms() + 60_000)
        .await
        .unwrap();
    // The run's control item and state (one Query), its flow; the lease (the control item
    // alone); the `set` step (control item and state, one transaction); the sleep, parked (the
    // control item alone).
    assert_eq!(
        calls.take(),
        ["Query", "GetItem", "PutItem", "TransactWriteItems", "PutItem"]
    );
}
