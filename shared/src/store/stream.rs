//! The table's stream records, as the runner function receives them (the stream's filter in
//! `template.yaml` passes only runs marked runnable).

use aws_lambda_events::dynamodb::EventRecord;

use super::executions::TableKeys;
use crate::domain::executions::RunRef;

/// The run a stream record is about; `None` for a record of any other item.
pub fn run_of(record: &EventRecord) -> Option<RunRef> {
    match serde_dynamo::from_item::<_, TableKeys>(record.change.keys.clone()) {
        Ok(keys) => keys.run(),
        Err(error) => {
            tracing::warn!(%error, "skipped a stream record without table keys");
            None
        }
    }
}
