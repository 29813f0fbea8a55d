//! `/v1/auth/device`, `/approve` and `/token`: the CLI's browser sign-in (PRODUCT.md §17).
//! Creating a grant and polling for its key are public (the CLI has no key yet); approving
//! needs a key. Without a key nothing tells whether a user code exists, and without a device
//! code nothing tells anything about a grant.

use lambda_http::{Body, Request, Response, http::StatusCode};
use serde::{Deserialize, Serialize};

use super::{ApiError, Caller, http, respond};
use crate::{
    domain::{
        device::{
            self, DeviceCode, DeviceGrant, EXPIRES_IN_SECONDS, Poll, RATE_WINDOW_SECONDS, UserCode, same_hash,
        },
        timestamp,
    },
    store::{GrantRefused, Store, StoreError},
};

/// The device-flow errors of PRODUCT.md §17: 400s with these codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceError {
    AuthorizationPending,
    SlowDown,
    AccessDenied,
    ExpiredToken,
    InvalidGrant,
}

impl DeviceError {
    pub fn code(self) -> &'static str {
        match self {
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::AccessDenied => "access_denied",
            Self::ExpiredToken => "expired_token",
            Self::InvalidGrant => "invalid_grant",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::AuthorizationPending => {
                "the sign-in has not been approved yet; poll again after the interval"
            }
            Self::SlowDown => "polled too soon; wait the interval (now 5 seconds longer) between polls",
            Self::AccessDenied => "the sign-in was denied, or the key that approved it no longer works",
            Self::ExpiredToken => "the sign-in has expired or its key was handed out already; start again",
            Self::InvalidGrant => "this device code was not issued by this API",
        }
    }
}

/// How many user codes a grant's creation tries before giving up (a clash is one in ~10^10).
const CODE_ATTEMPTS: usize = 3;
const GRANT_NOT_FOUND: ApiError = ApiError::NotFound("no pending sign-in with this code");

/// The `device` function: the three routes, by the route matched.
pub async fn device(store: &Store, req: Request) -> Response<Body> {
    let result = match http::route_key(&req) {
        Some(key) if key.ends_with("/approve") => return respond(approve, store, req).await,
        Some(key) if key.ends_with("/token") => token(store, &req).await,
        _ => create_grant(store, &req).await,
    };
    result.unwrap_or_else(ApiError::into_response)
}

/// Creating a grant takes no fields: an empty body or `{}`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateGrantBody {}

#[derive(Serialize)]
struct GrantBody<'a> {
    device_code: &'a str,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: i64,
    interval: i64,
}

/// `POST /v1/auth/device` (public)
async fn create_grant(store: &Store, req: &Request) -> Result<Response<Body>, ApiError> {
    let CreateGrantBody {} = http::optional_body(req)?;
    let now_ms = timestamp::now_ms();
    let source_ip = http::origin(req).0.unwrap_or("unknown").to_owned();
    for _ in 0..CODE_ATTEMPTS {
        let user_code = UserCode::generate();
        let device_code = DeviceCode::generate(&user_code);
        let grant = DeviceGrant::new(&device_code, now_ms);
        match store.create_grant(&user_code, &grant, &source_ip, now_ms).await {
            Ok(()) => {
                let verification_uri = format!("{}/console/device", origin(req));
                return Ok(http::json(
                    StatusCode::OK,
                    &GrantBody {
                        device_code: device_code.expose(),
                        verification_uri_complete: format!("{verification_uri}?code={}", user_code.shown()),
                        user_code: user_code.shown(),
                        verification_uri,
                        expires_in: EXPIRES_IN_SECONDS,
                        interval: grant.interval_seconds,
                    },
                ));
            }
            Err(GrantRefused::CodeTaken) => continue,
            Err(GrantRefused::RateLimited) => {
                let window_ends = (now_ms / 1000 / RATE_WINDOW_SECONDS + 1) * RATE_WINDOW_SECONDS;
                let retry_after_seconds = window_ends - now_ms / 1000;
                return Err(ApiError::TooManyRequests {
                    message: format!(
                        "too many sign-ins started from this address; try again in {retry_after_seconds} seconds"
                    ),
                    retry_after_seconds,
                });
            }
            Err(GrantRefused::Store(error)) => return Err(error.into()),
        }
    }
    Err(ApiError::Unavailable)
}

/// This API's origin as the client reached it (API Gateway's domain on AWS).
fn origin(req: &Request) -> String {
    let uri = req.uri();
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ => String::new(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    user_code: String,
    approve: bool,
}

/// `POST /v1/auth/device/approve`: the caller's key approves or denies a pending grant.
async fn approve(store: &Store, caller: &Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let body: ApproveBody = http::body(&req)?;
    let user_code = UserCode::parse(&body.user_code).ok_or(GRANT_NOT_FOUND)?;
    let decided = store
        .decide_grant(
            &user_code,
            body.approve,
            &caller.account,
            &caller.actor(&req),
            timestamp::now(),
        )
        .await
        .map_err(|error| match error {
            // The caller's key was revoked after the authorizer let the request in.
            StoreError::ConditionFailed => ApiError::Revoked,
            other => other.into(),
        })?;
    if !decided {
        return Err(GRANT_NOT_FOUND);
    }
    tracing::info!(approved = body.approve, "decided a device sign-in");
    Ok(http::no_content())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    device_code: String,
}

#[derive(Serialize)]
struct MintedBody<'a> {
    key: &'a str,
    key_id: &'a str,
    name: &'a str,
    email: &'a str,
    tenant: &'a str,
    expires_at: Option<&'a str>,
}

/// `POST /v1/auth/device/token` (public): the grant's state, or its key, once.
async fn token(store: &Store, req: &Request) -> Result<Response<Body>, ApiError> {
    let body: TokenBody = http::body(req)?;
    let invalid = ApiError::Device(DeviceError::InvalidGrant);
    let user_code = device::user_code_of(&body.device_code).ok_or(invalid.clone())?;
    let mut grant = store.grant(&user_code).await?.ok_or(invalid.clone())?;
    if !same_hash(
        &grant.device_code_hash,
        &device::device_code_hash(&body.device_code),
    ) {
        return Err(invalid);
    }
    let previous_poll = grant.last_poll_ms;
    let poll = grant.poll(timestamp::now_ms());
    if poll != Poll::ExpiredToken && !store.save_poll(&user_code, &grant, previous_poll).await? {
        // Another poll of this grant landed in between: this one came too soon.
        return Err(ApiError::Device(DeviceError::SlowDown));
    }
    let refused = match poll {
        Poll::Pending => DeviceError::AuthorizationPending,
        Poll::SlowDown => DeviceError::SlowDown,
        Poll::Denied => DeviceError::AccessDenied,
        Poll::ExpiredToken => DeviceError::ExpiredToken,
        Poll::Approved => return mint(store, &user_code, &grant).await,
    };
    Err(ApiError::Device(refused))
}

/// The approved grant's key, minted now; or why not.
async fn mint(store: &Store, user_code: &UserCode, grant: &DeviceGrant) -> Result<Response<Body>, ApiError> {
    let Some(created) = store.mint_for_grant(user_code, grant, timestamp::now()).await? else {
        // Consumed by a concurrent poll, or the approving key is gone (revoked, expired).
        let current = store.grant(user_code).await?;
        if current.is_some_and(|current| current.status == device::GrantStatus::Consumed) {
            return Err(ApiError::Device(DeviceError::ExpiredToken));
        }
        store.deny_grant(user_code, grant).await?;
        return Err(ApiError::Device(DeviceError::AccessDenied));
    };
    tracing::info!(
        key_id = created.summary.key_id,
        "minted a key for a device sign-in"
    );
    Ok(http::json(
        StatusCode::OK,
        &MintedBody {
            key: created.raw.expose(),
            key_id: &created.summary.key_id,
            name: &created.summary.name,
            email: grant.email.as_deref().unwrap_or_default(),
            tenant: grant.tenant.as_deref().unwrap_or_default(),
            expires_at: created.summary.expires_at.as_deref(),
        },
    ))
}
