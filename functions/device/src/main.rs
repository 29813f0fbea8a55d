//! `POST /v1/auth/device`, `/approve` and `/token`: the CLI's browser sign-in (see
//! `axiom_shared::api`). Two of its routes are public, so it reads the caller itself.

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(|store, request| async move { api::device(&store, request).await }).await
}
