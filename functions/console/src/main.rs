//! `GET /console/{proxy+}`: the Console's static pages (see `axiom_shared::api::console`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route_without_store(api::console::respond).await
}
