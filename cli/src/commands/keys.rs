//! `axiom keys create|roll|revoke` (`keys list` is one of the lists in `lists.rs`).

use serde_json::{Value, json};
use time::Duration;

use super::Context;
use crate::{
    error::{CliError, Exit},
    render,
    schema::CreatedKey,
    terminal, times,
};

pub fn create(context: &Context, name: &str, expires_at: Option<&str>) -> Result<Exit, CliError> {
    let mut body = json!({ "name": name });
    add(&mut body, "expires_at", expires_at);
    let reply = context.api()?.post(&["v1", "api-keys"], &body)?;
    context.print(&reply, || Ok(render::created_key(&reply.parse::<CreatedKey>()?)))?;
    Ok(Exit::Success)
}

/// Rolls key `id`. Without an overlap the old key stops at once, as a revoke does: like
/// `revoke`, that asks for confirmation unless `yes`.
pub fn roll(
    context: &Context,
    id: &str,
    overlap: Option<u64>,
    expires_at: Option<&str>,
    yes: bool,
) -> Result<Exit, CliError> {
    let api = context.api()?;
    let seconds = overlap.unwrap_or(0);
    let question = format!(
        "Roll API key {id} with no overlap? The old key stops working at once (--overlap 1h keeps \
         it working for an hour while clients switch)."
    );
    if seconds == 0 && !yes && !terminal::confirm(&question)? {
        eprintln!("Not rolled.");
        return Ok(Exit::Failure);
    }
    let mut body = json!({});
    add(&mut body, "overlap_seconds", overlap);
    add(&mut body, "expires_at", expires_at);
    // The API ends the overlap at its `now + overlap_seconds`: this clock's is close to it.
    let overlap_time = Duration::seconds(seconds.try_into().expect("an overlap is at most 7 days"));
    let until = times::rfc3339(times::now() + overlap_time);
    let reply = api.post(&["v1", "api-keys", id, "roll"], &body)?;
    context.print(&reply, || {
        Ok(render::rolled_key(&reply.parse::<CreatedKey>()?, seconds, &until))
    })?;
    Ok(Exit::Success)
}

/// Sets `body[name]` to `value` when there is one: the API's optional fields are left out.
fn add(body: &mut Value, name: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        body[name] = value.into();
    }
}

pub fn revoke(context: &Context, id: &str, yes: bool) -> Result<Exit, CliError> {
    let api = context.api()?;
    let question =
        format!("Revoke API key {id}? Anything using it stops working at once, and this cannot be undone.");
    if !yes && !terminal::confirm(&question)? {
        eprintln!("Not revoked.");
        return Ok(Exit::Failure);
    }
    api.delete(&["v1", "api-keys", id])?;
    // The API answers 204 with no body: --json gets a small object to parse all the same.
    if context.json {
        println!("{}", json!({ "id": id, "revoked": true }));
    } else {
        println!("Revoked API key {id}.");
    }
    Ok(Exit::Success)
}
