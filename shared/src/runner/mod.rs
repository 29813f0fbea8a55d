//! Carries runs on, and holds the run rules that are not pure transitions: how long each
//! carrier may work (the budgets below), how often a change is retried after losing a race.
//!
//! - [`requests`]: what the API asks of runs: start (and carry on inline when waiting), cancel,
//!   resume;
//! - [`trigger`]: the runner function, fed the runs made runnable (by the runs queue);
//! - [`sweep`]: the scheduled sweep that ends overdue runs and re-drives abandoned ones.
//!
//! Every step's result is one conditional write, so a step's effect is recorded at most once
//! whatever runs at the same time; the loser of a race stops. (The time limits and the lease
//! length are the execution domain's: [`crate::domain::executions`].)

mod requests;
mod sweep;
mod trigger;

pub use requests::{Invocation, InvokeError, RunChangeError, cancel, invoke, resume};
pub use sweep::{Sweep, sweep};
pub use trigger::on_queue;

use std::time::Duration;

use crate::{
    domain::{
        executions::{Execution, PARK_FROM_MS, RunRef},
        flows::Definition,
        ids::new_id,
        timestamp,
    },
    store::{Store, StoreError},
};

/// How long an invoke with `wait` (or a resume) carries the run on before answering: within
/// the API's 25 seconds, with room for the answer.
pub const INLINE_BUDGET_MS: i64 = 24_000;

/// How long one runner invocation carries runs on before handing the rest over. The runner's
/// Lambda timeout in `template.yaml` (90 s) leaves room for the last step and the hand-over.
/// (Its own clock, not the invocation's deadline, which local emulators do not all send as an
/// epoch time.)
pub const RUNNER_BUDGET_MS: i64 = 60_000;

/// How many times a cancel or resume reads again after losing a race with the runner.
const WRITE_ATTEMPTS: usize = 20;

/// A fresh runner identity for a lease.
fn runner_id(kind: &str) -> String {
    format!("{kind}-{}", new_id())
}

/// Who carries a run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// The runner function: it lets go of a run for a sleep of [`PARK_FROM_MS`] or more, so that
    /// no worker is held while a run sleeps.
    Runner,
    /// A request that waits for the run's end (an invoke with `wait`, a resume): it sleeps
    /// through sleeps, since its caller is waiting anyway.
    Inline,
}

/// Runs the claimed `execution` until it pauses, ends or (for the runner) parks in a sleep, or
/// until `until_ms`, when it is handed to another runner. Returns the run as last known (read
/// again when another write won).
pub async fn carry_on(
    store: &Store,
    definition: &Definition,
    mut execution: Execution,
    until_ms: i64,
    carrier: Carrier,
) -> Result<Execution, StoreError> {
    loop {
        let now = timestamp::now_ms();
        let previous = execution.status;
        if execution.is_overdue(now) {
            execution.time_out(definition, now);
        } else if let Some(work) = execution.next_work(definition) {
            let wait_ms = execution.wait_ms(work, definition, now);
            if carrier == Carrier::Runner && wait_ms >= PARK_FROM_MS {
                execution.park(work, wait_ms, now);
            } else if now + wait_ms > until_ms {
                execution.make_runnable(now);
            } else {
                if wait_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(wait_ms as u64)).await;
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

/// Carries on a run this request holds, for the inline budget. If the database fails meanwhile
/// the run is not lost (its lease runs out and the sweep hands it to a runner), and the caller
/// still learns of it: the run as last read, else as it was when the request took it.
async fn carry_on_inline(
    store: &Store,
    definition: &Definition,
    held: Execution,
    started_ms: i64,
) -> Execution {
    let fallback = held.clone();
    match carry_on(
        store,
        definition,
        held,
        started_ms + INLINE_BUDGET_MS,
        Carrier::Inline,
    )
    .await
    {
        Ok(execution) => execution,
        Err(error) => {
            tracing::warn!(%error, execution_id = fallback.execution_id, "left a run to the runner");
            match store
                .get_execution(&fallback.account_id, &fallback.execution_id)
                .await
            {
                Ok(Some(current)) => current,
                _ => fallback,
            }
        }
    }
}

/// Ends a run past its deadline, as the sweep would; or a run whose flow is gone. The caller
/// saves it.
async fn end(store: &Store, execution: &mut Execution, now_ms: i64) -> Result<(), StoreError> {
    match store
        .flow_definition(&execution.account_id, &execution.graph_id)
        .await?
    {
        Some(definition) => execution.time_out(&definition, now_ms),
        None => execution.end_without_flow(now_ms),
    }
    Ok(())
}

/// Takes a runnable run, if nobody holds it, and carries it on until `until_ms`. A delivery
/// that comes while the run still sleeps for a second or more (a duplicate, or a redelivery) is
/// sent again for the sleep's end, and nothing is written.
pub async fn pick_up(store: &Store, run: &RunRef, until_ms: i64) -> Result<(), StoreError> {
    let now = timestamp::now_ms();
    let Some(mut execution) = store.run_to_carry_on(run).await? else {
        return Ok(());
    };
    if !execution.claimable(now) {
        return Ok(());
    }
    if let Some(left) = execution.parked_for(now).filter(|&left| left >= PARK_FROM_MS)
        && !execution.is_overdue(now)
    {
        store.dispatch(run, left).await;
        return Ok(());
    }
    let previous = execution.status;
    // Past its deadline (a run queued too long, say): ended, not run.
    if execution.is_overdue(now) {
        end(store, &mut execution, now).await?;
        store.save_execution(&mut execution, previous).await?;
        return Ok(());
    }
    let Some(definition) = store
        .flow_definition(&execution.account_id, &execution.graph_id)
        .await?
    else {
        tracing::error!(
            execution_id = run.execution_id,
            "ended a run whose flow is missing"
        );
        execution.end_without_flow(now);
        store.save_execution(&mut execution, previous).await?;
        return Ok(());
    };
    execution.take_lease(&runner_id("runner"), now);
    if store.save_execution(&mut execution, previous).await? {
        carry_on(store, &definition, execution, until_ms, Carrier::Runner).await?;
    }
    Ok(())
}
