//! Device grants (the CLI's browser sign-in): `DEVICE#<user code>` / `GRANT`, and the per-IP
//! counters that bound how many grants one source may ask for: `DEVICE-RATE#<ip>#<window>` /
//! `RATE`. Grants hold only their device code's hash; they end at their stored expiry, and TTL
//! cleans them up a day later.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    Store, StoreError, s,
    table::{PARTITION_KEY, SORT_KEY},
};
use crate::domain::{
    accounts::Account,
    audit::{Action, Actor, AuditEvent, Target},
    device::{
        DeviceGrant, GRANTS_PER_IP, GrantStatus, MINTED_KEY_LIFETIME, MINTED_KEY_NAME, RATE_WINDOW_SECONDS,
        UserCode,
    },
    keys::CreatedKey,
    timestamp,
};

use super::keys::NewKey;

const GRANT_SK: &str = "GRANT";
const RATE_SK: &str = "RATE";
const DAY_SECONDS: i64 = 24 * 60 * 60;

#[derive(Serialize, Deserialize)]
struct GrantItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    grant: DeviceGrant,
    ttl: i64,
}

fn grant_pk(user_code: &UserCode) -> String {
    format!("DEVICE#{}", user_code.as_str())
}

/// Why a grant was not created.
#[derive(Debug, thiserror::Error)]
pub enum GrantRefused {
    /// The source asked for too many grants in this window.
    #[error("too many sign-in requests from this address")]
    RateLimited,
    /// The user code is someone else's (pick another).
    #[error("the user code is taken")]
    CodeTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Creates a grant under `user_code`, counting it against `source_ip`'s window, in one
    /// transaction.
    pub async fn create_grant(
        &self,
        user_code: &UserCode,
        grant: &DeviceGrant,
        source_ip: &str,
        now_ms: i64,
    ) -> Result<(), GrantRefused> {
        let item = GrantItem {
            pk: grant_pk(user_code),
            sk: GRANT_SK.to_owned(),
            grant: grant.clone(),
            ttl: grant.expires_at_ms / 1000 + DAY_SECONDS,
        };
        let put = Put::builder()
            .table_name(&*self.table)
            .set_item(Some(serde_dynamo::to_item(&item).map_err(StoreError::from)?))
            .condition_expression("attribute_not_exists(pk) OR expires_at_ms <= :now")
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .build()
            .map_err(StoreError::from)?;
        let window = now_ms / 1000 / RATE_WINDOW_SECONDS;
        let count = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(format!("DEVICE-RATE#{source_ip}#{window}")))
            .key(SORT_KEY, s(RATE_SK))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(GRANTS_PER_IP.to_string()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N(((window + 1) * RATE_WINDOW_SECONDS + DAY_SECONDS).to_string()),
            )
            .build()
            .map_err(StoreError::from)?;
        let items = vec![
            TransactWriteItem::builder().update(count).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        if self.transact(items).await? {
            return Ok(());
        }
        // Which condition failed: the counter's, or (rarely) the code's.
        let counted = self
            .get(format!("DEVICE-RATE#{source_ip}#{window}"), RATE_SK.to_owned())
            .await?
            .and_then(|item| {
                item.get("count")
                    .and_then(|count| count.as_n().ok()?.parse::<u32>().ok())
            });
        if counted.is_some_and(|count| count >= GRANTS_PER_IP) {
            Err(GrantRefused::RateLimited)
        } else {
            Err(GrantRefused::CodeTaken)
        }
    }

    /// The grant a user code names, if any.
    pub async fn grant(&self, user_code: &UserCode) -> Result<Option<DeviceGrant>, StoreError> {
        match self.get(grant_pk(user_code), GRANT_SK.to_owned()).await? {
            Some(item) => Ok(Some(serde_dynamo::from_item::<_, GrantItem>(item)?.grant)),
            None => Ok(None),
        }
    }

    /// Records a poll (its time and interval), if nobody polled since `previous_poll_ms`.
    pub async fn save_poll(
        &self,
        user_code: &UserCode,
        grant: &DeviceGrant,
        previous_poll_ms: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(grant_pk(user_code)))
            .key(SORT_KEY, s(GRANT_SK))
            .update_expression("SET last_poll_ms = :poll, interval_seconds = :interval")
            .expression_attribute_values(
                ":poll",
                AttributeValue::N(grant.last_poll_ms.unwrap_or_default().to_string()),
            )
            .expression_attribute_values(":interval", AttributeValue::N(grant.interval_seconds.to_string()));
        update = match previous_poll_ms {
            Some(previous) => update
                .condition_expression("last_poll_ms = :previous")
                .expression_attribute_values(":previous", AttributeValue::N(previous.to_string())),
            None => {
                update.condition_expression("attribute_exists(pk) AND attribute_not_exists(last_poll_ms)")
            }
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Approves or denies a pending, unexpired grant for the caller's account, with its audit
    /// event, on the condition that the caller's key still exists. `Ok(false)`: no such grant
    /// to decide (unknown, expired, decided already); [`StoreError::ConditionFailed`]: the
    /// caller's key is gone (revoked after the authorizer allowed the request).
    pub async fn decide_grant(
        &self,
        user_code: &UserCode,
        approve: bool,
        account: &Account,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let Some(grant) = self.grant(user_code).await? else {
            return Ok(false);
        };
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let status = if approve {
            GrantStatus::Approved
        } else {
            GrantStatus::Denied
        };
        let decided = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(grant_pk(user_code)))
            .key(SORT_KEY, s(GRANT_SK))
            .update_expression(
                "SET #status = :status, account_id = :account, email = :email, tenant = :tenant, approver_key_id = :approver",
            )
            .condition_expression("#status = :pending AND expires_at_ms > :now AND grant_id = :grant")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status_text(status)))
            .expression_attribute_values(":pending", s(status_text(GrantStatus::Pending)))
            .expression_attribute_values(":account", s(&account.account_id))
            .expression_attribute_values(":email", s(&account.email))
            .expression_attribute_values(":tenant", s(&account.tenant))
            .expression_attribute_values(":approver", s(actor.key_id.clone().unwrap_or_default()))
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .expression_attribute_values(":grant", s(&grant.grant_id))
            .build()?;
        let action = if approve {
            Action::DeviceApproved
        } else {
            Action::DeviceDenied
        };
        let event = AuditEvent::new(action, actor, Target::device_grant(&grant.grant_id), now);
        let mut items = vec![
            TransactWriteItem::builder().update(decided).build(),
            self.audit_put(&account.account_id, &event)?,
        ];
        if let Some(caller) = &actor.key_id {
            items.push(self.caller_key_check(&account.account_id, caller, None)?);
        }
        let failed = self.transact_naming_failures(items).await?;
        if failed.contains(&2) {
            return Err(StoreError::ConditionFailed);
        }
        Ok(failed.is_empty())
    }

    /// Mints the key of an approved grant and consumes the grant, with the `key.created` event
    /// (its actor: the approving key), in one transaction, on the condition that the approving
    /// key still exists and has not expired. `Ok(None)`: a condition failed (the grant was
    /// consumed meanwhile, or the approving key is gone).
    pub async fn mint_for_grant(
        &self,
        user_code: &UserCode,
        grant: &DeviceGrant,
        now: OffsetDateTime,
    ) -> Result<Option<CreatedKey>, StoreError> {
        let (Some(account_id), Some(email), Some(tenant), Some(approver)) = (
            &grant.account_id,
            &grant.email,
            &grant.tenant,
            &grant.approver_key_id,
        ) else {
            return Err(StoreError::Dynamo(
                "an approved grant without its approval".into(),
            ));
        };
        let account = Account {
            account_id: account_id.clone(),
            email: email.clone(),
            tenant: tenant.clone(),
        };
        let key = NewKey {
            name: MINTED_KEY_NAME.to_owned(),
            expires_at: Some(now + MINTED_KEY_LIFETIME),
        };
        let (created, writes) = self.key_items(&account, key, now)?;
        let actor = Actor {
            key_id: Some(approver.clone()),
            ..Actor::default()
        };
        let event = AuditEvent::new(
            Action::KeyCreated,
            &actor,
            Target::key(&created.summary.key_id),
            now,
        );
        let consumed = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(grant_pk(user_code)))
            .key(SORT_KEY, s(GRANT_SK))
            .update_expression("SET #status = :consumed")
            .condition_expression("#status = :approved AND grant_id = :grant")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":consumed", s(status_text(GrantStatus::Consumed)))
            .expression_attribute_values(":approved", s(status_text(GrantStatus::Approved)))
            .expression_attribute_values(":grant", s(&grant.grant_id))
            .build()?;
        let mut items = Vec::from(writes);
        items.push(self.audit_put(account_id, &event)?);
        items.push(TransactWriteItem::builder().update(consumed).build());
        items.push(self.caller_key_check(account_id, approver, Some(&timestamp::format(now)))?);
        Ok(self.transact(items).await?.then_some(created))
    }

    /// Marks a grant whose approving key is gone as denied: its next poll is `access_denied`.
    pub async fn deny_grant(&self, user_code: &UserCode, grant: &DeviceGrant) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(grant_pk(user_code)))
            .key(SORT_KEY, s(GRANT_SK))
            .update_expression("SET #status = :denied")
            .condition_expression("#status = :approved AND grant_id = :grant")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":denied", s(status_text(GrantStatus::Denied)))
            .expression_attribute_values(":approved", s(status_text(GrantStatus::Approved)))
            .expression_attribute_values(":grant", s(&grant.grant_id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }
}

fn status_text(status: GrantStatus) -> &'static str {
    match status {
        GrantStatus::Pending => "pending",
        GrantStatus::Approved => "approved",
        GrantStatus::Denied => "denied",
        GrantStatus::Consumed => "consumed",
    }
}
