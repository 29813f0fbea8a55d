//! Hello world on the Lambda runtime: echoes its event. `make bench` starts it next to every
//! function to compare their cold starts (`tests/benches/cold_start.rs`).

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
