//! `GET /v1/usage` (see `axiom_shared::api`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(|store, request| async move { api::usage(&store, request).await }).await
}
