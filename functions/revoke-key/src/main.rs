//! `DELETE /v1/api-keys/{id}`: revokes a key (see `axiom_shared::api::revoke_key`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    axiom_shared::serve_route!(api::revoke_key).await
}
