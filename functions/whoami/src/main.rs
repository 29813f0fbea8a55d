//! `GET /v1/whoami`: who the key belongs to (see `axiom_shared::api::whoami`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::Whoami).await
}
