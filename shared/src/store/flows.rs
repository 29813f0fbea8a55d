//! Flows: `ACCOUNT#<id>` / `FLOW#<graph id>`, immutable once saved.

use serde::{Deserialize, Serialize};

use time::OffsetDateTime;

use super::{Store, StoreError, account_pk};
use crate::domain::{
    audit::{Action, Actor, AuditEvent, Target},
    flows::{Definition, FlowSummary},
    ids::{is_plausible_id, new_id},
    pages::{Page, PageRequest},
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
    /// Saves a flow, with its `flow.created` event, in one transaction.
    pub async fn create_flow(
        &self,
        account_id: &str,
        name: String,
        definition: &Definition,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<FlowSummary, StoreError> {
        let summary = FlowSummary {
            graph_id: new_id(),
            name,
            created_at: timestamp::format(now),
        };
        let item = FlowItem {
            pk: account_pk(account_id),
            sk: flow_sk(&summary.graph_id),
            summary: summary.clone(),
            definition: serde_json::to_string(definition).expect("definitions serialize"),
        };
        let event = AuditEvent::new(Action::FlowCreated, actor, Target::flow(&summary.graph_id), now);
        let items = vec![
            self.put(&item, "attribute_not_exists(pk)")?,
            self.audit_put(account_id, &event)?,
        ];
        self.transact(items).await?;
        Ok(summary)
    }

    /// One page of the account's flows, newest first, without their definitions.
    pub async fn list_flows(
        &self,
        account_id: &str,
        page: &PageRequest,
    ) -> Result<Page<FlowSummary>, StoreError> {
        let projection = ("sk, graph_id, #name, created_at", &[("#name", "name")][..]);
        self.account_page(account_id, FLOW_SK_PREFIX, page, Some(projection))
            .await
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
        // Flows never change once saved: an eventually consistent read (half the capacity) is
        // enough, except just after the save, when only a strongly consistent one may see it.
        let item = match self
            .get_eventually(account_pk(account_id), flow_sk(graph_id))
            .await?
        {
            Some(item) => Some(item),
            None => self.get(account_pk(account_id), flow_sk(graph_id)).await?,
        };
        let Some(item) = item else {
            return Ok(None);
        };
        let item: FlowItem = serde_dynamo::from_item(item)?;
        let definition = serde_json::from_str(&item.definition)
            .map_err(|e| StoreError::Dynamo(format!("stored definition of {graph_id} is unreadable: {e}")))?;
        Ok(Some(definition))
    }
}
