//! The one table's shape. `template.yaml` declares the same; `tests/template.rs` keeps them equal.

use aws_sdk_dynamodb::{
    Client,
    error::SdkError,
    types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType},
};

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";

/// Key attributes of the table: (name, key type), all strings.
pub const KEY_SCHEMA: &[(&str, KeyType)] = &[(PARTITION_KEY, KeyType::Hash), (SORT_KEY, KeyType::Range)];

/// Creates the table (on-demand) unless it exists already. For local runs and tests; on AWS
/// the table comes from `template.yaml`.
pub async fn ensure_table(client: &Client, name: &str) -> Result<(), crate::store::StoreError> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for (attribute, key_type) in KEY_SCHEMA {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(*attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(*attribute)
                    .key_type(key_type.clone())
                    .build()?,
            );
    }
    match request.send().await {
        Ok(_) => Ok(()),
        Err(SdkError::ServiceError(e)) if e.err().is_resource_in_use_exception() => Ok(()),
        Err(e) => Err(e.into()),
    }
}
