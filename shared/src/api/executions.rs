//! `/invocations/v1/...`: invoke a flow, read, cancel and resume its runs. The run rules
//! (budgets, retries) are the runner's; this file only speaks HTTP.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::{ApiError, Caller, http};
use crate::{
    domain::{
        executions::{Execution, StartIds},
        flows::{self, MAX_DEPTH, MAX_INPUT_BYTES},
        ids::new_id,
        timestamp,
    },
    runner::{self, RunChangeError},
    store::Store,
};

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

/// The input as stored, refused past the size and depth caps.
fn input_text(input: &Value) -> Result<String, ApiError> {
    if flows::depth(input) > MAX_DEPTH {
        return Err(ApiError::InvalidRequest(format!(
            "input must not nest deeper than {MAX_DEPTH} levels"
        )));
    }
    let text = serde_json::to_string(input).expect("JSON values always serialize");
    if text.len() > MAX_INPUT_BYTES {
        return Err(ApiError::InvalidRequest(format!(
            "input must be at most {} KiB of JSON",
            MAX_INPUT_BYTES / 1024
        )));
    }
    Ok(text)
}

impl From<RunChangeError> for ApiError {
    fn from(error: RunChangeError) -> Self {
        match error {
            RunChangeError::NotFound => EXECUTION_NOT_FOUND,
            RunChangeError::NotAllowed(_) | RunChangeError::Busy => Self::Conflict(error.to_string()),
            RunChangeError::InputTooLarge(_) => Self::InvalidRequest(error.to_string()),
            RunChangeError::Store(error) => error.into(),
        }
    }
}

/// `POST /invocations/v1/flows/invoke`: one read of the flow and one transaction start the run.
pub async fn invoke(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let started = timestamp::now_ms();
    let body: InvokeBody = http::body(&req)?;
    let input = input_text(&body.input)?;
    let definition = store
        .flow_definition(&caller.account.account_id, &body.graph_id)
        .await?
        .ok_or(ApiError::NotFound("flow not found"))?;
    let ids = StartIds {
        execution_id: new_id(),
        account_id: caller.account.account_id.clone(),
        graph_id: body.graph_id,
        key_id: caller.key_id.clone(),
    };
    let execution = runner::start(store, ids, &definition, input, body.input, body.wait, started).await?;
    Ok(execution_response(&execution))
}

/// The `executions` function: read, cancel and resume, by the route matched.
pub async fn executions(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let id = http::path_param(&req, "id").ok_or(EXECUTION_NOT_FOUND)?;
    let account_id = &caller.account.account_id;
    match http::route_key(&req) {
        Some(key) if key.ends_with("/cancel") => {
            let CancelBody {} = http::optional_body(&req)?;
            let execution = runner::cancel(store, account_id, id).await?;
            Ok(http::json(StatusCode::OK, &execution.view()))
        }
        Some(key) if key.ends_with("/resume") => {
            let started = timestamp::now_ms();
            let body: ResumeBody = http::optional_body(&req)?;
            if let Some(input) = &body.input {
                input_text(input)?;
            }
            let execution = runner::resume(store, account_id, id, body.input, started).await?;
            Ok(execution_response(&execution))
        }
        _ => {
            let execution = store
                .get_execution(account_id, id)
                .await?
                .ok_or(EXECUTION_NOT_FOUND)?;
            Ok(http::json(StatusCode::OK, &execution.view()))
        }
    }
}
