//! Everything that talks to DynamoDB, and the only module that names the SDK or an attribute:
//! one table, laid out in `docs/table-design.md`. [`table`] defines it, [`client`] connects to
//! it, one file per concept (keys, flows, executions, usage) adds its methods to [`Store`], and
//! [`queue`] sends the runs queue's messages: every write that makes a run runnable sends one.

mod audit;
pub mod client;
mod device;
mod executions;
mod flows;
mod keys;
pub mod queue;
pub mod table;
mod usage;

pub use device::GrantRefused;
pub use executions::{RUN_LIST_SHARDS, Started, WAKE_SHARDS};
pub use keys::{KeyRoll, NewKey, RolledKey};
pub use queue::{QueueMessage, RunQueue};
pub use usage::USAGE_SHARDS;

use std::time::Duration;

use aws_sdk_dynamodb::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::query::builders::QueryFluentBuilder,
    operation::transact_write_items::TransactWriteItemsError,
    types::{AttributeValue, Delete, Put, TransactWriteItem},
};
use serde::Serialize;

use self::table::{PARTITION_KEY, SORT_KEY};
use crate::domain::{
    executions::{Execution, RunRef},
    ids::{is_plausible_id, new_id},
    pages::{Page, PageRequest},
    timestamp,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    /// A condition on another item than the one written did not hold (such as the caller's own
    /// key still existing).
    #[error("a condition of the write did not hold")]
    ConditionFailed,
    /// The key has expired (it cannot be rolled).
    #[error("expired")]
    Expired,
    /// A page position that this store did not hand out.
    #[error("not a position of this list")]
    BadPosition,
    /// DynamoDB is throttling, conflicting, slow or unreachable, after the retries: the same
    /// request may succeed a moment later (an API answers 503).
    #[error("DynamoDB is unavailable: {0}")]
    Unavailable(String),
    #[error("DynamoDB request failed: {0}")]
    Dynamo(String),
    #[error("stored item does not have the expected shape: {0}")]
    Malformed(#[from] serde_dynamo::Error),
}

/// Error codes of DynamoDB that say "not now" rather than "not this request".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "TransactionInProgressException",
    "InternalServerError",
    "ServiceUnavailable",
];

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(error: SdkError<E, R>) -> Self {
        let transient = match &error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service) => service
                .err()
                .code()
                .is_some_and(|code| TRANSIENT_CODES.contains(&code)),
            _ => false,
        };
        let text = DisplayErrorContext(error).to_string();
        if transient {
            Self::Unavailable(text)
        } else {
            Self::Dynamo(text)
        }
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

type Item = std::collections::HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// What a function reads first, so that its warm-up read is one it is allowed.
#[derive(Clone, Copy, Debug)]
pub enum WarmUp {
    /// The authorizer: credentials.
    Credentials,
    /// The runner: flows, in accounts' partitions.
    Flows,
}

#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    /// Shared, so that a clone per request costs no allocation.
    table: std::sync::Arc<str>,
    /// Sent every run that a write made runnable (none: runs are carried on by hand, as some
    /// tests do).
    queue: Option<RunQueue>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: std::sync::Arc::from(table.into()),
            queue: None,
        }
    }

    /// This store, sending `queue` every run that one of its writes made runnable.
    pub fn with_queue(self, queue: RunQueue) -> Self {
        Self {
            queue: Some(queue),
            ..self
        }
    }

    /// Sends a message for `execution`, just written, if the write made it runnable: at once,
    /// or when its sleep is over. A failure is logged, not returned: the write stands, and the
    /// sweep sends the run again once its `wake_at` passes.
    async fn dispatch_if_runnable(&self, execution: &Execution) {
        if execution.runnable.is_none() {
            return;
        }
        let delay_ms = execution.parked_for(timestamp::now_ms()).unwrap_or(0);
        let run = RunRef {
            account_id: execution.account_id.clone(),
            execution_id: execution.execution_id.clone(),
        };
        self.dispatch(&run, delay_ms).await;
    }

    /// Sends a message naming `run`, delivered after `delay_ms` (rounded up to whole seconds, as
    /// SQS counts them). Failures are logged: see [`Store::dispatch_if_runnable`].
    pub async fn dispatch(&self, run: &RunRef, delay_ms: i64) {
        let Some(queue) = &self.queue else { return };
        let delay_seconds = u32::try_from((delay_ms.max(0) + 999) / 1000).unwrap_or(u32::MAX);
        if let Err(error) = queue.send(run, delay_seconds).await {
            tracing::warn!(%error, execution_id = run.execution_id, "could not queue a run; the sweep will");
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

    /// A strongly consistent read of one item.
    async fn get(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        self.read_item(pk, sk, true).await
    }

    /// An eventually consistent read of one item: half the capacity of [`Store::get`], for
    /// items that never change once written, or whose change may take a second to be seen.
    async fn get_eventually(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        self.read_item(pk, sk, false).await
    }

    async fn read_item(&self, pk: String, sk: String, consistent: bool) -> Result<Option<Item>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&*self.table)
            .consistent_read(consistent)
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

    /// Opens the connection (TLS included) with a read of an item that never exists, under a
    /// key prefix the function may read (`template.yaml` limits each to its own). Errors are
    /// ignored: the first real request will report them.
    pub async fn warm_connection(&self, reads: WarmUp) {
        let pk = match reads {
            WarmUp::Credentials => "CREDENTIAL#WARM-UP",
            WarmUp::Flows => "ACCOUNT#WARM-UP",
        };
        let read = self
            .client
            .get_item()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s("WARM-UP"))
            .send()
            .await;
        if let Err(error) = read {
            tracing::warn!(error = %DisplayErrorContext(error), "could not warm the DynamoDB connection");
        }
    }
}

impl Store {
    /// One page of the account's items under `prefix` (whose ids are UUIDv7), newest first,
    /// optionally only some attributes (`projection`, which must name `sk`). One Query: it asks
    /// for one item more than the page to know whether another page follows.
    async fn account_page<T: serde::de::DeserializeOwned>(
        &self,
        account_id: &str,
        prefix: &str,
        page: &PageRequest,
        projection: Option<(&str, &[(&str, &str)])>,
    ) -> Result<Page<T>, StoreError> {
        let mut query = self
            .newest_first(account_id, prefix)
            .limit(i32::try_from(page.limit + 1).unwrap_or(i32::MAX));
        if let Some((expression, names)) = projection {
            query = query.projection_expression(expression);
            for (placeholder, name) in names {
                query = query.expression_attribute_names(*placeholder, *name);
            }
        }
        if let Some(after) = &page.after {
            if !is_plausible_id(after) {
                return Err(StoreError::BadPosition);
            }
            query = query
                .exclusive_start_key(PARTITION_KEY, s(account_pk(account_id)))
                .exclusive_start_key(SORT_KEY, s(format!("{prefix}{after}")));
        }
        let output = query.send().await?;
        // More follow when the extra item came, or when DynamoDB stopped early (at 1 MB read).
        let stopped_early = output.last_evaluated_key().is_some();
        let mut items = output.items.unwrap_or_default();
        let more = items.len() > page.limit || (stopped_early && !items.is_empty());
        items.truncate(page.limit);
        let next = if more {
            let last = items
                .last()
                .and_then(|item| item.get(SORT_KEY))
                .and_then(|sk| sk.as_s().ok());
            last.and_then(|sk| sk.strip_prefix(prefix)).map(str::to_owned)
        } else {
            None
        };
        let items = items
            .into_iter()
            .map(|item| Ok(serde_dynamo::from_item(item)?))
            .collect::<Result<_, StoreError>>()?;
        Ok(Page { items, next })
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

/// How many times a transaction is sent when it conflicts with another one on the same items
/// (DynamoDB cancels it and it may be sent again as it is), and the first pause between two
/// sends; the pause doubles each time, with full jitter.
const TRANSACTION_ATTEMPTS: u32 = 6;
const TRANSACTION_BACKOFF: Duration = Duration::from_millis(25);

/// Why a transaction was cancelled, when it was.
enum Cancelled {
    /// Conditions did not hold (the positions of those items): a domain outcome, never retried.
    Condition(Vec<usize>),
    /// It conflicted with another transaction, or was throttled: sent again.
    Conflict,
}

fn cancelled<R>(error: &SdkError<TransactWriteItemsError, R>) -> Option<Cancelled> {
    match error.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => {
            let codes = || {
                cancelled
                    .cancellation_reasons()
                    .iter()
                    .filter_map(|reason| reason.code())
            };
            if codes().any(|code| code == "ConditionalCheckFailed") {
                let failed = cancelled
                    .cancellation_reasons()
                    .iter()
                    .enumerate()
                    .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
                    .map(|(index, _)| index)
                    .collect();
                Some(Cancelled::Condition(failed))
            } else if codes().any(|code| {
                matches!(
                    code,
                    "TransactionConflict"
                        | "ThrottlingError"
                        | "ProvisionedThroughputExceeded"
                        | "RequestLimitExceeded"
                )
            }) {
                Some(Cancelled::Conflict)
            } else {
                None
            }
        }
        // Another send with the same token is still being applied: its outcome is unknown, and
        // a send with a fresh token could apply the transaction twice or report its own effect
        // as a failed condition. Not retried here: the caller learns "unavailable".
        _ => None,
    }
}

/// A pause of up to `ceiling`, chosen at random (full jitter), so that the transactions that
/// conflicted do not meet again.
fn jitter(ceiling: Duration) -> Duration {
    let fraction = getrandom::u32().unwrap_or(u32::MAX / 2) as f64 / u32::MAX as f64;
    ceiling.mul_f64(fraction)
}

impl Store {
    /// Writes `items` in one transaction. `Ok(false)`: one of its conditions did not hold.
    /// Conflicts and throttling are retried with jittered backoff (throttling also by the SDK);
    /// when they persist the result is [`StoreError::Unavailable`]. Each send has a fresh client
    /// token, which the SDK's own retries of that send reuse: a send whose answer was lost is
    /// then not applied twice.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        Ok(self.transact_naming_failures(items).await?.is_empty())
    }

    /// [`Store::transact`], telling which items' conditions failed (by position; empty: the
    /// transaction committed).
    async fn transact_naming_failures(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Vec<usize>, StoreError> {
        let mut ceiling = TRANSACTION_BACKOFF;
        for attempt in 1..=TRANSACTION_ATTEMPTS {
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(new_id())
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(Vec::new()),
                Err(error) => match cancelled(&error) {
                    Some(Cancelled::Condition(failed)) => return Ok(failed),
                    Some(Cancelled::Conflict) if attempt < TRANSACTION_ATTEMPTS => {
                        tokio::time::sleep(jitter(ceiling)).await;
                        ceiling *= 2;
                    }
                    Some(Cancelled::Conflict) => {
                        return Err(StoreError::Unavailable(DisplayErrorContext(error).to_string()));
                    }
                    None => return Err(error.into()),
                },
            }
        }
        unreachable!("the last attempt returns")
    }
}
