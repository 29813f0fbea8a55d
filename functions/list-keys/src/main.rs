//! `GET /v1/api-keys`: lists the account's keys (see `axiom_shared::api::list_keys`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::ListKeys).await
}
