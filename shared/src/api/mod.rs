//! Route handlers: each reads the request, calls the domain and the store, and answers through
//! [`crate::http`]. The Lambda binaries and the local server both call [`handle`].

mod executions;
mod flows;
mod keys;
mod usage;

use lambda_http::{Body, Request, Response};

use crate::{console, routes::Function, store::Store};

/// Runs the handler of `function` for the route the request matched.
pub async fn handle(function: Function, store: &Store, req: Request) -> Response<Body> {
    match function {
        Function::CreateKey => keys::create_key(store, req).await,
        Function::ListKeys => keys::list_keys(store, req).await,
        Function::RevokeKey => keys::revoke_key(store, req).await,
        Function::Whoami => keys::whoami(req).await,
        Function::Flows if req.method() == "POST" => flows::create_flow(store, req).await,
        Function::Flows => flows::list_flows(store, req).await,
        Function::Invoke => executions::invoke(store, req).await,
        Function::Executions => match crate::http::route_key(&req) {
            Some(key) if key.ends_with("/cancel") => executions::cancel(store, req).await,
            Some(key) if key.ends_with("/resume") => executions::resume(store, req).await,
            _ => executions::get(store, req).await,
        },
        Function::Usage => usage::usage(store, req).await,
        Function::Console => console::respond(&req),
    }
}
