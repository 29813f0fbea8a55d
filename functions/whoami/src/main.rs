//! `GET /v1/whoami`: who the key belongs to (see `axiom_shared::api::whoami`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_route_without_store(api::respond_whoami).await
}
