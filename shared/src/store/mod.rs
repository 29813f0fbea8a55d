//! Everything that talks to DynamoDB, and the only module that names the SDK or an attribute:
//! one table, laid out in `docs/table-design.md`. [`table`] defines it, [`client`] connects to
//! it, one file per concept (keys, flows, executions, usage) adds its methods to [`Store`], and
//! [`stream`] reads the table's stream records.

pub mod client;
mod executions;
mod flows;
mod keys;
pub mod stream;
pub mod table;
mod usage;

pub use executions::WAKE_SHARDS;

use aws_sdk_dynamodb::{
    Client,
    error::{DisplayErrorContext, SdkError},
    operation::query::builders::QueryFluentBuilder,
    operation::transact_write_items::TransactWriteItemsError,
    types::{AttributeValue, Delete, Put, TransactWriteItem},
};
use serde::Serialize;

use self::table::{PARTITION_KEY, SORT_KEY};
use crate::domain::executions::{Execution, RunRef};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("DynamoDB request failed: {0}")]
    Dynamo(String),
    #[error("stored item does not have the expected shape: {0}")]
    Malformed(#[from] serde_dynamo::Error),
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(error: SdkError<E, R>) -> Self {
        Self::Dynamo(DisplayErrorContext(error).to_string())
    }
}

impl From<aws_sdk_dynamodb::error::BuildError> for StoreError {
    fn from(error: aws_sdk_dynamodb::error::BuildError) -> Self {
        Self::Dynamo(error.to_string())
    }
}

const ACCOUNT_PREFIX: &str = "ACCOUNT#";

fn account_pk(account_id: &str) -> String {
    format!("{ACCOUNT_PREFIX}{account_id}")
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    /// Shared, so that a clone per request costs no allocation.
    table: std::sync::Arc<str>,
    /// Told of every run that a write made runnable. On AWS the table's stream does this; the
    /// local server passes a channel instead.
    runnable: Option<tokio::sync::mpsc::UnboundedSender<RunRef>>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: std::sync::Arc::from(table.into()),
            runnable: None,
        }
    }

    /// This store, telling `runnable` of every run that one of its writes made runnable.
    pub fn with_runnable_notifier(self, runnable: tokio::sync::mpsc::UnboundedSender<RunRef>) -> Self {
        Self {
            runnable: Some(runnable),
            ..self
        }
    }

    fn notify_if_runnable(&self, execution: &Execution) {
        if let (Some(runnable), Some(_)) = (&self.runnable, &execution.runnable) {
            // A closed channel means the local server is shutting down: nothing to tell.
            let _ = runnable.send(RunRef {
                account_id: execution.account_id.clone(),
                execution_id: execution.execution_id.clone(),
            });
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn put<T: Serialize>(&self, item: &T, condition: &str) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&*self.table)
            .set_item(Some(serde_dynamo::to_item(item)?))
            .condition_expression(condition)
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete_existing(&self, pk: String, sk: String) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk))
            .condition_expression("attribute_exists(pk)")
            .build()?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    async fn get(
        &self,
        pk: String,
        sk: String,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&*self.table)
            .consistent_read(true)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk))
            .send()
            .await?;
        Ok(found.item)
    }

    /// A strongly consistent Query of one account's partition (`:pk` is bound).
    fn account_query(&self, account_id: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&*self.table)
            .consistent_read(true)
            .expression_attribute_values(":pk", s(account_pk(account_id)))
    }

    /// The account's items whose sort key starts with `prefix`, newest first (ids are UUIDv7).
    fn newest_first(&self, account_id: &str, prefix: &str) -> QueryFluentBuilder {
        self.account_query(account_id)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":prefix", s(prefix))
            .scan_index_forward(false)
    }

    /// Opens the connection (TLS included) with a read of an item that never exists. Errors are
    /// ignored: the first real request will report them.
    pub async fn warm_connection(&self) {
        let read = self
            .client
            .get_item()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s("WARM-UP"))
            .key(SORT_KEY, s("WARM-UP"))
            .send()
            .await;
        if let Err(error) = read {
            tracing::warn!(error = %DisplayErrorContext(error), "could not warm the DynamoDB connection");
        }
    }
}

/// Every item a query finds, all pages, as `T`.
async fn query_all<T: serde::de::DeserializeOwned>(query: QueryFluentBuilder) -> Result<Vec<T>, StoreError> {
    let items = query
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await?;
    items
        .into_iter()
        .map(|item| Ok(serde_dynamo::from_item(item)?))
        .collect()
}

/// True when a transaction was cancelled because one of its conditions did not hold.
fn is_condition_failure<R>(error: &SdkError<TransactWriteItemsError, R>) -> bool {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .any(|reason| reason.code() == Some("ConditionalCheckFailed")),
        _ => false,
    }
}
