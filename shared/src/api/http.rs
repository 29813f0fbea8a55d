//! Reading requests (the body: size, JSON, schema; path parameters; the route matched) and
//! writing successful responses. Errors become responses in [`super::ApiError`].

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::{
    Body, Request, RequestExt, Response,
    http::{StatusCode, Uri},
    request::LambdaRequest,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use super::ApiError;
use crate::domain::pages::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Every response of ours says so: nothing may be cached (some carry a raw key, all carry an
/// account's data).
pub const CACHE_CONTROL: &str = "no-store";

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_vec(value).expect("response types always serialize");
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", CACHE_CONTROL)
        .body(Body::Binary(body))
        .expect("static response parts are valid")
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("cache-control", CACHE_CONTROL)
        .body(Body::Empty)
        .expect("static response parts are valid")
}

/// The request of a payload 2.0 event, as handlers read it. `lambda_http` builds the request's
/// URI from `X-Forwarded-Proto`, `Host` (or the domain name), the path and the raw query string,
/// and panics on what does not parse; so what would not parse is dropped (or, for the query,
/// percent-encoded) first: no header or query a client sends can stop a function.
pub fn request_of(mut event: ApiGatewayV2httpRequest) -> Request {
    let scheme = match event
        .headers
        .get("x-forwarded-proto")
        .map(|proto| proto.as_bytes())
    {
        None | Some(b"https") => "https",
        Some(b"http") => "http",
        Some(_) => {
            event.headers.remove("x-forwarded-proto");
            "https"
        }
    };
    let path = event.raw_path.as_deref().unwrap_or_default();
    let makes_a_url = |host: &str| url::Url::parse(&format!("{scheme}://{host}{path}")).is_ok();
    if event
        .headers
        .get("host")
        .is_some_and(|host| !host.to_str().is_ok_and(makes_a_url))
    {
        event.headers.remove("host");
    }
    if event
        .request_context
        .domain_name
        .as_deref()
        .is_some_and(|host| !makes_a_url(host))
    {
        event.request_context.domain_name = None;
    }
    if let Some(query) = &event.raw_query_string
        && format!("/?{query}").parse::<Uri>().is_err()
    {
        let encoded = percent_encoded(query);
        event.raw_query_string = format!("/?{encoded}").parse::<Uri>().is_ok().then_some(encoded);
    }
    LambdaRequest::ApiGatewayV2(event).into()
}

/// A response as a payload 2.0 Lambda answers API Gateway. Bodies that are text (ours are JSON,
/// HTML, CSS and JavaScript) go as text, anything else base64-encoded.
pub fn gateway_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut answer = ApiGatewayV2httpResponse::default();
    answer.status_code = parts.status.as_u16().into();
    answer.headers = parts.headers;
    (answer.body, answer.is_base64_encoded) = match body {
        Body::Binary(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (Some(Body::Text(text)), false),
            Err(not_text) => (Some(Body::Binary(not_text.into_bytes())), true),
        },
        Body::Empty => (None, false),
        text => (Some(text), false),
    };
    answer
}

/// `text` with every byte that is not a visible ASCII character, or that a URI may not hold
/// as is, percent-encoded.
fn percent_encoded(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_graphic() && !b"\"#<>\\^`{|}".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
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
    // serde_json's own nesting limit (128) fires before the API's (64): same rule, same answer.
    if error.to_string().starts_with("recursion limit exceeded") {
        return ApiError::InvalidRequest(format!(
            "request body must not nest deeper than {} levels",
            crate::domain::flows::MAX_DEPTH
        ));
    }
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

/// An integer field however it is written (`60`, `60.0`, `6e1`), as JSON Schema counts
/// integers: a number with no fraction, in the type's range.
pub fn whole_number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    let number = f64::deserialize(deserializer)?;
    let whole =
        (number.fract() == 0.0 && number >= 0.0 && number <= u64::MAX as f64).then_some(number as u64);
    whole
        .and_then(|whole| T::try_from(whole).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("expected a whole number in range, not {number}")))
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

/// A query string parameter.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref()
        .and_then(|params| params.first(name))
}

/// The request's source IP and User-Agent, as API Gateway saw them.
pub fn origin(req: &Request) -> (Option<&str>, Option<&str>) {
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => (
            context.http.source_ip.as_deref(),
            context.http.user_agent.as_deref(),
        ),
        _ => (None, None),
    }
}

/// What a page cursor holds: whose list, which list, and the store's position in it. Opaque
/// to clients (base64 of JSON); checked on the way back, so a cursor from another account or
/// list, or a changed one, is a 400 and never shows anything but the caller's own items.
#[derive(Serialize, serde::Deserialize)]
struct Cursor {
    #[serde(rename = "a")]
    account_id: String,
    #[serde(rename = "l")]
    list: String,
    #[serde(rename = "p")]
    position: String,
}

/// The page a list request asks for: `limit` (1 to 100, default 50) and `cursor`.
pub fn page_request(req: &Request, account_id: &str, list: &str) -> Result<PageRequest, ApiError> {
    let limit = match query_param(req, "limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::InvalidRequest(format!("limit must be an integer from 1 to {MAX_LIMIT}"))
            })?,
    };
    let after = match query_param(req, "cursor") {
        None => None,
        Some(text) => {
            let cursor: Cursor = URL_SAFE_NO_PAD
                .decode(text)
                .ok()
                .and_then(|json| serde_json::from_slice(&json).ok())
                .filter(|cursor: &Cursor| cursor.account_id == account_id && cursor.list == list)
                .ok_or_else(|| ApiError::InvalidRequest("cursor is not one this list gave".into()))?;
            Some(cursor.position)
        }
    };
    Ok(PageRequest { limit, after })
}

/// The cursor of the page after this one, for the response's `next_cursor`.
pub fn next_cursor(account_id: &str, list: &str, next: Option<String>) -> Option<String> {
    next.map(|position| {
        let cursor = Cursor {
            account_id: account_id.to_owned(),
            list: list.to_owned(),
            position,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).expect("a cursor serializes"))
    })
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

    fn event(headers: &[(&str, &str)], query: &str) -> ApiGatewayV2httpRequest {
        let mut event = ApiGatewayV2httpRequest::default();
        event.raw_path = Some("/v1/whoami".into());
        event.raw_query_string = Some(query.into());
        for (name, value) in headers {
            event.headers.insert(
                lambda_http::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                lambda_http::http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
            );
        }
        event
    }

    #[test]
    fn hostile_headers_and_queries_make_a_request_not_a_panic() {
        for (headers, query) in [
            (vec![("x-forwarded-proto", "a b")], ""),
            (vec![("x-forwarded-proto", "javascript")], ""),
            (vec![("host", "a b")], ""),
            (vec![("host", "example.com:99999")], ""),
            (vec![("host", "[::1")], ""),
            (vec![("host", "ex\u{e9}mple.com")], ""),
            (vec![("host", "user@host")], "a=\"b\"&c={d}|e^`f"),
            (vec![], "a b"),
        ] {
            let request = request_of(event(&headers, query));
            assert_eq!(request.uri().path(), "/v1/whoami", "{headers:?} {query:?}");
        }
    }

    #[test]
    fn well_formed_headers_are_kept() {
        let request = request_of(event(
            &[("host", "api.example.com"), ("x-forwarded-proto", "https")],
            "limit=5",
        ));
        assert_eq!(request.uri().host(), Some("api.example.com"));
        assert_eq!(request.uri().query(), Some("limit=5"));
        assert_eq!(request.headers()["host"], "api.example.com");
    }

    #[test]
    fn json_nested_past_serde_s_limit_is_refused_as_too_deep() {
        let deep = format!("{{\"name\": {}1{}}}", "[".repeat(200), "]".repeat(200));
        let refused = super::body::<serde_json::Map<String, serde_json::Value>>(&request(&deep)).unwrap_err();
        assert!(matches!(refused, ApiError::InvalidRequest(message) if message.contains("64 levels")));
    }

    #[test]
    fn oversized_body_is_413() {
        let big = format!("{{\"name\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(error_of(&big), ApiError::PayloadTooLarge);
        assert_eq!(ApiError::PayloadTooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
