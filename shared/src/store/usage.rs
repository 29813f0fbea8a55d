//! Per-day usage counters, in [`USAGE_SHARDS`] shards per account: `USAGE#<account id>#<shard>` /
//! `<YYYY-MM-DD>`, a run counted in the shard its id hashes to. They change only in the
//! transactions that start and end runs (see `executions.rs`), by the domain's
//! [`counter_changes`] rule; a read sums the shards. No one item takes every run of an account:
//! each takes one run in [`USAGE_SHARDS`].

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::{
    Store, StoreError, query_all, s,
    table::{PARTITION_KEY, SORT_KEY},
};
use crate::domain::{
    executions::Execution,
    ids::shard_of,
    usage::{Counter, UsageDay, counter_changes, sum_by_day},
};

/// How many items share an account's counters of one day.
pub const USAGE_SHARDS: u32 = 16;

fn usage_pk(account_id: &str, shard: u32) -> String {
    format!("USAGE#{account_id}#{shard}")
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
            .key(
                PARTITION_KEY,
                s(usage_pk(
                    &execution.account_id,
                    shard_of(&execution.execution_id, USAGE_SHARDS),
                )),
            )
            .key(SORT_KEY, s(execution.day()));
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

    /// The account's day counters from `first` to `last` (inclusive, `YYYY-MM-DD`), oldest
    /// first: one strongly consistent Query per shard, all at once, each of at most that many
    /// items, however many runs there were.
    pub async fn usage_days(
        &self,
        account_id: &str,
        first: &str,
        last: &str,
    ) -> Result<Vec<UsageDay>, StoreError> {
        let reads = (0..USAGE_SHARDS).map(|shard| {
            query_all::<UsageDay>(
                self.client
                    .query()
                    .table_name(&*self.table)
                    .consistent_read(true)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
                    .expression_attribute_values(":pk", s(usage_pk(account_id, shard)))
                    .expression_attribute_values(":first", s(first))
                    .expression_attribute_values(":last", s(last)),
            )
        });
        let shards = futures::future::try_join_all(reads).await?;
        Ok(sum_by_day(shards.into_iter().flatten()))
    }
}
