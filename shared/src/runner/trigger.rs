//! The runner function's batches: messages of the runs queue.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use super::pick_up;
use crate::store::{Store, queue::run_of_message};

/// The runner function: carries on the runs named by a batch of the runs queue's messages, all
/// at once. A message whose run could not be read or written is reported as a batch item
/// failure, to be delivered again (after a few failed deliveries the queue's redrive policy
/// moves it to the dead-letter queue); so is a message that names no run, which then ends there
/// for an operator to see. A duplicate delivery is harmless: only one runner can claim a run.
pub async fn on_queue(store: &Store, event: &SqsEvent, until_ms: i64) -> SqsBatchResponse {
    let outcomes = futures::future::join_all(event.records.iter().map(|message| async move {
        let message_id = message.message_id.clone().unwrap_or_default();
        let Some(run) = message.body.as_deref().and_then(run_of_message) else {
            tracing::error!(message_id, "a runs queue message that names no run");
            return Err(message_id);
        };
        pick_up(store, &run, until_ms).await.map_err(|error| {
            tracing::error!(%error, execution_id = run.execution_id, "could not carry a run on");
            message_id
        })
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for failed in outcomes.into_iter().filter_map(Result::err) {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = failed;
        response.batch_item_failures.push(failure);
    }
    response
}
