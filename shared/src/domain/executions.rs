//! Execution records and their lifecycle (PRODUCT.md §6) as pure state transitions. The store
//! persists each transition with a conditional write on the version it read; the runner and the
//! routes decide which transition to make.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::{
    flows::{self, Definition, Op, StateCap},
    timestamp,
};

/// A run may be active (running, compensating) this long in all, counted from its pick-up.
pub const ACTIVE_LIMIT_MS: i64 = 5 * 60 * 1000;
/// A run may wait this long, queued, for a runner to pick it up.
pub const QUEUE_LIMIT_MS: i64 = 15 * 60 * 1000;
/// A run may stay paused this long.
pub const PAUSE_LIMIT_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The most a run's record can take, every growing field counted: the input (128 KiB), the
/// state (160 KiB), one error (its message at most 4 KiB), 50 step records and the fixed fields.
/// DynamoDB's item limit is 400 KB; `tests/properties.rs` holds every run below this.
pub const RECORD_BUDGET_BYTES: usize = 320 * 1024;
/// A runner holds a run this long without writing; after that another may take it over.
pub const LEASE_MS: i64 = 30_000;
/// A step renews its runner's lease only once less than this is left, so that most steps do not
/// move the run in the `wake` index (and every step still starts with 15 s of lease or more).
pub const LEASE_RENEW_BELOW_MS: i64 = LEASE_MS / 2;
/// A runner sleeps through shorter sleeps itself; from this long on, it lets go of the run and
/// has it delivered again when the sleep is over (PRODUCT.md §16: a sleep of a second or more
/// holds no worker).
pub const PARK_FROM_MS: i64 = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Running,
    Paused,
    Compensating,
    Succeeded,
    Failed,
    Cancelled,
    CompensationFailed,
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::Cancelled | Self::CompensationFailed
        )
    }

    /// Queued, running or compensating: the states that use up the active time limit.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running | Self::Compensating)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Compensating => "compensating",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::CompensationFailed => "compensation_failed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Paused,
    Succeeded,
    Failed,
    Compensated,
    CompensationFailed,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub id: String,
    pub status: StepStatus,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    pub step: Option<String>,
    pub message: String,
}

/// One run, as stored. Times are kept both as RFC 3339 text (shown) and epoch milliseconds
/// (computed with). Absent values are left out of the item rather than stored as nulls: the
/// run's control item is rewritten at every step and billed by the kilobyte.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub execution_id: String,
    pub account_id: String,
    pub graph_id: String,
    pub key_id: String,
    pub status: Status,
    /// The invocation input as JSON text.
    pub input: String,
    /// The run's state object as JSON text; the output once succeeded.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    pub steps: Vec<StepRecord>,
    /// Index of the next step to run (the paused step while paused).
    pub cursor: usize,
    /// While compensating: compensations of completed steps below this index remain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensate_below: Option<usize>,
    /// The step failure that started the compensation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<RunError>,
    pub started_at: String,
    pub started_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// Incremented by every write; each write is conditional on the version it read.
    pub version: u64,
    /// When the run times out unless it is paused, resumed or ends first.
    pub deadline_ms: i64,
    /// Active time used before the current active period.
    pub active_used_ms: i64,
    /// Start of the current active period; `None` while paused and once ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_since_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until_ms: Option<i64>,
    /// Present while the run waits for a runner: the table stream's filter selects on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runnable: Option<String>,
    /// When the sweep must look at the run (lease expiry or deadline); `None` once ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_at_ms: Option<i64>,
    /// The shard of its account's in-flight count the run is counted in (runs started before
    /// quotas were counted have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inflight_shard: Option<u32>,
    /// While the run waits out a sleep step without a runner: when the sleep is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep_until_ms: Option<i64>,
    /// The store's fingerprint of `state` as it last read or wrote it, so that a write stores
    /// the state only when it changed. Not part of the record.
    #[serde(skip)]
    pub stored_state: Option<u64>,
}

/// The next piece of work of a run: a step, or the compensation of a completed step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Work {
    pub index: usize,
    pub compensation: bool,
}

/// What a caller may not do to a run in its current status (a 409).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the execution is {status}, so it cannot be {action}")]
pub struct NotAllowed {
    pub status: &'static str,
    pub action: &'static str,
}

pub const RUNNABLE: &str = "yes";

fn state_of(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

fn text_of(state: &Map<String, Value>) -> String {
    serde_json::to_string(state).expect("JSON values always serialize")
}

impl Execution {
    /// A new run of `definition`. With an `owner` it starts claimed by that runner (an invoke
    /// that waits runs it inline); without one it is queued for a runner.
    pub fn start(
        ids: StartIds,
        definition: &Definition,
        input_text: String,
        input: Value,
        owner: Option<&str>,
        now_ms: i64,
    ) -> Self {
        let mut execution = Self {
            execution_id: ids.execution_id,
            account_id: ids.account_id,
            graph_id: ids.graph_id,
            key_id: ids.key_id,
            status: Status::Queued,
            input: input_text,
            state: text_of(&flows::initial_state(input)),
            error: None,
            steps: definition
                .steps
                .iter()
                .map(|step| StepRecord {
                    id: step.id.clone(),
                    status: StepStatus::Pending,
                    started_at: None,
                    ended_at: None,
                })
                .collect(),
            cursor: 0,
            compensate_below: None,
            failure: None,
            started_at: timestamp::format_ms(now_ms),
            started_ms: now_ms,
            ended_at: None,
            duration_ms: None,
            version: 0,
            // Queued until a runner (or the waiting invoke itself) picks it up.
            deadline_ms: now_ms + QUEUE_LIMIT_MS,
            active_used_ms: 0,
            active_since_ms: None,
            lease_owner: None,
            lease_until_ms: None,
            runnable: None,
            wake_at_ms: None,
            inflight_shard: None,
            sleep_until_ms: None,
            stored_state: None,
        };
        match owner {
            Some(owner) => execution.take_lease(owner, now_ms),
            None => execution.make_runnable(now_ms),
        }
        execution
    }

    /// The UTC day the run started on, which its usage counts toward.
    pub fn day(&self) -> &str {
        &self.started_at[..10]
    }

    pub fn state(&self) -> Map<String, Value> {
        state_of(&self.state)
    }

    /// True when a runner may take the run now: active and not held by a live lease.
    pub fn claimable(&self, now_ms: i64) -> bool {
        self.status.is_active() && self.lease_until_ms.is_none_or(|until| until <= now_ms)
    }

    /// Held by `owner` for [`LEASE_MS`]; a queued run starts running, and its active time
    /// limit starts then.
    pub fn take_lease(&mut self, owner: &str, now_ms: i64) {
        if self.status == Status::Queued {
            self.status = Status::Running;
            self.active_since_ms = Some(now_ms);
            self.deadline_ms = now_ms + ACTIVE_LIMIT_MS - self.active_used_ms;
        }
        self.lease_owner = Some(owner.to_owned());
        self.renew_lease(now_ms);
        self.runnable = None;
    }

    fn renew_lease(&mut self, now_ms: i64) {
        let until = now_ms + LEASE_MS;
        self.lease_until_ms = Some(until);
        self.wake_at_ms = Some(until.min(self.deadline_ms));
    }

    /// Renews the lease only when less than [`LEASE_RENEW_BELOW_MS`] of it is left.
    fn renew_lease_if_short(&mut self, now_ms: i64) {
        if self
            .lease_until_ms
            .is_none_or(|until| until - now_ms < LEASE_RENEW_BELOW_MS)
        {
            self.renew_lease(now_ms);
        }
    }

    /// Lets go of the run so that another runner carries it on.
    pub fn make_runnable(&mut self, now_ms: i64) {
        self.lease_owner = None;
        self.lease_until_ms = None;
        self.runnable = Some(RUNNABLE.to_owned());
        self.wake_at_ms = Some((now_ms + LEASE_MS).min(self.deadline_ms));
    }

    /// How long `work` still has to wait from `now_ms`: a sleep's length, or what is left of a
    /// sleep the run is parked in.
    pub fn wait_ms(&self, work: Work, definition: &Definition, now_ms: i64) -> i64 {
        match (Self::op(work, definition), self.sleep_until_ms) {
            (Op::Sleep { .. }, Some(until)) => (until - now_ms).max(0),
            (Op::Sleep { ms }, None) => *ms as i64,
            _ => 0,
        }
    }

    /// Lets go of the run for the `wait_ms` that `work`, a sleep, has left, to be delivered again
    /// once it is over. The sweep looks at it a lease after that, in case that delivery is lost.
    pub fn park(&mut self, work: Work, wait_ms: i64, now_ms: i64) {
        let until = now_ms + wait_ms;
        self.steps[work.index]
            .started_at
            .get_or_insert_with(|| timestamp::format_ms(now_ms));
        self.sleep_until_ms = Some(until);
        self.make_runnable(now_ms);
        self.wake_at_ms = Some((until + LEASE_MS).min(self.deadline_ms));
    }

    /// While parked in a sleep: how long the sleep still has to go from `now_ms`.
    pub fn parked_for(&self, now_ms: i64) -> Option<i64> {
        self.sleep_until_ms.map(|until| (until - now_ms).max(0))
    }

    /// The next step or compensation to run, if the run is running or compensating.
    pub fn next_work(&self, definition: &Definition) -> Option<Work> {
        match self.status {
            Status::Running if self.cursor < definition.steps.len() => Some(Work {
                index: self.cursor,
                compensation: false,
            }),
            Status::Compensating => self.next_compensation(definition).map(|index| Work {
                index,
                compensation: true,
            }),
            _ => None,
        }
    }

    fn next_compensation(&self, definition: &Definition) -> Option<usize> {
        let below = self.compensate_below?;
        (0..below).rev().find(|&index| {
            self.steps[index].status == StepStatus::Succeeded && definition.steps[index].compensate.is_some()
        })
    }

    /// The op that `work` runs.
    pub fn op(work: Work, definition: &Definition) -> &Op {
        let step = &definition.steps[work.index];
        match (work.compensation, &step.compensate) {
            (true, Some(compensation)) => compensation,
            _ => &step.op,
        }
    }

    /// Records that `work` ran from `started_ms` to `now_ms` (a sleep has slept by then).
    pub fn complete(&mut self, definition: &Definition, work: Work, started_ms: i64, now_ms: i64) {
        let op = Self::op(work, definition);
        let started_at = timestamp::format_ms(started_ms);
        let ended_at = timestamp::format_ms(now_ms);
        let outcome = match op {
            Op::Set { value } => {
                let mut state = self.state();
                match flows::apply_set(&mut state, value) {
                    Ok(text) => {
                        self.state = text;
                        Ok(())
                    }
                    Err(cap) => Err(cap.to_string()),
                }
            }
            Op::Sleep { .. } => Ok(()),
            Op::Pause => {
                let step = &mut self.steps[work.index];
                step.status = StepStatus::Paused;
                step.started_at = Some(started_at);
                self.pause(now_ms);
                return;
            }
            Op::Fail { message } => Err(message.clone()),
        };
        self.sleep_until_ms = None;
        let step_id = self.steps[work.index].id.clone();
        let step = &mut self.steps[work.index];
        step.started_at.get_or_insert(started_at);
        step.ended_at = Some(ended_at);
        match (work.compensation, outcome) {
            (false, Ok(())) => {
                step.status = StepStatus::Succeeded;
                self.cursor = work.index + 1;
                if self.cursor == definition.steps.len() {
                    self.finish(Status::Succeeded, None, now_ms);
                }
            }
            (false, Err(message)) => {
                step.status = StepStatus::Failed;
                self.status = Status::Compensating;
                self.compensate_below = Some(work.index);
                self.failure = Some(RunError {
                    step: Some(step_id),
                    message,
                });
            }
            (true, Ok(())) => {
                step.status = StepStatus::Compensated;
                self.compensate_below = Some(work.index);
            }
            (true, Err(message)) => {
                step.status = StepStatus::CompensationFailed;
                let message = format!("compensation failed: {message}");
                self.finish(
                    Status::CompensationFailed,
                    Some(RunError {
                        step: Some(step_id),
                        message,
                    }),
                    now_ms,
                );
                return;
            }
        }
        if self.status == Status::Compensating && self.next_compensation(definition).is_none() {
            // The step's error moves to the run's: it is stored once.
            let failure = self.failure.take();
            self.finish(Status::Failed, failure, now_ms);
        }
        if !self.status.is_terminal() {
            self.renew_lease_if_short(now_ms);
        }
    }

    fn pause(&mut self, now_ms: i64) {
        self.status = Status::Paused;
        self.active_used_ms += now_ms - self.active_since_ms.unwrap_or(now_ms);
        self.active_since_ms = None;
        self.deadline_ms = now_ms + PAUSE_LIMIT_MS;
        self.lease_owner = None;
        self.lease_until_ms = None;
        self.runnable = None;
        self.wake_at_ms = Some(self.deadline_ms);
    }

    fn finish(&mut self, status: Status, error: Option<RunError>, now_ms: i64) {
        self.status = status;
        self.error = error;
        self.failure = None;
        self.ended_at = Some(timestamp::format_ms(now_ms));
        self.duration_ms = Some(now_ms - self.started_ms);
        self.active_since_ms = None;
        self.lease_owner = None;
        self.lease_until_ms = None;
        self.runnable = None;
        self.wake_at_ms = None;
        self.sleep_until_ms = None;
    }

    /// The id of the step the run stands at, for error reports.
    fn current_step(&self, definition: &Definition) -> Option<String> {
        match self.status {
            Status::Compensating => self
                .next_compensation(definition)
                .map(|index| self.steps[index].id.clone()),
            _ => self.step_at_cursor(),
        }
    }

    /// The step a queued, running or paused run stands at.
    fn step_at_cursor(&self) -> Option<String> {
        self.steps.get(self.cursor).map(|step| step.id.clone())
    }

    /// True once the run has outlived its time limit.
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        !self.status.is_terminal() && now_ms >= self.deadline_ms
    }

    /// Ends an overdue run: `failed`, or `compensation_failed` if it was compensating.
    pub fn time_out(&mut self, definition: &Definition, now_ms: i64) {
        let message = match self.status {
            Status::Paused => "timed out: paused for more than 7 days",
            Status::Queued => "timed out: queued for more than 15 minutes without being picked up",
            _ => "timed out: active for more than 5 minutes",
        };
        let status = if self.status == Status::Compensating {
            Status::CompensationFailed
        } else {
            Status::Failed
        };
        let error = RunError {
            step: self.current_step(definition),
            message: message.to_owned(),
        };
        self.finish(status, Some(error), now_ms);
    }

    /// Ends a run whose flow can no longer be read (a flow is immutable, so this is damage, not
    /// a change): `failed`, or `compensation_failed` if it was compensating.
    pub fn end_without_flow(&mut self, now_ms: i64) {
        let status = if self.status == Status::Compensating {
            Status::CompensationFailed
        } else {
            Status::Failed
        };
        let error = RunError {
            step: self.step_at_cursor(),
            message: "the run's flow no longer exists".to_owned(),
        };
        self.finish(status, Some(error), now_ms);
    }

    /// Cancels a queued, running or paused run; a running run stops at its next step boundary
    /// because its runner's next write no longer matches the version.
    pub fn cancel(&mut self, now_ms: i64) -> Result<(), NotAllowed> {
        if !matches!(self.status, Status::Queued | Status::Running | Status::Paused) {
            return Err(NotAllowed {
                status: self.status.as_str(),
                action: "cancelled",
            });
        }
        if self.status == Status::Paused {
            self.steps[self.cursor].status = StepStatus::Cancelled;
            self.steps[self.cursor].ended_at = Some(timestamp::format_ms(now_ms));
        }
        let error = RunError {
            step: self.step_at_cursor(),
            message: "cancelled".to_owned(),
        };
        self.finish(Status::Cancelled, Some(error), now_ms);
        Ok(())
    }

    /// Resumes a paused run, merging `input` into its state, held by `owner` to carry it on.
    pub fn resume(
        &mut self,
        definition: &Definition,
        input: Option<Value>,
        owner: &str,
        now_ms: i64,
    ) -> Result<Result<(), StateCap>, NotAllowed> {
        if self.status != Status::Paused {
            return Err(NotAllowed {
                status: self.status.as_str(),
                action: "resumed",
            });
        }
        if let Some(input) = input {
            let mut state = self.state();
            flows::merge_input(&mut state, input);
            match flows::state_text(&state) {
                Ok(text) => self.state = text,
                Err(cap) => return Ok(Err(cap)),
            }
        }
        let step = &mut self.steps[self.cursor];
        step.status = StepStatus::Succeeded;
        step.ended_at = Some(timestamp::format_ms(now_ms));
        self.cursor += 1;
        self.active_since_ms = Some(now_ms);
        self.deadline_ms = now_ms + (ACTIVE_LIMIT_MS - self.active_used_ms);
        if self.cursor == definition.steps.len() {
            self.finish(Status::Succeeded, None, now_ms);
        } else {
            self.status = Status::Running;
            self.take_lease(owner, now_ms);
        }
        Ok(Ok(()))
    }

    /// The execution as the API shows it.
    pub fn view(&self) -> ExecutionView<'_> {
        ExecutionView {
            execution_id: &self.execution_id,
            graph_id: &self.graph_id,
            key_id: &self.key_id,
            status: self.status,
            input: serde_json::from_str(&self.input).unwrap_or(Value::Null),
            output: (self.status == Status::Succeeded).then(|| Value::Object(self.state())),
            error: self.error.as_ref(),
            started_at: &self.started_at,
            ended_at: self.ended_at.as_deref(),
            duration_ms: self.duration_ms,
            steps: &self.steps,
        }
    }
}

/// A run as listed: no input, state or output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub execution_id: String,
    pub graph_id: String,
    pub key_id: String,
    pub status: Status,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub duration_ms: Option<i64>,
}

/// Which runs a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub status: Option<Status>,
    pub graph_id: Option<String>,
}

/// How long a run's record is kept after it ends (then cleaned up; usage counters stay).
pub const RECORD_KEPT_FOR_MS: i64 = 90 * 24 * 60 * 60 * 1000;

/// Names a run: enough to read it again. (The runs queue's messages are this, as JSON.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRef {
    pub account_id: String,
    pub execution_id: String,
}

/// The ids a new run is made of.
pub struct StartIds {
    pub execution_id: String,
    pub account_id: String,
    pub graph_id: String,
    pub key_id: String,
}

#[derive(Debug, Serialize)]
pub struct ExecutionView<'a> {
    pub execution_id: &'a str,
    pub graph_id: &'a str,
    pub key_id: &'a str,
    pub status: Status,
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<&'a RunError>,
    pub started_at: &'a str,
    pub ended_at: Option<&'a str>,
    pub duration_ms: Option<i64>,
    pub steps: &'a [StepRecord],
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition(steps: Value) -> Definition {
        Definition::parse(&json!({ "steps": steps })).unwrap()
    }

    fn run(definition: &Definition, owner: Option<&str>) -> Execution {
        let ids = StartIds {
            execution_id: "e".into(),
            account_id: "a".into(),
            graph_id: "g".into(),
            key_id: "k".into(),
        };
        Execution::start(ids, definition, "{}".into(), json!({}), owner, 1_000)
    }

    /// Runs every available piece of work at time `at`.
    fn drain(execution: &mut Execution, definition: &Definition, at: i64) {
        while let Some(work) = execution.next_work(definition) {
            execution.complete(definition, work, at, at);
        }
    }

    #[test]
    fn a_parked_sleep_lets_go_of_the_run_until_it_is_over_and_keeps_its_start() {
        let flow = definition(json!([{"id": "nap", "op": "sleep", "ms": 3000}]));
        let mut execution = run(&flow, Some("runner"));
        let work = execution.next_work(&flow).unwrap();
        assert_eq!(execution.wait_ms(work, &flow, 2_000), 3_000);
        execution.park(work, 3_000, 2_000);
        assert_eq!(execution.status, Status::Running);
        assert_eq!(
            (execution.lease_owner.as_deref(), execution.runnable.as_deref()),
            (None, Some(RUNNABLE))
        );
        assert_eq!(execution.parked_for(3_500), Some(1_500));
        assert_eq!(
            execution.wake_at_ms,
            Some(5_000 + LEASE_MS),
            "the sweep looks a lease after"
        );
        // Taken again when the sleep is over: nothing left to wait, and the step keeps its start.
        execution.take_lease("runner-2", 5_000);
        assert_eq!(execution.wait_ms(work, &flow, 5_000), 0);
        execution.complete(&flow, work, 5_000, 5_000);
        assert_eq!(execution.status, Status::Succeeded);
        assert_eq!(
            execution.steps[0].started_at.as_deref(),
            Some(timestamp::format_ms(2_000).as_str())
        );
        assert_eq!(execution.sleep_until_ms, None);
    }

    #[test]
    fn a_step_renews_the_lease_only_once_less_than_half_is_left() {
        let flow = definition(json!([
            {"id": "a", "op": "set", "value": {}},
            {"id": "b", "op": "set", "value": {}},
            {"id": "c", "op": "set", "value": {}}
        ]));
        let mut execution = run(&flow, Some("runner"));
        let taken_until = execution.lease_until_ms.unwrap();
        let work = execution.next_work(&flow).unwrap();
        execution.complete(
            &flow,
            work,
            1_000 + LEASE_RENEW_BELOW_MS,
            1_000 + LEASE_RENEW_BELOW_MS,
        );
        assert_eq!(execution.lease_until_ms, Some(taken_until), "half left: kept");
        let later = 1_000 + LEASE_RENEW_BELOW_MS + 1;
        let work = execution.next_work(&flow).unwrap();
        execution.complete(&flow, work, later, later);
        assert_eq!(
            execution.lease_until_ms,
            Some(later + LEASE_MS),
            "less than half: renewed"
        );
        assert_eq!(execution.wake_at_ms, execution.lease_until_ms);
    }

    #[test]
    fn a_new_run_is_queued_and_runnable_or_held_by_its_waiting_invoker() {
        let flow = definition(json!([{"id": "a", "op": "pause"}]));
        let queued = run(&flow, None);
        assert_eq!(
            (queued.status, queued.runnable.as_deref()),
            (Status::Queued, Some(RUNNABLE))
        );
        assert_eq!(queued.deadline_ms, 1_000 + QUEUE_LIMIT_MS);
        assert!(queued.claimable(1_000));
        let held = run(&flow, Some("invoke-1"));
        assert_eq!((held.status, held.runnable.as_deref()), (Status::Running, None));
        assert!(!held.claimable(1_000 + LEASE_MS - 1));
        assert!(held.claimable(1_000 + LEASE_MS));
    }

    #[test]
    fn pausing_stops_the_active_clock_and_resuming_restarts_it() {
        let flow = definition(json!([{"id": "wait", "op": "pause"}, {"id": "b", "op": "set", "value": {}}]));
        let mut execution = run(&flow, Some("r"));
        drain(&mut execution, &flow, 61_000);
        assert_eq!(execution.status, Status::Paused);
        assert_eq!(execution.active_used_ms, 60_000);
        assert_eq!(execution.deadline_ms, 61_000 + PAUSE_LIMIT_MS);
        assert_eq!(execution.wake_at_ms, Some(execution.deadline_ms));
        execution
            .resume(&flow, Some(json!({"x": 1})), "r2", 100_000)
            .unwrap()
            .unwrap();
        assert_eq!(execution.status, Status::Running);
        assert_eq!(execution.deadline_ms, 100_000 + ACTIVE_LIMIT_MS - 60_000);
        drain(&mut execution, &flow, 100_500);
        assert_eq!(execution.status, Status::Succeeded);
        assert_eq!(execution.duration_ms, Some(99_500));
        assert_eq!(execution.wake_at_ms, None);
    }

    #[test]
    fn only_queued_running_and_paused_runs_can_be_cancelled_and_only_paused_resumed() {
        let flow = definition(json!([
            {"id": "a", "op": "set", "value": {}, "compensate": {"op": "sleep", "ms": 1}},
            {"id": "b", "op": "fail", "message": "no"}
        ]));
        let mut compensating = run(&flow, Some("r"));
        for _ in 0..2 {
            let work = compensating.next_work(&flow).unwrap();
            compensating.complete(&flow, work, 2_000, 2_000);
        }
        assert_eq!(compensating.status, Status::Compensating);
        assert_eq!(
            compensating.cancel(3_000),
            Err(NotAllowed {
                status: "compensating",
                action: "cancelled"
            })
        );
        assert!(compensating.resume(&flow, None, "r", 3_000).is_err());
        let mut queued = run(&flow, None);
        queued.cancel(3_000).unwrap();
        assert_eq!(queued.status, Status::Cancelled);
        assert_eq!(
            queued.error,
            Some(RunError {
                step: Some("a".into()),
                message: "cancelled".into()
            })
        );
        assert!(queued.cancel(4_000).is_err());
    }

    #[test]
    fn the_active_clock_starts_at_pick_up() {
        let flow = definition(json!([{"id": "a", "op": "sleep", "ms": 1}]));
        let mut queued = run(&flow, None);
        let picked_up = 1_000 + 10 * 60 * 1000;
        assert!(!queued.is_overdue(picked_up));
        queued.take_lease("runner", picked_up);
        assert_eq!(queued.status, Status::Running);
        assert_eq!(queued.deadline_ms, picked_up + ACTIVE_LIMIT_MS);
        assert!(!queued.is_overdue(picked_up + ACTIVE_LIMIT_MS - 1));
    }

    #[test]
    fn time_outs_fail_or_fail_compensation() {
        let flow = definition(json!([
            {"id": "a", "op": "set", "value": {}, "compensate": {"op": "sleep", "ms": 1}},
            {"id": "b", "op": "fail", "message": "no"}
        ]));
        let mut active = run(&flow, Some("r"));
        assert!(!active.is_overdue(1_000 + ACTIVE_LIMIT_MS - 1));
        assert!(active.is_overdue(1_000 + ACTIVE_LIMIT_MS));
        active.time_out(&flow, 1_000 + ACTIVE_LIMIT_MS);
        assert_eq!(active.status, Status::Failed);
        assert!(
            active
                .error
                .unwrap()
                .message
                .contains("active for more than 5 minutes")
        );
        let mut queued = run(&flow, None);
        assert!(!queued.is_overdue(1_000 + QUEUE_LIMIT_MS - 1));
        queued.time_out(&flow, 1_000 + QUEUE_LIMIT_MS);
        assert_eq!(queued.status, Status::Failed);
        assert!(
            queued
                .error
                .unwrap()
                .message
                .contains("queued for more than 15 minutes")
        );
        let mut compensating = run(&flow, Some("r"));
        for _ in 0..2 {
            let work = compensating.next_work(&flow).unwrap();
            compensating.complete(&flow, work, 2_000, 2_000);
        }
        compensating.time_out(&flow, 1_000 + ACTIVE_LIMIT_MS);
        assert_eq!(compensating.status, Status::CompensationFailed);
        assert_eq!(compensating.error.unwrap().step.as_deref(), Some("a"));
    }

    #[test]
    fn a_state_too_large_fails_the_step_and_a_resume_input_too_large_is_refused() {
        let big = "x".repeat(flows::MAX_STATE_BYTES);
        let flow = definition(json!([{"id": "grow", "op": "set", "value": {"big": big}}]));
        let mut execution = run(&flow, Some("r"));
        drain(&mut execution, &flow, 2_000);
        assert_eq!(execution.status, Status::Failed);
        assert!(execution.error.unwrap().message.contains("160 KiB"));

        let flow = definition(json!([{"id": "wait", "op": "pause"}]));
        let mut paused = run(&flow, Some("r"));
        drain(&mut paused, &flow, 2_000);
        assert_eq!(
            paused.resume(&flow, Some(json!({"big": big})), "r", 3_000),
            Ok(Err(StateCap::Size))
        );
        assert_eq!(paused.status, Status::Paused);
    }

    #[test]
    fn copies_are_counted_as_they_are_made_and_stop_at_the_cap() {
        // 3,000 copies of a 100 KB state would be 300 MB; the step fails after the second.
        let entries: serde_json::Map<String, Value> = (0..3_000)
            .map(|i| (format!("k{i}"), json!({"$from": ""})))
            .collect();
        let flow = definition(json!([{"id": "copy", "op": "set", "value": entries}]));
        let ids = StartIds {
            execution_id: "e".into(),
            account_id: "a".into(),
            graph_id: "g".into(),
            key_id: "k".into(),
        };
        let input = json!({"blob": "y".repeat(100_000)});
        let mut execution = Execution::start(ids, &flow, input.to_string(), input, Some("r"), 1_000);
        drain(&mut execution, &flow, 2_000);
        assert_eq!(execution.status, Status::Failed);
        assert_eq!(execution.error.unwrap().message, StateCap::Size.to_string());
    }

    #[test]
    fn a_state_nested_past_the_cap_fails_the_step() {
        // Each step wraps the whole state one level deeper.
        let steps: Vec<Value> = (0..40)
            .map(|i| json!({"id": format!("s{i}"), "op": "set", "value": {"a": {"b": {"$from": ""}}}}))
            .collect();
        let flow = definition(Value::Array(steps));
        let mut execution = run(&flow, Some("r"));
        drain(&mut execution, &flow, 2_000);
        assert_eq!(execution.status, Status::Failed);
        let error = execution.error.unwrap();
        assert_eq!(error.message, StateCap::Depth.to_string());
        assert!(flows::depth(&serde_json::from_str(&execution.state).unwrap()) <= flows::MAX_STATE_DEPTH);
    }

    #[test]
    fn a_failed_step_s_message_is_stored_once() {
        let flow = definition(json!([
            {"id": "a", "op": "set", "value": {}, "compensate": {"op": "sleep", "ms": 0}},
            {"id": "b", "op": "fail", "message": "card declined"}
        ]));
        let mut execution = run(&flow, Some("r"));
        drain(&mut execution, &flow, 2_000);
        assert_eq!(execution.status, Status::Failed);
        assert_eq!(execution.error.as_ref().unwrap().message, "card declined");
        assert_eq!(execution.failure, None);
    }
}
