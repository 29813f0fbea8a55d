//! `/invocations/v1/...`: invoke a flow, read, cancel and resume its runs.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::{
    executions::{Execution, StartIds},
    flows::MAX_INPUT_BYTES,
    http::{self, ApiError, Caller},
    runner,
    store::{Store, new_id},
    timestamp,
};

/// How long an invoke with `wait` (or a resume) carries the run on before answering.
pub const INLINE_BUDGET_MS: i64 = 24_000;
/// How many times a cancel or resume reads again after losing a race with the runner.
const WRITE_ATTEMPTS: usize = 20;

const EXECUTION_NOT_FOUND: ApiError = ApiError::NotFound("execution not found");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvokeBody {
    graph_id: String,
    input: Value,
    #[serde(default)]
    wait: bool,
}

/// Cancel takes no fields: an empty body or `{}`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelBody {}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResumeBody {
    #[serde(default)]
    input: Option<Value>,
}

/// 200 with a terminal run, 202 with one still in flight (paused included).
fn execution_response(execution: &Execution) -> Response<Body> {
    let status = if execution.status.is_terminal() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    http::json(status, &execution.view())
}

/// The input as stored, refused past the size limit.
fn input_text(input: &Value) -> Result<String, ApiError> {
    let text = serde_json::to_string(input).expect("JSON values always serialize");
    if text.len() > MAX_INPUT_BYTES {
        return Err(ApiError::InvalidRequest(format!(
            "input must be at most {} KiB of JSON",
            MAX_INPUT_BYTES / 1024
        )));
    }
    Ok(text)
}

/// `POST /invocations/v1/flows/invoke`: one read of the flow and one transaction start the run.
pub async fn invoke(store: &Store, req: Request) -> Response<Body> {
    http::respond(
        async {
            let started = timestamp::now_ms();
            let caller = Caller::of(&req)?;
            let body: InvokeBody = http::body(&req)?;
            let input = input_text(&body.input)?;
            let definition = store
                .flow_definition(&caller.account.account_id, &body.graph_id)
                .await?
                .ok_or(ApiError::NotFound("flow not found"))?;
            let owner = body.wait.then(|| runner::runner_id("invoke"));
            let ids = StartIds {
                execution_id: new_id(),
                account_id: caller.account.account_id,
                graph_id: body.graph_id,
                key_id: caller.key_id,
            };
            let execution = Execution::start(ids, &definition, input, body.input, owner.as_deref(), started);
            store.start_execution(&execution).await?;
            tracing::info!(
                execution_id = execution.execution_id,
                wait = body.wait,
                "started a run"
            );
            let execution = if body.wait {
                runner::carry_on(store, &definition, execution, started + INLINE_BUDGET_MS).await?
            } else {
                execution
            };
            Ok(execution_response(&execution))
        }
        .await,
    )
}

/// The `executions` function: read, cancel and resume, by the route matched.
pub async fn executions(store: &Store, req: Request) -> Response<Body> {
    match http::route_key(&req) {
        Some(key) if key.ends_with("/cancel") => cancel(store, req).await,
        Some(key) if key.ends_with("/resume") => resume(store, req).await,
        _ => get(store, req).await,
    }
}

async fn read(store: &Store, caller: &Caller, req: &Request) -> Result<Execution, ApiError> {
    let id = http::path_param(req, "id").ok_or(EXECUTION_NOT_FOUND)?;
    store
        .get_execution(&caller.account.account_id, id)
        .await?
        .ok_or(EXECUTION_NOT_FOUND)
}

/// `GET /invocations/v1/executions/{id}`
async fn get(store: &Store, req: Request) -> Response<Body> {
    http::respond(
        async {
            let caller = Caller::of(&req)?;
            let execution = read(store, &caller, &req).await?;
            Ok(http::json(StatusCode::OK, &execution.view()))
        }
        .await,
    )
}

fn conflict(error: impl std::fmt::Display) -> ApiError {
    ApiError::Conflict(error.to_string())
}

fn busy() -> ApiError {
    ApiError::Conflict("the execution is changing; try again".into())
}

/// `POST /invocations/v1/executions/{id}/cancel`
async fn cancel(store: &Store, req: Request) -> Response<Body> {
    http::respond(
        async {
            let caller = Caller::of(&req)?;
            let CancelBody {} = http::optional_body(&req)?;
            for _ in 0..WRITE_ATTEMPTS {
                let mut execution = read(store, &caller, &req).await?;
                let previous = execution.status;
                execution.cancel(timestamp::now_ms()).map_err(conflict)?;
                if store.save_execution(&mut execution, previous).await? {
                    tracing::info!(execution_id = execution.execution_id, "cancelled a run");
                    return Ok(http::json(StatusCode::OK, &execution.view()));
                }
            }
            Err(busy())
        }
        .await,
    )
}

/// `POST /invocations/v1/executions/{id}/resume`: continues a paused run and carries it on
/// inline, like an invoke that waits.
async fn resume(store: &Store, req: Request) -> Response<Body> {
    http::respond(
        async {
            let started = timestamp::now_ms();
            let caller = Caller::of(&req)?;
            let body: ResumeBody = http::optional_body(&req)?;
            if let Some(input) = &body.input {
                input_text(input)?;
            }
            let owner = runner::runner_id("resume");
            for _ in 0..WRITE_ATTEMPTS {
                let mut execution = read(store, &caller, &req).await?;
                let definition = store
                    .flow_definition(&execution.account_id, &execution.graph_id)
                    .await?
                    .ok_or(ApiError::Internal)?;
                let previous = execution.status;
                execution
                    .resume(&definition, body.input.clone(), &owner, timestamp::now_ms())
                    .map_err(conflict)?
                    .map_err(|too_large| ApiError::InvalidRequest(format!("input: {too_large}")))?;
                if store.save_execution(&mut execution, previous).await? {
                    tracing::info!(execution_id = execution.execution_id, "resumed a run");
                    let execution =
                        runner::carry_on(store, &definition, execution, started + INLINE_BUDGET_MS).await?;
                    return Ok(execution_response(&execution));
                }
            }
            Err(busy())
        }
        .await,
    )
}
