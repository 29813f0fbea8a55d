//! `GET /v1/api-keys`: lists the account's keys (see `axiom_shared::api::list_keys`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    axiom_shared::serve_route!(api::list_keys).await
}
