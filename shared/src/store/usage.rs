//! Per-day usage counters: `ACCOUNT#<id>` / `USAGE#<YYYY-MM-DD>`, changed only in the
//! transactions that start and end runs (see `executions.rs`).

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, executions::usage_sk, query_all, s};

/// One day's counters. Days without runs have no item.
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

impl Store {
    /// The account's day counters from `first` to `last` (inclusive, `YYYY-MM-DD`): one
    /// Query of at most that many items, however many runs there were.
    pub async fn usage_days(
        &self,
        account_id: &str,
        first: &str,
        last: &str,
    ) -> Result<Vec<UsageDay>, StoreError> {
        let query = self
            .account_query(account_id)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
            .expression_attribute_values(":first", s(usage_sk(first)))
            .expression_attribute_values(":last", s(usage_sk(last)));
        query_all(query).await
    }
}
