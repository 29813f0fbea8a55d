//! The one place where errors become HTTP responses: `{"error": {"code", "message"}}`.

use lambda_http::{Body, Response, http::StatusCode};

use super::http::{MAX_BODY_BYTES, json};
use crate::store::StoreError;

/// An error answered to the client as `{"error": {"code", "message"}}`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
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
    /// The details were logged where the fault happened; the client learns nothing more.
    #[error("internal server error")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidJson(_) | Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
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
            Self::Internal => "internal_error",
        }
    }

    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}});
        json(self.status(), &body)
    }
}

impl From<StoreError> for ApiError {
    /// Only for faults: expected outcomes (not found, conflicts) are matched by the caller.
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store failure");
        Self::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
