//! `GET /console/{proxy+}`: the Console's static pages (see `axiom_shared::console`).

use axiom_shared::{lambda, routes::Function};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route(Function::Console).await
}
