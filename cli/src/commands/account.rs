//! `axiom login`, `logout` and `whoami`.

use serde_json::json;

use super::{Context, environment_key};
use crate::{
    api::{Api, Key},
    credentials::{self, Credentials},
    error::{CliError, Exit, KeySource},
    render,
    schema::Whoami,
    terminal,
};

pub fn login(context: &Context) -> Result<Exit, CliError> {
    // A damaged credentials file is about to be replaced: it only loses its say on the endpoint.
    let stored = credentials::load().unwrap_or(None);
    let endpoint = context.endpoint(stored.as_ref());
    let key = match environment_key() {
        Some(value) => Key {
            value,
            source: KeySource::Environment,
        },
        None => Key {
            value: terminal::read_key()?,
            source: KeySource::Entered,
        },
    };
    let api_key = key.value.clone();
    let api = Api::new(&endpoint, key)?;
    // Stored only once the API has accepted it.
    let reply = api.get(&["v1", "whoami"])?;
    let who: Whoami = reply.parse()?;
    let path = credentials::save(&Credentials {
        endpoint: api.endpoint().to_owned(),
        api_key,
    })?;
    context.print(&reply, || Ok(render::logged_in(api.endpoint(), &who, &path)))?;
    Ok(Exit::Success)
}

pub fn logout(context: &Context) -> Result<Exit, CliError> {
    let removed = credentials::remove()?;
    if context.json {
        println!("{}", json!({ "logged_out": removed.is_some() }));
    } else {
        match &removed {
            Some(path) => println!("Logged out: removed {}.", path.display()),
            None => println!("Not logged in: there was no stored key."),
        }
    }
    if environment_key().is_some() {
        terminal::note(
            context.json,
            "AXIOM_API_KEY is still set: commands keep using that key until it is unset.",
        );
    }
    Ok(Exit::Success)
}

pub fn whoami(context: &Context) -> Result<Exit, CliError> {
    let reply = context.api()?.get(&["v1", "whoami"])?;
    context.print(&reply, || Ok(render::whoami(&reply.parse::<Whoami>()?)))?;
    Ok(Exit::Success)
}
