//! Execution records: `ACCOUNT#<id>` / `EXEC#<execution id>`. Every write is conditional on
//! the version that was read, and a write that ends a run changes the day's usage counters in
//! the same transaction, so the counters never drift from the records.
//!
//! In-flight runs carry `wake_shard` / `wake_at`, the keys of the sparse `wake` index that the
//! sweep queries for runs whose lease or time limit has run out.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, builders::PutBuilder};
use serde::{Deserialize, Serialize};

use super::{
    ACCOUNT_PREFIX, Store, StoreError, account_pk, query_all, s,
    table::{WAKE_AT, WAKE_INDEX, WAKE_SHARD},
};
use crate::domain::{
    executions::{Execution, RunRef, Status},
    ids::is_plausible_id,
};

/// The `wake` index is spread over this many partitions so that no one partition takes every
/// in-flight run's writes.
pub const WAKE_SHARDS: u32 = 8;

const EXECUTION_SK_PREFIX: &str = "EXEC#";

/// The table keys of an item, as the `wake` index and the stream carry them.
#[derive(Deserialize)]
pub(super) struct TableKeys {
    pk: String,
    sk: String,
}

impl TableKeys {
    /// The run an execution item's keys name; `None` for any other item.
    pub(super) fn run(&self) -> Option<RunRef> {
        Some(RunRef {
            account_id: self.pk.strip_prefix(ACCOUNT_PREFIX)?.to_owned(),
            execution_id: self.sk.strip_prefix(EXECUTION_SK_PREFIX)?.to_owned(),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct ExecutionItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    execution: Execution,
    // Index keys must be absent, never null, on runs that have ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wake_shard: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wake_at: Option<i64>,
}

fn execution_sk(execution_id: &str) -> String {
    format!("{EXECUTION_SK_PREFIX}{execution_id}")
}

fn wake_shard(execution_id: &str) -> String {
    let last = execution_id.bytes().last().unwrap_or(b'0');
    format!("WAKE#{}", u32::from(last) % WAKE_SHARDS)
}

impl Store {
    fn execution_put(&self, execution: &Execution) -> Result<PutBuilder, StoreError> {
        let item = ExecutionItem {
            pk: account_pk(&execution.account_id),
            sk: execution_sk(&execution.execution_id),
            execution: execution.clone(),
            wake_shard: execution.wake_at_ms.map(|_| wake_shard(&execution.execution_id)),
            wake_at: execution.wake_at_ms,
        };
        Ok(Put::builder()
            .table_name(&*self.table)
            .set_item(Some(serde_dynamo::to_item(&item)?)))
    }

    /// Records a new run and counts it in its day, in one transaction. The run's id is new, so
    /// if its item exists already, it is this very run, written by a send whose answer was lost.
    pub async fn start_execution(&self, execution: &Execution) -> Result<(), StoreError> {
        let put = self
            .execution_put(execution)?
            .condition_expression("attribute_not_exists(pk)")
            .build()?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder()
                .update(self.usage_update(execution)?)
                .build(),
        ];
        self.transact(items).await?;
        self.notify_if_runnable(execution);
        Ok(())
    }

    pub async fn get_execution(
        &self,
        account_id: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, StoreError> {
        if !is_plausible_id(execution_id) {
            return Ok(None);
        }
        let Some(item) = self
            .get(account_pk(account_id), execution_sk(execution_id))
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(serde_dynamo::from_item::<_, ExecutionItem>(item)?.execution))
    }

    /// Writes `execution` if nobody wrote since it was read at its current version; on
    /// success its version is the new one. `previous` is the status it was read with: a write
    /// that ends the run also counts the end in its day. `Ok(false)`: another write won.
    pub async fn save_execution(
        &self,
        execution: &mut Execution,
        previous: Status,
    ) -> Result<bool, StoreError> {
        let read_version = execution.version;
        execution.version += 1;
        let put = self
            .execution_put(execution)?
            .condition_expression("version = :read_version")
            .expression_attribute_values(":read_version", AttributeValue::N(read_version.to_string()))
            .build()?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if execution.status.is_terminal() && !previous.is_terminal() {
            items.push(
                TransactWriteItem::builder()
                    .update(self.usage_update(execution)?)
                    .build(),
            );
        }
        match self.transact(items).await {
            Ok(true) => {
                self.notify_if_runnable(execution);
                Ok(true)
            }
            Ok(false) => {
                execution.version = read_version;
                Ok(false)
            }
            Err(error) => {
                execution.version = read_version;
                Err(error)
            }
        }
    }

    /// The runs of one `wake` shard whose lease or time limit has run out by `now_ms`.
    pub async fn due_runs(&self, shard: u32, now_ms: i64) -> Result<Vec<RunRef>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&*self.table)
            .index_name(WAKE_INDEX)
            .key_condition_expression("#shard = :shard AND #at <= :now")
            .expression_attribute_names("#shard", WAKE_SHARD)
            .expression_attribute_names("#at", WAKE_AT)
            .expression_attribute_values(":shard", s(format!("WAKE#{shard}")))
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()));
        let keys: Vec<TableKeys> = query_all(query).await?;
        Ok(keys.iter().filter_map(TableKeys::run).collect())
    }
}
