//! `POST /v1/api-keys`: mints a key (see `axiom_shared::api::create_key`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    axiom_shared::serve_route!(api::create_key).await
}
