//! The runs queue: one message per run made runnable, which the runner function receives. On
//! AWS a standard SQS queue (`template.yaml`), each message in its account's fair-queue group
//! and delayed by what is left of a sleep; locally, the local server's emulation of it.

use std::sync::Arc;

use super::StoreError;
use crate::domain::executions::RunRef;

/// SQS's longest message delay. Sleeps are far shorter (5 s at most), so a delay never reaches
/// it; a longer one would be delivered early and sent again by the runner.
pub const MAX_DELAY_SECONDS: u32 = 900;

/// Where messages go.
#[derive(Clone, Debug)]
pub enum RunQueue {
    Sqs {
        client: aws_sdk_sqs::Client,
        url: Arc<str>,
    },
    /// The local server's emulation of the queue and its event source.
    Local(Arc<dyn SendLocally>),
}

/// How the local server's emulation of the queue takes messages.
pub trait SendLocally: Send + Sync + std::fmt::Debug {
    /// Sends without waiting; gives the message back when the queue has stopped.
    fn send(&self, message: QueueMessage) -> Result<(), QueueMessage>;
}

/// A message as the queue takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueMessage {
    /// The run, as JSON: see [`run_of_message`].
    pub body: String,
    /// The fair-queue group: the run's account.
    pub group_id: String,
    pub delay_seconds: u32,
}

impl QueueMessage {
    pub fn new(run: &RunRef, delay_seconds: u32) -> Self {
        Self {
            body: serde_json::to_string(run).expect("a run reference always serializes"),
            group_id: run.account_id.clone(),
            delay_seconds: delay_seconds.min(MAX_DELAY_SECONDS),
        }
    }
}

/// The run a message names; `None` for a body that is not one of ours.
pub fn run_of_message(body: &str) -> Option<RunRef> {
    serde_json::from_str(body).ok()
}

impl RunQueue {
    /// Sends a message naming `run`, to be delivered after `delay_seconds`.
    pub async fn send(&self, run: &RunRef, delay_seconds: u32) -> Result<(), StoreError> {
        let message = QueueMessage::new(run, delay_seconds);
        match self {
            Self::Sqs { client, url } => {
                client
                    .send_message()
                    .queue_url(&**url)
                    .message_body(message.body)
                    .message_group_id(message.group_id)
                    .delay_seconds(message.delay_seconds as i32)
                    .send()
                    .await?;
                Ok(())
            }
            Self::Local(queue) => queue
                .send(message)
                .map_err(|_| StoreError::Unavailable("the local runs queue has stopped".to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_names_its_run_in_its_account_s_group_and_caps_its_delay() {
        let run = RunRef {
            account_id: "0190a0b0-0000-7000-8000-000000000001".to_owned(),
            execution_id: "0190a0b0-0000-7000-8000-000000000002".to_owned(),
        };
        let message = QueueMessage::new(&run, 5_000);
        assert_eq!(message.group_id, run.account_id);
        assert_eq!(message.delay_seconds, MAX_DELAY_SECONDS);
        assert_eq!(run_of_message(&message.body), Some(run));
        assert_eq!(run_of_message("{\"account_id\": 1}"), None);
    }
}
