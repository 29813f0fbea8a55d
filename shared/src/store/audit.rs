//! The audit log: `ACCOUNT#<id>` / `AUDIT#<event id>`, written only inside the transactions of
//! the changes the events record, kept 90 days (then cleaned up by TTL).

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, account_pk};
use crate::domain::{
    audit::{AuditEvent, KEPT_FOR},
    pages::{Page, PageRequest},
};

const AUDIT_SK_PREFIX: &str = "AUDIT#";

#[derive(Serialize, Deserialize)]
struct AuditItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    event: AuditEvent,
    ttl: i64,
}

impl Store {
    /// The put of `event` into a transaction.
    pub(super) fn audit_put(
        &self,
        account_id: &str,
        event: &AuditEvent,
    ) -> Result<TransactWriteItem, StoreError> {
        let at = time::OffsetDateTime::parse(&event.at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| StoreError::Dynamo(format!("an event's time is unreadable: {e}")))?;
        let item = AuditItem {
            pk: account_pk(account_id),
            sk: format!("{AUDIT_SK_PREFIX}{}", event.id),
            event: event.clone(),
            ttl: (at + KEPT_FOR).unix_timestamp(),
        };
        self.put(&item, "attribute_not_exists(pk)")
    }

    /// One page of the account's audit events, newest first.
    pub async fn list_audit_events(
        &self,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, StoreError> {
        let items: Page<AuditItem> = self.account_page(account_id, AUDIT_SK_PREFIX, page, None).await?;
        Ok(Page {
            items: items.items.into_iter().map(|item| item.event).collect(),
            next: items.next,
        })
    }
}
