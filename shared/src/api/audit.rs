//! `GET /v1/audit-events`: the account's audit log, newest first.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::Serialize;

use super::{ApiError, Caller, http};
use crate::{domain::audit::AuditEvent, store::Store};

const AUDIT_LIST: &str = "audit";

#[derive(Serialize)]
struct EventList {
    events: Vec<AuditEvent>,
    next_cursor: Option<String>,
}

pub async fn audit_events(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let account_id = &caller.account.account_id;
    let page = store
        .list_audit_events(account_id, &http::page_request(&req, account_id, AUDIT_LIST)?)
        .await
        .map_err(ApiError::from_listing)?;
    let next_cursor = http::next_cursor(account_id, AUDIT_LIST, page.next);
    Ok(http::json(
        StatusCode::OK,
        &EventList {
            events: page.items,
            next_cursor,
        },
    ))
}
