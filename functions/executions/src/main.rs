//! `GET /invocations/v1/executions/{id}`, `.../cancel`, `.../resume` (see `axiom_shared::api`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::Executions).await
}
