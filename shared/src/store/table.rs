//! The one table's shape. `template.yaml` declares the same; `tests/contract_template.rs` keeps them equal.

use aws_sdk_dynamodb::{
    Client,
    error::SdkError,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
        ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
    },
};

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";

/// The sparse index of in-flight runs by the time the sweep must look at them.
pub const WAKE_INDEX: &str = "wake";
pub const WAKE_SHARD: &str = "wake_shard";
pub const WAKE_AT: &str = "wake_at";

/// The sparse index of each account's runs, newest first, sharded (`RUNS#<account>#<shard>`).
pub const RUNS_INDEX: &str = "runs";
pub const RUNS_PK: &str = "runs_pk";
pub const RUNS_SK: &str = "runs_sk";
/// What the `runs` index holds of a run besides its keys: what a list shows and filters on.
pub const RUNS_PROJECTED: &[&str] = &[
    "execution_id",
    "graph_id",
    "key_id",
    "status",
    "started_at",
    "ended_at",
    "duration_ms",
];

/// The attribute DynamoDB's TTL reads (epoch seconds): cleanup only, never relied on.
pub const TTL: &str = "ttl";

/// Key attributes of the table: (name, key type), both strings.
pub const KEY_SCHEMA: &[(&str, KeyType)] = &[(PARTITION_KEY, KeyType::Hash), (SORT_KEY, KeyType::Range)];

/// Key attributes of the `wake` index (keys only projected): shard string, time number.
pub const WAKE_KEY_SCHEMA: &[(&str, KeyType)] = &[(WAKE_SHARD, KeyType::Hash), (WAKE_AT, KeyType::Range)];

/// Key attributes of the `runs` index (projection: the keys and [`RUNS_PROJECTED`]).
pub const RUNS_KEY_SCHEMA: &[(&str, KeyType)] = &[(RUNS_PK, KeyType::Hash), (RUNS_SK, KeyType::Range)];

/// Every attribute used as a key, with its type.
pub const ATTRIBUTES: &[(&str, ScalarAttributeType)] = &[
    (PARTITION_KEY, ScalarAttributeType::S),
    (SORT_KEY, ScalarAttributeType::S),
    (WAKE_SHARD, ScalarAttributeType::S),
    (WAKE_AT, ScalarAttributeType::N),
    (RUNS_PK, ScalarAttributeType::S),
    (RUNS_SK, ScalarAttributeType::S),
];

fn key_schema(keys: &[(&str, KeyType)]) -> Result<Vec<KeySchemaElement>, super::StoreError> {
    keys.iter()
        .map(|(name, key_type)| {
            Ok(KeySchemaElement::builder()
                .attribute_name(*name)
                .key_type(key_type.clone())
                .build()?)
        })
        .collect()
}

/// Creates the table (on-demand, with its indexes and TTL) unless it exists
/// already. For local runs and tests; on AWS the table comes from `template.yaml`.
pub async fn ensure_table(client: &Client, name: &str) -> Result<(), super::StoreError> {
    let attributes = ATTRIBUTES
        .iter()
        .map(|(name, kind)| {
            AttributeDefinition::builder()
                .attribute_name(*name)
                .attribute_type(kind.clone())
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let wake = GlobalSecondaryIndex::builder()
        .index_name(WAKE_INDEX)
        .set_key_schema(Some(key_schema(WAKE_KEY_SCHEMA)?))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        )
        .build()?;
    let runs = GlobalSecondaryIndex::builder()
        .index_name(RUNS_INDEX)
        .set_key_schema(Some(key_schema(RUNS_KEY_SCHEMA)?))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(
                    RUNS_PROJECTED.iter().map(|name| (*name).to_owned()).collect(),
                ))
                .build(),
        )
        .build()?;
    let request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(KEY_SCHEMA)?))
        .global_secondary_indexes(wake)
        .global_secondary_indexes(runs);
    match request.send().await {
        Ok(_) => {}
        Err(SdkError::ServiceError(e)) if e.err().is_resource_in_use_exception() => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL)
                .build()?,
        )
        .send()
        .await?;
    Ok(())
}
