//! `POST /v1/api-keys`: mints a key (see `axiom_shared::api::create_key`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(|store, request| async move { api::create_key(&store, request).await }).await
}
