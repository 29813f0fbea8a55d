//! What the API asks of runs: start one (carrying it on inline when the caller waits, once per
//! `Idempotency-Key`), cancel and resume (each with its audit event), each retried after losing
//! a race with a runner.

use serde_json::Value;

use super::{WRITE_ATTEMPTS, carry_on_inline, end, runner_id};
use crate::{
    domain::{
        audit::{Action, Actor, AuditEvent, Target},
        executions::{Execution, NotAllowed, StartIds},
        flows::StateCap,
        idempotency::{self, IdempotencyKey, IdempotencyRecord},
        ids::shard_of,
        quotas::{self, QUOTA_SHARDS},
        timestamp,
    },
    store::{Started, Store, StoreError},
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

/// An invoke: the run to start and how.
pub struct Invocation {
    pub ids: StartIds,
    pub input_text: String,
    pub input: Value,
    pub wait: bool,
    pub idempotency_key: Option<IdempotencyKey>,
}

/// Why an invoke started nothing.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The `Idempotency-Key` is bound to a run of another `graph_id` or `input` (a 409).
    #[error("this Idempotency-Key was used with another graph_id or input in the last 24 hours")]
    KeyReused,
    /// The account has no such flow (a 404).
    #[error("flow not found")]
    FlowNotFound,
    /// The account has as many runs in flight as its quota allows (a 429).
    #[error("the account has {0} runs in flight, its quota; try again when some have ended")]
    QuotaReached(u32),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Starts a run (queued, or claimed by this request when it waits) and, when it waits, carries
/// it on until it pauses or ends or the inline budget is spent. With an `Idempotency-Key` bound
/// to a run of the same request in the last 24 hours, starts nothing and answers that run as it
/// is now; concurrent repeats all get the run of the one that bound the key.
pub async fn invoke(
    store: &Store,
    invocation: Invocation,
    started_ms: i64,
) -> Result<Execution, InvokeError> {
    let account_id = invocation.ids.account_id.clone();
    let binding = match &invocation.idempotency_key {
        None => None,
        Some(key) => {
            let fingerprint = idempotency::fingerprint(&invocation.ids.graph_id, &invocation.input);
            if let Some(run) = bound_run(store, &account_id, &key.hash(), &fingerprint, started_ms).await? {
                return Ok(run);
            }
            Some(IdempotencyRecord {
                key_hash: key.hash(),
                fingerprint,
                execution_id: invocation.ids.execution_id.clone(),
                expires_at_ms: started_ms + idempotency::WINDOW_MS,
            })
        }
    };
    let (definition, max_in_flight) = futures::try_join!(
        store.flow_definition(&account_id, &invocation.ids.graph_id),
        store.max_in_flight(&account_id),
    )?;
    let definition = definition.ok_or(InvokeError::FlowNotFound)?;
    let owner = invocation.wait.then(|| runner_id("invoke"));
    let mut execution = Execution::start(
        invocation.ids,
        &definition,
        invocation.input_text,
        invocation.input,
        owner.as_deref(),
        started_ms,
    );
    let first_shard = shard_of(&execution.execution_id, QUOTA_SHARDS);
    let mut started = false;
    for shard in quotas::shards_to_try(max_in_flight, first_shard) {
        execution.inflight_shard = Some(shard);
        let cap = quotas::shard_cap(max_in_flight, shard);
        match store
            .start_execution(&execution, binding.as_ref(), Some(cap))
            .await
        {
            Ok(Started::Yes) => {
                started = true;
                break;
            }
            Ok(Started::ShardFull) => continue,
            // Another request bound the key first: its run is the answer.
            Ok(Started::KeyTaken) => {
                let binding = binding.expect("only a binding can be taken");
                return bound_run(
                    store,
                    &account_id,
                    &binding.key_hash,
                    &binding.fingerprint,
                    started_ms,
                )
                .await?
                .ok_or_else(|| {
                    StoreError::Unavailable("an Idempotency-Key's run could not be read".into()).into()
                });
            }
            // The write may have landed with its answer lost: then the run exists, and is this one.
            Err(StoreError::Unavailable(_))
                if matches!(
                    store
                        .get_execution(&execution.account_id, &execution.execution_id)
                        .await,
                    Ok(Some(_))
                ) =>
            {
                started = true;
                break;
            }
            Err(error) => return Err(error.into()),
        }
    }
    if !started {
        return Err(InvokeError::QuotaReached(max_in_flight));
    }
    tracing::info!(
        execution_id = execution.execution_id,
        wait = invocation.wait,
        "started a run"
    );
    Ok(if invocation.wait {
        carry_on_inline(store, &definition, execution, started_ms).await
    } else {
        execution
    })
}

/// The run a live `Idempotency-Key` binding names, if the request matches it.
async fn bound_run(
    store: &Store,
    account_id: &str,
    key_hash: &str,
    fingerprint: &str,
    now_ms: i64,
) -> Result<Option<Execution>, InvokeError> {
    let Some(record) = store.idempotency(account_id, key_hash).await? else {
        return Ok(None);
    };
    if !record.is_live(now_ms) {
        return Ok(None);
    }
    if record.fingerprint != fingerprint {
        return Err(InvokeError::KeyReused);
    }
    Ok(store.get_execution(account_id, &record.execution_id).await?)
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
    actor: &Actor,
) -> Result<Execution, RunChangeError> {
    for _ in 0..WRITE_ATTEMPTS {
        let now = timestamp::now_ms();
        let Some(mut execution) = read_in_time(store, account_id, execution_id, now).await? else {
            continue;
        };
        let previous = execution.status;
        execution.cancel(now)?;
        let event = AuditEvent::new(
            Action::ExecutionCancelled,
            actor,
            Target::execution(execution_id),
            timestamp::from_ms(now),
        );
        if store
            .save_execution_recorded(&mut execution, previous, Some(&event))
            .await?
        {
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
    actor: &Actor,
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
        let event = AuditEvent::new(
            Action::ExecutionResumed,
            actor,
            Target::execution(execution_id),
            timestamp::from_ms(now),
        );
        if store
            .save_execution_recorded(&mut execution, previous, Some(&event))
            .await?
        {
            tracing::info!(execution_id, "resumed a run");
            return Ok(carry_on_inline(store, &definition, execution, started_ms).await);
        }
    }
    Err(RunChangeError::Busy)
}
