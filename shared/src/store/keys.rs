//! Accounts, API keys and their credentials.
//!
//! | item        | pk                    | sk             |
//! |-------------|-----------------------|----------------|
//! | account     | `ACCOUNT#<id>`        | `ACCOUNT`      |
//! | email claim | `EMAIL#<email>`       | `EMAIL`        |
//! | key         | `ACCOUNT#<id>`        | `KEY#<key id>` |
//! | credential  | `CREDENTIAL#<sha256>` | `CREDENTIAL`   |

use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    Store, StoreError, account_pk, query_all, s,
    table::{PARTITION_KEY, SORT_KEY},
};
use crate::domain::{
    accounts::Account,
    ids::{is_plausible_id, new_id},
    keys::{CreatedKey, Credential, KeyHash, KeySummary, LAST_USED_INTERVAL, RawKey},
    timestamp,
};

#[derive(Serialize, Deserialize)]
struct AccountItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    account: Account,
    created_at: String,
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
}

#[derive(Serialize, Deserialize)]
struct CredentialItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    credential: Credential,
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
    fn key_items(
        &self,
        account: &Account,
        name: String,
        now: OffsetDateTime,
    ) -> Result<(CreatedKey, [TransactWriteItem; 2]), StoreError> {
        let raw = RawKey::generate();
        let hash = raw.hash();
        let key_id = new_id();
        let created_at = timestamp::format(now);
        let key = KeyItem {
            pk: account_pk(&account.account_id),
            sk: key_sk(&key_id),
            key_id: key_id.clone(),
            name: name.clone(),
            masked: Some(raw.masked()),
            key_hash: hash.as_str().to_owned(),
            created_at: created_at.clone(),
            last_used_at: None,
        };
        let credential = CredentialItem {
            pk: credential_pk(&hash),
            sk: CREDENTIAL_SK.to_owned(),
            credential: Credential {
                account_id: account.account_id.clone(),
                tenant: account.tenant.clone(),
                email: account.email.clone(),
                key_id: key_id.clone(),
                last_used_at: None,
            },
        };
        let writes = [
            self.put(&key, "attribute_not_exists(pk)")?,
            self.put(&credential, "attribute_not_exists(pk)")?,
        ];
        let summary = KeySummary {
            key_id,
            name,
            masked: key.masked,
            created_at,
            last_used_at: None,
        };
        Ok((CreatedKey { summary, raw }, writes))
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
        };
        let email_item = EmailItem {
            pk: email_pk(email),
            sk: EMAIL_SK.to_owned(),
            account_id: account.account_id.clone(),
        };
        let (key, key_writes) = self.key_items(&account, first_key_name.to_owned(), now)?;
        let mut writes = vec![
            self.put(&account_item, "attribute_not_exists(pk)")?,
            self.put(&email_item, "attribute_not_exists(pk)")?,
        ];
        writes.extend(key_writes);
        match self.transact(writes).await? {
            true => Ok((account, key)),
            // Only the email claim can already exist: the other items have fresh ids.
            false => Err(StoreError::AlreadyExists),
        }
    }

    /// Mints a new key for the account. When a key makes the request (`caller_key_id`, `None`
    /// for the operator), the write is conditional on that key still existing: a request
    /// authorized just before its key was revoked cannot mint a key once the revoke has
    /// returned ([`StoreError::ConditionFailed`]).
    pub async fn create_key(
        &self,
        account: &Account,
        caller_key_id: Option<&str>,
        name: String,
    ) -> Result<CreatedKey, StoreError> {
        let (key, writes) = self.key_items(account, name, timestamp::now())?;
        let mut items = Vec::from(writes);
        if let Some(caller_key_id) = caller_key_id {
            let caller = ConditionCheck::builder()
                .table_name(&*self.table)
                .key(PARTITION_KEY, s(account_pk(&account.account_id)))
                .key(SORT_KEY, s(key_sk(caller_key_id)))
                .condition_expression("attribute_exists(pk)")
                .build()?;
            items.push(TransactWriteItem::builder().condition_check(caller).build());
        }
        match self.transact(items).await? {
            true => Ok(key),
            // The new items have fresh ids: only the caller's key can be missing.
            false => Err(StoreError::ConditionFailed),
        }
    }

    /// The account's keys, newest first: one strongly consistent Query of its partition.
    pub async fn list_keys(&self, account_id: &str) -> Result<Vec<KeySummary>, StoreError> {
        let keys: Vec<KeyItem> = query_all(self.newest_first(account_id, KEY_SK_PREFIX)).await?;
        Ok(keys
            .into_iter()
            .map(|key| KeySummary {
                key_id: key.key_id,
                name: key.name,
                masked: key.masked,
                created_at: key.created_at,
                last_used_at: key.last_used_at,
            })
            .collect())
    }

    /// Revokes one of the account's keys: the key and its credential go in one transaction.
    /// A key of another account, an unknown id and a key revoked meanwhile are all `NotFound`.
    pub async fn revoke_key(&self, account_id: &str, key_id: &str) -> Result<(), StoreError> {
        if !is_plausible_id(key_id) {
            return Err(StoreError::NotFound);
        }
        let Some(item) = self.get(account_pk(account_id), key_sk(key_id)).await? else {
            return Err(StoreError::NotFound);
        };
        let key: KeyItem = serde_dynamo::from_item(item)?;
        let hash = KeyHash::from_stored(key.key_hash);
        let items = vec![
            self.delete_existing(key.pk, key.sk)?,
            self.delete_existing(credential_pk(&hash), CREDENTIAL_SK.to_owned())?,
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

    /// Records that the key authenticated a request at `now`, at most once per
    /// [`LAST_USED_INTERVAL`]: a conditional write on the credential claims the interval, so of
    /// any number of concurrent requests exactly one proceeds to update the listed key.
    /// Returns whether this call wrote.
    pub async fn record_key_use(
        &self,
        hash: &KeyHash,
        credential: &Credential,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let used_at = timestamp::format(now);
        let claim = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(credential_pk(hash)))
            .key(SORT_KEY, s(CREDENTIAL_SK))
            .update_expression("SET last_used_at = :now")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at <= :cutoff)",
            )
            .expression_attribute_values(":now", s(&used_at))
            .expression_attribute_values(":cutoff", s(timestamp::format_before(now, LAST_USED_INTERVAL)))
            .send()
            .await;
        match claim {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        // Condition: never resurrect a key revoked in between.
        let shown = self
            .client
            .update_item()
            .table_name(&*self.table)
            .key(PARTITION_KEY, s(account_pk(&credential.account_id)))
            .key(SORT_KEY, s(key_sk(&credential.key_id)))
            .update_expression("SET last_used_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(used_at))
            .send()
            .await;
        match shown {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }
}
