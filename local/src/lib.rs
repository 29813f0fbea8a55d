//! A local API Gateway (HTTP API, payload 2.0, Lambda REQUEST authorizer with simple
//! responses). Each request is turned into the events API Gateway would send and run through
//! the same handlers as the Lambda binaries, in the same order: route match, identity source
//! check, authorizer, route handler.

pub mod queue;

use std::{collections::HashMap, sync::Arc, time::Duration};

use aws_lambda_events::{
    apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpRequest,
        ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
    },
    query_map::QueryMap,
};
use axiom_shared::{
    api::{self, authorizer, routes},
    domain::{ids::new_id, timestamp},
    runner,
    store::{RunQueue, Store},
};
use axum::{
    Router,
    body::{Body, to_bytes},
    extract::State,
    http::{HeaderMap, HeaderValue, Request, StatusCode, header::AUTHORIZATION, request::Parts},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde_json::{Map, Value, json};

/// API Gateway's own limit on a request body; the handlers apply the API's smaller one.
const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// How often the local sweep runs (on AWS: once a minute, on a schedule).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The gateway as an axum router, every request going through [`gateway`], with the runs queue
/// and the sweep: runs made runnable are delivered to the runner's code by [`queue::LocalQueue`],
/// which emulates the SQS queue and event source mapping of `template.yaml` (at most
/// [`RUNNER_MAX_CONCURRENCY`] runner invocations at once, batches of 10), and the sweep runs every
/// second, through the same code as the sweeper function.
pub fn app(store: Store) -> Router {
    app_with_queue(
        store,
        queue::QueueConfig {
            max_concurrency: RUNNER_MAX_CONCURRENCY,
            ..queue::QueueConfig::default()
        },
    )
}

/// [`app`] with the runs queue and its event source set up as `config` says (tests try other
/// bounds, and duplicate deliveries).
pub fn app_with_queue(store: Store, config: queue::QueueConfig) -> Router {
    let (queue, sender) = queue::LocalQueue::new(config);
    let store = store.with_queue(RunQueue::Local(Arc::new(sender)));
    tokio::spawn(carry_runs_on(store.clone(), queue));
    Router::new().fallback(gateway).with_state(Arc::new(store))
}

/// The runner's maximum concurrency: the default of `RunnerMaxConcurrency` in `template.yaml`.
pub const RUNNER_MAX_CONCURRENCY: usize = 50;

async fn carry_runs_on(store: Store, queue: queue::LocalQueue) {
    let runner_store = store.clone();
    tokio::spawn(queue.run(move |event| {
        let store = runner_store.clone();
        async move {
            let until_ms = timestamp::now_ms() + runner::RUNNER_BUDGET_MS;
            runner::on_queue(&store, &event, until_ms).await
        }
    }));
    let mut sweep_timer = tokio::time::interval(SWEEP_EVERY);
    loop {
        sweep_timer.tick().await;
        runner::sweep(&store, timestamp::now_ms()).await;
    }
}

/// API Gateway's own answers carry `{"message": ...}` bodies.
fn gateway_answer(status: StatusCode, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

async fn gateway(State(store): State<Arc<Store>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, GATEWAY_MAX_BODY).await else {
        return gateway_answer(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    };
    let Some((route, path_parameters)) = routes::find(parts.method.as_str(), parts.uri.path()) else {
        return gateway_answer(StatusCode::NOT_FOUND, "Not Found");
    };
    let event = Event::new(&parts, route, path_parameters);
    if route.public {
        return into_axum(api::handle(route.function, &store, event.route_request(None, &body)).await);
    }
    // The identity source is the Authorization header: without it API Gateway answers 401
    // and never calls the authorizer.
    if parts
        .headers
        .get(AUTHORIZATION)
        .is_none_or(|value| value.is_empty())
    {
        return gateway_answer(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let verdict = match authorizer::authorize(&store, event.authorizer_request()).await {
        Ok(verdict) => verdict,
        Err(error) => {
            tracing::error!(%error, "authorizer failed");
            return gateway_answer(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    };
    if !verdict.is_authorized {
        return gateway_answer(StatusCode::FORBIDDEN, "Forbidden");
    }
    let request = event.route_request(Some(verdict.context), &body);
    into_axum(api::handle(route.function, &store, request).await)
}

/// The parts of a request that both events share, as `aws_lambda_events` types: built
/// directly, never through JSON.
struct Event {
    route_key: String,
    raw_path: String,
    raw_query_string: String,
    headers: HeaderMap,
    query_string_parameters: HashMap<String, String>,
    path_parameters: HashMap<String, String>,
    request_context: ApiGatewayV2httpRequestContext,
}

impl Event {
    fn new(parts: &Parts, route: &routes::Route, path_parameters: HashMap<String, String>) -> Self {
        let raw_query_string = parts.uri.query().unwrap_or_default().to_owned();
        let now = time::OffsetDateTime::now_utc();
        let time_format = time::macros::format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
        );
        let route_key = route.key();
        let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
        http.method = parts.method.clone();
        http.path = Some(parts.uri.path().to_owned());
        http.protocol = Some(format!("{:?}", parts.version));
        http.source_ip = Some("127.0.0.1".to_owned());
        http.user_agent = Some(
            header(&parts.headers, "user-agent")
                .unwrap_or_default()
                .to_owned(),
        );
        let mut request_context = ApiGatewayV2httpRequestContext::default();
        request_context.account_id = Some("000000000000".to_owned());
        request_context.apiid = Some("local".to_owned());
        request_context.domain_name = Some(header(&parts.headers, "host").unwrap_or("127.0.0.1").to_owned());
        request_context.domain_prefix = Some("local".to_owned());
        request_context.http = http;
        request_context.request_id = Some(new_id());
        request_context.route_key = Some(route_key.clone());
        request_context.stage = Some("$default".to_owned());
        request_context.time = Some(now.format(time_format).unwrap_or_default());
        request_context.time_epoch = now.unix_timestamp() * 1000 + i64::from(now.millisecond());
        Self {
            route_key,
            raw_path: parts.uri.path().to_owned(),
            query_string_parameters: joined(form_urlencoded::parse(raw_query_string.as_bytes()).into_owned()),
            raw_query_string,
            headers: joined_headers(&parts.headers),
            path_parameters,
            request_context,
        }
    }

    /// The payload 2.0 REQUEST authorizer event.
    fn authorizer_request(&self) -> ApiGatewayV2CustomAuthorizerV2Request {
        let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
        event.version = Some("2.0".to_owned());
        event.type_ = Some("REQUEST".to_owned());
        event.route_arn = Some(format!(
            "arn:aws:execute-api:us-east-1:000000000000:local/$default/{}",
            self.route_key.replacen(' ', "", 1)
        ));
        event.identity_source = Some(
            self.headers
                .get(AUTHORIZATION)
                .map(|identity| String::from_utf8_lossy(identity.as_bytes()).into_owned())
                .into_iter()
                .collect(),
        );
        event.route_key = Some(self.route_key.clone());
        event.raw_path = Some(self.raw_path.clone());
        event.raw_query_string = Some(self.raw_query_string.clone());
        event.headers = self.headers.clone();
        event.query_string_parameters = self.query_string_parameters.clone();
        event.path_parameters = self.path_parameters.clone();
        event.request_context = self.request_context.clone();
        event
    }

    /// The payload 2.0 route event, with the authorizer's context (none on public routes), as
    /// `lambda_http` reads it.
    fn route_request(
        self,
        authorizer_context: Option<Map<String, Value>>,
        body: &[u8],
    ) -> lambda_http::Request {
        let mut request_context = self.request_context;
        if let Some(context) = authorizer_context {
            let mut authorizer = ApiGatewayRequestAuthorizer::default();
            authorizer.fields = context.into_iter().collect();
            request_context.authorizer = Some(authorizer);
        }
        let mut event = ApiGatewayV2httpRequest::default();
        (event.body, event.is_base64_encoded) = match std::str::from_utf8(body) {
            Ok("") => (None, false),
            Ok(text) => (Some(text.to_owned()), false),
            Err(_) => (Some(base64::engine::general_purpose::STANDARD.encode(body)), true),
        };
        event.version = Some("2.0".to_owned());
        event.route_key = Some(self.route_key);
        event.raw_path = Some(self.raw_path);
        event.raw_query_string = Some(self.raw_query_string);
        event.headers = self.headers;
        // As `lambda_http` reads payload 2.0's comma-joined parameters: split again.
        event.query_string_parameters = QueryMap::from(
            self.query_string_parameters
                .into_iter()
                .map(|(name, value)| (name, value.split(',').map(str::to_owned).collect()))
                .collect::<HashMap<_, Vec<_>>>(),
        );
        event.path_parameters = self.path_parameters;
        event.request_context = request_context;
        api::http::request_of(event)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Repeated names joined with commas, as API Gateway does in payload 2.0.
fn joined(pairs: impl Iterator<Item = (String, String)>) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = HashMap::new();
    for (name, value) in pairs {
        match map.get_mut(&name) {
            Some(existing) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => {
                map.insert(name, value);
            }
        }
    }
    map
}

/// The request's headers as API Gateway passes them in payload 2.0: one value per name,
/// repeated ones joined with commas, and bytes that are not UTF-8 passed on as text (replaced),
/// whatever they are.
fn joined_headers(headers: &HeaderMap) -> HeaderMap {
    let mut joined = HeaderMap::with_capacity(headers.keys_len());
    for name in headers.keys() {
        let mut values = headers.get_all(name).iter();
        let value = match (values.next(), values.next()) {
            (Some(only), None) if std::str::from_utf8(only.as_bytes()).is_ok() => only.clone(),
            _ => {
                let text = headers
                    .get_all(name)
                    .iter()
                    .map(|value| String::from_utf8_lossy(value.as_bytes()))
                    .collect::<Vec<_>>()
                    .join(",");
                match HeaderValue::from_str(&text) {
                    Ok(value) => value,
                    // Not reachable: hyper accepted every byte, and the replacement is text.
                    Err(_) => continue,
                }
            }
        };
        joined.insert(name.clone(), value);
    }
    // API Gateway always adds the scheme it was reached by; this gateway is reached by plain
    // HTTP (so links it hands out, such as the device sign-in's, say so).
    if !joined.contains_key("x-forwarded-proto") {
        joined.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    }
    joined
}

fn into_axum(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(text) => text.into_bytes(),
        lambda_http::Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    Response::from_parts(parts, Body::from(bytes))
}
