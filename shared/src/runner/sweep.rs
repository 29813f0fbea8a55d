//! The sweep, invoked on a schedule: the guarantee that no run stays in flight forever does not
//! depend on any runner staying alive.

use crate::store::{Store, StoreError};

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub timed_out: usize,
    pub redriven: usize,
}

/// Ends the runs past their time limit and makes runnable again those whose runner let its
/// lease run out (it died) or that no runner took up.
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
