//! What the API asks of runs: start one (carrying it on inline when the caller waits), cancel
//! and resume, each retried after losing a race with a runner.

use serde_json::Value;

use super::{WRITE_ATTEMPTS, carry_on_inline, end, runner_id};
use crate::{
    domain::{
        executions::{Execution, NotAllowed, StartIds},
        flows::{Definition, StateCap},
        timestamp,
    },
    store::{Store, StoreError},
};

/// Why a cancel or resume did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RunChangeError {
    #[error("execution not found")]
    NotFound,
    /// The run's status does not allow it (a 409).
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    /// The resume's input would take the state past one of its caps (a 400).
    #[error("input: {0}")]
    InputTooLarge(#[from] StateCap),
    /// Every attempt lost a race with another write.
    #[error("the execution is changing; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records a new run (queued, or claimed by this request when it waits) and, when it waits,
/// carries it on until it pauses or ends or the inline budget is spent.
pub async fn start(
    store: &Store,
    ids: StartIds,
    definition: &Definition,
    input_text: String,
    input: Value,
    wait: bool,
    started_ms: i64,
) -> Result<Execution, StoreError> {
    let owner = wait.then(|| runner_id("invoke"));
    let execution = Execution::start(ids, definition, input_text, input, owner.as_deref(), started_ms);
    match store.start_execution(&execution).await {
        Ok(()) => {}
        // The write may have landed with its answer lost: then the run exists, and is this one.
        Err(StoreError::Unavailable(_))
            if matches!(
                store
                    .get_execution(&execution.account_id, &execution.execution_id)
                    .await,
                Ok(Some(_))
            ) => {}
        Err(error) => return Err(error),
    }
    tracing::info!(execution_id = execution.execution_id, wait, "started a run");
    Ok(if wait {
        carry_on_inline(store, definition, execution, started_ms).await
    } else {
        execution
    })
}

async fn read(store: &Store, account_id: &str, execution_id: &str) -> Result<Execution, RunChangeError> {
    store
        .get_execution(account_id, execution_id)
        .await?
        .ok_or(RunChangeError::NotFound)
}

/// The run, read for a change; past its deadline it is ended first, as the sweep would have
/// (`None` when that write lost a race: read again).
async fn read_in_time(
    store: &Store,
    account_id: &str,
    execution_id: &str,
    now_ms: i64,
) -> Result<Option<Execution>, RunChangeError> {
    let mut execution = read(store, account_id, execution_id).await?;
    if execution.is_overdue(now_ms) {
        let previous = execution.status;
        end(store, &mut execution, now_ms).await?;
        if !store.save_execution(&mut execution, previous).await? {
            return Ok(None);
        }
        tracing::info!(execution_id, "ended an overdue run");
    }
    Ok(Some(execution))
}

/// Cancels one of the account's runs.
pub async fn cancel(
    store: &Store,
    account_id: &str,
    execution_id: &str,
) -> Result<Execution, RunChangeError> {
    for _ in 0..WRITE_ATTEMPTS {
        let now = timestamp::now_ms();
        let Some(mut execution) = read_in_time(store, account_id, execution_id, now).await? else {
            continue;
        };
        let previous = execution.status;
        execution.cancel(now)?;
        if store.save_execution(&mut execution, previous).await? {
            tracing::info!(execution_id, "cancelled a run");
            return Ok(execution);
        }
    }
    Err(RunChangeError::Busy)
}

/// Resumes one of the account's paused runs, merging `input` into its state, and carries it on
/// inline like an invoke that waits.
pub async fn resume(
    store: &Store,
    account_id: &str,
    execution_id: &str,
    input: Option<Value>,
    started_ms: i64,
) -> Result<Execution, RunChangeError> {
    let owner = runner_id("resume");
    for _ in 0..WRITE_ATTEMPTS {
        let now = timestamp::now_ms();
        let Some(mut execution) = read_in_time(store, account_id, execution_id, now).await? else {
            continue;
        };
        let previous = execution.status;
        let Some(definition) = store
            .flow_definition(&execution.account_id, &execution.graph_id)
            .await?
        else {
            if execution.status.is_terminal() {
                let status = execution.status.as_str();
                return Err(NotAllowed {
                    status,
                    action: "resumed",
                }
                .into());
            }
            // Ended here, then answered as any ended run on the next read.
            execution.end_without_flow(now);
            if store.save_execution(&mut execution, previous).await? {
                tracing::error!(execution_id, "ended a run whose flow is missing");
            }
            continue;
        };
        execution.resume(&definition, input.clone(), &owner, now)??;
        if store.save_execution(&mut execution, previous).await? {
            tracing::info!(execution_id, "resumed a run");
            return Ok(carry_on_inline(store, &definition, execution, started_ms).await);
        }
    }
    Err(RunChangeError::Busy)
}
