//! `/v1/flows`: save and list flows.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, value::RawValue};

use super::{ApiError, Caller, http};
use crate::{
    domain::{
        flows::{Definition, FlowSummary, MAX_DEFINITION_BYTES},
        names, timestamp,
    },
    store::Store,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateFlowBody {
    name: String,
    definition: Value,
}

/// The definition's JSON text exactly as the client sent it.
#[derive(Deserialize)]
struct ReceivedDefinition<'a> {
    #[serde(borrow)]
    definition: &'a RawValue,
}

#[derive(Serialize)]
struct FlowList {
    flows: Vec<FlowSummary>,
    next_cursor: Option<String>,
}

/// The name of the flows list in its cursors.
const FLOWS_LIST: &str = "flows";

/// The `flows` function: `POST` and `GET /v1/flows`.
pub async fn flows(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    if req.method() == "POST" {
        create_flow(store, caller, req).await
    } else {
        list_flows(store, caller, req).await
    }
}

/// `POST /v1/flows`: validates the definition once; the flow is immutable afterwards.
async fn create_flow(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let body: CreateFlowBody = http::body(&req)?;
    let name = names::validate_name(&body.name)
        .map_err(|invalid| ApiError::InvalidRequest(format!("name: {invalid}")))?;
    // The definition's size as received: read again, as raw text, from the body that has just
    // parsed.
    let received: ReceivedDefinition = serde_json::from_slice(req.body().as_ref())
        .map_err(|error| ApiError::InvalidJson(error.to_string()))?;
    if received.definition.get().len() > MAX_DEFINITION_BYTES {
        return Err(ApiError::InvalidRequest(format!(
            "definition must be at most {} KiB of JSON",
            MAX_DEFINITION_BYTES / 1024
        )));
    }
    let definition = Definition::parse(&body.definition).map_err(ApiError::InvalidRequest)?;
    let flow = store
        .create_flow(
            &caller.account.account_id,
            name,
            &definition,
            &caller.actor(&req),
            timestamp::now(),
        )
        .await?;
    tracing::info!(graph_id = flow.graph_id, "saved a flow");
    Ok(http::json(StatusCode::CREATED, &flow))
}

/// `GET /v1/flows`
async fn list_flows(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let account_id = &caller.account.account_id;
    let page = store
        .list_flows(account_id, &http::page_request(&req, account_id, FLOWS_LIST)?)
        .await
        .map_err(ApiError::from_listing)?;
    let next_cursor = http::next_cursor(account_id, FLOWS_LIST, page.next);
    Ok(http::json(
        StatusCode::OK,
        &FlowList {
            flows: page.items,
            next_cursor,
        },
    ))
}
