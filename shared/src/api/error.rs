//! The one place where errors become HTTP responses: `{"error": {"code", "message"}}`.

use lambda_http::{Body, Response, http::StatusCode};

use super::{
    device::DeviceError,
    http::{MAX_BODY_BYTES, json},
};
use crate::store::StoreError;

/// An error answered to the client as `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("request body is larger than {} KiB", MAX_BODY_BYTES / 1024)]
    PayloadTooLarge,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("this Idempotency-Key was used with another graph_id or input in the last 24 hours")]
    IdempotencyKeyReused,
    /// The key making the request was revoked after the authorizer allowed the request and
    /// before the request's write: answered exactly as the authorizer answers a revoked key.
    #[error("Forbidden")]
    Revoked,
    /// A device-flow answer (PRODUCT.md §17), a 400 with its own code.
    #[error("{}", .0.message())]
    Device(DeviceError),
    /// The client asked too often, or its account is at its quota; it may try again after
    /// this many seconds.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_seconds: i64,
    },
    /// The database is throttling or unreachable after the retries; the client may try again.
    #[error("the service is busy; try again in a moment")]
    Unavailable,
    /// The details were logged where the fault happened; the client learns nothing more.
    #[error("internal server error")]
    Internal,
}

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: &str = "1";

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidJson(_) | Self::InvalidRequest(_) | Self::Device(_) => StatusCode::BAD_REQUEST,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::IdempotencyKeyReused => StatusCode::CONFLICT,
            Self::Revoked => StatusCode::FORBIDDEN,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidRequest(_) => "invalid_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Revoked => "forbidden",
            Self::Unavailable => "unavailable",
            Self::Device(error) => error.code(),
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Internal => "internal_error",
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let retry_after = match &self {
            Self::Unavailable => Some(RETRY_AFTER_SECONDS.to_owned()),
            Self::TooManyRequests {
                retry_after_seconds, ..
            } => Some((*retry_after_seconds).max(1).to_string()),
            _ => None,
        };
        let mut response = match self {
            // API Gateway's own body, as for any refused key.
            Self::Revoked => json(self.status(), &serde_json::json!({"message": self.to_string()})),
            _ => json(
                self.status(),
                &serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}}),
            ),
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                "retry-after",
                seconds.parse().expect("a number is a header value"),
            );
        }
        response
    }
}

impl ApiError {
    /// A list's store error: a position the store did not hand out is the cursor's fault.
    pub fn from_listing(error: StoreError) -> Self {
        match error {
            StoreError::BadPosition => Self::InvalidRequest("cursor is not one this list gave".into()),
            other => other.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    /// Only for faults: expected outcomes (not found, conflicts) are matched by the caller.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => {
                tracing::warn!(%error, "store unavailable");
                Self::Unavailable
            }
            _ => {
                tracing::error!(%error, "store failure");
                Self::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_is_a_503_with_retry_after() {
        let response = ApiError::from(StoreError::Unavailable("throttled".into())).into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(!body.to_string().contains("throttled"));
    }

    #[test]
    fn a_revoked_caller_gets_the_gateway_s_refusal() {
        let response = ApiError::Revoked.into_response();
        assert_eq!(response.status(), 403);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body, serde_json::json!({"message": "Forbidden"}));
    }

    #[test]
    fn error_body_has_one_shape_and_no_internals() {
        let response = ApiError::Internal.into_response();
        assert_eq!(response.status(), 500);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "internal_error", "message": "internal server error"}})
        );
    }
}
