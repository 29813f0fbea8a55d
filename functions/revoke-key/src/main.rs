//! `DELETE /v1/api-keys/{id}`: revokes a key (see `axiom_shared::api::revoke_key`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::RevokeKey).await
}
