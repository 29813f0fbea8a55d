//! Per-day usage counters: `ACCOUNT#<id>` / `USAGE#<YYYY-MM-DD>`, changed only in the
//! transactions that start and end runs (see `executions.rs`), by the domain's
//! [`counter_changes`] rule.

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::{
    Store, StoreError, account_pk, query_all, s,
    table::{PARTITION_KEY, SORT_KEY},
};
use crate::domain::{
    executions::Execution,
    usage::{Counter, UsageDay, counter_changes},
};

fn usage_sk(day: &str) -> String {
    format!("USAGE#{day}")
}

/// The attribute of a counter: the field of [`UsageDay`] it is read back into.
fn attribute(counter: Counter) -> &'static str {
    match counter {
        Counter::Total => "total",
        Counter::InFlight => "in_flight",
        Counter::Succeeded => "succeeded",
        Counter::Failed => "failed",
        Counter::ByFailed => "by_failed",
        Counter::ByCancelled => "by_cancelled",
        Counter::ByCompensationFailed => "by_compensation_failed",
        Counter::DurationSumMs => "duration_sum_ms",
    }
}

impl Store {
    /// The day's counters as changed by `execution` having started or ended. A start also
    /// creates the day's item; an end requires it. (Names go through placeholders: `total`
    /// and `date` are DynamoDB reserved words.)
    pub(super) fn usage_update(&self, execution: &Execution) -> Result<Update, StoreError> {
        let changes = counter_changes(execution);
        let mut update = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(account_pk(&execution.account_id)))
            .key(SORT_KEY, s(usage_sk(execution.day())));
        let mut additions = Vec::with_capacity(changes.len());
        for (i, (counter, delta)) in changes.into_iter().enumerate() {
            additions.push(format!("#c{i} :v{i}"));
            update = update
                .expression_attribute_names(format!("#c{i}"), attribute(counter))
                .expression_attribute_values(format!(":v{i}"), AttributeValue::N(delta.to_string()));
        }
        let additions = additions.join(", ");
        let update = if execution.status.is_terminal() {
            update
                .update_expression(format!("ADD {additions}"))
                .condition_expression("attribute_exists(pk)")
        } else {
            update
                .update_expression(format!("SET #date = :date ADD {additions}"))
                .expression_attribute_names("#date", "date")
                .expression_attribute_values(":date", s(execution.day()))
        };
        Ok(update.build()?)
    }

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
