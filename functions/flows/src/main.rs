//! `POST` and `GET /v1/flows` (see `axiom_shared::api`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::Flows).await
}
