//! Accounts, API keys and their credentials.
//!
//! | item        | pk                    | sk             |
//! |-------------|-----------------------|----------------|
//! | account     | `ACCOUNT#<id>`        | `ACCOUNT`      |
//! | email claim | `EMAIL#<email>`       | `EMAIL`        |
//! | key         | `ACCOUNT#<id>`        | `KEY#<key id>` |
//! | credential  | `CREDENTIAL#<sha256>` | `CREDENTIAL`   |
//!
//! A key that expires carries `expires_at` on both items and a `ttl` 30 days later: DynamoDB's
//! TTL only cleans up, every read compares `expires_at` itself.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::{
    Store, StoreError, account_pk, s,
    table::{PARTITION_KEY, SORT_KEY},
};
use crate::domain::{
    accounts::Account,
    audit::{Action, Actor, AuditEvent, Target},
    ids::{is_plausible_id, new_id},
    keys::{
        CreatedKey, Credential, EXPIRED_KEPT_FOR, KeyHash, KeySummary, LAST_USED_INTERVAL, RawKey, UseOrigin,
        rolled_key_expiry,
    },
    pages::{Page, PageRequest},
    quotas::DEFAULT_MAX_IN_FLIGHT,
    timestamp,
};

/// A roll to make: which key, for whom, with what overlap and new expiry.
pub struct KeyRoll<'a> {
    pub account: &'a Account,
    pub key_id: &'a str,
    pub actor: &'a Actor,
    pub overlap_seconds: u32,
    pub expires_at: Option<OffsetDateTime>,
}

/// A roll's result: the new key (shown once) and until when the old one works (`None`: it
/// is gone).
#[derive(Debug)]
pub struct RolledKey {
    pub created: CreatedKey,
    pub old_expires_at: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct AccountItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    account: Account,
    created_at: String,
    /// Set by the operator; absent: [`DEFAULT_MAX_IN_FLIGHT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_in_flight: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct EmailItem {
    pk: String,
    sk: String,
    account_id: String,
}

#[derive(Serialize, Deserialize)]
struct KeyItem {
    pk: String,
    sk: String,
    key_id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    masked: Option<String>,
    key_hash: String,
    created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used_user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

impl From<KeyItem> for KeySummary {
    fn from(key: KeyItem) -> Self {
        Self {
            key_id: key.key_id,
            name: key.name,
            masked: key.masked,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            last_used_ip: key.last_used_ip,
            last_used_user_agent: key.last_used_user_agent,
            expires_at: key.expires_at,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CredentialItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    credential: Credential,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

/// When an item of a key that expires at `expires_at` may be cleaned up.
fn key_ttl(expires_at: Option<OffsetDateTime>) -> Option<i64> {
    expires_at.map(|at| (at + EXPIRED_KEPT_FOR).unix_timestamp())
}

/// A key to mint: its name and when it expires, if ever.
pub struct NewKey {
    pub name: String,
    pub expires_at: Option<OffsetDateTime>,
}

fn key_sk(key_id: &str) -> String {
    format!("KEY#{key_id}")
}

fn email_pk(email: &str) -> String {
    format!("EMAIL#{email}")
}

fn credential_pk(hash: &KeyHash) -> String {
    format!("CREDENTIAL#{}", hash.as_str())
}

const ACCOUNT_SK: &str = "ACCOUNT";
const EMAIL_SK: &str = "EMAIL";
const CREDENTIAL_SK: &str = "CREDENTIAL";
const KEY_SK_PREFIX: &str = "KEY#";

impl Store {
    /// The key item and its credential, both new.
    pub(super) fn key_items(
        &self,
        account: &Account,
        key: NewKey,
        now: OffsetDateTime,
    ) -> Result<(CreatedKey, [TransactWriteItem; 2]), StoreError> {
        let raw = RawKey::generate();
        let hash = raw.hash();
        let key_id = new_id();
        let expires_at = key.expires_at.map(timestamp::format);
        let item = KeyItem {
            pk: account_pk(&account.account_id),
            sk: key_sk(&key_id),
            key_id: key_id.clone(),
            name: key.name,
            masked: Some(raw.masked()),
            key_hash: hash.as_str().to_owned(),
            created_at: timestamp::format(now),
            last_used_at: None,
            last_used_ip: None,
            last_used_user_agent: None,
            expires_at: expires_at.clone(),
            ttl: key_ttl(key.expires_at),
        };
        let credential = CredentialItem {
            pk: credential_pk(&hash),
            sk: CREDENTIAL_SK.to_owned(),
            credential: Credential {
                account_id: account.account_id.clone(),
                tenant: account.tenant.clone(),
                email: account.email.clone(),
                key_id,
                expires_at,
                last_used_at: None,
            },
            ttl: item.ttl,
        };
        let writes = [
            self.put(&item, "attribute_not_exists(pk)")?,
            self.put(&credential, "attribute_not_exists(pk)")?,
        ];
        Ok((
            CreatedKey {
                summary: item.into(),
                raw,
            },
            writes,
        ))
    }

    /// Creates an account and its first key in one transaction. The email is unique.
    pub async fn create_account(
        &self,
        email: &str,
        tenant: &str,
        first_key_name: &str,
    ) -> Result<(Account, CreatedKey), StoreError> {
        let now = timestamp::now();
        let account = Account {
            account_id: new_id(),
            email: email.to_owned(),
            tenant: tenant.to_owned(),
        };
        let account_item = AccountItem {
            pk: account_pk(&account.account_id),
            sk: ACCOUNT_SK.to_owned(),
            account: account.clone(),
            created_at: timestamp::format(now),
            max_in_flight: None,
        };
        let email_item = EmailItem {
            pk: email_pk(email),
            sk: EMAIL_SK.to_owned(),
            account_id: account.account_id.clone(),
        };
        let first_key = NewKey {
            name: first_key_name.to_owned(),
            expires_at: None,
        };
        let (key, key_writes) = self.key_items(&account, first_key, now)?;
        let created = AuditEvent::new(
            Action::KeyCreated,
            &Actor::default(),
            Target::key(&key.summary.key_id),
            now,
        );
        let mut writes = vec![
            self.put(&account_item, "attribute_not_exists(pk)")?,
            self.put(&email_item, "attribute_not_exists(pk)")?,
            self.audit_put(&account.account_id, &created)?,
        ];
        writes.extend(key_writes);
        match self.transact(writes).await? {
            true => Ok((account, key)),
            // Only the email claim can already exist: the other items have fresh ids.
            false => Err(StoreError::AlreadyExists),
        }
    }

    /// Mints a new key for the account, with its `key.created` event. When a key makes the
    /// request (`actor.key_id`; `None` for the operator), the write is conditional on that key
    /// still existing: a request authorized just before its key was revoked cannot mint a key
    /// once the revoke has returned ([`StoreError::ConditionFailed`]).
    pub async fn create_key(
        &self,
        account: &Account,
        actor: &Actor,
        key: NewKey,
        now: OffsetDateTime,
    ) -> Result<CreatedKey, StoreError> {
        let (created, writes) = self.key_items(account, key, now)?;
        let event = AuditEvent::new(
            Action::KeyCreated,
            actor,
            Target::key(&created.summary.key_id),
            now,
        );
        let mut items = Vec::from(writes);
        items.push(self.audit_put(&account.account_id, &event)?);
        if let Some(caller) = &actor.key_id {
            items.push(self.caller_key_check(&account.account_id, caller, None)?);
        }
        match self.transact(items).await? {
            true => Ok(created),
            // The new items have fresh ids: only the caller's key can be missing.
            false => Err(StoreError::ConditionFailed),
        }
    }

    /// A condition that a key of the account exists and, when `unexpired_at` is given, has not
    /// expired by then.
    pub(super) fn caller_key_check(
        &self,
        account_id: &str,
        key_id: &str,
        unexpired_at: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(account_pk(account_id)))
            .key(SORT_KEY, s(key_sk(key_id)));
        let check = match unexpired_at {
            Some(now) => check
                .condition_expression(
                    "attribute_exists(pk) AND (attribute_not_exists(expires_at) OR expires_at > :now)",
                )
                .expression_attribute_values(":now", s(now)),
            None => check.condition_expression("attribute_exists(pk)"),
        };
        Ok(TransactWriteItem::builder()
            .condition_check(check.build()?)
            .build())
    }

    /// One page of the account's keys, newest first.
    pub async fn list_keys(
        &self,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<KeySummary>, StoreError> {
        let keys: Page<KeyItem> = self.account_page(account_id, KEY_SK_PREFIX, page, None).await?;
        Ok(Page {
            items: keys.items.into_iter().map(KeySummary::from).collect(),
            next: keys.next,
        })
    }

    /// One of the account's keys; another account's, an unknown id and a revoked key are
    /// `None`.
    pub async fn get_key(&self, account_id: &str, key_id: &str) -> Result<Option<KeySummary>, StoreError> {
        Ok(self.key_item(account_id, key_id).await?.map(KeySummary::from))
    }

    async fn key_item(&self, account_id: &str, key_id: &str) -> Result<Option<KeyItem>, StoreError> {
        if !is_plausible_id(key_id) {
            return Ok(None);
        }
        match self.get(account_pk(account_id), key_sk(key_id)).await? {
            Some(item) => Ok(Some(serde_dynamo::from_item(item)?)),
            None => Ok(None),
        }
    }

    /// Revokes one of the account's keys: the key, its credential and the `key.revoked` event
    /// in one transaction. A key of another account, an unknown id and a key revoked meanwhile
    /// are all `NotFound`.
    pub async fn revoke_key(
        &self,
        account_id: &str,
        key_id: &str,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let Some(key) = self.key_item(account_id, key_id).await? else {
            return Err(StoreError::NotFound);
        };
        let hash = KeyHash::from_stored(key.key_hash);
        let event = AuditEvent::new(Action::KeyRevoked, actor, Target::key(key_id), now);
        let items = vec![
            self.delete_existing(key.pk, key.sk)?,
            // Unconditional: TTL may have cleaned up an expired key's credential already.
            self.delete_any(credential_pk(&hash), CREDENTIAL_SK.to_owned())?,
            self.audit_put(account_id, &event)?,
        ];
        match self.transact(items).await? {
            true => Ok(()),
            false => Err(StoreError::NotFound),
        }
    }

    /// Rolls one of the account's keys: a new key with its name, and the old one deleted (no
    /// overlap) or set to expire at the overlap's end, with the `key.rolled` event, in one
    /// transaction, conditional on the old key being as it was read and on the caller's key
    /// existing. `NotFound`: no such key; `Expired`: it has expired; `ConditionFailed`: the old
    /// key or the caller changed meanwhile (revoked, rolled).
    pub async fn roll_key(&self, roll: KeyRoll<'_>, now: OffsetDateTime) -> Result<RolledKey, StoreError> {
        let Some(old) = self.key_item(&roll.account.account_id, roll.key_id).await? else {
            return Err(StoreError::NotFound);
        };
        if old
            .expires_at
            .as_deref()
            .is_some_and(|at| at <= timestamp::format(now).as_str())
        {
            return Err(StoreError::Expired);
        }
        let own_expiry = old
            .expires_at
            .as_deref()
            .map(|at| OffsetDateTime::parse(at, &Rfc3339))
            .transpose()
            .map_err(|e| StoreError::Dynamo(format!("stored expires_at is unreadable: {e}")))?;
        let old_until = rolled_key_expiry(roll.overlap_seconds, own_expiry, now);
        let new_key = NewKey {
            name: old.name.clone(),
            expires_at: roll.expires_at,
        };
        let (created, writes) = self.key_items(roll.account, new_key, now)?;
        let event = AuditEvent::new(Action::KeyRolled, roll.actor, Target::key(roll.key_id), now);
        let mut items = Vec::from(writes);
        items.push(self.audit_put(&roll.account.account_id, &event)?);
        let hash = KeyHash::from_stored(old.key_hash.clone());
        match old_until {
            None => {
                // As read: two rolls of one key cannot both win.
                items.push(self.delete_as_read(old.pk, old.sk, old.expires_at.as_deref())?);
                items.push(self.delete_any(credential_pk(&hash), CREDENTIAL_SK.to_owned())?);
            }
            Some(until) => {
                let (at, ttl) = (timestamp::format(until), key_ttl(Some(until)));
                items.push(self.set_expiry(old.pk, old.sk, &at, ttl, old.expires_at.as_deref())?);
                items.push(self.set_expiry(
                    credential_pk(&hash),
                    CREDENTIAL_SK.to_owned(),
                    &at,
                    ttl,
                    old.expires_at.as_deref(),
                )?);
            }
        }
        // The old key's own writes already require it to exist.
        if let Some(caller) = roll
            .actor
            .key_id
            .as_deref()
            .filter(|caller| *caller != roll.key_id)
        {
            items.push(self.caller_key_check(&roll.account.account_id, caller, None)?);
        }
        match self.transact(items).await? {
            true => Ok(RolledKey {
                created,
                old_expires_at: old_until.map(timestamp::format),
            }),
            false => Err(StoreError::ConditionFailed),
        }
    }

    /// Deletes a key's item on the condition that its expiry is still `expected`.
    fn delete_as_read(
        &self,
        pk: String,
        sk: String,
        expected: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk));
        let delete = match expected {
            Some(expected) => delete
                .condition_expression("attribute_exists(pk) AND expires_at = :expected")
                .expression_attribute_values(":expected", s(expected)),
            None => delete.condition_expression("attribute_exists(pk) AND attribute_not_exists(expires_at)"),
        };
        Ok(TransactWriteItem::builder().delete(delete.build()?).build())
    }

    /// Deletes an item whether or not it is there.
    fn delete_any(&self, pk: String, sk: String) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk))
            .build()?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Sets when a key's item stops working, on the condition that its expiry is still
    /// `expected` (so two rolls of one key cannot both win).
    fn set_expiry(
        &self,
        pk: String,
        sk: String,
        expires_at: &str,
        ttl: Option<i64>,
        expected: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk))
            .update_expression("SET expires_at = :at, #ttl = :ttl")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":at", s(expires_at))
            .expression_attribute_values(":ttl", AttributeValue::N(ttl.unwrap_or_default().to_string()));
        update = match expected {
            Some(expected) => update
                .condition_expression("attribute_exists(pk) AND expires_at = :expected")
                .expression_attribute_values(":expected", s(expected)),
            None => update.condition_expression("attribute_exists(pk) AND attribute_not_exists(expires_at)"),
        };
        Ok(TransactWriteItem::builder().update(update.build()?).build())
    }

    /// How many runs the account may have in flight.
    pub async fn max_in_flight(&self, account_id: &str) -> Result<u32, StoreError> {
        // Eventually consistent (half the capacity of every invoke's read): a new quota may
        // take a second to apply.
        let item = self
            .get_eventually(account_pk(account_id), ACCOUNT_SK.to_owned())
            .await?;
        let quota = item
            .map(serde_dynamo::from_item::<_, AccountItem>)
            .transpose()?
            .and_then(|account| account.max_in_flight);
        Ok(quota.unwrap_or(DEFAULT_MAX_IN_FLIGHT))
    }

    /// Sets the account's quota of runs in flight, with its `quota.changed` event (the
    /// operator's), in one transaction.
    pub async fn set_max_in_flight(
        &self,
        account_id: &str,
        max_in_flight: u32,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(account_pk(account_id)))
            .key(SORT_KEY, s(ACCOUNT_SK))
            .update_expression("SET max_in_flight = :max")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":max", AttributeValue::N(max_in_flight.to_string()))
            .build()?;
        let event = AuditEvent::new(
            Action::QuotaChanged,
            &Actor::default(),
            Target::account(account_id),
            now,
        );
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            self.audit_put(account_id, &event)?,
        ];
        match self.transact(items).await? {
            true => Ok(()),
            false => Err(StoreError::NotFound),
        }
    }

    /// The account that owns `email`, if any.
    pub async fn find_account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let Some(claim) = self.get(email_pk(email), EMAIL_SK.to_owned()).await? else {
            return Ok(None);
        };
        let claim: EmailItem = serde_dynamo::from_item(claim)?;
        let Some(account) = self
            .get(account_pk(&claim.account_id), ACCOUNT_SK.to_owned())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(serde_dynamo::from_item::<_, AccountItem>(account)?.account))
    }

    /// The authorizer's lookup: exactly one strongly consistent GetItem keyed by the hash.
    pub async fn find_credential(&self, hash: &KeyHash) -> Result<Option<Credential>, StoreError> {
        match self.get(credential_pk(hash), CREDENTIAL_SK.to_owned()).await? {
            Some(item) => Ok(Some(
                serde_dynamo::from_item::<_, CredentialItem>(item)?.credential,
            )),
            None => Ok(None),
        }
    }

    /// Records that the key authenticated a request at `now`, and from where, at most once
    /// per [`LAST_USED_INTERVAL`]: one transaction claims the interval on the credential (of
    /// any number of concurrent requests exactly one wins) and writes the listed key (never
    /// resurrecting a key revoked in between), so the two never disagree, even when the write
    /// is abandoned half way. Returns whether this call wrote.
    pub async fn record_key_use(
        &self,
        hash: &KeyHash,
        credential: &Credential,
        origin: &UseOrigin,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let used_at = timestamp::format(now);
        let claim = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(credential_pk(hash)))
            .key(SORT_KEY, s(CREDENTIAL_SK))
            .update_expression("SET last_used_at = :now")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at <= :cutoff)",
            )
            .expression_attribute_values(":now", s(&used_at))
            .expression_attribute_values(":cutoff", s(timestamp::format_before(now, LAST_USED_INTERVAL)))
            .build()?;
        // An origin not known is removed, so that the three always describe the same request.
        let mut shown = Update::builder()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(account_pk(&credential.account_id)))
            .key(SORT_KEY, s(key_sk(&credential.key_id)))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(used_at));
        let mut expression = String::from("SET last_used_at = :now");
        let mut removed = Vec::new();
        match &origin.ip {
            Some(ip) => {
                expression.push_str(", last_used_ip = :ip");
                shown = shown.expression_attribute_values(":ip", s(ip));
            }
            None => removed.push("last_used_ip"),
        }
        match &origin.user_agent {
            Some(agent) => {
                expression.push_str(", last_used_user_agent = :agent");
                shown = shown.expression_attribute_values(":agent", s(agent));
            }
            None => removed.push("last_used_user_agent"),
        }
        if !removed.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removed.join(", ")));
        }
        let shown = shown.update_expression(expression).build()?;
        let items = vec![
            TransactWriteItem::builder().update(claim).build(),
            TransactWriteItem::builder().update(shown).build(),
        ];
        self.transact(items).await
    }
}
