//! `DELETE /v1/api-keys/{id}`: revokes a key (see `axiom_shared::api::revoke_key`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(|store, request| async move { api::revoke_key(&store, request).await }).await
}
