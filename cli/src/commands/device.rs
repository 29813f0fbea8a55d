//! The browser sign-in of `axiom login` (PRODUCT.md section 17, after the OAuth 2.0 Device
//! Authorization Grant, RFC 8628): ask for a code, show it and open the Console's page to
//! approve it, poll until it is decided, then store the `cli` key the API mints.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Context;
use crate::{
    api::{self, Api, Reply},
    credentials::{self, Credentials},
    error::{CliError, Exit},
    render,
    schema::{DeviceGrant, DeviceToken},
    terminal,
};

/// What a `slow_down` adds to the interval between two polls.
const SLOW_DOWN: Duration = Duration::from_secs(5);
/// The shortest interval between two polls, whatever the grant says.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

pub fn login(context: &Context, endpoint: &str, open_browser: bool) -> Result<Exit, CliError> {
    terminal::stop_on_interrupt();
    let api = Api::public(endpoint)?;
    let grant = start(&api)?;
    let link = grant
        .verification_uri_complete
        .as_deref()
        .unwrap_or(&grant.verification_uri);
    let is_web = link.starts_with("https://") || link.starts_with("http://");
    let opened = open_browser && is_web && terminal::open_browser(link);
    // On stderr, with --json too: stdout is for the outcome.
    eprintln!("{}", render::device_prompt(&grant, opened));
    let reply = wait_for_approval(&api, &grant)?;
    // The key exists from here on: storing it is not to be cut short.
    terminal::ignore_interrupt();
    let token: DeviceToken = reply.parse()?;
    if !api::is_well_formed(&token.key) {
        return Err(reply.unexpected("the key is not 64 lowercase hex characters"));
    }
    let path = credentials::save(&Credentials {
        endpoint: api.endpoint().to_owned(),
        api_key: token.key.clone(),
    })?;
    if context.json {
        println!("{}", without_key(&reply)?);
    } else {
        println!("{}", render::device_logged_in(&token));
        eprintln!("{}", render::device_key_stored(&token, &path));
    }
    Ok(Exit::Success)
}

/// `POST /v1/auth/device`. An API without the sign-in answers 404 (no such route) or 401/403
/// (a route that wants a key).
fn start(api: &Api) -> Result<DeviceGrant, CliError> {
    let reply = api
        .post(&["v1", "auth", "device"], &json!({}))
        .map_err(|error| match error {
            CliError::NotFound(_)
            | CliError::Api {
                status: 401 | 403, ..
            } => CliError::SignInFailed(format!(
                "{} does not offer the browser sign-in: log in with a key instead \
                     (`axiom login --with-key`, or set AXIOM_API_KEY)",
                api.endpoint()
            )),
            error => error,
        })?;
    reply.parse()
}

/// Polls `POST /v1/auth/device/token` every `interval` seconds (5 more after each `slow_down`)
/// until the sign-in is approved (the answer with the key), denied or expired.
fn wait_for_approval(api: &Api, grant: &DeviceGrant) -> Result<Reply, CliError> {
    let deadline = Instant::now() + Duration::from_secs(grant.expires_in);
    let mut interval = Duration::from_secs(grant.interval).max(MIN_INTERVAL);
    let body = json!({ "device_code": grant.device_code });
    loop {
        std::thread::sleep(interval);
        let error = match api.post(&["v1", "auth", "device", "token"], &body) {
            Ok(reply) => return Ok(reply),
            Err(error) => error,
        };
        match error.api_code() {
            // Not decided yet, or the API is busy: ask again later.
            Some("authorization_pending" | "too_many_requests" | "unavailable") => {}
            Some("slow_down") => interval += SLOW_DOWN,
            Some("access_denied") => return Err(CliError::SignInDenied),
            Some("expired_token") => return Err(expired()),
            Some("invalid_grant") => {
                return Err(CliError::SignInFailed(
                    "the API does not know this sign-in (invalid_grant): run `axiom login` again".into(),
                ));
            }
            _ => return Err(error),
        }
        if Instant::now() >= deadline {
            return Err(expired());
        }
    }
}

fn expired() -> CliError {
    CliError::SignInFailed("the code expired, run `axiom login` again".into())
}

/// The token answer without its `key`, for `--json`: the key is stored, not printed.
fn without_key(reply: &Reply) -> Result<String, CliError> {
    let mut answer: Map<String, Value> = reply.parse()?;
    answer.remove("key");
    Ok(Value::Object(answer).to_string())
}
