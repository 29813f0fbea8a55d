//! `GET /v1/audit-events` (see `axiom_shared::api`).

use axiom_shared::{api, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    axiom_shared::serve_route!(api::audit_events).await
}
