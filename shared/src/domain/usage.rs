//! The Usage summary (PRODUCT.md §7) from per-day counters: pure arithmetic, no I/O.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, format_description::FormatItem, macros::format_description};

use crate::domain::executions::{Execution, Status};

pub const WINDOW_DAYS: i64 = 30;

/// One day's counters. Days without runs have no counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDay {
    pub date: String,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub in_flight: u64,
    #[serde(default)]
    pub succeeded: u64,
    /// Ended `failed`, `cancelled` or `compensation_failed`.
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub by_failed: u64,
    #[serde(default)]
    pub by_cancelled: u64,
    #[serde(default)]
    pub by_compensation_failed: u64,
    /// Sum of `duration_ms` over the runs that ended.
    #[serde(default)]
    pub duration_sum_ms: u64,
}

impl UsageDay {
    fn add(&mut self, other: &Self) {
        self.total += other.total;
        self.in_flight += other.in_flight;
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.by_failed += other.by_failed;
        self.by_cancelled += other.by_cancelled;
        self.by_compensation_failed += other.by_compensation_failed;
        self.duration_sum_ms += other.duration_sum_ms;
    }
}

/// The counters of each day summed over its shards, oldest day first.
pub fn sum_by_day(shards: impl IntoIterator<Item = UsageDay>) -> Vec<UsageDay> {
    let mut days = std::collections::BTreeMap::<String, UsageDay>::new();
    for shard in shards {
        days.entry(shard.date.clone())
            .or_insert_with(|| UsageDay {
                date: shard.date.clone(),
                ..UsageDay::default()
            })
            .add(&shard);
    }
    days.into_values().collect()
}

/// A counter of [`UsageDay`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    Total,
    InFlight,
    Succeeded,
    Failed,
    ByFailed,
    ByCancelled,
    ByCompensationFailed,
    DurationSumMs,
}

/// How a run's day counters change when the run is recorded with its current status: a run
/// in flight has just started; a terminal one has just ended. The store applies these in the
/// same transaction as the record, so the counters never drift from the records.
pub fn counter_changes(execution: &Execution) -> Vec<(Counter, i64)> {
    let outcome = match execution.status {
        Status::Succeeded => [(Counter::Succeeded, 1)].to_vec(),
        Status::Failed => [(Counter::Failed, 1), (Counter::ByFailed, 1)].to_vec(),
        Status::Cancelled => [(Counter::Failed, 1), (Counter::ByCancelled, 1)].to_vec(),
        Status::CompensationFailed => [(Counter::Failed, 1), (Counter::ByCompensationFailed, 1)].to_vec(),
        Status::Queued | Status::Running | Status::Paused | Status::Compensating => {
            return vec![(Counter::Total, 1), (Counter::InFlight, 1)];
        }
    };
    let mut changes = vec![(Counter::InFlight, -1)];
    changes.extend(outcome);
    changes.push((Counter::DurationSumMs, execution.duration_ms.unwrap_or(0)));
    changes
}

const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

pub fn format_date(date: Date) -> String {
    date.format(DATE).expect("dates always format")
}

/// The first and last day of the window ending `today` (inclusive, 30 days).
pub fn window(today: Date) -> (Date, Date) {
    (today - Duration::days(WINDOW_DAYS - 1), today)
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Window {
    pub start: String,
    pub end: String,
    pub days: i64,
}

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct FailedByStatus {
    pub failed: u64,
    pub cancelled: u64,
    pub compensation_failed: u64,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Daily {
    pub date: String,
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub in_flight: u64,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct UsageSummary {
    pub window: Window,
    pub executions: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub in_flight: u64,
    pub success_rate: Option<f64>,
    pub avg_duration_ms: Option<f64>,
    pub failed_by_status: FailedByStatus,
    pub daily: Vec<Daily>,
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

/// The summary of the window ending `today`, from the counters of the days that had runs.
pub fn summarize(today: Date, days: &[UsageDay]) -> UsageSummary {
    let (first, last) = window(today);
    let mut summary = UsageSummary {
        window: Window {
            start: format_date(first),
            end: format_date(last),
            days: WINDOW_DAYS,
        },
        executions: 0,
        succeeded: 0,
        failed: 0,
        in_flight: 0,
        success_rate: None,
        avg_duration_ms: None,
        failed_by_status: FailedByStatus::default(),
        daily: Vec::with_capacity(WINDOW_DAYS as usize),
    };
    let mut duration_sum_ms = 0u64;
    let mut date = first;
    while date <= last {
        let name = format_date(date);
        let counters = days
            .iter()
            .find(|day| day.date == name)
            .cloned()
            .unwrap_or_default();
        summary.executions += counters.total;
        summary.succeeded += counters.succeeded;
        summary.failed += counters.failed;
        summary.in_flight += counters.in_flight;
        summary.failed_by_status.failed += counters.by_failed;
        summary.failed_by_status.cancelled += counters.by_cancelled;
        summary.failed_by_status.compensation_failed += counters.by_compensation_failed;
        duration_sum_ms += counters.duration_sum_ms;
        summary.daily.push(Daily {
            date: name,
            total: counters.total,
            succeeded: counters.succeeded,
            failed: counters.failed,
            in_flight: counters.in_flight,
        });
        date = date.next_day().expect("dates of this era have a next day");
    }
    let finished = summary.succeeded + summary.failed;
    if finished > 0 {
        summary.success_rate = Some(round(summary.succeeded as f64 / finished as f64, 4));
        summary.avg_duration_ms = Some(round(duration_sum_ms as f64 / finished as f64, 1));
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn shards_of_a_day_add_up_and_days_come_oldest_first() {
        let days = sum_by_day([
            day("2026-11-26", 1, 0, 1, 10),
            day("2026-11-25", 0, 2, 0, 30),
            day("2026-11-26", 2, 1, 0, 5),
        ]);
        assert_eq!(
            days,
            [day("2026-11-25", 0, 2, 0, 30), day("2026-11-26", 3, 1, 1, 15)]
        );
    }

    fn day(date: &str, succeeded: u64, failed: u64, in_flight: u64, duration_sum_ms: u64) -> UsageDay {
        UsageDay {
            date: date.into(),
            total: succeeded + failed + in_flight,
            in_flight,
            succeeded,
            failed,
            by_failed: failed,
            duration_sum_ms,
            ..Default::default()
        }
    }

    #[test]
    fn a_run_counts_when_it_starts_and_when_it_ends() {
        use crate::domain::{executions::StartIds, flows::Definition};
        use serde_json::json;
        let definition = Definition::parse(&json!({"steps": [{"id": "a", "op": "pause"}]})).unwrap();
        let ids = StartIds {
            execution_id: "e".into(),
            account_id: "a".into(),
            graph_id: "g".into(),
            key_id: "k".into(),
        };
        let mut run = Execution::start(ids, &definition, "{}".into(), json!({}), None, 1_000);
        assert_eq!(
            counter_changes(&run),
            [(Counter::Total, 1), (Counter::InFlight, 1)]
        );
        run.cancel(3_500).unwrap();
        assert_eq!(
            counter_changes(&run),
            [
                (Counter::InFlight, -1),
                (Counter::Failed, 1),
                (Counter::ByCancelled, 1),
                (Counter::DurationSumMs, 2_500)
            ]
        );
    }

    #[test]
    fn thirty_days_oldest_first_with_zeros() {
        let summary = summarize(date!(2026 - 11 - 26), &[]);
        assert_eq!(
            summary.window,
            Window {
                start: "2026-10-28".into(),
                end: "2026-11-26".into(),
                days: 30
            }
        );
        assert_eq!(summary.daily.len(), 30);
        assert_eq!(summary.daily[0].date, "2026-10-28");
        assert_eq!(summary.daily[29].date, "2026-11-26");
        assert!(summary.daily.iter().all(|d| d.total == 0));
        assert_eq!(summary.success_rate, None);
        assert_eq!(summary.avg_duration_ms, None);
    }

    #[test]
    fn totals_rates_and_means_ignore_in_flight_runs() {
        let days = [
            day("2026-10-28", 3, 1, 0, 4000),
            day("2026-11-26", 97, 14, 5, 92_968),
            day("2026-10-27", 50, 50, 0, 1), // outside the window
        ];
        let summary = summarize(date!(2026 - 11 - 26), &days);
        assert_eq!(
            (
                summary.executions,
                summary.succeeded,
                summary.failed,
                summary.in_flight
            ),
            (120, 100, 15, 5)
        );
        assert_eq!(summary.success_rate, Some(0.8696));
        assert_eq!(summary.avg_duration_ms, Some(843.2));
        assert_eq!(summary.failed_by_status.failed, 15);
        assert_eq!(summary.daily[0].total, 4);
        assert_eq!(summary.daily[29].in_flight, 5);
    }

    #[test]
    fn only_in_flight_runs_leave_rates_null() {
        let summary = summarize(date!(2026 - 03 - 01), &[day("2026-02-28", 0, 0, 2, 0)]);
        assert_eq!(summary.executions, 2);
        assert_eq!(summary.success_rate, None);
        assert_eq!(summary.avg_duration_ms, None);
        assert_eq!(summary.window.start, "2026-01-31");
    }
}
