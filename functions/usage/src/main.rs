//! `GET /v1/usage` (see `axiom_shared::api`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    axiom_shared::serve_route!(api::usage).await
}
