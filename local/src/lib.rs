//! A local API Gateway (HTTP API, payload 2.0, Lambda REQUEST authorizer with simple
//! responses). Each request is turned into the events API Gateway would send and run through
//! the same handlers as the Lambda binaries, in the same order: route match, identity source
//! check, authorizer, route handler.

use std::{collections::HashMap, sync::Arc, time::Duration};

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use axiom_shared::{
    api::{self, authorizer, routes},
    domain::{executions::RunRef, ids::new_id, timestamp},
    runner,
    store::Store,
};
use axum::{
    Router,
    body::{Body, to_bytes},
    extract::State,
    http::{HeaderMap, Request, StatusCode, header::AUTHORIZATION, request::Parts},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

/// API Gateway's own limit on a request body; the handlers apply the API's smaller one.
const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

/// How often the local sweep runs (on AWS: once a minute, on a schedule).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The gateway as an axum router, every request going through [`gateway`], with the runner:
/// runs made runnable are carried on at once and the sweep runs every second, through the same
/// code as the runner and sweeper functions (on AWS the table's stream and a schedule
/// trigger them).
pub fn app(store: Store) -> Router {
    let (runnable, queue) = mpsc::unbounded_channel();
    let store = store.with_runnable_notifier(runnable);
    tokio::spawn(drive_runs(store.clone(), queue));
    Router::new().fallback(gateway).with_state(Arc::new(store))
}

async fn drive_runs(store: Store, mut queue: mpsc::UnboundedReceiver<RunRef>) {
    let mut sweep_timer = tokio::time::interval(SWEEP_EVERY);
    loop {
        tokio::select! {
            Some(run) = queue.recv() => {
                let store = store.clone();
                tokio::spawn(async move {
                    let until_ms = timestamp::now_ms() + runner::RUNNER_BUDGET_MS;
                    if let Err(error) = runner::pick_up(&store, &run, until_ms).await {
                        tracing::error!(%error, execution_id = run.execution_id, "could not carry a run on");
                    }
                });
            }
            _ = sweep_timer.tick() => {
                runner::sweep(&store, timestamp::now_ms()).await;
            }
        }
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

/// The parts of a request that both events share.
struct Event {
    route_key: String,
    raw_path: String,
    raw_query_string: String,
    headers: Map<String, Value>,
    query_string_parameters: Map<String, Value>,
    path_parameters: HashMap<String, String>,
    request_context: Value,
}

impl Event {
    fn new(parts: &Parts, route: &routes::Route, path_parameters: HashMap<String, String>) -> Self {
        let raw_query_string = parts.uri.query().unwrap_or_default().to_owned();
        let now = time::OffsetDateTime::now_utc();
        let time_format = time::macros::format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
        );
        let request_context = json!({
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": header(&parts.headers, "host").unwrap_or("127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": format!("{:?}", parts.version),
                "sourceIp": "127.0.0.1",
                "userAgent": header(&parts.headers, "user-agent").unwrap_or_default(),
            },
            "requestId": new_id(),
            "routeKey": route.key(),
            "stage": "$default",
            "time": now.format(time_format).unwrap_or_default(),
            "timeEpoch": now.unix_timestamp() * 1000 + i64::from(now.millisecond()),
        });
        Self {
            route_key: route.key(),
            raw_path: parts.uri.path().to_owned(),
            query_string_parameters: joined(form_urlencoded::parse(raw_query_string.as_bytes()).into_owned()),
            raw_query_string,
            // API Gateway passes header bytes on as text; so does this gateway, whatever they are.
            headers: joined(parts.headers.iter().map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })),
            path_parameters,
            request_context,
        }
    }

    /// The fields both payload 2.0 events have.
    fn fields(&self, request_context: Value) -> Map<String, Value> {
        Map::from_iter([
            ("version".to_owned(), json!("2.0")),
            ("routeKey".to_owned(), json!(self.route_key)),
            ("rawPath".to_owned(), json!(self.raw_path)),
            ("rawQueryString".to_owned(), json!(self.raw_query_string)),
            ("headers".to_owned(), Value::Object(self.headers.clone())),
            (
                "queryStringParameters".to_owned(),
                Value::Object(self.query_string_parameters.clone()),
            ),
            ("pathParameters".to_owned(), json!(self.path_parameters)),
            ("requestContext".to_owned(), request_context),
        ])
    }

    /// The payload 2.0 REQUEST authorizer event.
    fn authorizer_request(&self) -> ApiGatewayV2CustomAuthorizerV2Request {
        let identity = self.headers.get("authorization").cloned().unwrap_or(Value::Null);
        let mut event = self.fields(self.request_context.clone());
        event.insert("type".into(), "REQUEST".into());
        let route_arn = format!(
            "arn:aws:execute-api:us-east-1:000000000000:local/$default/{}",
            self.route_key.replacen(' ', "", 1)
        );
        event.insert("routeArn".into(), route_arn.into());
        event.insert("identitySource".into(), json!([identity]));
        serde_json::from_value(Value::Object(event))
            .expect("the local gateway builds valid authorizer events")
    }

    /// The payload 2.0 route event, with the authorizer's context (none on public routes), as
    /// `lambda_http` reads it.
    fn route_request(
        mut self,
        authorizer_context: Option<Map<String, Value>>,
        body: &[u8],
    ) -> lambda_http::Request {
        let mut request_context = std::mem::take(&mut self.request_context);
        if let Some(context) = authorizer_context {
            request_context["authorizer"] = json!({ "lambda": context });
        }
        let (body, is_base64_encoded) = match std::str::from_utf8(body) {
            Ok("") => (Value::Null, false),
            Ok(text) => (Value::String(text.to_owned()), false),
            Err(_) => (
                Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
                true,
            ),
        };
        let mut event = self.fields(request_context);
        event.insert("body".into(), body);
        event.insert("isBase64Encoded".into(), is_base64_encoded.into());
        let event = serde_json::from_value(Value::Object(event))
            .expect("the local gateway builds valid route events");
        api::http::request_of(event)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Repeated names joined with commas, as API Gateway does in payload 2.0.
fn joined(pairs: impl Iterator<Item = (String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in pairs {
        match map.get_mut(&name) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                map.insert(name, Value::String(value));
            }
        }
    }
    map
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
