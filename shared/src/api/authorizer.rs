//! The Lambda authorizer: bearer key → verdict. Keys are looked up on every request, with a
//! strongly consistent read and no cache, so a revoked key is refused on its next use.

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::http::HeaderMap;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::Caller;
use crate::{
    domain::{
        keys::{self, Credential, KeyHash, LAST_USED_INTERVAL, UseOrigin},
        timestamp,
    },
    store::{Store, StoreError},
};

/// The simple response of a payload 2.0 authorizer; `context` (a [`Caller`]) reaches handlers
/// as `requestContext.authorizer.lambda`.
pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Map<String, Value>>;

/// Why a request was refused before any database call.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    MissingHeader,
    NotBearer,
    MalformedKey,
}

/// The outcome for one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Allow {
        credential: Credential,
        /// Whether this request wrote `last_used_at` (at most one per key per minute does).
        recorded_use: bool,
    },
    /// The key has the right form but is unknown or revoked.
    Unknown,
    /// The key has reached its `expires_at`.
    Expired,
    Refused(Refusal),
}

/// Extracts the bearer key and hashes it, checking its form first: pure, no I/O.
pub fn key_hash(headers: &HeaderMap) -> Result<KeyHash, Refusal> {
    let header = headers
        .get(lambda_http::http::header::AUTHORIZATION)
        .ok_or(Refusal::MissingHeader)?
        .to_str()
        .map_err(|_| Refusal::MalformedKey)?;
    let (scheme, key) = header.split_once(' ').ok_or(Refusal::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal::NotBearer);
    }
    let key = key.trim();
    if !keys::is_well_formed(key) {
        return Err(Refusal::MalformedKey);
    }
    Ok(KeyHash::of(key))
}

/// Decides on a request. `Err` only when the database could not answer: the caller must then
/// fail closed (an authorizer error, which API Gateway turns into a 500), never allow.
pub async fn decide(
    store: &Store,
    request: &ApiGatewayV2CustomAuthorizerV2Request,
    now: OffsetDateTime,
) -> Result<Decision, StoreError> {
    let hash = match key_hash(&request.headers) {
        Ok(hash) => hash,
        Err(refusal) => return Ok(Decision::Refused(refusal)),
    };
    let Some(credential) = store.find_credential(&hash).await? else {
        tracing::info!(key_hash = hash.log_prefix(), "refused an unknown or revoked key");
        return Ok(Decision::Unknown);
    };
    if credential.is_expired(&timestamp::format(now)) {
        tracing::info!(key_hash = hash.log_prefix(), "refused an expired key");
        return Ok(Decision::Expired);
    }
    let http = &request.request_context.http;
    let origin = UseOrigin::new(http.source_ip.as_deref(), http.user_agent.as_deref());
    let recorded_use = record_use_if_due(store, &hash, &credential, &origin, now).await;
    Ok(Decision::Allow {
        credential,
        recorded_use,
    })
}

/// The longest the verdict waits on the `last_used_at` write.
pub const RECORD_USE_BUDGET: std::time::Duration = std::time::Duration::from_millis(300);

/// Writes `last_used_at` when the stored value is a minute old or more. A failure here, or a
/// write slower than [`RECORD_USE_BUDGET`] (abandoned then), is logged and never fails or
/// delays the request.
async fn record_use_if_due(
    store: &Store,
    hash: &KeyHash,
    credential: &Credential,
    origin: &UseOrigin,
    now: OffsetDateTime,
) -> bool {
    let cutoff = timestamp::format_before(now, LAST_USED_INTERVAL);
    if credential
        .last_used_at
        .as_deref()
        .is_some_and(|last| last > cutoff.as_str())
    {
        return false;
    }
    match tokio::time::timeout(
        RECORD_USE_BUDGET,
        store.record_key_use(hash, credential, origin, now),
    )
    .await
    {
        Ok(Ok(recorded)) => recorded,
        Ok(Err(error)) => {
            tracing::warn!(key_hash = hash.log_prefix(), %error, "could not record key use");
            false
        }
        Err(_) => {
            tracing::warn!(
                key_hash = hash.log_prefix(),
                "gave up recording key use: too slow"
            );
            false
        }
    }
}

impl Decision {
    /// The verdict in API Gateway's simple-response format.
    pub fn response(&self) -> AuthorizerResponse {
        let mut response = AuthorizerResponse::default();
        if let Decision::Allow { credential, .. } = self {
            response.is_authorized = true;
            response.context = Caller::from(credential).context();
        }
        response
    }
}

/// The authorizer function's handler.
pub async fn authorize(
    store: &Store,
    request: ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<AuthorizerResponse, StoreError> {
    Ok(decide(store, &request, timestamp::now()).await?.response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert("authorization", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn bearer_key_is_hashed() {
        assert_eq!(
            key_hash(&headers(Some(&format!("Bearer {KEY}")))),
            Ok(KeyHash::of(KEY))
        );
        assert_eq!(
            key_hash(&headers(Some(&format!("bearer {KEY}")))),
            Ok(KeyHash::of(KEY))
        );
    }

    #[test]
    fn refusals_before_any_lookup() {
        assert_eq!(key_hash(&headers(None)), Err(Refusal::MissingHeader));
        assert_eq!(
            key_hash(&headers(Some(&format!("Basic {KEY}")))),
            Err(Refusal::NotBearer)
        );
        assert_eq!(key_hash(&headers(Some(KEY))), Err(Refusal::NotBearer));
        assert_eq!(key_hash(&headers(Some("Bearer "))), Err(Refusal::MalformedKey));
        assert_eq!(
            key_hash(&headers(Some(&format!("Bearer {}", &KEY[1..])))),
            Err(Refusal::MalformedKey)
        );
        assert_eq!(
            key_hash(&headers(Some(&format!("Bearer {}", KEY.to_uppercase())))),
            Err(Refusal::MalformedKey)
        );
    }

    #[test]
    fn only_an_allow_carries_context() {
        let credential = Credential {
            account_id: "a".into(),
            tenant: "acme".into(),
            email: "e@x.io".into(),
            key_id: "k".into(),
            expires_at: None,
            last_used_at: None,
        };
        let allow = Decision::Allow {
            credential,
            recorded_use: false,
        }
        .response();
        assert!(allow.is_authorized);
        assert_eq!(allow.context["tenant"], "acme");
        assert_eq!(allow.context.len(), 4);
        let deny = Decision::Unknown.response();
        assert!(!deny.is_authorized);
        assert!(deny.context.is_empty());
    }
}
