//! The audit log: who did what to which key, flow or run, and from where. Events are written in
//! the same transaction as the change they record and never hold a key, a key's hash or a
//! device code.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{ids::new_id, timestamp};

/// How long events are kept (at least; cleaned up after).
pub const KEPT_FOR: Duration = Duration::days(90);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "key.created")]
    KeyCreated,
    #[serde(rename = "key.revoked")]
    KeyRevoked,
    #[serde(rename = "key.rolled")]
    KeyRolled,
    #[serde(rename = "flow.created")]
    FlowCreated,
    #[serde(rename = "execution.cancelled")]
    ExecutionCancelled,
    #[serde(rename = "execution.resumed")]
    ExecutionResumed,
    #[serde(rename = "device.approved")]
    DeviceApproved,
    #[serde(rename = "device.denied")]
    DeviceDenied,
    #[serde(rename = "quota.changed")]
    QuotaChanged,
}

/// What an event is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

impl Target {
    pub fn key(id: &str) -> Self {
        Self::of("key", id)
    }

    pub fn flow(id: &str) -> Self {
        Self::of("flow", id)
    }

    pub fn execution(id: &str) -> Self {
        Self::of("execution", id)
    }

    pub fn account(id: &str) -> Self {
        Self::of("account", id)
    }

    pub fn device_grant(id: &str) -> Self {
        Self::of("device_grant", id)
    }

    fn of(kind: &str, id: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            id: id.to_owned(),
        }
    }
}

/// Who acted, and from where: a key (of a request), or the operator (`key_id: None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    pub key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub at: String,
    pub action: Action,
    pub actor_key_id: Option<String>,
    pub target: Target,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl AuditEvent {
    pub fn new(action: Action, actor: &Actor, target: Target, now: OffsetDateTime) -> Self {
        Self {
            id: new_id(),
            at: timestamp::format(now),
            action,
            actor_key_id: actor.key_id.clone(),
            target,
            source_ip: actor.source_ip.clone(),
            user_agent: actor.user_agent.clone(),
        }
    }
}
