//! Carries runs on: the inline part of an invoke or resume, the runner function (triggered by
//! the table's stream), and the sweep that ends overdue runs and re-drives abandoned ones.
//! Every step's result is one conditional write, so a step's effect is recorded at most once
//! whatever runs at the same time; the loser of a race stops.

use std::time::Duration;

use aws_lambda_events::{
    dynamodb::EventRecord,
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};

use crate::{
    executions::Execution,
    flows::{Definition, Op},
    store::{RunRef, Store, StoreError, TableKeys},
    timestamp,
};

/// A fresh runner identity for a lease.
pub fn runner_id(kind: &str) -> String {
    format!("{kind}-{}", crate::store::new_id())
}

/// Runs the claimed `execution` until it pauses or ends, or until `until_ms`, when it is handed
/// to another runner. Returns the run as last known (read again when another write won).
pub async fn carry_on(
    store: &Store,
    definition: &Definition,
    mut execution: Execution,
    until_ms: i64,
) -> Result<Execution, StoreError> {
    loop {
        let now = timestamp::now_ms();
        let previous = execution.status;
        if execution.is_overdue(now) {
            execution.time_out(definition, now);
        } else if let Some(work) = execution.next_work(definition) {
            let sleep_ms = match Execution::op(work, definition) {
                Op::Sleep { ms } => *ms as i64,
                _ => 0,
            };
            if now + sleep_ms > until_ms {
                execution.make_runnable(now);
            } else {
                if sleep_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(sleep_ms as u64)).await;
                }
                execution.complete(definition, work, now, timestamp::now_ms());
            }
        } else {
            return Ok(execution);
        }
        if !store.save_execution(&mut execution, previous).await? {
            let current = store
                .get_execution(&execution.account_id, &execution.execution_id)
                .await?;
            return Ok(current.unwrap_or(execution));
        }
        if execution.runnable.is_some() || execution.next_work(definition).is_none() {
            return Ok(execution);
        }
    }
}

/// Takes a runnable run, if nobody holds it, and carries it on until `until_ms`.
pub async fn pick_up(store: &Store, run: &RunRef, until_ms: i64) -> Result<(), StoreError> {
    let now = timestamp::now_ms();
    let Some(mut execution) = store.get_execution(&run.account_id, &run.execution_id).await? else {
        return Ok(());
    };
    if !execution.claimable(now) {
        return Ok(());
    }
    let Some(definition) = store
        .flow_definition(&execution.account_id, &execution.graph_id)
        .await?
    else {
        tracing::error!(execution_id = run.execution_id, "the run's flow is missing");
        return Ok(());
    };
    let previous = execution.status;
    execution.take_lease(&runner_id("runner"), now);
    if store.save_execution(&mut execution, previous).await? {
        carry_on(store, &definition, execution, until_ms).await?;
    }
    Ok(())
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub timed_out: usize,
    pub redriven: usize,
}

/// Ends the runs past their time limit and makes runnable again those whose runner let its
/// lease run out (it died) or that no runner took up: the guarantee that no run stays in
/// flight forever does not depend on any runner staying alive.
pub async fn sweep(store: &Store, now_ms: i64) -> Result<Sweep, StoreError> {
    let mut report = Sweep::default();
    for run in store.due_runs(now_ms).await? {
        let Some(mut execution) = store.get_execution(&run.account_id, &run.execution_id).await? else {
            continue;
        };
        let previous = execution.status;
        if execution.is_overdue(now_ms) {
            let Some(definition) = store
                .flow_definition(&execution.account_id, &execution.graph_id)
                .await?
            else {
                continue;
            };
            execution.time_out(&definition, now_ms);
            if store.save_execution(&mut execution, previous).await? {
                report.timed_out += 1;
            }
        } else if execution.claimable(now_ms) {
            execution.make_runnable(now_ms);
            if store.save_execution(&mut execution, previous).await? {
                report.redriven += 1;
            }
        }
    }
    Ok(report)
}

/// The runner function: carries on the runs of a batch of stream records (the stream's filter
/// passes only runs marked runnable), all at once. A record whose run could not be read or
/// written is reported as a batch item failure, to be delivered again; a duplicate delivery is
/// harmless, since only one runner can claim a run.
pub async fn on_stream(store: &Store, records: &[EventRecord], until_ms: i64) -> DynamoDbEventResponse {
    let outcomes = futures::future::join_all(records.iter().map(|record| async move {
        let keys: TableKeys = match serde_dynamo::from_item(record.change.keys.clone()) {
            Ok(keys) => keys,
            Err(error) => {
                tracing::warn!(%error, "skipped a stream record without table keys");
                return Ok(());
            }
        };
        let Some(run) = RunRef::from_keys(&keys.pk, &keys.sk) else {
            return Ok(());
        };
        pick_up(store, &run, until_ms).await.map_err(|error| {
            tracing::error!(%error, execution_id = run.execution_id, "could not carry a run on");
            record.change.sequence_number.clone()
        })
    }))
    .await;
    let mut response = DynamoDbEventResponse::default();
    for failed in outcomes.into_iter().filter_map(Result::err) {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = failed;
        response.batch_item_failures.push(failure);
    }
    response
}
