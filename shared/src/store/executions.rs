//! Execution records: `ACCOUNT#<id>` / `EXEC#<execution id>`. Every write is conditional on
//! the version that was read, and a write that ends a run changes the day's usage counters in
//! the same transaction, so the counters never drift from the records.
//!
//! In-flight runs carry `wake_shard` / `wake_at`, the keys of the sparse `wake` index that the
//! sweep queries for runs whose lease or time limit has run out. Every run carries `runs_pk` /
//! `runs_sk`, the keys of the `runs` index that lists an account's runs newest first, spread
//! over [`RUN_LIST_SHARDS`] partitions per account so that no one partition takes every run's
//! writes. Ended runs carry a `ttl` 90 days on.
//!
//! An `Idempotency-Key` is `IDEMPOTENCY#<account id>#<sha256 of the key>` / `IDEMPOTENCY`,
//! written in the transaction that starts its run. The account's in-flight count is kept in
//! `INFLIGHT#<account id>#<shard>` / `INFLIGHT` (`count`), raised by the start (below the
//! shard's share of the quota) and lowered by the end, each in the run's own transaction.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update, builders::PutBuilder};
use serde::{Deserialize, Serialize};

use super::{
    ACCOUNT_PREFIX, Store, StoreError, account_pk, query_all, s,
    table::{PARTITION_KEY, RUNS_INDEX, RUNS_PK, RUNS_SK, SORT_KEY, WAKE_AT, WAKE_INDEX, WAKE_SHARD},
};
use crate::domain::{
    audit::AuditEvent,
    executions::{Execution, RECORD_KEPT_FOR_MS, RunFilter, RunRef, RunSummary, Status},
    idempotency::IdempotencyRecord,
    ids::{is_plausible_id, new_id, shard_of},
    pages::{Page, PageRequest},
};

/// The `wake` index is spread over this many partitions so that no one partition takes every
/// in-flight run's writes.
pub const WAKE_SHARDS: u32 = 8;
/// Each account's runs are listed from this many partitions of the `runs` index: a page costs
/// as many Queries (at once), and the index takes an account's run writes spread this wide.
pub const RUN_LIST_SHARDS: u32 = 8;
const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
const INFLIGHT_SK: &str = "INFLIGHT";

/// What a start did.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    Yes,
    /// The `Idempotency-Key` is bound to another run already (nothing was written).
    KeyTaken,
    /// The in-flight shard tried is full (nothing was written).
    ShardFull,
}

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
    runs_pk: String,
    runs_sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct IdempotencyItem {
    pk: String,
    sk: String,
    fingerprint: String,
    execution_id: String,
    expires_at_ms: i64,
    /// DynamoDB's TTL, in seconds: cleanup only; reads compare `expires_at_ms`.
    ttl: i64,
}

fn idempotency_pk(account_id: &str, key_hash: &str) -> String {
    format!("IDEMPOTENCY#{account_id}#{key_hash}")
}

fn runs_pk(account_id: &str, shard: u32) -> String {
    format!("RUNS#{account_id}#{shard}")
}

fn execution_sk(execution_id: &str) -> String {
    format!("{EXECUTION_SK_PREFIX}{execution_id}")
}

fn wake_shard(execution_id: &str) -> String {
    format!("WAKE#{}", shard_of(execution_id, WAKE_SHARDS))
}

impl Store {
    fn execution_put(&self, execution: &Execution) -> Result<PutBuilder, StoreError> {
        let item = ExecutionItem {
            pk: account_pk(&execution.account_id),
            sk: execution_sk(&execution.execution_id),
            execution: execution.clone(),
            wake_shard: execution.wake_at_ms.map(|_| wake_shard(&execution.execution_id)),
            wake_at: execution.wake_at_ms,
            runs_pk: runs_pk(
                &execution.account_id,
                shard_of(&execution.execution_id, RUN_LIST_SHARDS),
            ),
            runs_sk: execution.execution_id.clone(),
            ttl: execution
                .duration_ms
                .map(|duration| (execution.started_ms + duration + RECORD_KEPT_FOR_MS) / 1000),
        };
        Ok(Put::builder()
            .table_name(&*self.table)
            .set_item(Some(serde_dynamo::to_item(&item)?)))
    }

    /// Records a new run and counts it in its day, in one transaction, binding `idempotency`
    /// (if any) to it, and counting it in flight in its `inflight_shard` if that shard holds
    /// fewer than `shard_cap` runs. The run's id is new, so if its item exists already, it is
    /// this very run, written by a send whose answer was lost.
    pub async fn start_execution(
        &self,
        execution: &Execution,
        idempotency: Option<&IdempotencyRecord>,
        shard_cap: Option<u32>,
    ) -> Result<Started, StoreError> {
        let put = self
            .execution_put(execution)?
            .condition_expression("attribute_not_exists(pk)")
            .build()?;
        let mut items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder()
                .update(self.usage_update(execution)?)
                .build(),
        ];
        let counted = match (execution.inflight_shard, shard_cap) {
            (Some(shard), Some(cap)) => {
                items.push(self.inflight_change(&execution.account_id, shard, 1, Some(cap))?);
                Some(items.len() - 1)
            }
            _ => None,
        };
        let bound = match idempotency {
            Some(record) => {
                items.push(self.idempotency_put(execution, record)?);
                Some(items.len() - 1)
            }
            None => None,
        };
        let failed = self.transact_naming_failures(items).await?;
        if failed.is_empty() {
            self.notify_if_runnable(execution);
            return Ok(Started::Yes);
        }
        // The binding comes before the quota: a repeat is answered even at the quota.
        if bound.is_some_and(|index| failed.contains(&index)) {
            Ok(Started::KeyTaken)
        } else if counted.is_some_and(|index| failed.contains(&index)) {
            Ok(Started::ShardFull)
        } else {
            Ok(Started::Yes)
        }
    }

    fn idempotency_put(
        &self,
        execution: &Execution,
        record: &IdempotencyRecord,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = IdempotencyItem {
            pk: idempotency_pk(&execution.account_id, &record.key_hash),
            sk: IDEMPOTENCY_SK.to_owned(),
            fingerprint: record.fingerprint.clone(),
            execution_id: record.execution_id.clone(),
            expires_at_ms: record.expires_at_ms,
            ttl: record.expires_at_ms / 1000,
        };
        let put = Put::builder()
            .table_name(&*self.table)
            .set_item(Some(serde_dynamo::to_item(&item)?))
            // A key whose window has passed is free again, whether or not TTL removed it.
            .condition_expression("attribute_not_exists(pk) OR expires_at_ms <= :now")
            .expression_attribute_values(":now", AttributeValue::N(execution.started_ms.to_string()))
            .build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A change of one shard of the account's in-flight count; with a cap, only below it.
    fn inflight_change(
        &self,
        account_id: &str,
        shard: u32,
        delta: i64,
        cap: Option<u32>,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(format!("INFLIGHT#{account_id}#{shard}")))
            .key(SORT_KEY, s(INFLIGHT_SK))
            .update_expression("ADD #count :delta")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()));
        let update = match cap {
            Some(cap) => update
                .condition_expression("attribute_not_exists(#count) OR #count < :cap")
                .expression_attribute_values(":cap", AttributeValue::N(cap.to_string())),
            None => update,
        };
        Ok(TransactWriteItem::builder().update(update.build()?).build())
    }

    /// The run an `Idempotency-Key` is bound to, if it is (expired bindings included: the caller
    /// compares the time).
    pub async fn idempotency(
        &self,
        account_id: &str,
        key_hash: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let Some(item) = self
            .get(idempotency_pk(account_id, key_hash), IDEMPOTENCY_SK.to_owned())
            .await?
        else {
            return Ok(None);
        };
        let item: IdempotencyItem = serde_dynamo::from_item(item)?;
        Ok(Some(IdempotencyRecord {
            key_hash: key_hash.to_owned(),
            fingerprint: item.fingerprint,
            execution_id: item.execution_id,
            expires_at_ms: item.expires_at_ms,
        }))
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
        self.save_execution_recorded(execution, previous, None).await
    }

    /// [`Store::save_execution`], with `event` (a cancel's or a resume's) in the same transaction.
    pub async fn save_execution_recorded(
        &self,
        execution: &mut Execution,
        previous: Status,
        event: Option<&AuditEvent>,
    ) -> Result<bool, StoreError> {
        let read_version = execution.version;
        execution.version += 1;
        let put = self
            .execution_put(execution)?
            .condition_expression("version = :read_version")
            .expression_attribute_values(":read_version", AttributeValue::N(read_version.to_string()))
            .build()?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if let Some(event) = event {
            items.push(self.audit_put(&execution.account_id, event)?);
        }
        if execution.status.is_terminal() && !previous.is_terminal() {
            if let Some(shard) = execution.inflight_shard {
                items.push(self.inflight_change(&execution.account_id, shard, -1, None)?);
            }
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

    /// One page of the account's runs, newest first, from the `runs` index: one Query per
    /// shard, all at once. The position is where each shard stands (from its top, after a run,
    /// or done). A run is shown only once every shard that has more is known down to it, so
    /// the page is in order across shards; with a filter a page may hold fewer runs than asked
    /// while more follow.
    pub async fn list_executions(
        &self,
        account_id: &str,
        filter: &RunFilter,
        page: &PageRequest,
    ) -> Result<Page<RunSummary>, StoreError> {
        let positions = match &page.after {
            None => vec![ShardPosition::Top; RUN_LIST_SHARDS as usize],
            Some(text) => ShardPosition::decode(text)?,
        };
        let reads = positions.iter().enumerate().map(|(shard, position)| {
            self.run_list_shard(account_id, shard as u32, position, filter, page.limit)
        });
        let shards = futures::future::try_join_all(reads).await?;
        // The oldest run every shard with more is known down to (that shard has read it).
        let frontier = shards
            .iter()
            .filter_map(|shard| shard.last_evaluated.as_deref())
            .max();
        let mut merged: Vec<(usize, RunSummary)> = shards
            .iter()
            .enumerate()
            .flat_map(|(shard, read)| read.runs.iter().map(move |run| (shard, run.clone())))
            .filter(|(_, run)| frontier.is_none_or(|frontier| run.execution_id.as_str() >= frontier))
            .collect();
        merged.sort_by(|a, b| b.1.execution_id.cmp(&a.1.execution_id));
        merged.truncate(page.limit);
        let mut next = positions;
        for (shard, read) in shards.iter().enumerate() {
            let taken: Vec<&RunSummary> = merged
                .iter()
                .filter(|(s, _)| *s == shard)
                .map(|(_, run)| run)
                .collect();
            next[shard] = if taken.len() < read.runs.len() {
                match taken.last() {
                    Some(run) => ShardPosition::After(run.execution_id.clone()),
                    None => next[shard].clone(),
                }
            } else {
                match &read.last_evaluated {
                    Some(after) => ShardPosition::After(after.clone()),
                    None => ShardPosition::Done,
                }
            };
        }
        // A shard not read into yet starts, on later pages, below the first page's time: runs
        // started since then belong to a new listing, never to the middle of this one.
        if page.after.is_none() {
            let ceiling = new_id();
            for position in &mut next {
                if *position == ShardPosition::Top {
                    *position = ShardPosition::After(ceiling.clone());
                }
            }
        }
        let done = next.iter().all(|position| *position == ShardPosition::Done);
        Ok(Page {
            items: merged.into_iter().map(|(_, run)| run).collect(),
            next: (!done).then(|| ShardPosition::encode(&next)),
        })
    }

    async fn run_list_shard(
        &self,
        account_id: &str,
        shard: u32,
        position: &ShardPosition,
        filter: &RunFilter,
        limit: usize,
    ) -> Result<ShardRead, StoreError> {
        let after = match position {
            ShardPosition::Done => return Ok(ShardRead::default()),
            ShardPosition::Top => None,
            ShardPosition::After(after) => Some(after),
        };
        let mut query = self
            .client
            .query()
            .table_name(&*self.table)
            .index_name(RUNS_INDEX)
            .key_condition_expression("#runs_pk = :runs_pk")
            .expression_attribute_names("#runs_pk", RUNS_PK)
            .expression_attribute_values(":runs_pk", s(runs_pk(account_id, shard)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        let mut conditions = Vec::new();
        if let Some(status) = filter.status {
            conditions.push("#status = :status");
            query = query
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":status", s(status.as_str()));
        }
        if let Some(graph_id) = &filter.graph_id {
            conditions.push("graph_id = :graph_id");
            query = query.expression_attribute_values(":graph_id", s(graph_id));
        }
        if !conditions.is_empty() {
            query = query.filter_expression(conditions.join(" AND "));
        }
        if let Some(after) = after {
            query = query
                .exclusive_start_key(RUNS_PK, s(runs_pk(account_id, shard)))
                .exclusive_start_key(RUNS_SK, s(after))
                .exclusive_start_key(PARTITION_KEY, s(account_pk(account_id)))
                .exclusive_start_key(SORT_KEY, s(execution_sk(after)));
        }
        let output = query.send().await?;
        let last_evaluated = output
            .last_evaluated_key()
            .and_then(|key| key.get(RUNS_SK))
            .and_then(|sk| sk.as_s().ok())
            .cloned();
        let runs = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| Ok(serde_dynamo::from_item(item)?))
            .collect::<Result<_, StoreError>>()?;
        Ok(ShardRead { runs, last_evaluated })
    }
}

/// What one shard's Query read.
#[derive(Default)]
struct ShardRead {
    runs: Vec<RunSummary>,
    /// The run the Query stopped after, when the shard has more.
    last_evaluated: Option<String>,
}

/// Where a shard of an account's run list stands between pages.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ShardPosition {
    Top,
    After(String),
    Done,
}

impl ShardPosition {
    /// As text: a JSON array, one entry per shard (`null`, an execution id, or `false`).
    fn encode(positions: &[Self]) -> String {
        let entries: Vec<serde_json::Value> = positions
            .iter()
            .map(|position| match position {
                Self::Top => serde_json::Value::Null,
                Self::After(id) => serde_json::Value::String(id.clone()),
                Self::Done => serde_json::Value::Bool(false),
            })
            .collect();
        serde_json::Value::Array(entries).to_string()
    }

    fn decode(text: &str) -> Result<Vec<Self>, StoreError> {
        let entries: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|_| StoreError::BadPosition)?;
        if entries.len() != RUN_LIST_SHARDS as usize {
            return Err(StoreError::BadPosition);
        }
        entries
            .into_iter()
            .map(|entry| match entry {
                serde_json::Value::Null => Ok(Self::Top),
                serde_json::Value::Bool(false) => Ok(Self::Done),
                serde_json::Value::String(id) if is_plausible_id(&id) => Ok(Self::After(id)),
                _ => Err(StoreError::BadPosition),
            })
            .collect()
    }
}
