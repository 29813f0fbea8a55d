//! The HTTP layer, and the only one: the routes, the authorizer, one handler per route, and the
//! one mapping from errors to responses.
//!
//! Every authorized handler has one shape, `async fn(&Store, &Caller, Request) ->
//! Result<Response, ApiError>`: it parses, asks the domain and the store (or the runner), and
//! answers. [`respond`] reads the [`Caller`] and turns errors into responses, once, for the Lambda
//! entry points and the local gateway alike. Two routes need no database: `whoami` (answered from
//! the caller alone) and the public Console.

mod audit;
pub mod authorizer;
mod caller;
pub mod console;
mod device;
mod error;
mod executions;
mod flows;
pub mod http;
mod keys;
pub mod routes;
mod usage;

pub use audit::audit_events;
pub use caller::Caller;
pub use device::{DeviceError, device};
pub use error::ApiError;
pub use executions::{executions, invoke};
pub use flows::flows;
pub use keys::{create_key, list_keys, revoke_key, roll_key, whoami};
pub use usage::usage;

use lambda_http::{Body, Request, Response};

use crate::store::Store;
use routes::Function;

/// Answers an authorized request with `handler`: the caller from the authorizer's context, the
/// handler's result, errors as their responses.
pub async fn respond<H>(handler: H, store: &Store, req: Request) -> Response<Body>
where
    H: AsyncFn(&Store, &Caller, Request) -> Result<Response<Body>, ApiError>,
{
    let result = match Caller::of(&req) {
        Ok(caller) => handler(store, &caller, req).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(ApiError::into_response)
}

/// Answers `whoami`, which needs the caller only.
pub fn respond_whoami(req: &Request) -> Response<Body> {
    Caller::of(req)
        .map(|caller| whoami(&caller))
        .unwrap_or_else(ApiError::into_response)
}

/// Runs the handler of `function` for the route the request matched (the local gateway's
/// dispatch; each Lambda binary serves its one handler directly).
pub async fn handle(function: Function, store: &Store, req: Request) -> Response<Body> {
    match function {
        Function::CreateKey => respond(create_key, store, req).await,
        Function::ListKeys => respond(list_keys, store, req).await,
        Function::RevokeKey => respond(revoke_key, store, req).await,
        Function::RollKey => respond(roll_key, store, req).await,
        Function::Audit => respond(audit_events, store, req).await,
        Function::Device => device(store, req).await,
        Function::Whoami => respond_whoami(&req),
        Function::Flows => respond(flows, store, req).await,
        Function::Invoke => respond(invoke, store, req).await,
        Function::Executions => respond(executions, store, req).await,
        Function::Usage => respond(usage, store, req).await,
        Function::Console => console::respond(&req),
    }
}
