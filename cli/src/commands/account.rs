//! `axiom login`, `logout` and `whoami`.

use serde_json::json;

use super::{Context, device, environment_key};
use crate::{
    api::{Api, Key},
    args::LoginArgs,
    credentials::{self, Credentials},
    error::{CliError, Exit, KeySource},
    escape::escape,
    render,
    schema::Whoami,
    terminal,
};

/// `AXIOM_API_KEY` when set; else a key from stdin with `--with-key` or when stdin is a pipe
/// or a file; else the browser sign-in.
pub fn login(context: &Context, args: &LoginArgs) -> Result<Exit, CliError> {
    // A damaged credentials file is about to be replaced: it only loses its say on the endpoint.
    let stored = credentials::load().unwrap_or(None);
    let endpoint = context.endpoint(stored.as_ref());
    let key = match environment_key() {
        Some(value) => Key {
            value,
            source: KeySource::Environment,
        },
        None if args.with_key || terminal::stdin_is_piped() => Key {
            value: terminal::read_key()?,
            source: KeySource::Entered,
        },
        None => return device::login(context, &endpoint, !args.no_browser),
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

/// What `logout --revoke` did to the stored key.
enum Revoked {
    /// Revoked now: its id.
    Now(String),
    /// The API refused the key already (revoked, expired or unknown).
    Already,
}

pub fn logout(context: &Context, revoke: bool) -> Result<Exit, CliError> {
    let revoked = if revoke {
        revoke_stored().inspect_err(|_| {
            eprintln!("The key was not revoked and is still stored (`axiom logout` forgets it anyway).");
        })?
    } else {
        None
    };
    let removed = credentials::remove()?;
    if context.json {
        println!("{}", logout_json(removed.is_some(), revoke, revoked.as_ref()));
    } else {
        match &revoked {
            Some(Revoked::Now(id)) => println!("Revoked API key {}.", escape(id)),
            Some(Revoked::Already) => println!("The stored key was already invalid, revoked or expired."),
            None => {}
        }
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

/// `{"logged_out": ...}`, and with `--revoke` `"revoked"` and the revoked key's `"key_id"`.
fn logout_json(logged_out: bool, revoke: bool, revoked: Option<&Revoked>) -> serde_json::Value {
    if !revoke {
        return json!({ "logged_out": logged_out });
    }
    let key_id = match revoked {
        Some(Revoked::Now(id)) => Some(id.as_str()),
        _ => None,
    };
    json!({ "logged_out": logged_out, "revoked": key_id.is_some(), "key_id": key_id })
}

/// Revokes the stored key at the endpoint it was stored for, whatever --endpoint says: its id
/// is `GET /v1/whoami`'s `key_id`. `None` when no key is stored.
fn revoke_stored() -> Result<Option<Revoked>, CliError> {
    let Some(stored) = credentials::load()? else {
        return Ok(None);
    };
    let key = Key {
        value: stored.api_key,
        source: KeySource::Stored,
    };
    let api = match Api::new(&stored.endpoint, key) {
        Err(CliError::MalformedKey(_)) => return Ok(Some(Revoked::Already)),
        api => api?,
    };
    let reply = match api.get(&["v1", "whoami"]) {
        Err(CliError::KeyRefused { .. }) => return Ok(Some(Revoked::Already)),
        reply => reply?,
    };
    let id = reply
        .parse::<Whoami>()?
        .key_id
        .ok_or_else(|| reply.unexpected("no key_id in the answer"))?;
    match api.delete(&["v1", "api-keys", &id]) {
        // Revoked meanwhile, by another client.
        Ok(_) | Err(CliError::NotFound(_) | CliError::KeyRefused { .. }) => Ok(Some(Revoked::Now(id))),
        Err(error) => Err(error),
    }
}

pub fn whoami(context: &Context) -> Result<Exit, CliError> {
    let reply = context.api()?.get(&["v1", "whoami"])?;
    context.print(&reply, || Ok(render::whoami(&reply.parse::<Whoami>()?)))?;
    Ok(Exit::Success)
}
