//! `POST /v1/api-keys`: mints a key (see `axiom_shared::api::create_key`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::CreateKey).await
}
