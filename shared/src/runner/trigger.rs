//! The runner function's batches.

use aws_lambda_events::{
    dynamodb::EventRecord,
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};

use super::pick_up;
use crate::store::{Store, stream};

/// The runner function: carries on the runs of a batch of stream records (the stream's filter
/// passes only runs marked runnable), all at once. A record whose run could not be read or
/// written is reported as a batch item failure, to be delivered again; a duplicate delivery is
/// harmless, since only one runner can claim a run.
pub async fn on_stream(store: &Store, records: &[EventRecord], until_ms: i64) -> DynamoDbEventResponse {
    let outcomes = futures::future::join_all(records.iter().map(|record| async move {
        let Some(run) = stream::run_of(record) else {
            return Ok(());
        };
        pick_up(store, &run, until_ms).await.map_err(|error| {
            tracing::error!(%error, execution_id = run.execution_id, "could not carry a run on");
            record.change.sequence_number.clone()
        })
    }))
    .await;
    let mut response = DynamoDbEventResponse::default();
    for failed in outcomes.into_iter().filter_map(Result::err) {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = failed;
        response.batch_item_failures.push(failure);
    }
    response
}
