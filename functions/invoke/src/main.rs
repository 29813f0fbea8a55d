//! `POST /invocations/v1/flows/invoke` (see `axiom_shared::api`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::Invoke).await
}
