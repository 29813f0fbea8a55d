//! `/invocations/v1/...`: invoke a flow, read, cancel and resume its runs. The run rules
//! (budgets, retries) are the runner's; this file only speaks HTTP.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiError, Caller, http};
use crate::{
    domain::{
        executions::{Execution, RunFilter, RunSummary, StartIds, Status},
        flows::{self, MAX_DEPTH, MAX_INPUT_BYTES},
        idempotency::{IdempotencyKey, MAX_KEY_LEN},
        ids::{is_plausible_id, new_id},
        pages::Page,
        timestamp,
    },
    runner::{self, Invocation, InvokeError, RunChangeError},
    store::Store,
};

/// When a client at its quota may try again: runs end within seconds to minutes.
const QUOTA_RETRY_AFTER_SECONDS: i64 = 1;

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

impl From<InvokeError> for ApiError {
    fn from(error: InvokeError) -> Self {
        match error {
            InvokeError::KeyReused => Self::IdempotencyKeyReused,
            InvokeError::FlowNotFound => Self::NotFound("flow not found"),
            InvokeError::QuotaReached(_) => Self::TooManyRequests {
                message: error.to_string(),
                retry_after_seconds: QUOTA_RETRY_AFTER_SECONDS,
            },
            InvokeError::Store(error) => error.into(),
        }
    }
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

/// `POST /invocations/v1/flows/invoke`: reads of the flow and the account's quota (at once) and
/// one transaction start the run (with an `Idempotency-Key`, one read of its binding first).
pub async fn invoke(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let started = timestamp::now_ms();
    let idempotency_key = match req.headers().get("idempotency-key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(IdempotencyKey::parse)
                .ok_or_else(|| {
                    ApiError::InvalidRequest(format!(
                        "Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters"
                    ))
                })?,
        ),
    };
    let body: InvokeBody = http::body(&req)?;
    let input_text = input_text(&body.input)?;
    let invocation = Invocation {
        ids: StartIds {
            execution_id: new_id(),
            account_id: caller.account.account_id.clone(),
            graph_id: body.graph_id,
            key_id: caller.key_id.clone(),
        },
        input_text,
        input: body.input,
        wait: body.wait,
        idempotency_key,
    };
    // Boxed: the run's inline part nests many store calls; its future is large.
    let execution = Box::pin(runner::invoke(store, invocation, started)).await?;
    Ok(execution_response(&execution))
}

/// The name of the runs list in its cursors.
const RUNS_LIST: &str = "executions";

#[derive(Serialize)]
struct RunList {
    executions: Vec<RunSummary>,
    next_cursor: Option<String>,
}

/// `GET /invocations/v1/executions?status&graph_id`: the account's runs, newest first.
async fn list(store: &Store, caller: &Caller, req: &Request) -> Result<Response<Body>, ApiError> {
    let account_id = &caller.account.account_id;
    let status = http::query_param(req, "status")
        .map(|text| {
            serde_json::from_value::<Status>(Value::String(text.to_owned()))
                .map_err(|_| ApiError::InvalidRequest(format!("status: `{text}` is not an execution status")))
        })
        .transpose()?;
    let filter = RunFilter {
        status,
        graph_id: http::query_param(req, "graph_id").map(str::to_owned),
    };
    // A cursor belongs to its filter too: its positions skipped what did not match.
    let list = format!(
        "{RUNS_LIST}?status={}&graph_id={}",
        filter.status.map(|status| status.as_str()).unwrap_or_default(),
        filter.graph_id.as_deref().unwrap_or_default()
    );
    let page = http::page_request(req, account_id, &list)?;
    let page = match &filter.graph_id {
        // An id of another form names no flow: an empty list, without a query.
        Some(graph_id) if !is_plausible_id(graph_id) => Page {
            items: Vec::new(),
            next: None,
        },
        _ => store
            .list_executions(account_id, &filter, &page)
            .await
            .map_err(ApiError::from_listing)?,
    };
    let next_cursor = http::next_cursor(account_id, &list, page.next);
    Ok(http::json(
        StatusCode::OK,
        &RunList {
            executions: page.items,
            next_cursor,
        },
    ))
}

/// The `executions` function: list, read, cancel and resume, by the route matched.
pub async fn executions(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    if http::route_key(&req) == Some("GET /invocations/v1/executions") {
        return list(store, caller, &req).await;
    }
    let id = http::path_param(&req, "id").ok_or(EXECUTION_NOT_FOUND)?;
    let account_id = &caller.account.account_id;
    match http::route_key(&req) {
        Some(key) if key.ends_with("/cancel") => {
            let CancelBody {} = http::optional_body(&req)?;
            let execution = runner::cancel(store, account_id, id, &caller.actor(&req)).await?;
            Ok(http::json(StatusCode::OK, &execution.view()))
        }
        Some(key) if key.ends_with("/resume") => {
            let started = timestamp::now_ms();
            let body: ResumeBody = http::optional_body(&req)?;
            if let Some(input) = &body.input {
                input_text(input)?;
            }
            let actor = caller.actor(&req);
            let resumed = runner::resume(store, account_id, id, body.input, &actor, started);
            let execution = Box::pin(resumed).await?;
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
