//! What the API asks of runs: start one (carrying it on inline when the caller waits), cancel
//! and resume, each retried after losing a race with a runner.

use serde_json::Value;

use super::{INLINE_BUDGET_MS, WRITE_ATTEMPTS, carry_on, runner_id};
use crate::{
    domain::{
        executions::{Execution, NotAllowed, StartIds, StateTooLarge},
        flows::Definition,
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
    /// The resume's input would grow the state past its cap (a 400).
    #[error("input: {0}")]
    InputTooLarge(#[from] StateTooLarge),
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
    store.start_execution(&execution).await?;
    tracing::info!(execution_id = execution.execution_id, wait, "started a run");
    if wait {
        carry_on(store, definition, execution, started_ms + INLINE_BUDGET_MS).await
    } else {
        Ok(execution)
    }
}

async fn read(store: &Store, account_id: &str, execution_id: &str) -> Result<Execution, RunChangeError> {
    store
        .get_execution(account_id, execution_id)
        .await?
        .ok_or(RunChangeError::NotFound)
}

/// Cancels one of the account's runs.
pub async fn cancel(
    store: &Store,
    account_id: &str,
    execution_id: &str,
) -> Result<Execution, RunChangeError> {
    for _ in 0..WRITE_ATTEMPTS {
        let mut execution = read(store, account_id, execution_id).await?;
        let previous = execution.status;
        execution.cancel(timestamp::now_ms())?;
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
        let mut execution = read(store, account_id, execution_id).await?;
        let definition = store
            .flow_definition(&execution.account_id, &execution.graph_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let previous = execution.status;
        execution.resume(&definition, input.clone(), &owner, timestamp::now_ms())??;
        if store.save_execution(&mut execution, previous).await? {
            tracing::info!(execution_id, "resumed a run");
            return Ok(carry_on(store, &definition, execution, started_ms + INLINE_BUDGET_MS).await?);
        }
    }
    Err(RunChangeError::Busy)
}
