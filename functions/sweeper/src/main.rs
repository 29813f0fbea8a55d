//! Ends overdue runs and re-drives abandoned ones, on a schedule (see `axiom_shared::runner::sweep`).

use axiom_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::run_sweeper().await
}
