//! The sweep, invoked on a schedule: the guarantee that no run stays in flight forever does not
//! depend on any runner staying alive. Each shard of the `wake` index is swept on its own, all
//! at once, and a run that cannot be read or written is counted and passed over (the next sweep
//! finds it again): one bad item or shard never holds up the others.

use super::end;
use crate::{
    domain::executions::RunRef,
    store::{Store, StoreError, WAKE_SHARDS},
};

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub timed_out: usize,
    pub redriven: usize,
    /// Runs (or whole shards) that could not be swept this time.
    pub failed: usize,
}

impl std::ops::AddAssign for Sweep {
    fn add_assign(&mut self, other: Self) {
        self.timed_out += other.timed_out;
        self.redriven += other.redriven;
        self.failed += other.failed;
    }
}

/// Ends the runs past their time limit (or whose flow is gone) and makes runnable again, which
/// sends them to the runs queue again, those whose runner let its lease run out (it died) or
/// whose message was lost (no runner took them up, or woke them from a sleep).
pub async fn sweep(store: &Store, now_ms: i64) -> Sweep {
    let shards =
        futures::future::join_all((0..WAKE_SHARDS).map(|shard| sweep_shard(store, shard, now_ms))).await;
    let mut report = Sweep::default();
    for shard in shards {
        report += shard;
    }
    report
}

async fn sweep_shard(store: &Store, shard: u32, now_ms: i64) -> Sweep {
    let mut report = Sweep::default();
    let due = match store.due_runs(shard, now_ms).await {
        Ok(due) => due,
        Err(error) => {
            tracing::error!(%error, shard, "could not read a wake shard");
            report.failed += 1;
            return report;
        }
    };
    for run in due {
        match wake(store, &run, now_ms).await {
            Ok(woken) => report += woken,
            Err(error) => {
                tracing::error!(%error, execution_id = run.execution_id, "could not sweep a run");
                report.failed += 1;
            }
        }
    }
    report
}

async fn wake(store: &Store, run: &RunRef, now_ms: i64) -> Result<Sweep, StoreError> {
    let mut woken = Sweep::default();
    let Some(mut execution) = store.run_to_carry_on(run).await? else {
        return Ok(woken);
    };
    let previous = execution.status;
    if execution.is_overdue(now_ms) {
        end(store, &mut execution, now_ms).await?;
        if store.save_execution(&mut execution, previous).await? {
            woken.timed_out += 1;
        }
    } else if execution.claimable(now_ms) {
        execution.make_runnable(now_ms);
        if store.save_execution(&mut execution, previous).await? {
            woken.redriven += 1;
        }
    }
    Ok(woken)
}
