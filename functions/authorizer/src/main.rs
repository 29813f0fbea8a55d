//! The Lambda REQUEST authorizer (payload 2.0, simple responses) — see `axiom_shared::auth`.

use axiom_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_authorizer().await
}
