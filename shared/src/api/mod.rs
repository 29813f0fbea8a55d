//! Route handlers: each reads the request, calls the domain and the store, and answers through
//! [`crate::http`]. The Lambda binaries and the local server both call [`handle`].

mod executions;
mod flows;
mod keys;
mod usage;

pub use executions::executions;
pub use executions::invoke;
pub use flows::flows;
pub use keys::{create_key, list_keys, revoke_key, whoami};
pub use usage::usage;

use lambda_http::{Body, Request, Response};

use crate::{console, routes::Function, store::Store};

/// Runs the handler of `function` for the route the request matched (the local gateway's
/// dispatch; each Lambda binary calls its one handler directly).
pub async fn handle(function: Function, store: &Store, req: Request) -> Response<Body> {
    match function {
        Function::CreateKey => create_key(store, req).await,
        Function::ListKeys => list_keys(store, req).await,
        Function::RevokeKey => revoke_key(store, req).await,
        Function::Whoami => whoami(req).await,
        Function::Flows => flows(store, req).await,
        Function::Invoke => invoke(store, req).await,
        Function::Executions => executions(store, req).await,
        Function::Usage => usage(store, req).await,
        Function::Console => console::respond(&req),
    }
}
