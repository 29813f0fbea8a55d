//! `POST` and `GET /v1/flows` (see `axiom_shared::api`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    axiom_shared::serve_route!(api::flows).await
}
