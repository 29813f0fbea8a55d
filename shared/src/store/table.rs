//! The one table's shape. `template.yaml` declares the same; `tests/template.rs` keeps them equal.

use aws_sdk_dynamodb::{
    Client,
    error::SdkError,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
        ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    },
};

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";

/// The sparse index of in-flight runs by the time the sweep must look at them.
pub const WAKE_INDEX: &str = "wake";
pub const WAKE_SHARD: &str = "wake_shard";
pub const WAKE_AT: &str = "wake_at";

/// Key attributes of the table: (name, key type), both strings.
pub const KEY_SCHEMA: &[(&str, KeyType)] = &[(PARTITION_KEY, KeyType::Hash), (SORT_KEY, KeyType::Range)];

/// Key attributes of the `wake` index (keys only projected): shard string, time number.
pub const WAKE_KEY_SCHEMA: &[(&str, KeyType)] = &[(WAKE_SHARD, KeyType::Hash), (WAKE_AT, KeyType::Range)];

/// Every attribute used as a key, with its type.
pub const ATTRIBUTES: &[(&str, ScalarAttributeType)] = &[
    (PARTITION_KEY, ScalarAttributeType::S),
    (SORT_KEY, ScalarAttributeType::S),
    (WAKE_SHARD, ScalarAttributeType::S),
    (WAKE_AT, ScalarAttributeType::N),
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

/// Creates the table (on-demand, with its index and a new-image stream) unless it exists
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
    let request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(KEY_SCHEMA)?))
        .global_secondary_indexes(wake)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()?,
        );
    match request.send().await {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e)) if e.err().is_resource_in_use_exception() => Ok(()),
        Err(e) => Err(e.into()),
    }
}
