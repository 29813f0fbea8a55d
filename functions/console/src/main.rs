//! `GET /console/{proxy+}`: the Console's static pages (see `axiom_shared::console`).

use axiom_shared::{console, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route_without_store(|request| async move { console::respond(&request) }).await
}
