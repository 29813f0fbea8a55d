//! The HTTP client: one endpoint, one bearer key, and the API's answers turned into replies or
//! [`CliError`]s with messages a person can act on.

use std::time::Duration;

use reqwest::{
    Method, Url,
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
    key: Key,
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
        serde_json::from_str(&self.body).map_err(|error| CliError::UnexpectedAnswer {
            url: self.url.to_string(),
            detail: error.to_string(),
        })
    }
}

/// True when `key` has the form of an Axiom key: 64 lowercase hex characters.
pub fn is_well_formed(key: &str) -> bool {
    key.len() == RAW_KEY_LEN && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `endpoint` without trailing slashes, checked to be an http(s) URL.
pub fn normalize_endpoint(endpoint: &str) -> Result<String, CliError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    match Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(trimmed.to_owned()),
        _ => Err(CliError::Usage(format!(
            "the endpoint {endpoint:?} is not an http:// or https:// URL"
        ))),
    }
}

impl Api {
    pub fn new(endpoint: &str, key: Key) -> Result<Self, CliError> {
        let endpoint = normalize_endpoint(endpoint)?;
        if !is_well_formed(&key.value) {
            return Err(CliError::MalformedKey(key.source));
        }
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
        self.send(Method::GET, path, None)
    }

    pub fn post(&self, path: &[&str], body: &Value) -> Result<Reply, CliError> {
        self.send(Method::POST, path, Some(body))
    }

    pub fn delete(&self, path: &[&str]) -> Result<Reply, CliError> {
        self.send(Method::DELETE, path, None)
    }

    /// The URL of `path`'s segments under the endpoint, each segment percent-encoded (so an id
    /// can never reach another route).
    fn url(&self, path: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) URL has path segments")
            .pop_if_empty()
            .extend(path);
        url
    }

    fn send(&self, method: Method, path: &[&str], body: Option<&Value>) -> Result<Reply, CliError> {
        let url = self.url(path);
        let request = format!("{method} {}", url.path());
        let mut builder: RequestBuilder = self
            .http
            .request(method, url.clone())
            .bearer_auth(&self.key.value);
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let network = |error: reqwest::Error| CliError::Network {
            endpoint: self.endpoint.clone(),
            request: request.clone(),
            cause: root_cause(&error),
        };
        let response = builder.send().map_err(network)?;
        let status = response.status();
        let text = response.text().map_err(network)?;
        if status.is_success() {
            return Ok(Reply { url, body: text });
        }
        let message = error_message(&text);
        Err(match status.as_u16() {
            401 | 403 => CliError::KeyRefused {
                endpoint: self.endpoint.clone(),
                key_source: self.key.source,
            },
            404 => CliError::NotFound(match message {
                Some(ApiMessage::Api(message)) => message,
                // The gateway's own 404: no such route here.
                _ => format!(
                    "not found: {request} is not a route of {}; is it an Axiom endpoint?",
                    self.endpoint
                ),
            }),
            code => CliError::Api {
                status: code,
                message: match message {
                    Some(ApiMessage::Api(message) | ApiMessage::Gateway(message)) => message,
                    None => status.canonical_reason().unwrap_or("error").to_owned(),
                },
            },
        })
    }
}

enum ApiMessage {
    /// `{"error": {"code", "message"}}` from a handler.
    Api(String),
    /// `{"message"}` from API Gateway (or the local server acting as it).
    Gateway(String),
}

fn error_message(body: &str) -> Option<ApiMessage> {
    let body: Value = serde_json::from_str(body).ok()?;
    if let Some(message) = body.pointer("/error/message").and_then(Value::as_str) {
        return Some(ApiMessage::Api(message.to_owned()));
    }
    body.get("message")
        .and_then(Value::as_str)
        .map(|message| ApiMessage::Gateway(message.to_owned()))
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
    fn path_segments_are_encoded_under_the_endpoint() {
        assert_eq!(
            api("http://127.0.0.1:3000")
                .url(&["v1", "api-keys", "a/b?c"])
                .as_str(),
            "http://127.0.0.1:3000/v1/api-keys/a%2Fb%3Fc"
        );
        assert_eq!(
            api("https://example.com/prod/").url(&["v1", "whoami"]).as_str(),
            "https://example.com/prod/v1/whoami"
        );
    }

    #[test]
    fn error_bodies_give_the_message() {
        let api_error = r#"{"error": {"code": "conflict", "message": "execution is not paused"}}"#;
        assert!(
            matches!(error_message(api_error), Some(ApiMessage::Api(m)) if m == "execution is not paused")
        );
        assert!(
            matches!(error_message(r#"{"message":"Not Found"}"#), Some(ApiMessage::Gateway(m)) if m == "Not Found")
        );
        assert!(error_message("<html>").is_none());
    }
}
