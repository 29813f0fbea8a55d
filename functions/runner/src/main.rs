//! Carries runs on, triggered by the table's stream (see `axiom_shared::runner::on_stream`).

use axiom_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_runner().await
}
