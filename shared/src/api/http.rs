//! Reading requests (the body: size, JSON, schema; path parameters; the route matched) and
//! writing successful responses. Errors become responses in [`super::ApiError`].

use lambda_http::{Body, Request, RequestExt, Response, http::StatusCode};
use serde::{Serialize, de::DeserializeOwned};

use super::ApiError;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_vec(value).expect("response types always serialize");
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Binary(body))
        .expect("static response parts are valid")
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .expect("static response parts are valid")
}

/// Reads the JSON body into `T` (which should deny unknown fields). Whatever the
/// `content-type`: the API speaks only JSON.
pub fn body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    // serde would read a struct from an array too; the API takes objects only.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => return Err(ApiError::InvalidJson("request body must be a JSON object".into())),
        Some(_) => {
            return Err(match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => ApiError::InvalidRequest("request body must be a JSON object".into()),
                Err(error) => invalid_json(&error),
            });
        }
    }
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let detail = without_position(&inner);
        if inner.is_syntax() || inner.is_eof() {
            invalid_json(&inner)
        } else if path == "." {
            ApiError::InvalidRequest(detail)
        } else {
            ApiError::InvalidRequest(format!("{path}: {detail}"))
        }
    })?;
    json.end().map_err(|error| invalid_json(&error))?;
    Ok(value)
}

fn invalid_json(error: &serde_json::Error) -> ApiError {
    ApiError::InvalidJson(format!(
        "request body is not valid JSON: {}",
        without_position(error)
    ))
}

/// Like [`body`], but an empty body reads as `T::default()`.
pub fn optional_body<T: DeserializeOwned + Default>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() <= MAX_BODY_BYTES && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    body(req)
}

/// serde_json's message without its " at line 1 column 9" suffix.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// API Gateway's route key of the matched route, such as `GET /v1/api-keys`.
pub fn route_key(req: &Request) -> Option<&str> {
    match req.request_context_ref()? {
        lambda_http::request::RequestContext::ApiGatewayV2(context) => context.route_key.as_deref(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// A path parameter of the matched route.
pub fn path_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.path_parameters_ref().and_then(|params| params.first(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Named {
        name: String,
    }

    fn request(body: &str) -> Request {
        lambda_http::http::Request::builder()
            .body(Body::Text(body.to_owned()))
            .unwrap()
    }

    fn error_of(body: &str) -> ApiError {
        super::body::<Named>(&request(body)).unwrap_err()
    }

    #[test]
    fn body_errors_name_the_field() {
        assert_eq!(
            error_of(r#"{"name": 5}"#),
            ApiError::InvalidRequest("name: invalid type: integer `5`, expected a string".into())
        );
        assert_eq!(
            error_of("{}"),
            ApiError::InvalidRequest("missing field `name`".into())
        );
        assert_eq!(
            error_of(r#"{"name":"x","extra":1}"#),
            ApiError::InvalidRequest("extra: unknown field `extra`, expected `name`".into())
        );
        let not_an_object = ApiError::InvalidRequest("request body must be a JSON object".into());
        assert_eq!(error_of(r#"["x"]"#), not_an_object);
        assert_eq!(error_of(" 5"), not_an_object);
    }

    #[test]
    fn malformed_json_is_invalid_json() {
        assert!(matches!(error_of("{"), ApiError::InvalidJson(_)));
        assert!(matches!(
            error_of("{\"name\":\"x\"} trailing"),
            ApiError::InvalidJson(_)
        ));
        assert!(matches!(error_of(""), ApiError::InvalidJson(_)));
    }

    #[test]
    fn oversized_body_is_413() {
        let big = format!("{{\"name\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(error_of(&big), ApiError::PayloadTooLarge);
        assert_eq!(ApiError::PayloadTooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
