//! `axiom flows create` (`flows list` is one of the lists in `lists.rs`).

use std::path::Path;

use serde_json::json;

use super::{Context, read_json};
use crate::{
    error::{CliError, Exit},
    render,
    schema::Flow,
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
