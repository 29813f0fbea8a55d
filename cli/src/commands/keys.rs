//! `axiom keys create|list|revoke`.

use serde_json::json;

use super::Context;
use crate::{
    error::{CliError, Exit},
    render,
    schema::{CreatedKey, KeyList},
    terminal,
};

pub fn create(context: &Context, name: &str) -> Result<Exit, CliError> {
    let reply = context
        .api()?
        .post(&["v1", "api-keys"], &json!({ "name": name }))?;
    context.print(&reply, || Ok(render::created_key(&reply.parse::<CreatedKey>()?)))?;
    Ok(Exit::Success)
}

pub fn list(context: &Context) -> Result<Exit, CliError> {
    let reply = context.api()?.get(&["v1", "api-keys"])?;
    context.print(&reply, || Ok(render::keys(&reply.parse::<KeyList>()?.keys)))?;
    Ok(Exit::Success)
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
