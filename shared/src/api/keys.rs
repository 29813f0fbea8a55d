//! `/v1/api-keys` and `/v1/whoami`.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::{Deserialize, Serialize};

use super::{ApiError, Caller, http};
use crate::{
    domain::{keys::KeySummary, names},
    store::{Store, StoreError},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKeyBody {
    name: String,
}

#[derive(Serialize)]
struct CreatedKeyBody<'a> {
    id: &'a str,
    name: &'a str,
    key: &'a str,
    masked: Option<&'a str>,
    created_at: &'a str,
}

/// `POST /v1/api-keys`
pub async fn create_key(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let body: CreateKeyBody = http::body(&req)?;
    let name = names::validate_name(&body.name)
        .map_err(|invalid| ApiError::InvalidRequest(format!("name: {invalid}")))?;
    let created = match store
        .create_key(&caller.account, Some(&caller.key_id), name)
        .await
    {
        Ok(created) => created,
        Err(StoreError::ConditionFailed) => return Err(ApiError::Revoked),
        Err(error) => return Err(error.into()),
    };
    tracing::info!(key_id = created.summary.key_id, "created an API key");
    let summary = &created.summary;
    Ok(http::json(
        StatusCode::CREATED,
        &CreatedKeyBody {
            id: &summary.key_id,
            name: &summary.name,
            key: created.raw.expose(),
            masked: summary.masked.as_deref(),
            created_at: &summary.created_at,
        },
    ))
}

#[derive(Serialize)]
struct KeyList {
    keys: Vec<KeySummary>,
}

/// `GET /v1/api-keys`
pub async fn list_keys(store: &Store, caller: &Caller, _: Request) -> Result<Response<Body>, ApiError> {
    let keys = store.list_keys(&caller.account.account_id).await?;
    Ok(http::json(StatusCode::OK, &KeyList { keys }))
}

/// `DELETE /v1/api-keys/{id}`
pub async fn revoke_key(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let key_id = http::path_param(&req, "id").ok_or(ApiError::NotFound("API key not found"))?;
    match store.revoke_key(&caller.account.account_id, key_id).await {
        Ok(()) => {
            tracing::info!(key_id, "revoked an API key");
            Ok(http::no_content())
        }
        Err(StoreError::NotFound) => Err(ApiError::NotFound("API key not found")),
        Err(error) => Err(error.into()),
    }
}

#[derive(Serialize)]
struct WhoamiBody<'a> {
    email: &'a str,
    tenant: &'a str,
    account_id: &'a str,
    key_id: &'a str,
}

/// `GET /v1/whoami`: answered from the authorizer's verdict alone.
pub fn whoami(caller: &Caller) -> Response<Body> {
    http::json(
        StatusCode::OK,
        &WhoamiBody {
            email: &caller.account.email,
            tenant: &caller.account.tenant,
            account_id: &caller.account.account_id,
            key_id: &caller.key_id,
        },
    )
}
