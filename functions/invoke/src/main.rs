//! `POST /invocations/v1/flows/invoke` (see `axiom_shared::api`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(|store, request| async move { api::invoke(&store, request).await }).await
}
