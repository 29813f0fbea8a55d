//! Flows: `ACCOUNT#<id>` / `FLOW#<graph id>`, immutable once saved.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, account_pk, query_all};
use crate::domain::{
    flows::{Definition, FlowSummary},
    ids::{is_plausible_id, new_id},
    timestamp,
};

const FLOW_SK_PREFIX: &str = "FLOW#";

#[derive(Serialize, Deserialize)]
struct FlowItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    summary: FlowSummary,
    /// The validated definition as JSON text.
    definition: String,
}

fn flow_sk(graph_id: &str) -> String {
    format!("{FLOW_SK_PREFIX}{graph_id}")
}

impl Store {
    pub async fn create_flow(
        &self,
        account_id: &str,
        name: String,
        definition: &Definition,
    ) -> Result<FlowSummary, StoreError> {
        let summary = FlowSummary {
            graph_id: new_id(),
            name,
            created_at: timestamp::format(timestamp::now()),
        };
        let item = FlowItem {
            pk: account_pk(account_id),
            sk: flow_sk(&summary.graph_id),
            summary: summary.clone(),
            definition: serde_json::to_string(definition).expect("definitions serialize"),
        };
        self.client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(serde_dynamo::to_item(&item)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
        Ok(summary)
    }

    /// The account's flows, newest first, without their definitions.
    pub async fn list_flows(&self, account_id: &str) -> Result<Vec<FlowSummary>, StoreError> {
        let query = self
            .newest_first(account_id, FLOW_SK_PREFIX)
            .projection_expression("graph_id, #name, created_at")
            .expression_attribute_names("#name", "name");
        query_all(query).await
    }

    /// The definition of one of the account's flows; another account's flow is `None`.
    pub async fn flow_definition(
        &self,
        account_id: &str,
        graph_id: &str,
    ) -> Result<Option<Definition>, StoreError> {
        if !is_plausible_id(graph_id) {
            return Ok(None);
        }
        let Some(item) = self.get(account_pk(account_id), flow_sk(graph_id)).await? else {
            return Ok(None);
        };
        let item: FlowItem = serde_dynamo::from_item(item)?;
        let definition = serde_json::from_str(&item.definition)
            .map_err(|e| StoreError::Dynamo(format!("stored definition of {graph_id} is unreadable: {e}")))?;
        Ok(Some(definition))
    }
}
