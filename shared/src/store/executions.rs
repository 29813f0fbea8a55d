//! Execution records, one partition per run: `RUN#<account id>#<execution id>`, holding a small
//! control item (`RUN`: status, cursor, steps, version, lease, times, index keys), the input
//! (`INPUT`, written once) and the state (`STATE`, written when it changes). No account
//! partition takes a run's writes, and a step rewrites the control item (and the state, if the
//! step changed it), never the input. Every write is conditional on the version that was read,
//! and a write that ends a run changes the usage counters and the in-flight count in the same
//! transaction, so the counters never drift from the records.
//!
//! In-flight runs carry `wake_shard` / `wake_at`, the keys of the sparse `wake` index that the
//! sweep queries for runs whose lease, sleep or time limit has run out. Every run carries
//! `runs_pk` / `runs_sk`, the keys of the `runs` index that lists an account's runs newest
//! first, spread over [`RUN_LIST_SHARDS`] partitions per account. Ended runs' items carry a
//! `ttl` 90 days on.
//!
//! An `Idempotency-Key` is `IDEMPOTENCY#<account id>#<sha256 of the key>` / `IDEMPOTENCY`,
//! written in the transaction that starts its run. The account's in-flight count is kept in
//! `INFLIGHT#<account id>#<shard>` / `INFLIGHT` (`count`), raised by the start (below the
//! shard's share of the quota) and lowered by the end, each in the run's own transaction.

use std::hash::{DefaultHasher, Hash, Hasher};

use aws_sdk_dynamodb::{
    operation::put_item::PutItemError,
    types::{AttributeValue, Put, TransactWriteItem, Update},
};
use serde::{Deserialize, Serialize};

use super::{
    Item, Store, StoreError, query_all, s,
    table::{PARTITION_KEY, RUNS_INDEX, RUNS_PK, RUNS_SK, SORT_KEY, TTL, WAKE_AT, WAKE_INDEX, WAKE_SHARD},
};
use crate::domain::{
    audit::AuditEvent,
    executions::{Execution, RECORD_KEPT_FOR_MS, RunFilter, RunRef, RunSummary, Status},
    idempotency::IdempotencyRecord,
    ids::{is_plausible_id, new_id, shard_of},
    pages::{Page, PageRequest},
};

/// The `wake` index is spread over this many partitions, for all accounts together: a run writes
/// it about three times (start, pick-up, end), so 32 partitions take some 10,000 runs a second.
pub const WAKE_SHARDS: u32 = 32;
/// Each account's runs are listed from this many partitions of the `runs` index: a page costs
/// as many Queries (at once), and the index takes an account's run writes spread this wide.
pub const RUN_LIST_SHARDS: u32 = 8;
const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
const INFLIGHT_SK: &str = "INFLIGHT";

const RUN_PREFIX: &str = "RUN#";
const CONTROL_SK: &str = "RUN";
const INPUT_SK: &str = "INPUT";
const STATE_SK: &str = "STATE";
/// The record's attributes kept outside the control item, each in its own item.
const INPUT: &str = "input";
const STATE: &str = "state";

/// What a start did.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    Yes,
    /// The `Idempotency-Key` is bound to another run already (nothing was written).
    KeyTaken,
    /// The in-flight shard tried is full (nothing was written).
    ShardFull,
}

/// The table keys of an item, as the `wake` index carries them.
#[derive(Deserialize)]
pub(super) struct TableKeys {
    pk: String,
}

impl TableKeys {
    /// The run a control item's keys name; `None` for any other item.
    pub(super) fn run(&self) -> Option<RunRef> {
        let (account_id, execution_id) = self.pk.strip_prefix(RUN_PREFIX)?.split_once('#')?;
        Some(RunRef {
            account_id: account_id.to_owned(),
            execution_id: execution_id.to_owned(),
        })
    }
}

/// The control item: the record (`&Execution` when written) without its input and state.
#[derive(Serialize, Deserialize)]
struct ControlItem<E> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    execution: E,
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

fn run_pk(account_id: &str, execution_id: &str) -> String {
    format!("{RUN_PREFIX}{account_id}#{execution_id}")
}

fn wake_shard(execution_id: &str) -> String {
    format!("WAKE#{}", shard_of(execution_id, WAKE_SHARDS))
}

/// When an ended run's items are cleaned up (epoch seconds); `None` while it is in flight.
fn record_ttl(execution: &Execution) -> Option<i64> {
    execution
        .duration_ms
        .map(|duration| (execution.started_ms + duration + RECORD_KEPT_FOR_MS) / 1000)
}

/// A fingerprint of a run's state text, to tell whether a step changed it.
fn state_fingerprint(state: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// Which of a run's items a read takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    /// All of them, as the API shows a run.
    Whole,
    /// The control item and the state: what carrying a run on needs (its state began as a copy
    /// of its input).
    WithoutInput,
}

impl Store {
    /// A run's control item, input and state as items, from `execution`.
    fn run_items(&self, execution: &Execution) -> Result<(Item, Item, Item), StoreError> {
        let pk = run_pk(&execution.account_id, &execution.execution_id);
        let mut control = serde_dynamo::to_item(ControlItem {
            pk: pk.clone(),
            sk: CONTROL_SK.to_owned(),
            execution,
            wake_shard: execution.wake_at_ms.map(|_| wake_shard(&execution.execution_id)),
            wake_at: execution.wake_at_ms,
            runs_pk: runs_pk(
                &execution.account_id,
                shard_of(&execution.execution_id, RUN_LIST_SHARDS),
            ),
            runs_sk: execution.execution_id.clone(),
            ttl: record_ttl(execution),
        })?;
        let part = |sk: &str, name: &str, control: &mut Item| -> Item {
            let mut item = Item::from([
                (PARTITION_KEY.to_owned(), s(pk.clone())),
                (SORT_KEY.to_owned(), s(sk)),
            ]);
            if let Some(value) = control.remove(name) {
                item.insert(name.to_owned(), value);
            }
            if let Some(ttl) = control.get(TTL) {
                item.insert(TTL.to_owned(), ttl.clone());
            }
            item
        };
        let input = part(INPUT_SK, INPUT, &mut control);
        let state = part(STATE_SK, STATE, &mut control);
        Ok((control, input, state))
    }

    fn put_item(&self, item: Item) -> Result<Put, StoreError> {
        Ok(Put::builder()
            .table_name(&*self.table)
            .set_item(Some(item))
            .build()?)
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
        let (control, input, state) = self.run_items(execution)?;
        let control = Put::builder()
            .table_name(&*self.table)
            .set_item(Some(control))
            .condition_expression("attribute_not_exists(pk)")
            .build()?;
        let mut items = vec![
            TransactWriteItem::builder().put(control).build(),
            TransactWriteItem::builder().put(self.put_item(input)?).build(),
            TransactWriteItem::builder().put(self.put_item(state)?).build(),
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
            self.dispatch_if_runnable(execution).await;
            return Ok(Started::Yes);
        }
        // The binding comes before the quota: a repeat is answered even at the quota.
        if bound.is_some_and(|index| failed.contains(&index)) {
            Ok(Started::KeyTaken)
        } else if counted.is_some_and(|index| failed.contains(&index)) {
            Ok(Started::ShardFull)
        } else {
            // Started by the lost send: its message may not have gone out.
            self.dispatch_if_runnable(execution).await;
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

    /// A run as the API shows it: one strongly consistent Query of its partition.
    pub async fn get_execution(
        &self,
        account_id: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, StoreError> {
        self.read_run(account_id, execution_id, Parts::Whole).await
    }

    /// A run to carry on: as [`Store::get_execution`] without reading its input (left empty;
    /// carrying a run on never reads it).
    pub async fn run_to_carry_on(&self, run: &RunRef) -> Result<Option<Execution>, StoreError> {
        self.read_run(&run.account_id, &run.execution_id, Parts::WithoutInput)
            .await
    }

    async fn read_run(
        &self,
        account_id: &str,
        execution_id: &str,
        parts: Parts,
    ) -> Result<Option<Execution>, StoreError> {
        if !is_plausible_id(execution_id) {
            return Ok(None);
        }
        let query = self
            .client
            .query()
            .table_name(&*self.table)
            .consistent_read(true)
            .expression_attribute_values(":pk", s(run_pk(account_id, execution_id)));
        // Sort keys: INPUT < RUN < STATE.
        let query = match parts {
            Parts::Whole => query.key_condition_expression("pk = :pk"),
            Parts::WithoutInput => query
                .key_condition_expression("pk = :pk AND sk >= :control")
                .expression_attribute_values(":control", s(CONTROL_SK)),
        };
        // A run's items together stay under the record budget, far below a Query page's 1 MB.
        let items = query.send().await?.items.unwrap_or_default();
        let mut control = None;
        let mut input = Some(s(""));
        let mut state = None;
        for mut item in items {
            match item
                .get(SORT_KEY)
                .and_then(|sk| sk.as_s().ok())
                .map(String::as_str)
            {
                Some(CONTROL_SK) => control = Some(item),
                Some(INPUT_SK) => input = item.remove(INPUT),
                Some(STATE_SK) => state = item.remove(STATE),
                _ => {}
            }
        }
        let Some(mut control) = control else {
            return Ok(None);
        };
        control.extend(input.map(|input| (INPUT.to_owned(), input)));
        control.extend(state.map(|state| (STATE.to_owned(), state)));
        let mut execution = serde_dynamo::from_item::<_, ControlItem<Execution>>(control)?.execution;
        execution.stored_state = Some(state_fingerprint(&execution.state));
        Ok(Some(execution))
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
    /// A step that changes nothing but the control item is one conditional `PutItem`; the state,
    /// an event or an end make it one transaction.
    pub async fn save_execution_recorded(
        &self,
        execution: &mut Execution,
        previous: Status,
        event: Option<&AuditEvent>,
    ) -> Result<bool, StoreError> {
        let read_version = execution.version;
        execution.version += 1;
        let state = state_fingerprint(&execution.state);
        let state_changed = execution.stored_state != Some(state);
        let saved = self
            .write_run(execution, read_version, previous, state_changed, event)
            .await;
        match saved {
            Ok(true) => {
                execution.stored_state = Some(state);
                self.dispatch_if_runnable(execution).await;
            }
            Ok(false) | Err(_) => execution.version = read_version,
        }
        saved
    }

    async fn write_run(
        &self,
        execution: &Execution,
        read_version: u64,
        previous: Status,
        state_changed: bool,
        event: Option<&AuditEvent>,
    ) -> Result<bool, StoreError> {
        let (control, input, state) = self.run_items(execution)?;
        let ends = execution.status.is_terminal() && !previous.is_terminal();
        let condition = "version = :read_version";
        let read_version = AttributeValue::N(read_version.to_string());
        if !ends && !state_changed && event.is_none() {
            let put = self
                .client
                .put_item()
                .table_name(&*self.table)
                .set_item(Some(control))
                .condition_expression(condition)
                .expression_attribute_values(":read_version", read_version)
                .send()
                .await;
            return match put {
                Ok(_) => Ok(true),
                Err(error)
                    if matches!(
                        error.as_service_error(),
                        Some(PutItemError::ConditionalCheckFailedException(_))
                    ) =>
                {
                    Ok(false)
                }
                Err(error) => Err(error.into()),
            };
        }
        let control = Put::builder()
            .table_name(&*self.table)
            .set_item(Some(control))
            .condition_expression(condition)
            .expression_attribute_values(":read_version", read_version)
            .build()?;
        let mut items = vec![TransactWriteItem::builder().put(control).build()];
        if state_changed || ends {
            items.push(TransactWriteItem::builder().put(self.put_item(state)?).build());
        }
        if let Some(event) = event {
            items.push(self.audit_put(&execution.account_id, event)?);
        }
        if ends {
            // The input stays as it was written; it gets the record's cleanup time.
            items.push(self.ttl_update(input, record_ttl(execution))?);
            if let Some(shard) = execution.inflight_shard {
                items.push(self.inflight_change(&execution.account_id, shard, -1, None)?);
            }
            items.push(
                TransactWriteItem::builder()
                    .update(self.usage_update(execution)?)
                    .build(),
            );
        }
        self.transact(items).await
    }

    /// Sets the cleanup time of the item with `item`'s keys.
    fn ttl_update(&self, item: Item, ttl: Option<i64>) -> Result<TransactWriteItem, StoreError> {
        let keys = item
            .into_iter()
            .filter(|(name, _)| name == PARTITION_KEY || name == SORT_KEY)
            .collect();
        let update = Update::builder()
            .table_name(&*self.table)
            .set_key(Some(keys))
            .update_expression("SET #ttl = :ttl")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":ttl", AttributeValue::N(ttl.unwrap_or(0).to_string()))
            .build()?;
        Ok(TransactWriteItem::builder().update(update).build())
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
                .exclusive_start_key(PARTITION_KEY, s(run_pk(account_id, after)))
                .exclusive_start_key(SORT_KEY, s(CONTROL_SK));
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
