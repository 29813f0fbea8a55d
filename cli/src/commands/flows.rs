//! `axiom flows create|list`.

use std::path::Path;

use serde_json::json;

use super::{Context, read_json};
use crate::{
    error::{CliError, Exit},
    render,
    schema::{Flow, FlowList},
};

pub fn create(context: &Context, name: &str, file: &Path) -> Result<Exit, CliError> {
    let definition = read_json(file)?;
    let api = context.api()?;
    let reply = api.post(
        &["v1", "flows"],
        &json!({ "name": name, "definition": definition }),
    )?;
    context.print(&reply, || Ok(render::created_flow(&reply.parse::<Flow>()?)))?;
    Ok(Exit::Success)
}

pub fn list(context: &Context) -> Result<Exit, CliError> {
    let reply = context.api()?.get(&["v1", "flows"])?;
    context.print(&reply, || Ok(render::flows(&reply.parse::<FlowList>()?.flows)))?;
    Ok(Exit::Success)
}
