//! `/v1/api-keys` (create, list, revoke, roll) and `/v1/whoami`.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ApiError, Caller, http};
use crate::{
    domain::{
        keys::{self, KeyStatus, KeySummary, MAX_ROLL_OVERLAP_SECONDS},
        names, timestamp,
    },
    store::{KeyRoll, NewKey, Store, StoreError},
};

const KEY_NOT_FOUND: ApiError = ApiError::NotFound("API key not found");
/// The name of the keys list in its cursors.
const KEYS_LIST: &str = "keys";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKeyBody {
    name: String,
    #[serde(default)]
    expires_at: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RollKeyBody {
    #[serde(default, deserialize_with = "http::whole_number")]
    overlap_seconds: u32,
    #[serde(default)]
    expires_at: Option<String>,
}

/// A key just minted: the only answer that holds the raw key.
#[derive(Serialize)]
struct CreatedKeyBody<'a> {
    id: &'a str,
    name: &'a str,
    key: &'a str,
    masked: Option<&'a str>,
    created_at: &'a str,
    expires_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rolled_from: Option<&'a str>,
}

fn expiry(requested: Option<&str>, now: OffsetDateTime) -> Result<Option<OffsetDateTime>, ApiError> {
    requested
        .map(|at| keys::expiry(at, now))
        .transpose()
        .map_err(|invalid| ApiError::InvalidRequest(invalid.to_string()))
}

fn created(created: &keys::CreatedKey, rolled_from: Option<&str>) -> Response<Body> {
    let summary = &created.summary;
    http::json(
        StatusCode::CREATED,
        &CreatedKeyBody {
            id: &summary.key_id,
            name: &summary.name,
            key: created.raw.expose(),
            masked: summary.masked.as_deref(),
            created_at: &summary.created_at,
            expires_at: summary.expires_at.as_deref(),
            rolled_from,
        },
    )
}

/// `POST /v1/api-keys`
pub async fn create_key(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let now = timestamp::now();
    let body: CreateKeyBody = http::body(&req)?;
    let name = names::validate_name(&body.name)
        .map_err(|invalid| ApiError::InvalidRequest(format!("name: {invalid}")))?;
    let key = NewKey {
        name,
        expires_at: expiry(body.expires_at.as_deref(), now)?,
    };
    let minted = match store
        .create_key(&caller.account, &caller.actor(&req), key, now)
        .await
    {
        Ok(minted) => minted,
        Err(StoreError::ConditionFailed) => return Err(ApiError::Revoked),
        Err(error) => return Err(error.into()),
    };
    tracing::info!(key_id = minted.summary.key_id, "created an API key");
    Ok(created(&minted, None))
}

/// `POST /v1/api-keys/{id}/roll`: a new key with the old one's name; the old one stops at once
/// (no overlap) or when the overlap ends.
pub async fn roll_key(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let now = timestamp::now();
    let key_id = http::path_param(&req, "id").ok_or(KEY_NOT_FOUND)?;
    let body: RollKeyBody = http::optional_body(&req)?;
    if body.overlap_seconds > MAX_ROLL_OVERLAP_SECONDS {
        return Err(ApiError::InvalidRequest(format!(
            "overlap_seconds must be from 0 to {MAX_ROLL_OVERLAP_SECONDS}"
        )));
    }
    let actor = caller.actor(&req);
    let roll = KeyRoll {
        account: &caller.account,
        key_id,
        actor: &actor,
        overlap_seconds: body.overlap_seconds,
        expires_at: expiry(body.expires_at.as_deref(), now)?,
    };
    match store.roll_key(roll, now).await {
        Ok(rolled) => {
            tracing::info!(
                key_id,
                new_key_id = rolled.created.summary.key_id,
                "rolled an API key"
            );
            Ok(created(&rolled.created, Some(key_id)))
        }
        Err(StoreError::NotFound) => Err(KEY_NOT_FOUND),
        Err(StoreError::Expired) => Err(ApiError::Conflict(
            "the API key has expired, so it cannot be rolled".into(),
        )),
        // Either the caller's own key was revoked meanwhile, or the key was rolled or revoked
        // by another request.
        Err(StoreError::ConditionFailed) => {
            match store.get_key(&caller.account.account_id, &caller.key_id).await? {
                None => Err(ApiError::Revoked),
                Some(_) => Err(ApiError::Conflict(
                    "the API key was changed by another request; list the keys and try again".into(),
                )),
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// A key as listed, with whether it still works.
#[derive(Serialize)]
struct KeyView {
    #[serde(flatten)]
    summary: KeySummary,
    status: KeyStatus,
}

#[derive(Serialize)]
struct KeyList {
    keys: Vec<KeyView>,
    next_cursor: Option<String>,
}

/// `GET /v1/api-keys`
pub async fn list_keys(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let account_id = &caller.account.account_id;
    let page = store
        .list_keys(account_id, &http::page_request(&req, account_id, KEYS_LIST)?)
        .await
        .map_err(ApiError::from_listing)?;
    let now = timestamp::format(timestamp::now());
    let keys = page
        .items
        .into_iter()
        .map(|summary| KeyView {
            status: summary.status(&now),
            summary,
        })
        .collect();
    let next_cursor = http::next_cursor(account_id, KEYS_LIST, page.next);
    Ok(http::json(StatusCode::OK, &KeyList { keys, next_cursor }))
}

/// `DELETE /v1/api-keys/{id}`
pub async fn revoke_key(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let key_id = http::path_param(&req, "id").ok_or(KEY_NOT_FOUND)?;
    let actor = caller.actor(&req);
    match store
        .revoke_key(&caller.account.account_id, key_id, &actor, timestamp::now())
        .await
    {
        Ok(()) => {
            tracing::info!(key_id, "revoked an API key");
            Ok(http::no_content())
        }
        Err(StoreError::NotFound) => Err(KEY_NOT_FOUND),
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
