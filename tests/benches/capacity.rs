//! `make bench`: what one tenant's runs cost DynamoDB, partition key by partition key and item by
//! item, and how many runs a second one tenant sustains before one partition reaches DynamoDB's
//! per-partition limits (1,000 WCU and 3,000 RCU a second, table and indexes alike).
//!
//! The mix, through the local gateway on DynamoDB Local (runs carried on by the emulated runs
//! queue, the sweep running every second): one account and one key, a flow of five `set` steps
//! (no sleep); `BENCH_RUNS` runs (default 1,000) invoked over HTTP with `wait: false`, many at once;
//! each run read once (`GET`) when it has ended; the usage route once.
//!
//! Every DynamoDB request of the process goes through an SDK interceptor that asks for
//! `ReturnConsumedCapacity: INDEXES` and records the request and what DynamoDB Local reports.
//! Capacity is attributed to partition key values (of the table and of each index) and to items:
//!
//! - `GetItem`, `PutItem`, `UpdateItem`, `Query`: as reported (table and each index).
//! - `TransactWriteItems`, which DynamoDB Local reports only as totals (per table and index):
//!   computed per item. An item's size is the sum of its attribute names' and values' sizes, as
//!   [DynamoDB defines it] (strings: their UTF-8 bytes; numbers: 1 byte per pair of significant
//!   digits aligned on the decimal point, plus 1; null and booleans: 1; lists and maps: 3, plus
//!   1 per element). A write costs 1 WCU per KB of the larger of the item's sizes before and
//!   after it (sizes after an update are read back after the mix), twice in a transaction ("two
//!   underlying reads or writes of every item", [transactions]). An index is written, as
//!   [DynamoDB's index rules] say, once when an item enters or leaves it or only its projected
//!   attributes change, twice (delete + put) when its index keys change, not at all otherwise;
//!   1 WCU per KB of the index entry (index keys, table keys, projected attributes). Whether an
//!   index write inside a transaction is doubled is not documented: DynamoDB Local doubles it,
//!   and so does this model (the larger figure).
//!
//! The computed totals are printed next to DynamoDB Local's, and so is the same computation for
//! the single `PutItem`s (a check of the size rules). DynamoDB Local under-reports transactions:
//! it counts equal per-item charges of one transaction once (two 1 KB items: 2 units, not 4), so
//! its totals are also reproduced from the computed per-item charges by that rule ("Local's
//! rule"), which must match exactly; the per-item charges are what DynamoDB bills.
//!
//! Then, per partition key class, the hottest key value's WCU and RCU per run, and the line
//! `capacity: one tenant sustains N runs/s ...` where N is the smallest, over the partition key
//! values that many runs share, of min(1,000 / WCU per run, 3,000 / RCU per run). A run's own
//! partition (`RUN#<account>#<execution>`) takes that run's writes only: it is checked against
//! 1,000 WCU a second on its own. The sweep's reads of the `wake` index come every second
//! whatever the rate of runs (locally; once a minute on AWS), so they are shown apart.
//!
//! Also printed: what a run costs the whole table (against the table's default quota, for all
//! tenants together), and one key's ceiling (its credential's one strongly consistent read per
//! request). The runner works a few runs at once only, so that DynamoDB Local on two cores
//! answers within the client's timeouts: how many run at once changes when requests are made,
//! not what they cost.
//!
//! The bench fails if N is below 1,000 (the scale issue's target), and if usage is not exact.
//!
//! [DynamoDB defines it]: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
//! [transactions]: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
//! [DynamoDB's index rules]: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::{
    Client,
    config::{
        ConfigBag, Intercept, RuntimeComponents,
        interceptors::{BeforeSerializationInterceptorContextMut, FinalizerInterceptorContextRef},
    },
    error::BoxError,
    operation::{
        delete_item::{DeleteItemInput, DeleteItemOutput},
        get_item::{GetItemInput, GetItemOutput},
        put_item::{PutItemInput, PutItemOutput},
        query::{QueryInput, QueryOutput},
        scan::{ScanInput, ScanOutput},
        transact_write_items::{TransactWriteItemsInput, TransactWriteItemsOutput},
        update_item::{UpdateItemInput, UpdateItemOutput},
    },
    types::{AttributeValue, ConsumedCapacity, ReturnConsumedCapacity},
};
use aws_smithy_runtime_api::client::interceptors::context::Output;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use axiom_local::queue::QueueConfig;
use axiom_shared::{
    domain::timestamp,
    store::{
        Store,
        table::{
            PARTITION_KEY, RUNS_INDEX, RUNS_PK, RUNS_PROJECTED, RUNS_SK, SORT_KEY, WAKE_AT, WAKE_INDEX,
            WAKE_SHARD,
        },
    },
};
use axiom_tests::{Server, answer, runs};
use futures::{StreamExt, stream};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// DynamoDB's throughput limits of one partition, per second.
const PARTITION_WCU: f64 = 1_000.0;
const PARTITION_RCU: f64 = 3_000.0;
/// DynamoDB's default quota of an on-demand table (with its indexes), per second.
const TABLE_QUOTA: f64 = 40_000.0;
/// The scale issue's target for one tenant.
const TARGET_RUNS_PER_SECOND: f64 = 1_000.0;
/// HTTP requests in flight at once (invokes, then reads).
const CONCURRENCY: usize = 16;
/// Runner invocations at once (each up to 10 runs).
const RUNNERS: usize = 4;

type Item = HashMap<String, AttributeValue>;
/// An item's table keys: `pk`, `sk`.
type ItemKey = (String, String);
/// Where capacity is spent: the table, or an index by name.
type Space = &'static str;
const TABLE: Space = "table";

// --- Recording -------------------------------------------------------------------------------

/// A DynamoDB request, as sent (with `ReturnConsumedCapacity` set).
#[derive(Clone, Debug)]
enum Request {
    Get(GetItemInput),
    Put(PutItemInput),
    Update(UpdateItemInput),
    Delete(DeleteItemInput),
    Query(QueryInput),
    Transact(TransactWriteItemsInput),
    Other(&'static str),
}

impl Storable for Request {
    type Storer = StoreReplace<Self>;
}

/// One request and its outcome.
#[derive(Debug)]
struct Call {
    request: Request,
    /// What DynamoDB Local reported (nothing when the request failed).
    consumed: Vec<ConsumedCapacity>,
    /// The error, when it failed.
    failed: Option<String>,
}

/// The interceptor: asks every request for its consumed capacity and, while on, records it.
#[derive(Clone, Debug, Default)]
struct Recorder {
    on: Arc<AtomicBool>,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Recorder {
    fn set(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }

    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut self.calls.lock().unwrap())
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "capacity recorder"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let indexes = || Some(ReturnConsumedCapacity::Indexes);
        let request = if let Some(input) = input.downcast_mut::<GetItemInput>() {
            input.return_consumed_capacity = indexes();
            Request::Get(input.clone())
        } else if let Some(input) = input.downcast_mut::<PutItemInput>() {
            input.return_consumed_capacity = indexes();
            Request::Put(input.clone())
        } else if let Some(input) = input.downcast_mut::<UpdateItemInput>() {
            input.return_consumed_capacity = indexes();
            Request::Update(input.clone())
        } else if let Some(input) = input.downcast_mut::<DeleteItemInput>() {
            input.return_consumed_capacity = indexes();
            Request::Delete(input.clone())
        } else if let Some(input) = input.downcast_mut::<QueryInput>() {
            input.return_consumed_capacity = indexes();
            Request::Query(input.clone())
        } else if let Some(input) = input.downcast_mut::<TransactWriteItemsInput>() {
            input.return_consumed_capacity = indexes();
            Request::Transact(input.clone())
        } else if let Some(input) = input.downcast_mut::<ScanInput>() {
            input.return_consumed_capacity = indexes();
            Request::Other("Scan")
        } else {
            Request::Other("other")
        };
        cfg.interceptor_state().store_put(request);
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.on.load(Ordering::SeqCst) {
            return Ok(());
        }
        let Some(request) = cfg.load::<Request>().cloned() else {
            return Ok(());
        };
        let (consumed, failed) = match context.output_or_error() {
            Some(Ok(output)) => (consumed_of(output), None),
            Some(Err(error)) => (Vec::new(), Some(format!("{error:?}"))),
            None => (Vec::new(), Some("no outcome".to_owned())),
        };
        self.calls.lock().unwrap().push(Call {
            request,
            consumed,
            failed,
        });
        Ok(())
    }
}

fn consumed_of(output: &Output) -> Vec<ConsumedCapacity> {
    let single = if let Some(output) = output.downcast_ref::<GetItemOutput>() {
        output.consumed_capacity.clone()
    } else if let Some(output) = output.downcast_ref::<PutItemOutput>() {
        output.consumed_capacity.clone()
    } else if let Some(output) = output.downcast_ref::<UpdateItemOutput>() {
        output.consumed_capacity.clone()
    } else if let Some(output) = output.downcast_ref::<DeleteItemOutput>() {
        output.consumed_capacity.clone()
    } else if let Some(output) = output.downcast_ref::<QueryOutput>() {
        output.consumed_capacity.clone()
    } else if let Some(output) = output.downcast_ref::<ScanOutput>() {
        output.consumed_capacity.clone()
    } else if let Some(output) = output.downcast_ref::<TransactWriteItemsOutput>() {
        return output.consumed_capacity.clone().unwrap_or_default();
    } else {
        None
    };
    single.into_iter().collect()
}

/// The units a response reports for the table.
fn table_units(consumed: &[ConsumedCapacity]) -> f64 {
    consumed
        .iter()
        .map(|c| {
            c.table
                .as_ref()
                .and_then(|table| table.capacity_units)
                .unwrap_or_else(|| c.capacity_units.unwrap_or(0.0) - index_total(c))
        })
        .sum()
}

fn index_total(consumed: &ConsumedCapacity) -> f64 {
    consumed
        .global_secondary_indexes
        .iter()
        .flatten()
        .filter_map(|(_, capacity)| capacity.capacity_units)
        .sum()
}

/// The units a response reports for one index.
fn index_units(consumed: &[ConsumedCapacity], index: &str) -> f64 {
    consumed
        .iter()
        .filter_map(|c| c.global_secondary_indexes.as_ref()?.get(index)?.capacity_units)
        .sum()
}

// --- Sizes and the write model ---------------------------------------------------------------

/// A number's size: 1 byte per pair of significant digits, the pairs aligned on the decimal
/// point (base 100: the documentation's "approximately 1 byte per two significant digits"), plus
/// 1, plus 1 more if negative. Checked against DynamoDB Local's figures (`110` takes 3 bytes,
/// `1100` 2).
fn number_size(text: &str) -> usize {
    let negative = usize::from(text.starts_with('-'));
    let unsigned = text.trim_start_matches(['-', '+']);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i64>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0');
    // Where the decimal point falls, counted in digits from the first significant one.
    let point = whole.len() as i64 + exponent - (digits.len() - significant.len()) as i64;
    let significant = significant.trim_end_matches('0');
    if significant.is_empty() {
        return 1;
    }
    let padded = point.rem_euclid(2) as usize + significant.len();
    padded.div_ceil(2) + 1 + negative
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(number) => number_size(number),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|value| value_size(value) + 1).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(name, value)| name.len() + value_size(value) + 1)
                .sum::<usize>()
        }
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|number| number_size(number)).sum(),
        AttributeValue::Bs(set) => set.iter().map(|bytes| bytes.as_ref().len()).sum(),
        _ => 0,
    }
}

/// An item's size as DynamoDB counts it: names and values.
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// Write units of a write of `bytes`: 1 per KB, at least 1.
fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

fn text(value: Option<&AttributeValue>) -> String {
    value
        .and_then(|value| value.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

fn key_of(item: &Item) -> ItemKey {
    (text(item.get(PARTITION_KEY)), text(item.get(SORT_KEY)))
}

/// A global secondary index of the table, as `store/table.rs` defines it.
struct IndexDef {
    name: Space,
    keys: [&'static str; 2],
    projected: &'static [&'static str],
}

const INDEXES: [IndexDef; 2] = [
    IndexDef {
        name: WAKE_INDEX,
        keys: [WAKE_SHARD, WAKE_AT],
        projected: &[],
    },
    IndexDef {
        name: RUNS_INDEX,
        keys: [RUNS_PK, RUNS_SK],
        projected: RUNS_PROJECTED,
    },
];

fn space_of(index: &str) -> Space {
    INDEXES
        .iter()
        .find(|def| def.name == index)
        .map_or("unknown index", |def| def.name)
}

/// The item's entry in `index`: index keys, table keys and projected attributes; `None` when
/// the item lacks an index key (sparse index).
fn index_entry(item: &Item, index: &IndexDef) -> Option<Item> {
    if !index.keys.iter().all(|key| item.contains_key(*key)) {
        return None;
    }
    let names = index
        .keys
        .iter()
        .chain([PARTITION_KEY, SORT_KEY].iter())
        .chain(index.projected.iter());
    Some(
        names
            .filter_map(|name| item.get(*name).map(|value| ((*name).to_owned(), value.clone())))
            .collect(),
    )
}

/// The writes a table write makes in `index`, going from entry `old` to entry `new`: each as the
/// index partition key value it lands on and its units.
fn index_writes(index: &IndexDef, old: Option<&Item>, new: Option<&Item>) -> Vec<(String, f64)> {
    let partition = |entry: &Item| text(entry.get(index.keys[0]));
    let units = |entry: &Item| write_units(item_size(entry));
    match (old, new) {
        (None, None) => Vec::new(),
        (None, Some(new)) => vec![(partition(new), units(new))],
        (Some(old), None) => vec![(partition(old), units(old))],
        (Some(old), Some(new)) => {
            let keys_changed = index.keys.iter().any(|key| old.get(*key) != new.get(*key));
            if keys_changed {
                vec![(partition(old), units(old)), (partition(new), units(new))]
            } else if old != new {
                vec![(partition(new), units(new))]
            } else {
                Vec::new()
            }
        }
    }
}

/// What the model knows of an item written during the mix.
#[derive(Clone, Default)]
struct Tracked {
    size: usize,
    /// Its entry in each of [`INDEXES`].
    entries: Vec<Option<Item>>,
}

/// One write as the model prices it.
struct Priced {
    key: ItemKey,
    table: f64,
    /// (index, index partition key value, units).
    index: Vec<(Space, String, f64)>,
    /// The item afterwards (`None`: deleted).
    after: Option<Tracked>,
}

// --- The ledger ------------------------------------------------------------------------------

#[derive(Clone, Copy, Default, Debug)]
struct Units {
    rcu: f64,
    wcu: f64,
    /// Writes in transactions (items only).
    transactions: f64,
}

/// Reported against computed, for one kind of request.
#[derive(Default)]
struct Check {
    requests: usize,
    reported: f64,
    computed: f64,
    /// Requests whose reported and computed figures differ.
    differing: usize,
}

impl Check {
    fn add(&mut self, reported: f64, computed: f64) {
        self.requests += 1;
        self.reported += reported;
        self.computed += computed;
        if (reported - computed).abs() > 1e-9 {
            self.differing += 1;
        }
    }
}

#[derive(Default)]
struct Ledger {
    /// Per (table or index, partition key value).
    partitions: BTreeMap<(Space, String), Units>,
    /// Per table item.
    items: BTreeMap<ItemKey, Units>,
    /// The sweep's reads of the `wake` index (per second, not per run).
    background: BTreeMap<(Space, String), Units>,
    tracked: HashMap<ItemKey, Tracked>,
    /// Items' sizes read back after the mix: what an update left (the model does not evaluate
    /// update expressions).
    read_back: HashMap<ItemKey, usize>,
    checks: BTreeMap<String, Check>,
    calls: BTreeMap<&'static str, usize>,
    /// Failed requests by operation and reason; their writes are charged as computed (DynamoDB
    /// charges failed conditional writes and cancelled transactions too).
    failures: BTreeMap<String, usize>,
    /// Transaction actions the model does not price (condition checks): none in this mix.
    unpriced: usize,
}

impl Ledger {
    fn read(&mut self, space: Space, pk: String, item: Option<ItemKey>, rcu: f64) {
        self.partitions.entry((space, pk)).or_default().rcu += rcu;
        if let Some(item) = item {
            self.items.entry(item).or_default().rcu += rcu;
        }
    }

    fn write(&mut self, space: Space, pk: String, item: Option<ItemKey>, wcu: f64) {
        self.partitions.entry((space, pk)).or_default().wcu += wcu;
        if let Some(item) = item {
            self.items.entry(item).or_default().wcu += wcu;
        }
    }

    fn fail(&mut self, operation: &str, error: &str) {
        let reason = [
            "ConditionalCheckFailed",
            "TransactionConflict",
            "Throttl",
            "Timeout",
        ]
        .into_iter()
        .find(|reason| error.contains(reason))
        .unwrap_or("other");
        *self.failures.entry(format!("{operation}: {reason}")).or_default() += 1;
    }

    fn put(&self, item: &Item, factor: f64) -> Priced {
        let key = key_of(item);
        let old = self.tracked.get(&key);
        let size = item_size(item);
        let old_size = old.map_or(0, |old| old.size);
        let entries: Vec<Option<Item>> = INDEXES.iter().map(|index| index_entry(item, index)).collect();
        let mut index = Vec::new();
        for (i, def) in INDEXES.iter().enumerate() {
            let before = old.and_then(|old| old.entries[i].as_ref());
            for (pk, units) in index_writes(def, before, entries[i].as_ref()) {
                index.push((def.name, pk, factor * units));
            }
        }
        Priced {
            key,
            table: factor * write_units(size.max(old_size)),
            index,
            after: Some(Tracked { size, entries }),
        }
    }

    /// An update of an item's non-index attributes (ttl, counters: all this mix updates).
    fn update(&self, key: ItemKey, factor: f64) -> Priced {
        let after = self.read_back.get(&key).copied().unwrap_or(0);
        let old = self.tracked.get(&key).cloned();
        let before = old.as_ref().map_or(after, |old| old.size);
        let entries = old.map_or_else(|| vec![None; INDEXES.len()], |old| old.entries);
        Priced {
            key,
            table: factor * write_units(before.max(after)),
            index: Vec::new(),
            after: Some(Tracked { size: after, entries }),
        }
    }

    fn delete(&self, key: ItemKey, factor: f64) -> Priced {
        let old = self.tracked.get(&key).cloned().unwrap_or_default();
        let mut index = Vec::new();
        for (i, def) in INDEXES.iter().enumerate() {
            for (pk, units) in index_writes(def, old.entries.get(i).and_then(Option::as_ref), None) {
                index.push((def.name, pk, factor * units));
            }
        }
        Priced {
            key,
            table: factor * write_units(old.size),
            index,
            after: None,
        }
    }

    /// Charges a priced write as computed, and remembers the item as it is afterwards.
    fn charge(&mut self, priced: Priced, applied: bool) {
        let Priced {
            key,
            table,
            index,
            after,
        } = priced;
        self.write(TABLE, key.0.clone(), Some(key.clone()), table);
        for (space, pk, units) in index {
            self.write(space, pk, None, units);
        }
        if applied {
            match after {
                Some(after) => self.tracked.insert(key, after),
                None => self.tracked.remove(&key),
            };
        }
    }

    /// Charges a single-item write as DynamoDB Local reported it (its index units spread over
    /// the index partitions the model says it wrote), and checks the model against it.
    fn charge_reported(&mut self, operation: &str, priced: Priced, consumed: &[ConsumedCapacity]) {
        let reported = table_units(consumed);
        self.checks
            .entry(format!("{operation}: table"))
            .or_default()
            .add(reported, priced.table);
        self.write(TABLE, priced.key.0.clone(), Some(priced.key.clone()), reported);
        for def in &INDEXES {
            let reported = index_units(consumed, def.name);
            let writes: Vec<&(Space, String, f64)> = priced
                .index
                .iter()
                .filter(|(space, ..)| *space == def.name)
                .collect();
            let computed: f64 = writes.iter().map(|(.., units)| units).sum();
            self.checks
                .entry(format!("{operation}: {} index", def.name))
                .or_default()
                .add(reported, computed);
            if computed > 0.0 {
                for (space, pk, units) in writes {
                    self.write(space, pk.clone(), None, reported * units / computed);
                }
            } else if reported > 0.0 {
                self.write(def.name, "(not in the model)".to_owned(), None, reported);
            }
        }
        match priced.after {
            Some(after) => self.tracked.insert(priced.key, after),
            None => self.tracked.remove(&priced.key),
        };
    }

    fn record(&mut self, call: &Call) {
        let consumed = &call.consumed;
        match &call.request {
            Request::Get(input) => {
                *self.calls.entry("GetItem").or_default() += 1;
                let key = key_of(input.key.as_ref().unwrap_or(&Item::new()));
                match &call.failed {
                    Some(error) => self.fail("GetItem", error),
                    None => self.read(TABLE, key.0.clone(), Some(key), table_units(consumed)),
                }
            }
            Request::Query(input) => {
                let space = input.index_name.as_deref().map_or(TABLE, space_of);
                if space != WAKE_INDEX {
                    *self.calls.entry("Query").or_default() += 1;
                }
                let pk = query_partition(input, space);
                if let Some(error) = &call.failed {
                    self.fail("Query", error);
                    return;
                }
                let units = if space == TABLE {
                    table_units(consumed)
                } else {
                    index_units(consumed, space)
                };
                if space == WAKE_INDEX {
                    *self.calls.entry("Query (the sweep's)").or_default() += 1;
                    self.background.entry((space, pk)).or_default().rcu += units;
                } else {
                    self.read(space, pk, None, units);
                }
            }
            Request::Put(input) => {
                *self.calls.entry("PutItem").or_default() += 1;
                let priced = self.put(input.item.as_ref().unwrap_or(&Item::new()), 1.0);
                match &call.failed {
                    Some(error) => {
                        self.fail("PutItem", error);
                        self.charge(priced, false);
                    }
                    None => self.charge_reported("PutItem", priced, consumed),
                }
            }
            Request::Update(input) => {
                *self.calls.entry("UpdateItem").or_default() += 1;
                let priced = self.update(key_of(input.key.as_ref().unwrap_or(&Item::new())), 1.0);
                match &call.failed {
                    Some(error) => {
                        self.fail("UpdateItem", error);
                        self.charge(priced, false);
                    }
                    None => self.charge_reported("UpdateItem", priced, consumed),
                }
            }
            Request::Delete(input) => {
                *self.calls.entry("DeleteItem").or_default() += 1;
                let priced = self.delete(key_of(input.key.as_ref().unwrap_or(&Item::new())), 1.0);
                match &call.failed {
                    Some(error) => {
                        self.fail("DeleteItem", error);
                        self.charge(priced, false);
                    }
                    None => self.charge_reported("DeleteItem", priced, consumed),
                }
            }
            Request::Transact(input) => {
                *self.calls.entry("TransactWriteItems").or_default() += 1;
                if let Some(error) = &call.failed {
                    self.fail("TransactWriteItems", error);
                }
                let applied = call.failed.is_none();
                let mut table = 0.0;
                let mut index: BTreeMap<Space, f64> = BTreeMap::new();
                // Each action's charge before doubling, (table, each index), as DynamoDB Local
                // keeps them: in a set, so equal charges of one transaction count once.
                let mut distinct: BTreeSet<Vec<u64>> = BTreeSet::new();
                for action in input.transact_items.iter().flatten() {
                    let priced = if let Some(put) = &action.put {
                        self.put(&put.item, 2.0)
                    } else if let Some(update) = &action.update {
                        self.update(key_of(&update.key), 2.0)
                    } else if let Some(delete) = &action.delete {
                        self.delete(key_of(&delete.key), 2.0)
                    } else {
                        self.unpriced += 1;
                        continue;
                    };
                    table += priced.table;
                    let mut charge = vec![(priced.table / 2.0) as u64];
                    for def in &INDEXES {
                        let units: f64 = priced
                            .index
                            .iter()
                            .filter(|(space, ..)| *space == def.name)
                            .map(|(.., units)| units)
                            .sum();
                        *index.entry(def.name).or_default() += units;
                        charge.push((units / 2.0) as u64);
                    }
                    distinct.insert(charge);
                    self.items.entry(priced.key.clone()).or_default().transactions += 1.0;
                    self.charge(priced, applied);
                }
                if applied {
                    let as_local = |position: usize| -> f64 {
                        2.0 * distinct.iter().map(|charge| charge[position] as f64).sum::<f64>()
                    };
                    self.checks
                        .entry("TransactWriteItems: table".to_owned())
                        .or_default()
                        .add(table_units(consumed), table);
                    self.checks
                        .entry("TransactWriteItems: table, Local's rule".to_owned())
                        .or_default()
                        .add(table_units(consumed), as_local(0));
                    for (i, def) in INDEXES.iter().enumerate() {
                        let reported = index_units(consumed, def.name);
                        self.checks
                            .entry(format!("TransactWriteItems: {} index", def.name))
                            .or_default()
                            .add(reported, index.get(def.name).copied().unwrap_or(0.0));
                        self.checks
                            .entry(format!("TransactWriteItems: {} index, Local's rule", def.name))
                            .or_default()
                            .add(reported, as_local(i + 1));
                    }
                }
            }
            Request::Other(name) => {
                *self.calls.entry(name).or_default() += 1;
            }
        }
    }
}

/// The partition key value a Query reads: the value its key condition binds to the partition
/// key of the table or index.
fn query_partition(input: &QueryInput, space: Space) -> String {
    let attribute = match space {
        TABLE => PARTITION_KEY,
        WAKE_INDEX => WAKE_SHARD,
        _ => RUNS_PK,
    };
    let expression = input.key_condition_expression.as_deref().unwrap_or_default();
    for clause in expression.split(" AND ") {
        let Some((left, right)) = clause.split_once('=') else {
            continue;
        };
        let left = left.trim();
        let name = match left.strip_prefix('#') {
            Some(_) => input
                .expression_attribute_names
                .as_ref()
                .and_then(|names| names.get(left))
                .map_or(left, String::as_str),
            None => left,
        };
        if name == attribute {
            let values = input.expression_attribute_values.as_ref();
            return text(values.and_then(|values| values.get(right.trim())));
        }
    }
    "(unknown)".to_owned()
}

/// A partition key value's class: the variable parts named (`<a>` the account, `<e>` a run,
/// `<n>` a shard, `<hash>` a key's hash).
fn class_of(pk: &str, account_id: &str) -> String {
    let mut parts = pk.split('#');
    let prefix = parts.next().unwrap_or_default();
    let mut class = prefix.to_owned();
    for part in parts {
        class.push('#');
        class.push_str(if part == account_id {
            "<a>"
        } else if part.parse::<u64>().is_ok() {
            "<n>"
        } else if prefix == "RUN" {
            "<e>"
        } else if part.len() == 64 && part.bytes().all(|b| b.is_ascii_hexdigit()) {
            "<hash>"
        } else {
            "<id>"
        });
    }
    class
}

fn space_label(space: Space) -> String {
    if space == TABLE {
        "table".to_owned()
    } else {
        format!("{space} index")
    }
}

/// The share of a partition's per-second limits that one run a second takes.
fn load(units: Units, runs: f64) -> f64 {
    (units.wcu / runs / PARTITION_WCU).max(units.rcu / runs / PARTITION_RCU)
}

fn per_second(load: f64) -> f64 {
    if load > 0.0 { 1.0 / load } else { f64::INFINITY }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

// --- The mix ---------------------------------------------------------------------------------

fn flow_steps() -> Value {
    json!([
        {"id": "reserve", "op": "set", "value": {"reserved": true}},
        {"id": "price", "op": "set", "value": {"price": {"amount": 1250, "currency": "EUR"}}},
        {"id": "charge", "op": "set", "value": {"charged": true}},
        {"id": "ship", "op": "set", "value": {"shipment": "standard"}},
        {"id": "notify", "op": "set", "value": {"notified": true}}
    ])
}

/// Reads an item straight from the table (strongly consistent).
async fn item(store: &Store, key: &ItemKey) -> Option<Item> {
    store
        .client()
        .get_item()
        .table_name(store.table())
        .consistent_read(true)
        .key(PARTITION_KEY, AttributeValue::S(key.0.clone()))
        .key(SORT_KEY, AttributeValue::S(key.1.clone()))
        .send()
        .await
        .unwrap()
        .item
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(std::io::stderr)
        .init();
    let run_count: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);

    // The gateway, the runner and the sweep on one store whose client records every request.
    let plain = axiom_tests::store().await;
    let recorder = Recorder::default();
    let config = plain
        .client()
        .config()
        .to_builder()
        .interceptor(recorder.clone())
        .build();
    let store = Store::new(Client::from_conf(config), plain.table());
    // The runner at a few invocations at once (below the template's default), so that DynamoDB
    // Local, on the bench's own two cores, answers within the client's 2 s attempt timeout:
    // concurrency changes when requests are made, not what they cost.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = axiom_local::app_with_queue(
        store.clone(),
        QueueConfig {
            max_concurrency: RUNNERS,
            ..QueueConfig::default()
        },
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let server = Server {
        base,
        store: store.clone(),
        http: reqwest::Client::new(),
    };
    let (account, key) = axiom_tests::account(&store, "capacity").await;
    let account_id = account.account_id.clone();
    let quota = u32::try_from(run_count * 2).unwrap_or(u32::MAX).max(1_000);
    store
        .set_max_in_flight(&account_id, quota, timestamp::now())
        .await
        .unwrap();
    let graph_id = runs::save_flow(&server, &key, flow_steps()).await;

    // The mix, recorded.
    recorder.set(true);
    let started = Instant::now();
    let invoked: Vec<String> = stream::iter(0..run_count)
        .map(|i| {
            let (server, key, graph_id) = (&server, &key, &graph_id);
            async move {
                let input =
                    json!({"order": format!("o-{i}"), "customer": format!("c-{}", i % 50), "items": 3});
                let (status, run) = runs::invoke(server, key, graph_id, input, false).await;
                assert_eq!(status, 202, "{run}");
                run["execution_id"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let invoking = started.elapsed();
    // Until every run has ended, watched through the day counters with a client of its own
    // (not recorded: the mix does not include the watching).
    let give_up = Instant::now() + Duration::from_secs(300);
    loop {
        let days = plain.usage_days(&account_id, "0000", "9999").await.unwrap();
        let ended: u64 = days.iter().map(|day| day.succeeded + day.failed).sum();
        if ended >= run_count as u64 {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "{ended} of {run_count} runs ended in 300 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ran = started.elapsed();
    let durations: HashMap<String, f64> = stream::iter(&invoked)
        .map(|id| {
            let (server, key) = (&server, &key);
            async move {
                let (status, run) = runs::execution(server, key, id).await;
                assert_eq!(status, 200, "{run}");
                assert_eq!(run["status"], "succeeded", "{run}");
                (id.clone(), run["duration_ms"].as_f64().unwrap())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let (status, usage) = answer(server.get("/v1/usage", &key)).await;
    assert_eq!(status, 200, "{usage}");
    recorder.set(false);
    let calls = recorder.take();

    // Sizes the model cannot compute: items after their updates, and the credential.
    let mut ledger = Ledger::default();
    let mut to_read: Vec<ItemKey> = Vec::new();
    for call in &calls {
        match &call.request {
            Request::Update(input) => to_read.push(key_of(input.key.as_ref().unwrap())),
            Request::Transact(input) => to_read.extend(
                input
                    .transact_items
                    .iter()
                    .flatten()
                    .filter_map(|action| action.update.as_ref())
                    .map(|update| key_of(&update.key)),
            ),
            Request::Get(input) => {
                let key = key_of(input.key.as_ref().unwrap());
                if key.0.starts_with("CREDENTIAL#") {
                    to_read.push(key);
                }
            }
            _ => {}
        }
    }
    to_read.sort();
    to_read.dedup();
    let read_back: Vec<(ItemKey, usize)> = stream::iter(to_read)
        .map(|key| {
            let store = &plain;
            async move {
                let size = item(store, &key).await.as_ref().map_or(0, item_size);
                (key, size)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    ledger.read_back = read_back.into_iter().collect();
    for call in &calls {
        ledger.record(call);
    }

    report(&ledger, run_count, &account_id, &durations, invoking, ran, &usage);

    // Usage is exact: the counters equal the records, every run counted and succeeded.
    assert_eq!(usage["executions"].as_u64(), Some(run_count as u64), "{usage}");
    assert_eq!(usage["succeeded"].as_u64(), Some(run_count as u64), "{usage}");
    runs::assert_usage_matches_records(&server, &key).await;
    println!("usage exact: {run_count} runs counted, {run_count} succeeded, equal to the records recounted");
    if EXIT_CODE.load(Ordering::SeqCst) {
        std::process::exit(1);
    }
}

/// Set when the capacity misses its target (the bench then fails, after every check).
static EXIT_CODE: AtomicBool = AtomicBool::new(false);

fn report(
    ledger: &Ledger,
    runs: usize,
    account_id: &str,
    durations: &HashMap<String, f64>,
    invoking: Duration,
    ran: Duration,
    usage: &Value,
) {
    let n = runs as f64;
    println!(
        "mix: {runs} runs of a five-step flow (`set` x 5, no sleep), one tenant, one key: invoked over \
         HTTP ({CONCURRENCY} at once, wait: false) in {invoking:.1?}, all ended after {ran:.1?} (runner: \
         {RUNNERS} invocations of up to 10 runs at once); each read once, usage once (executions {})",
        usage["executions"]
    );
    let sweep_queries = ledger.calls.get("Query (the sweep's)").copied().unwrap_or(0);
    let calls: Vec<String> = ledger
        .calls
        .iter()
        .filter(|(name, _)| !name.contains("sweep"))
        .map(|(name, count)| format!("{name} {:.2}", *count as f64 / n))
        .collect();
    println!("DynamoDB requests per run: {}", calls.join(", "));
    if ledger.failures.is_empty() {
        println!("failed requests: none");
    } else {
        let failures: Vec<String> = ledger
            .failures
            .iter()
            .map(|(what, count)| format!("{what} x{count}"))
            .collect();
        println!("failed requests (charged as computed): {}", failures.join(", "));
    }

    // The model against DynamoDB Local.
    println!();
    println!(
        "computed vs reported by DynamoDB Local (total units; requests whose figures differ). DynamoDB \
         Local counts equal per-item charges of one transaction once (it keeps them in a set): \
         \"Local's rule\" is the computed per-item charges summed that way, the other line as DynamoDB \
         bills them (every item)."
    );
    for (what, check) in &ledger.checks {
        if check.requests == 0 || (check.reported == 0.0 && check.computed == 0.0) {
            continue;
        }
        let difference = check.computed - check.reported;
        let relative = if check.reported > 0.0 {
            difference / check.reported * 100.0
        } else {
            0.0
        };
        println!(
            "  {what:<44} {:>5} requests  computed {:>9.1}  reported {:>9.1}  difference {:>+7.1} ({relative:+.2}%), {} differ",
            check.requests, check.computed, check.reported, difference, check.differing
        );
    }
    if ledger.unpriced > 0 {
        println!(
            "  transaction actions not priced (condition checks): {}",
            ledger.unpriced
        );
    }

    // Per class: the hottest key value by its share of a partition's limits.
    println!();
    println!(
        "per partition key class, the hottest key value (per run; a partition takes {PARTITION_WCU} WCU \
         and {PARTITION_RCU} RCU a second):"
    );
    println!(
        "  {:<11} {:<20} {:>6}  {:>8} {:>8}  {:>13} {:>13}  {:>12}",
        "where", "class", "values", "WCU/run", "RCU/run", "mean WCU/run", "mean RCU/run", "runs/s"
    );
    let mut classes: BTreeMap<(Space, String), Vec<(&String, Units)>> = BTreeMap::new();
    for ((space, pk), units) in &ledger.partitions {
        classes
            .entry((space, class_of(pk, account_id)))
            .or_default()
            .push((pk, *units));
    }
    let per_run_class = "RUN#<a>#<e>";
    let mut limit: Option<(f64, Space, String, Units)> = None;
    for ((space, class), values) in &classes {
        let (hottest, units) = values
            .iter()
            .max_by(|a, b| load(a.1, n).total_cmp(&load(b.1, n)))
            .copied()
            .unwrap();
        let count = values.len() as f64;
        let mean_wcu = values.iter().map(|(_, u)| u.wcu).sum::<f64>() / count;
        let mean_rcu = values.iter().map(|(_, u)| u.rcu).sum::<f64>() / count;
        let shared = !(*space == TABLE && class == per_run_class);
        if shared {
            let rate = per_second(load(units, n));
            println!(
                "  {:<11} {:<20} {:>6}  {:>8.3} {:>8.3}  {:>13.3} {:>13.3}  {:>12.0}",
                space_label(space),
                class,
                values.len(),
                units.wcu / n,
                units.rcu / n,
                mean_wcu / n,
                mean_rcu / n,
                rate
            );
            if limit.as_ref().is_none_or(|(best, ..)| rate < *best) {
                limit = Some((rate, space, hottest.clone(), units));
            }
        } else {
            println!(
                "  {:<11} {:<20} {:>6}  {:>8.1} {:>8.1}  (one run's own partition: its whole load, see below)",
                space_label(space),
                class,
                values.len(),
                units.wcu,
                units.rcu
            );
        }
    }

    // A run's own partition.
    let mut run_wcu: Vec<f64> = Vec::new();
    let mut run_rcu: Vec<f64> = Vec::new();
    let mut rates: Vec<f64> = Vec::new();
    let mut run_durations: Vec<f64> = durations.values().copied().collect();
    for ((space, pk), units) in &ledger.partitions {
        if *space != TABLE || class_of(pk, account_id) != per_run_class {
            continue;
        }
        run_wcu.push(units.wcu);
        run_rcu.push(units.rcu);
        let execution_id = pk.rsplit('#').next().unwrap_or_default();
        if let Some(ms) = durations.get(execution_id) {
            rates.push(units.wcu / (ms.max(1.0) / 1000.0));
        }
    }
    let most_wcu = run_wcu.iter().copied().fold(0.0, f64::max);
    let most_rcu = run_rcu.iter().copied().fold(0.0, f64::max);
    println!();
    println!(
        "one run's own partition RUN#<a>#<e> ({} runs): {:.1} WCU and {:.1} RCU in all (median), \
         {most_wcu:.1} WCU and {most_rcu:.1} RCU at most; under the {PARTITION_WCU} WCU of one second \
         even if all its writes fell in the same second: {}",
        run_wcu.len(),
        median(&mut run_wcu),
        median(&mut run_rcu),
        if most_wcu < PARTITION_WCU { "yes" } else { "NO" }
    );
    println!(
        "  over its own duration (median {:.0} ms, shortest {:.0} ms): {:.0} WCU/s median, {:.0} WCU/s at \
         most (DynamoDB meters a partition per second, with burst capacity: a run's whole {most_wcu:.0} \
         WCU is what one second sees at worst)",
        median(&mut run_durations),
        run_durations.first().copied().unwrap_or(0.0),
        median(&mut rates),
        rates.iter().copied().fold(0.0, f64::max)
    );

    // Hottest shared items.
    let shared_item = |key: &ItemKey| class_of(&key.0, account_id) != per_run_class;
    let mut items: Vec<(&ItemKey, Units)> = ledger
        .items
        .iter()
        .filter(|(key, _)| shared_item(key))
        .map(|(key, units)| (key, *units))
        .collect();
    items.sort_by(|a, b| b.1.wcu.total_cmp(&a.1.wcu));
    println!();
    println!(
        "hottest items shared by runs (per run; and the transactions that write each a second at \
         {TARGET_RUNS_PER_SECOND} runs/s, which contend for it):"
    );
    for (key, units) in items.iter().take(4) {
        println!(
            "  {:<20} {:<12} {:>7.3} WCU/run {:>7.3} RCU/run {:>7.3} transactions/run: {:>4.0} transactions/s",
            class_of(&key.0, account_id),
            key.1,
            units.wcu / n,
            units.rcu / n,
            units.transactions / n,
            units.transactions / n * TARGET_RUNS_PER_SECOND
        );
    }
    let mut run_items: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (key, units) in &ledger.items {
        if !shared_item(key) {
            run_items.entry(key.1.clone()).or_default().push(units.wcu);
        }
    }
    let own: Vec<String> = run_items
        .iter_mut()
        .map(|(sk, wcu)| format!("{sk} {:.1}", median(wcu)))
        .collect();
    println!("  (a run's own items, WCU per run, median: {})", own.join(", "));

    // The sweep.
    let sweep_rcu: f64 = ledger.background.values().map(|units| units.rcu).sum();
    let hottest_sweep = ledger
        .background
        .values()
        .map(|units| units.rcu)
        .fold(0.0, f64::max);
    println!();
    println!(
        "background, not per run: the sweep read the wake index's {} shards in {sweep_queries} Queries \
         ({sweep_rcu:.1} RCU, hottest shard {hottest_sweep:.1}) in {ran:.0?}: every second here, once a \
         minute on AWS, whatever the rate of runs",
        ledger.background.len()
    );

    // The line.
    let hottest_partition = ledger
        .partitions
        .iter()
        .filter(|((space, pk), _)| !(*space == TABLE && class_of(pk, account_id) == per_run_class))
        .max_by(|a, b| a.1.wcu.total_cmp(&b.1.wcu))
        .map(|((space, pk), units)| (space, pk, units.wcu / n))
        .unwrap();
    let hottest_item = items.first().map(|(key, units)| (*key, units.wcu / n)).unwrap();
    let (rate, space, pk, units) = limit.unwrap();
    println!();
    println!(
        "capacity: one tenant sustains {} runs/s (5-step flow); hottest partition {:.2} WCU/run, hottest item {:.2} WCU/run",
        rate.floor(),
        hottest_partition.2,
        hottest_item.1
    );
    let (bound, per_run, allowed) = if units.wcu / n / PARTITION_WCU >= units.rcu / n / PARTITION_RCU {
        ("WCU", units.wcu / n, PARTITION_WCU)
    } else {
        ("RCU", units.rcu / n, PARTITION_RCU)
    };
    println!(
        "  limited by {} {} ({}): {per_run:.3} {bound}/run against {allowed} {bound}/s; hottest partition by \
         WCU: {} {} ({}); hottest item: {} / {} ({})",
        space_label(space),
        pk,
        class_of(&pk, account_id),
        space_label(hottest_partition.0),
        hottest_partition.1,
        class_of(hottest_partition.1, account_id),
        hottest_item.0.0,
        hottest_item.0.1,
        class_of(&hottest_item.0.0, account_id)
    );
    if rate >= TARGET_RUNS_PER_SECOND {
        println!(
            "  target (issue 10): at least {TARGET_RUNS_PER_SECOND} runs/s for one tenant: met, with {:.0}% to spare",
            (rate / TARGET_RUNS_PER_SECOND - 1.0) * 100.0
        );
    } else {
        println!(
            "  target (issue 10): at least {TARGET_RUNS_PER_SECOND} runs/s for one tenant: MISSED by {:.0}% ({} limits it)",
            (1.0 - rate / TARGET_RUNS_PER_SECOND) * 100.0,
            class_of(&pk, account_id)
        );
        EXIT_CODE.store(true, Ordering::SeqCst);
    }

    // All tenants together: the table's own quota (on demand, by default 40,000 request units a
    // second for the table with its indexes; adjustable).
    let sum = |table: bool| -> Units {
        let mut total = Units::default();
        for ((space, _), units) in &ledger.partitions {
            if (*space == TABLE) == table {
                total.wcu += units.wcu;
                total.rcu += units.rcu;
            }
        }
        total
    };
    let (table, indexes) = (sum(true), sum(false));
    let wcu = (table.wcu + indexes.wcu) / n;
    let rcu = (table.rcu + indexes.rcu) / n;
    println!(
        "whole table, all tenants together: {wcu:.1} WCU/run ({:.1} table, {:.1} indexes) and {rcu:.1} RCU/run: \
         the default table quota of {TABLE_QUOTA} write and {TABLE_QUOTA} read request units a second \
         (table and indexes together; adjustable) allows {:.0} runs/s ({:.0} counting the table alone)",
        table.wcu / n,
        indexes.wcu / n,
        (TABLE_QUOTA / wcu).min(TABLE_QUOTA / rcu).floor(),
        (TABLE_QUOTA * n / table.wcu)
            .min(TABLE_QUOTA * n / table.rcu)
            .floor()
    );

    // One key's ceiling: its credential's one strongly consistent read per request.
    let credential = ledger
        .read_back
        .iter()
        .find(|(key, _)| key.0.starts_with("CREDENTIAL#"))
        .map(|(key, size)| (key.clone(), *size));
    if let Some((key, size)) = credential {
        let per_read = (size.div_ceil(4096).max(1)) as f64;
        let measured = ledger
            .partitions
            .get(&(TABLE, key.0.clone()))
            .copied()
            .unwrap_or_default();
        let reads = ledger.items.get(&key).map_or(0.0, |units| units.rcu / per_read);
        println!(
            "authorization: one key sustains {} requests/s (one strongly consistent read of a {size}-byte credential item)",
            (PARTITION_RCU / per_read).floor()
        );
        println!(
            "  measured: {:.3} RCU per request on CREDENTIAL#<hash> ({reads:.0} requests, {:.2} per run; \
             {:.2} WCU of last-use writes in all)",
            measured.rcu / reads.max(1.0),
            reads / n,
            measured.wcu
        );
    }
}
