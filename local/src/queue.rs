//! An Amazon SQS standard queue with fair queues, feeding a handler through a Lambda event source
//! mapping with `ReportBatchItemFailures`, in process: what the local server and the tests use
//! where AWS has a queue and a function subscribed to it. It knows nothing of what the messages
//! mean: it hands [`SqsEvent`] batches to a handler and reads back its [`SqsBatchResponse`].
//!
//! What it does, and the AWS documentation it follows:
//!
//! - **Delays**: a message is invisible until its `delay_seconds` have passed since it was sent;
//!   SQS allows 0 to 900 seconds ([SendMessage]) and refuses more, here longer delays are cut to
//!   900 seconds with a warning.
//! - **Batches** ([event source mapping parameters]): up to `batch_size` messages per invocation
//!   (at most 10 without a batching window, and this mapping has none: a batch leaves as soon as
//!   a message is visible and an invocation slot is free).
//! - **Maximum concurrency** ([scaling]): never more than `max_concurrency` invocations at once
//!   (at least 2, as on AWS). Lambda's ramp-up (5 pollers, then +300 a minute) and its back-off
//!   after errors are not emulated: all slots are usable at once.
//! - **Fair queues** ([fair queues]): tenants are message groups. Each message of a batch is taken
//!   from the group with the fewest messages in flight (counting those already in the batch),
//!   oldest first within a group, so one group's backlog never holds back another group's
//!   message. SQS does this best-effort and only once it detects a noisy tenant; here always.
//! - **Visibility timeout** ([visibility timeout]): a received message is invisible for
//!   `visibility_timeout` from its receipt. Messages the handler names in `batch_item_failures`
//!   come back when it has passed; the others are deleted. A panicking handler (a failed
//!   invocation) and an answer naming an empty or unknown message id fail the whole batch
//!   ([partial batch responses]). Divergence: a message stays in flight until its handler
//!   returns, even past its visibility timeout, where SQS would deliver it again meanwhile.
//! - **Redrive** ([dead-letter queues]): a message received `max_receive_count` times is moved to
//!   the dead letters ([`DeadLetters`]) instead of being received again, logged as an error.
//! - **Records** ([Lambda with SQS]): `messageId` (UUID-shaped, the same at every delivery),
//!   `receiptHandle` (new at every delivery), `body`, the attributes `ApproximateReceiveCount`,
//!   `MessageGroupId` and `SentTimestamp`, `eventSource` `aws:sqs` and a fixed local queue ARN.
//!   No `md5OfBody`, no message attributes.
//!
//! Duplicate deliveries of a standard queue (at least once on AWS) only when asked
//! (`deliver_twice`, for tests). Not emulated: retention periods, function timeouts (a handler that never
//! returns keeps its slot).
//!
//! [SendMessage]: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
//! [event source mapping parameters]: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
//! [scaling]: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
//! [fair queues]: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html
//! [visibility timeout]: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
//! [partial batch responses]: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
//! [dead-letter queues]: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
//! [Lambda with SQS]: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    future::Future,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use axiom_shared::store::queue::{MAX_DELAY_SECONDS, QueueMessage, SendLocally};
use tokio::{
    sync::mpsc,
    task::{self, JoinError, JoinSet},
    time::{Instant, sleep_until},
};

/// The local queue's ARN, in every record's `eventSourceARN`.
pub const EVENT_SOURCE_ARN: &str = "arn:aws:sqs:us-east-1:000000000000:axiom-local";

/// The region of [`EVENT_SOURCE_ARN`], in every record's `awsRegion`.
const AWS_REGION: &str = "us-east-1";

/// The queue's and its event source mapping's settings.
#[derive(Clone, Debug)]
pub struct QueueConfig {
    /// The most messages in one invocation: 1 to 10.
    pub batch_size: usize,
    /// The most invocations in flight at once: 2 to 1,000.
    pub max_concurrency: usize,
    /// How long a received message stays invisible (the queue's `VisibilityTimeout`).
    pub visibility_timeout: Duration,
    /// How many receives a message gets before it goes to the dead letters (the redrive policy's
    /// `maxReceiveCount`): 1 to 1,000.
    pub max_receive_count: u32,
    /// Delivers every message twice (as two messages), as a standard queue may: its delivery is
    /// at least once. For tests of the handler's idempotence.
    pub deliver_twice: bool,
}

impl Default for QueueConfig {
    /// AWS's defaults for the batch size, the visibility timeout and the receive count AWS
    /// recommends; 50 invocations at most.
    fn default() -> Self {
        Self {
            batch_size: 10,
            max_concurrency: 50,
            visibility_timeout: Duration::from_secs(30),
            max_receive_count: 5,
            deliver_twice: false,
        }
    }
}

/// Sends messages to a [`LocalQueue`]; cheap to clone.
#[derive(Clone, Debug)]
pub struct QueueSender(mpsc::UnboundedSender<Sent>);

impl QueueSender {
    /// Sends a message, without waiting. It fails, giving the message back, only when the queue
    /// is gone (the [`LocalQueue`] or its [`run`](LocalQueue::run) was dropped).
    pub fn send(&self, message: QueueMessage) -> Result<(), QueueMessage> {
        let sent = Sent {
            message,
            at: Instant::now(),
            timestamp_ms: epoch_ms(),
        };
        self.0.send(sent).map_err(|refused| refused.0.message)
    }
}

impl SendLocally for QueueSender {
    fn send(&self, message: QueueMessage) -> Result<(), QueueMessage> {
        QueueSender::send(self, message)
    }
}

/// The messages moved to the dead-letter queue, in the order they were moved; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct DeadLetters(Arc<Mutex<Vec<QueueMessage>>>);

impl DeadLetters {
    pub fn messages(&self) -> Vec<QueueMessage> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn push(&self, message: QueueMessage) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }
}

/// The queue and its event source mapping, delivering once [`run`](Self::run).
#[derive(Debug)]
pub struct LocalQueue {
    config: QueueConfig,
    incoming: mpsc::UnboundedReceiver<Sent>,
    dead_letters: DeadLetters,
}

impl LocalQueue {
    /// A queue and its sender. Messages sent before [`run`](Self::run) wait in the queue.
    ///
    /// # Panics
    ///
    /// When a setting is out of the range AWS accepts (see [`QueueConfig`]).
    pub fn new(config: QueueConfig) -> (Self, QueueSender) {
        assert!(
            (1..=10).contains(&config.batch_size),
            "batch_size must be 1 to 10"
        );
        assert!(
            (2..=1000).contains(&config.max_concurrency),
            "max_concurrency must be 2 to 1,000"
        );
        assert!(
            (1..=1000).contains(&config.max_receive_count),
            "max_receive_count must be 1 to 1,000"
        );
        let (sender, incoming) = mpsc::unbounded_channel();
        let queue = Self {
            config,
            incoming,
            dead_letters: DeadLetters::default(),
        };
        (queue, QueueSender(sender))
    }

    pub fn dead_letters(&self) -> DeadLetters {
        self.dead_letters.clone()
    }

    /// Delivers batches to `handler`, each on its own task, at most `max_concurrency` at once.
    /// Returns once every sender is dropped and no message is left, waiting or in flight: in the
    /// server, where a sender lives as long as the server, it never returns. Dropping it aborts the
    /// invocations in flight.
    pub async fn run<H, Fut>(mut self, handler: H)
    where
        H: Fn(SqsEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SqsBatchResponse> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let mut messages = Messages::new(self.config.clone(), self.dead_letters.clone());
        let mut invocations = JoinSet::new();
        let mut senders_left = true;
        loop {
            while invocations.len() < self.config.max_concurrency {
                let batch = messages.receive_batch(Instant::now());
                if batch.is_empty() {
                    break;
                }
                let event = sqs_event(&batch);
                let handler = Arc::clone(&handler);
                let invocation = invocations.spawn(async move { handler(event).await });
                messages.in_flight.insert(invocation.id(), batch);
            }
            let slot_free = invocations.len() < self.config.max_concurrency;
            let next_visible = if slot_free {
                messages.next_visible_at()
            } else {
                None
            };
            tokio::select! {
                sent = self.incoming.recv(), if senders_left => match sent {
                    Some(sent) => {
                        messages.enqueue(sent);
                        while let Ok(sent) = self.incoming.try_recv() {
                            messages.enqueue(sent);
                        }
                    }
                    None => senders_left = false,
                },
                Some(finished) = invocations.join_next_with_id() => match finished {
                    Ok((invocation, response)) => messages.settle(invocation, Ok(response)),
                    Err(error) => messages.settle(error.id(), Err(error)),
                },
                () = sleep_until(next_visible.unwrap_or_else(Instant::now)), if next_visible.is_some() => {}
                // No sender, no invocation in flight and nothing waiting (a waiting message would
                // have a visibility time to sleep until, the slots being all free).
                else => return,
            }
        }
    }
}

/// A message as sent, stamped at its sending.
#[derive(Debug)]
struct Sent {
    message: QueueMessage,
    at: Instant,
    timestamp_ms: u128,
}

/// A message between its sending and its deletion.
struct Queued {
    /// The order of sending, which is the order of age.
    sequence: u64,
    message: QueueMessage,
    sent_timestamp_ms: u128,
    visible_at: Instant,
    receive_count: u32,
}

impl Queued {
    fn message_id(&self) -> String {
        format!("00000000-0000-4000-8000-{:012x}", self.sequence)
    }

    fn record(&self) -> SqsMessage {
        let message_id = self.message_id();
        let mut record = SqsMessage::default();
        record.receipt_handle = Some(format!("{message_id}/{}", self.receive_count));
        record.message_id = Some(message_id);
        record.body = Some(self.message.body.clone());
        record.attributes = HashMap::from([
            (
                "ApproximateReceiveCount".to_owned(),
                self.receive_count.to_string(),
            ),
            ("MessageGroupId".to_owned(), self.message.group_id.clone()),
            ("SentTimestamp".to_owned(), self.sent_timestamp_ms.to_string()),
        ]);
        record.event_source = Some("aws:sqs".to_owned());
        record.event_source_arn = Some(EVENT_SOURCE_ARN.to_owned());
        record.aws_region = Some(AWS_REGION.to_owned());
        record
    }
}

fn sqs_event(batch: &[Queued]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = batch.iter().map(Queued::record).collect();
    event
}

/// Every message of the queue: waiting (visible or not) or in flight.
struct Messages {
    config: QueueConfig,
    next_sequence: u64,
    waiting: BTreeMap<u64, Queued>,
    in_flight: HashMap<task::Id, Vec<Queued>>,
    dead_letters: DeadLetters,
}

impl Messages {
    fn new(config: QueueConfig, dead_letters: DeadLetters) -> Self {
        Self {
            config,
            next_sequence: 0,
            waiting: BTreeMap::new(),
            in_flight: HashMap::new(),
            dead_letters,
        }
    }

    fn enqueue(&mut self, sent: Sent) {
        let delay_seconds = sent.message.delay_seconds.min(MAX_DELAY_SECONDS);
        if delay_seconds < sent.message.delay_seconds {
            tracing::warn!(
                delay_seconds = sent.message.delay_seconds,
                "SQS refuses delays over {MAX_DELAY_SECONDS} s: delayed {MAX_DELAY_SECONDS} s"
            );
        }
        let copies = if self.config.deliver_twice { 2 } else { 1 };
        for _ in 0..copies {
            let sequence = self.next_sequence;
            self.next_sequence += 1;
            let queued = Queued {
                sequence,
                message: sent.message.clone(),
                sent_timestamp_ms: sent.timestamp_ms,
                visible_at: sent.at + Duration::from_secs(delay_seconds.into()),
                receive_count: 0,
            };
            self.waiting.insert(sequence, queued);
        }
    }

    /// Receives up to a batch of visible messages, taking each from the group with the fewest
    /// messages in flight (those of this batch included), the oldest of the group first. Messages
    /// out of receives go to the dead letters instead.
    fn receive_batch(&mut self, now: Instant) -> Vec<Queued> {
        self.move_exhausted_to_dead_letters(now);
        let mut in_flight_by_group: HashMap<&str, usize> = HashMap::new();
        for queued in self.in_flight.values().flatten() {
            *in_flight_by_group.entry(&queued.message.group_id).or_default() += 1;
        }
        let mut visible_by_group: HashMap<&str, VecDeque<u64>> = HashMap::new();
        for queued in self.waiting.values().filter(|queued| queued.visible_at <= now) {
            let group = visible_by_group.entry(&queued.message.group_id).or_default();
            if group.len() < self.config.batch_size {
                group.push_back(queued.sequence);
            }
        }
        let mut taken = Vec::new();
        while taken.len() < self.config.batch_size {
            let fairest = visible_by_group
                .iter_mut()
                .filter_map(|(group, sequences)| Some((*group, sequences.front().copied()?, sequences)))
                .min_by_key(|(group, oldest, _)| {
                    (in_flight_by_group.get(group).copied().unwrap_or(0), *oldest)
                });
            let Some((group, oldest, sequences)) = fairest else {
                break;
            };
            sequences.pop_front();
            *in_flight_by_group.entry(group).or_default() += 1;
            taken.push(oldest);
        }
        let visible_until = now + self.config.visibility_timeout;
        taken
            .into_iter()
            .map(|sequence| {
                let mut queued = self
                    .waiting
                    .remove(&sequence)
                    .expect("a visible message is waiting");
                queued.receive_count += 1;
                queued.visible_at = visible_until;
                queued
            })
            .collect()
    }

    /// SQS moves a message to the dead-letter queue when it would be received once more than
    /// `maxReceiveCount` allows.
    fn move_exhausted_to_dead_letters(&mut self, now: Instant) {
        let max_receive_count = self.config.max_receive_count;
        let exhausted = self.waiting.extract_if(.., |_, queued| {
            queued.visible_at <= now && queued.receive_count >= max_receive_count
        });
        for (_, queued) in exhausted {
            tracing::error!(
                message_id = queued.message_id(),
                group_id = queued.message.group_id,
                body = queued.message.body,
                "message moved to the dead letters after {max_receive_count} receives"
            );
            self.dead_letters.push(queued.message);
        }
    }

    /// Applies an invocation's outcome to its batch: the failed messages wait for their
    /// visibility timeout to pass, the others are deleted.
    fn settle(&mut self, invocation: task::Id, outcome: Result<SqsBatchResponse, JoinError>) {
        let batch = self
            .in_flight
            .remove(&invocation)
            .expect("every invocation has its batch");
        let (whole_batch_failed, reported) = match outcome {
            Ok(response) => {
                let reported: HashSet<String> = response
                    .batch_item_failures
                    .into_iter()
                    .map(|failure| failure.item_identifier)
                    .collect();
                let batch_ids: HashSet<String> = batch.iter().map(Queued::message_id).collect();
                let unknown: Vec<&String> = reported.difference(&batch_ids).collect();
                if !unknown.is_empty() {
                    tracing::error!(
                        ?unknown,
                        "batch item failures name messages not in the batch: the whole batch failed"
                    );
                }
                (!unknown.is_empty(), reported)
            }
            Err(error) => {
                tracing::error!(%error, "the handler failed: the whole batch failed");
                (true, HashSet::new())
            }
        };
        for queued in batch {
            if whole_batch_failed || reported.contains(&queued.message_id()) {
                self.waiting.insert(queued.sequence, queued);
            }
        }
    }

    /// When the first waiting message becomes visible (none is visible when this is asked: they
    /// would have been received).
    fn next_visible_at(&self) -> Option<Instant> {
        self.waiting.values().map(|queued| queued.visible_at).min()
    }
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::time::sleep;

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn message(group_id: &str, body: &str) -> QueueMessage {
        QueueMessage {
            body: body.to_owned(),
            group_id: group_id.to_owned(),
            delay_seconds: 0,
        }
    }

    /// A batch delivered, with when (since the log was made).
    type Delivery = (Duration, Vec<SqsMessage>);

    /// Every batch delivered.
    #[derive(Clone)]
    struct Log {
        start: Instant,
        batches: Arc<Mutex<Vec<Delivery>>>,
    }

    impl Log {
        fn new() -> Self {
            Self {
                start: Instant::now(),
                batches: Arc::default(),
            }
        }

        /// Records a batch; returns how many came before it.
        fn record(&self, event: &SqsEvent) -> usize {
            let mut batches = self.batches.lock().unwrap();
            batches.push((self.start.elapsed(), event.records.clone()));
            batches.len() - 1
        }

        fn batches(&self) -> Vec<Delivery> {
            self.batches.lock().unwrap().clone()
        }

        fn bodies(&self) -> Vec<Vec<String>> {
            self.batches()
                .into_iter()
                .map(|(_, records)| records.iter().map(body).collect())
                .collect()
        }
    }

    fn body(record: &SqsMessage) -> String {
        record.body.clone().unwrap()
    }

    fn message_id(record: &SqsMessage) -> String {
        record.message_id.clone().unwrap()
    }

    fn receive_count(record: &SqsMessage) -> &str {
        &record.attributes["ApproximateReceiveCount"]
    }

    fn failures<'a>(records: impl IntoIterator<Item = &'a SqsMessage>) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in records {
            response.add_failure(message_id(record));
        }
        response
    }

    /// A handler that logs each batch and answers it with `answer(batch number, event)`.
    fn answering(
        log: &Log,
        answer: impl Fn(usize, &SqsEvent) -> SqsBatchResponse + Send + Sync + 'static,
    ) -> impl Fn(SqsEvent) -> std::future::Ready<SqsBatchResponse> + Send + Sync + 'static {
        let log = log.clone();
        move |event| std::future::ready(answer(log.record(&event), &event))
    }

    /// Sends `messages`, drops the sender and runs the queue until it is done.
    async fn run_to_completion<H, Fut>(
        config: QueueConfig,
        messages: Vec<QueueMessage>,
        handler: H,
    ) -> DeadLetters
    where
        H: Fn(SqsEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SqsBatchResponse> + Send + 'static,
    {
        let (queue, sender) = LocalQueue::new(config);
        let dead_letters = queue.dead_letters();
        for message in messages {
            sender.send(message).unwrap();
        }
        drop(sender);
        queue.run(handler).await;
        dead_letters
    }

    #[tokio::test(start_paused = true)]
    async fn a_delayed_message_is_delivered_once_its_delay_has_passed() {
        let log = Log::new();
        let delayed = QueueMessage {
            delay_seconds: 5,
            ..message("a", "delayed")
        };
        run_to_completion(
            QueueConfig::default(),
            vec![delayed],
            answering(&log, |_, _| Default::default()),
        )
        .await;
        let batches = log.batches();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].0, 5 * SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn delays_are_cut_to_fifteen_minutes() {
        let log = Log::new();
        let delayed = QueueMessage {
            delay_seconds: 3600,
            ..message("a", "delayed")
        };
        run_to_completion(
            QueueConfig::default(),
            vec![delayed],
            answering(&log, |_, _| Default::default()),
        )
        .await;
        assert_eq!(log.batches()[0].0, 900 * SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_max_concurrency_invocations_run_at_once() {
        let running = Arc::new(AtomicUsize::new(0));
        let most_running = Arc::new(AtomicUsize::new(0));
        let delivered = Arc::new(AtomicUsize::new(0));
        let handler = {
            let (running, most_running, delivered) =
                (running.clone(), most_running.clone(), delivered.clone());
            move |event: SqsEvent| {
                let (running, most_running, delivered) =
                    (running.clone(), most_running.clone(), delivered.clone());
                async move {
                    let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most_running.fetch_max(now_running, Ordering::SeqCst);
                    sleep(SECOND).await;
                    delivered.fetch_add(event.records.len(), Ordering::SeqCst);
                    running.fetch_sub(1, Ordering::SeqCst);
                    SqsBatchResponse::default()
                }
            }
        };
        let config = QueueConfig {
            batch_size: 1,
            max_concurrency: 3,
            ..QueueConfig::default()
        };
        let messages = (0..20).map(|n| message(&format!("group {n}"), "m")).collect();
        run_to_completion(config, messages, handler).await;
        assert_eq!(most_running.load(Ordering::SeqCst), 3);
        assert_eq!(delivered.load(Ordering::SeqCst), 20);
    }

    #[tokio::test(start_paused = true)]
    async fn batches_never_exceed_the_batch_size() {
        let log = Log::new();
        let config = QueueConfig {
            batch_size: 4,
            ..QueueConfig::default()
        };
        let messages = (0..30)
            .map(|n| message(if n % 3 == 0 { "a" } else { "b" }, "m"))
            .collect();
        run_to_completion(config, messages, answering(&log, |_, _| Default::default())).await;
        let sizes: Vec<usize> = log.batches().iter().map(|(_, records)| records.len()).collect();
        assert!(sizes.iter().all(|&size| size <= 4), "{sizes:?}");
        assert!(sizes.contains(&4), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 30);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reported_failure_comes_back_after_the_visibility_timeout_and_the_others_do_not() {
        let log = Log::new();
        let handler = answering(&log, |batch, event| match batch {
            0 => failures(event.records.iter().filter(|record| body(record) == "b")),
            _ => SqsBatchResponse::default(),
        });
        let messages = vec![message("g", "a"), message("g", "b"), message("g", "c")];
        run_to_completion(QueueConfig::default(), messages, handler).await;
        let batches = log.batches();
        assert_eq!(log.bodies(), [vec!["a", "b", "c"], vec!["b"]]);
        let (first, second) = (&batches[0], &batches[1]);
        assert_eq!(second.0, 30 * SECOND);
        assert_eq!(message_id(&second.1[0]), message_id(&first.1[1]));
        assert_ne!(second.1[0].receipt_handle, first.1[1].receipt_handle);
        assert_eq!(receive_count(&first.1[1]), "1");
        assert_eq!(receive_count(&second.1[0]), "2");
        assert_eq!(second.1[0].attributes["MessageGroupId"], "g");
        assert_eq!(second.1[0].event_source.as_deref(), Some("aws:sqs"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_naming_an_unknown_message_fails_the_whole_batch() {
        let log = Log::new();
        let handler = answering(&log, |batch, _| match batch {
            0 => {
                let mut response = SqsBatchResponse::default();
                response.add_failure("not a message id");
                response
            }
            _ => SqsBatchResponse::default(),
        });
        run_to_completion(
            QueueConfig::default(),
            vec![message("g", "a"), message("g", "b")],
            handler,
        )
        .await;
        assert_eq!(log.bodies(), [vec!["a", "b"], vec!["a", "b"]]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_handlers_batch_is_delivered_again() {
        let log = Log::new();
        let handler = answering(&log, |batch, _| match batch {
            0 => panic!("the handler fails"),
            _ => SqsBatchResponse::default(),
        });
        run_to_completion(
            QueueConfig::default(),
            vec![message("g", "a"), message("g", "b")],
            handler,
        )
        .await;
        let batches = log.batches();
        assert_eq!(log.bodies(), [vec!["a", "b"], vec!["a", "b"]]);
        assert_eq!(batches[1].0, 30 * SECOND);
        assert!(batches[1].1.iter().all(|record| receive_count(record) == "2"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_out_of_receives_goes_to_the_dead_letters() {
        let log = Log::new();
        let config = QueueConfig {
            max_receive_count: 3,
            ..QueueConfig::default()
        };
        let poison = message("g", "poison");
        let dead_letters = run_to_completion(
            config,
            vec![poison.clone()],
            answering(&log, |_, event| failures(&event.records)),
        )
        .await;
        let receives: Vec<(Duration, String)> = log
            .batches()
            .iter()
            .map(|(at, records)| (*at, receive_count(&records[0]).to_owned()))
            .collect();
        assert_eq!(
            receives,
            [
                (Duration::ZERO, "1".into()),
                (30 * SECOND, "2".into()),
                (60 * SECOND, "3".into())
            ]
        );
        assert_eq!(dead_letters.messages(), [poison]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_groups_backlog_does_not_hold_back_another_groups_message() {
        let log = Log::new();
        let handler = {
            let log = log.clone();
            move |event: SqsEvent| {
                log.record(&event);
                async {
                    sleep(SECOND).await;
                    SqsBatchResponse::default()
                }
            }
        };
        let config = QueueConfig {
            batch_size: 10,
            max_concurrency: 2,
            ..QueueConfig::default()
        };
        let (queue, sender) = LocalQueue::new(config);
        let running = tokio::spawn(queue.run(handler));
        for n in 0..1000 {
            sender.send(message("a", &format!("a{n}"))).unwrap();
        }
        sleep(SECOND / 10).await;
        assert_eq!(log.batches().len(), 2, "two batches of a in flight");
        sender.send(message("b", "b")).unwrap();
        drop(sender);
        running.await.unwrap();

        let bodies = log.bodies();
        let with_b = bodies
            .iter()
            .position(|batch| batch.contains(&"b".to_owned()))
            .unwrap();
        assert!(with_b <= 3, "b delivered in batch {with_b}");
        assert_eq!(log.batches()[with_b].0, SECOND);
        let delivered: Vec<&String> = bodies.iter().flatten().collect();
        let distinct: HashSet<&String> = delivered.iter().copied().collect();
        assert_eq!(
            (delivered.len(), distinct.len()),
            (1001, 1001),
            "every message delivered once"
        );
    }
}
