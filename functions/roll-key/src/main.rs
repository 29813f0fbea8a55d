//! `POST /v1/api-keys/{id}/roll` (see `axiom_shared::api`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    axiom_shared::serve_route!(api::roll_key).await
}
