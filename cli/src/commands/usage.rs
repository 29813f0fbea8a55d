//! `axiom usage`.

use super::Context;
use crate::{
    error::{CliError, Exit},
    render,
    schema::Usage,
};

pub fn show(context: &Context) -> Result<Exit, CliError> {
    let reply = context.api()?.get(&["v1", "usage"])?;
    context.print(&reply, || Ok(render::usage(&reply.parse::<Usage>()?)))?;
    Ok(Exit::Success)
}
