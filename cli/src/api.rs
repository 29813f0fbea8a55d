//! The HTTP client: one endpoint, one bearer key, and the API's answers turned into replies or
//! [`CliError`]s with messages a person can act on.

use std::{net::IpAddr, time::Duration};

use reqwest::{
    Method, StatusCode, Url,
    blocking::{Client, RequestBuilder},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{CliError, KeySource};

/// Longer than the API's longest answer: invoke with `wait` returns within 25 seconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RAW_KEY_LEN: usize = 64;

/// An API key and where it came from.
pub struct Key {
    pub value: String,
    pub source: KeySource,
}

pub struct Api {
    endpoint: String,
    base: Url,
    /// `None` for the public routes of the browser sign-in.
    key: Option<Key>,
    http: Client,
}

/// A successful answer: its body as the API sent it (printed as is by `--json`).
pub struct Reply {
    url: Url,
    pub body: String,
}

impl Reply {
    /// The body as `T`; an answer of another shape means the endpoint is not the Axiom API.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, CliError> {
        self.parse_part(&self.body)
    }

    /// A part of the body (such as one item of a list) as `T`.
    pub fn parse_part<T: DeserializeOwned>(&self, text: &str) -> Result<T, CliError> {
        serde_json::from_str(text).map_err(|error| self.unexpected(error))
    }

    /// The error for an answer that is not what the API sends.
    pub fn unexpected(&self, detail: impl std::fmt::Display) -> CliError {
        CliError::UnexpectedAnswer {
            url: self.url.to_string(),
            detail: detail.to_string(),
        }
    }
}

/// One request: a route's path segments, and what goes with them.
pub struct Request<'a> {
    method: Method,
    path: &'a [&'a str],
    query: Vec<(&'a str, String)>,
    headers: Vec<(&'static str, String)>,
    body: Option<&'a Value>,
}

impl<'a> Request<'a> {
    pub fn get(path: &'a [&'a str]) -> Self {
        Self::new(Method::GET, path, None)
    }

    pub fn post(path: &'a [&'a str], body: &'a Value) -> Self {
        Self::new(Method::POST, path, Some(body))
    }

    fn new(method: Method, path: &'a [&'a str], body: Option<&'a Value>) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body,
        }
    }

    /// Adds `name=value` to the query string when there is a value.
    pub fn query(mut self, name: &'a str, value: Option<impl ToString>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.to_string()));
        }
        self
    }

    pub fn header(mut self, name: &'static str, value: Option<&str>) -> Self {
        if let Some(value) = value {
            self.headers.push((name, value.to_owned()));
        }
        self
    }
}

/// True when `key` has the form of an Axiom key: 64 lowercase hex characters.
pub fn is_well_formed(key: &str) -> bool {
    key.len() == RAW_KEY_LEN && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `endpoint` without trailing slashes, checked to be an https URL, or an http one to a
/// loopback address (PRODUCT.md section 8: a key never crosses a network unencrypted).
pub fn normalize_endpoint(endpoint: &str) -> Result<String, CliError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    let url = match Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => url,
        _ => {
            return Err(CliError::Usage(format!(
                "the endpoint {endpoint:?} is not an http:// or https:// URL"
            )));
        }
    };
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(CliError::Usage(format!(
            "refusing the endpoint {trimmed}: plain http:// would send the API key unencrypted; \
             use https:// (http:// only works with a loopback address: 127.0.0.1, ::1, localhost)"
        )));
    }
    Ok(trimmed.to_owned())
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// True when two endpoints are the same base URL (scheme, host, port and path), however
/// written: `https://API.example.com/` is `https://api.example.com:443`.
pub fn same_endpoint(one: &str, other: &str) -> bool {
    let parse = |endpoint: &str| Url::parse(endpoint.trim().trim_end_matches('/')).ok();
    matches!((parse(one), parse(other)), (Some(one), Some(other)) if one == other)
}

impl Api {
    pub fn new(endpoint: &str, key: Key) -> Result<Self, CliError> {
        if !is_well_formed(&key.value) {
            return Err(CliError::MalformedKey(key.source));
        }
        Self::build(endpoint, Some(key))
    }

    /// A client that sends no key: for the public routes of the browser sign-in.
    pub fn public(endpoint: &str) -> Result<Self, CliError> {
        Self::build(endpoint, None)
    }

    fn build(endpoint: &str, key: Option<Key>) -> Result<Self, CliError> {
        let endpoint = normalize_endpoint(endpoint)?;
        let base = Url::parse(&endpoint).expect("normalize_endpoint checked the URL");
        let http = Client::builder()
            .user_agent(concat!("axiom-cli/", env!("CARGO_PKG_VERSION")))
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|error| CliError::Local(format!("cannot set up the HTTP client: {error}")))?;
        Ok(Self {
            endpoint,
            base,
            key,
            http,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn get(&self, path: &[&str]) -> Result<Reply, CliError> {
        self.call(Request::get(path))
    }

    pub fn post(&self, path: &[&str], body: &Value) -> Result<Reply, CliError> {
        self.call(Request::post(path, body))
    }

    pub fn delete(&self, path: &[&str]) -> Result<Reply, CliError> {
        self.call(Request::new(Method::DELETE, path, None))
    }

    /// The URL of `path`'s segments under the endpoint, each segment percent-encoded (so an id
    /// can never reach another route), with the query.
    fn url(&self, path: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) URL has path segments")
            .pop_if_empty()
            .extend(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    pub fn call(&self, request: Request) -> Result<Reply, CliError> {
        let url = self.url(request.path, &request.query);
        let described = format!("{} {}", request.method, url.path());
        let mut builder: RequestBuilder = self.http.request(request.method, url.clone());
        if let Some(key) = &self.key {
            builder = builder.bearer_auth(&key.value);
        }
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.json(body);
        }
        let network = |error: reqwest::Error| CliError::Network {
            endpoint: self.endpoint.clone(),
            request: described.clone(),
            cause: root_cause(&error),
        };
        let response = builder.send().map_err(network)?;
        let status = response.status();
        let text = response.text().map_err(network)?;
        if status.is_success() {
            return Ok(Reply { url, body: text });
        }
        Err(self.error(status, &text, &described))
    }

    /// The error for an answer with `status`: a refused key, a 404 or the API's error.
    fn error(&self, status: StatusCode, body: &str, request: &str) -> CliError {
        let answer = error_answer(body);
        match (status.as_u16(), &self.key, answer) {
            (401 | 403, Some(key), _) => CliError::KeyRefused {
                endpoint: self.endpoint.clone(),
                key_source: key.source,
            },
            (404, _, Some(answer)) if !answer.gateway => CliError::NotFound(answer.message),
            // The gateway's own 404: no such route here.
            (404, _, _) => CliError::NotFound(format!(
                "not found: {request} is not a route of {}; is it an Axiom endpoint?",
                self.endpoint
            )),
            (code, _, answer) => CliError::Api {
                status: code,
                code: answer.as_ref().and_then(|answer| answer.code.clone()),
                message: answer.map_or_else(
                    || status.canonical_reason().unwrap_or("error").to_owned(),
                    |answer| answer.message,
                ),
            },
        }
    }
}

/// What an error body says.
struct ErrorAnswer {
    /// `error.code`, from a handler.
    code: Option<String>,
    message: String,
    /// `{"message"}` from API Gateway (or the local server acting as it), not a handler.
    gateway: bool,
}

fn error_answer(body: &str) -> Option<ErrorAnswer> {
    let body: Value = serde_json::from_str(body).ok()?;
    if let Some(message) = body.pointer("/error/message").and_then(Value::as_str) {
        return Some(ErrorAnswer {
            code: body
                .pointer("/error/code")
                .and_then(Value::as_str)
                .map(Into::into),
            message: message.to_owned(),
            gateway: false,
        });
    }
    body.get("message")
        .and_then(Value::as_str)
        .map(|message| ErrorAnswer {
            code: None,
            message: message.to_owned(),
            gateway: true,
        })
}

/// The innermost cause (such as "Connection refused (os error 111)"), which says most.
fn root_cause(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "no answer in time (timed out)".to_owned();
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn api(endpoint: &str) -> Api {
        let key = Key {
            value: KEY.into(),
            source: KeySource::Stored,
        };
        Api::new(endpoint, key).unwrap()
    }

    #[test]
    fn keys_are_checked_for_form_before_any_request() {
        assert!(is_well_formed(KEY));
        assert!(!is_well_formed(&KEY.to_uppercase()));
        assert!(!is_well_formed(&KEY[1..]));
        assert!(!is_well_formed(&format!("{} ", &KEY[1..])));
        let key = Key {
            value: "nope".into(),
            source: KeySource::Environment,
        };
        assert!(matches!(
            Api::new("http://127.0.0.1:3000", key),
            Err(CliError::MalformedKey(KeySource::Environment))
        ));
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        assert_eq!(
            normalize_endpoint("https://api.example.com/").unwrap(),
            "https://api.example.com"
        );
        for bad in ["", "api.example.com", "ftp://example.com", "http://"] {
            assert!(normalize_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_only_goes_to_loopback_addresses() {
        for good in [
            "http://127.0.0.1:3000",
            "http://127.8.9.10",
            "http://localhost:3000/",
            "http://LOCALHOST",
            "http://[::1]:3000",
            "https://api.example.com",
        ] {
            assert!(normalize_endpoint(good).is_ok(), "{good}");
        }
        for bad in [
            "http://api.example.com",
            "http://10.0.0.1:3000",
            "http://[::2]",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
        ] {
            let error = normalize_endpoint(bad).unwrap_err();
            assert!(error.to_string().contains("unencrypted"), "{bad}: {error}");
            assert_eq!(error.exit() as u8, 2);
        }
    }

    #[test]
    fn endpoints_compare_as_urls() {
        assert!(same_endpoint(
            "https://API.example.com/",
            "https://api.example.com:443"
        ));
        assert!(same_endpoint("http://127.0.0.1:3000", "http://127.0.0.1:3000/"));
        assert!(same_endpoint("https://e.com/prod", "https://e.com/prod/"));
        assert!(!same_endpoint("https://e.com/prod", "https://e.com/dev"));
        assert!(!same_endpoint("http://localhost:3000", "http://127.0.0.1:3000"));
        assert!(!same_endpoint("https://e.com", "http://e.com"));
        assert!(!same_endpoint("nonsense", "nonsense"));
    }

    #[test]
    fn path_segments_are_encoded_under_the_endpoint() {
        assert_eq!(
            api("http://127.0.0.1:3000")
                .url(&["v1", "api-keys", "a/b?c"], &[])
                .as_str(),
            "http://127.0.0.1:3000/v1/api-keys/a%2Fb%3Fc"
        );
        assert_eq!(
            api("https://example.com/prod/")
                .url(&["v1", "whoami"], &[])
                .as_str(),
            "https://example.com/prod/v1/whoami"
        );
        let query = [("status", "failed".to_owned()), ("cursor", "a b&c=d".to_owned())];
        assert_eq!(
            api("http://127.0.0.1:3000")
                .url(&["invocations", "v1", "executions"], &query)
                .as_str(),
            "http://127.0.0.1:3000/invocations/v1/executions?status=failed&cursor=a+b%26c%3Dd"
        );
    }

    #[test]
    fn error_bodies_give_the_code_and_message() {
        let api_error = r#"{"error": {"code": "conflict", "message": "execution is not paused"}}"#;
        let answer = error_answer(api_error).unwrap();
        assert_eq!(answer.code.as_deref(), Some("conflict"));
        assert_eq!(answer.message, "execution is not paused");
        assert!(!answer.gateway);
        let answer = error_answer(r#"{"message":"Not Found"}"#).unwrap();
        assert!(answer.gateway && answer.code.is_none() && answer.message == "Not Found");
        assert!(error_answer("<html>").is_none());
    }
}
