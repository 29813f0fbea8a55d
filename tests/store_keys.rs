//! The DynamoDB store against DynamoDB Local.

use axiom_shared::domain::audit::Actor;
use axiom_shared::domain::timestamp;
use axiom_shared::{
    domain::keys::{KeyHash, LAST_USED_INTERVAL},
    store::StoreError,
};
use axiom_tests::{account, first_page, new_key, operator, store};
use futures::future::join_all;
use time::Duration;

#[tokio::test]
async fn account_creation_mints_a_cli_key_that_resolves_to_the_account() {
    let store = store().await;
    let (account, raw) = account(&store, "acme").await;
    let credential = store.find_credential(&KeyHash::of(&raw)).await.unwrap().unwrap();
    assert_eq!(credential.account_id, account.account_id);
    assert_eq!(credential.tenant, "acme");
    assert_eq!(credential.email, account.email);
    let keys = store
        .list_keys(&account.account_id, &first_page())
        .await
        .unwrap()
        .items;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].name, "cli");
    assert_eq!(keys[0].key_id, credential.key_id);
    assert_eq!(
        keys[0].masked.as_deref(),
        Some(format!("{}…{}", &raw[..8], &raw[60..]).as_str())
    );
    assert_eq!(keys[0].last_used_at, None);
}

#[tokio::test]
async fn emails_are_unique() {
    let store = store().await;
    store
        .create_account("dup@example.com", "one", "cli")
        .await
        .unwrap();
    let second = store.create_account("dup@example.com", "two", "cli").await;
    assert!(matches!(second, Err(StoreError::AlreadyExists)));
    let found = store
        .find_account_by_email("dup@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.tenant, "one");
    assert_eq!(
        store.find_account_by_email("nobody@example.com").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn keys_list_newest_first_and_stay_in_their_account() {
    let store = store().await;
    let (acme, _) = account(&store, "acme").await;
    let (other, _) = account(&store, "other").await;
    let first = store
        .create_key(&acme, &operator(), new_key("first"), timestamp::now())
        .await
        .unwrap();
    let second = store
        .create_key(&acme, &operator(), new_key("second"), timestamp::now())
        .await
        .unwrap();
    let names: Vec<_> = store
        .list_keys(&acme.account_id, &first_page())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["second", "first", "cli"]);
    assert_eq!(
        store
            .list_keys(&other.account_id, &first_page())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert_ne!(first.raw.expose(), second.raw.expose());
}

#[tokio::test]
async fn a_revoked_key_cannot_mint_a_key_after_the_revoke() {
    let store = store().await;
    let (acme, _) = account(&store, "acme").await;
    let caller = store
        .create_key(&acme, &operator(), new_key("caller"), timestamp::now())
        .await
        .unwrap();
    // The caller's request was authorized; then its key is revoked before the write.
    store
        .revoke_key(
            &acme.account_id,
            &caller.summary.key_id,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    let minted = store
        .create_key(
            &acme,
            &Actor {
                key_id: Some(caller.summary.key_id.clone()),
                ..Default::default()
            },
            new_key("sneaky"),
            timestamp::now(),
        )
        .await;
    assert!(matches!(minted, Err(StoreError::ConditionFailed)), "{minted:?}");
    let names: Vec<_> = store
        .list_keys(&acme.account_id, &first_page())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|key| key.name)
        .collect();
    assert_eq!(names, ["cli"]);
}

#[tokio::test]
async fn revoke_removes_the_credential_at_once_and_only_in_its_account() {
    let store = store().await;
    let (acme, _) = account(&store, "acme").await;
    let (other, _) = account(&store, "other").await;
    let key = store
        .create_key(&acme, &operator(), new_key("ci"), timestamp::now())
        .await
        .unwrap();
    let hash = key.raw.hash();

    let foreign = store
        .revoke_key(
            &other.account_id,
            &key.summary.key_id,
            &operator(),
            timestamp::now(),
        )
        .await;
    assert!(matches!(foreign, Err(StoreError::NotFound)));
    assert!(store.find_credential(&hash).await.unwrap().is_some());

    store
        .revoke_key(
            &acme.account_id,
            &key.summary.key_id,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(store.find_credential(&hash).await.unwrap(), None);
    assert!(
        !store
            .list_keys(&acme.account_id, &first_page())
            .await
            .unwrap()
            .items
            .iter()
            .any(|k| k.key_id == key.summary.key_id)
    );

    let again = store
        .revoke_key(
            &acme.account_id,
            &key.summary.key_id,
            &operator(),
            timestamp::now(),
        )
        .await;
    assert!(matches!(again, Err(StoreError::NotFound)));
    let unknown = store
        .revoke_key(&acme.account_id, "no-such-key", &operator(), timestamp::now())
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn concurrent_revokes_of_one_key_succeed_exactly_once() {
    let store = store().await;
    let (acme, _) = account(&store, "acme").await;
    let key = store
        .create_key(&acme, &operator(), new_key("ci"), timestamp::now())
        .await
        .unwrap();
    let operator = operator();
    let attempts =
        (0..8).map(|_| store.revoke_key(&acme.account_id, &key.summary.key_id, &operator, timestamp::now()));
    let results = join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(StoreError::NotFound)))
    );
}

#[tokio::test]
async fn keys_stored_without_masking_metadata_list_with_masked_null() {
    use aws_sdk_dynamodb::types::AttributeValue as V;
    let store = store().await;
    let (acme, _) = account(&store, "acme").await;
    // An item written before masking metadata existed: no `masked` attribute.
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item("pk", V::S(format!("ACCOUNT#{}", acme.account_id)))
        .item("sk", V::S("KEY#00000000-0000-7000-8000-000000000000".into()))
        .item("key_id", V::S("00000000-0000-7000-8000-000000000000".into()))
        .item("name", V::S("legacy".into()))
        .item("key_hash", V::S(KeyHash::of("legacy").as_str().into()))
        .item("created_at", V::S("2025-01-02T03:04:05Z".into()))
        .send()
        .await
        .unwrap();
    let keys = store
        .list_keys(&acme.account_id, &first_page())
        .await
        .unwrap()
        .items;
    let legacy = keys.iter().find(|k| k.name == "legacy").unwrap();
    assert_eq!(legacy.masked, None);
    assert_eq!(keys.last().unwrap().name, "legacy", "oldest id lists last");
}

#[tokio::test]
async fn key_use_is_recorded_at_most_once_per_interval() {
    let store = store().await;
    let (acme, raw) = account(&store, "acme").await;
    let hash = KeyHash::of(&raw);
    let credential = store.find_credential(&hash).await.unwrap().unwrap();
    let t0 = time::macros::datetime!(2026-11-26 10:00:00 UTC);

    assert!(
        store
            .record_key_use(&hash, &credential, &Default::default(), t0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_key_use(
                &hash,
                &credential,
                &Default::default(),
                t0 + Duration::seconds(30)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_key_use(
                &hash,
                &credential,
                &Default::default(),
                t0 + LAST_USED_INTERVAL - Duration::seconds(1)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .record_key_use(&hash, &credential, &Default::default(), t0 + LAST_USED_INTERVAL)
            .await
            .unwrap()
    );

    let keys = store
        .list_keys(&acme.account_id, &first_page())
        .await
        .unwrap()
        .items;
    assert_eq!(keys[0].last_used_at.as_deref(), Some("2026-11-26T10:01:00Z"));
    let stored = store.find_credential(&hash).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at.as_deref(), Some("2026-11-26T10:01:00Z"));
}

#[tokio::test]
async fn recording_use_never_resurrects_a_revoked_key() {
    let store = store().await;
    let (acme, _) = account(&store, "acme").await;
    let key = store
        .create_key(&acme, &operator(), new_key("ci"), timestamp::now())
        .await
        .unwrap();
    let hash = key.raw.hash();
    let credential = store.find_credential(&hash).await.unwrap().unwrap();
    store
        .revoke_key(
            &acme.account_id,
            &key.summary.key_id,
            &operator(),
            timestamp::now(),
        )
        .await
        .unwrap();
    assert!(
        !store
            .record_key_use(
                &hash,
                &credential,
                &Default::default(),
                time::OffsetDateTime::now_utc()
            )
            .await
            .unwrap()
    );
    assert_eq!(store.find_credential(&hash).await.unwrap(), None);
    assert!(
        !store
            .list_keys(&acme.account_id, &first_page())
            .await
            .unwrap()
            .items
            .iter()
            .any(|k| k.key_id == key.summary.key_id)
    );
}
