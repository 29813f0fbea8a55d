//! The API's JSON (PRODUCT.md sections 4 to 7 and 12 to 17), as far as the text output reads it. Fields the
//! CLI does not show are left out; `--json` prints the whole answer. A missing `Option` field
//! reads as `None`.

use serde::Deserialize;
use serde_json::Value;

/// `GET /v1/whoami`
#[derive(Debug, Deserialize)]
pub struct Whoami {
    pub email: String,
    pub tenant: String,
    pub key_id: Option<String>,
}

/// `POST /v1/api-keys`, and `POST /v1/api-keys/{id}/roll` (with `rolled_from`).
#[derive(Debug, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub key: String,
    pub expires_at: Option<String>,
    pub rolled_from: Option<String>,
}

/// An item of `GET /v1/api-keys`.
#[derive(Debug, Default, Deserialize)]
pub struct KeySummary {
    pub id: String,
    pub name: String,
    pub masked: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
    pub expires_at: Option<String>,
    /// `active` or `expired`.
    pub status: Option<String>,
}

/// `POST /v1/flows`, and an item of `GET /v1/flows`.
#[derive(Debug, Deserialize)]
pub struct Flow {
    pub graph_id: String,
    pub name: String,
    pub created_at: String,
}

/// An item of `GET /invocations/v1/executions`: an execution without input, state or output.
#[derive(Debug, Deserialize)]
pub struct ExecutionSummary {
    pub execution_id: String,
    pub graph_id: String,
    pub key_id: Option<String>,
    pub status: String,
    pub started_at: Option<String>,
    pub duration_ms: Option<f64>,
}

/// An item of `GET /v1/audit-events`.
#[derive(Debug, Deserialize)]
pub struct AuditEvent {
    pub at: String,
    pub action: String,
    /// `None` for the operator's actions (`axiom-admin`).
    pub actor_key_id: Option<String>,
    pub target: Option<AuditTarget>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// `POST /v1/auth/device`: a grant of the browser sign-in.
#[derive(Debug, Deserialize)]
pub struct DeviceGrant {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Seconds to wait between two polls.
    pub interval: u64,
}

/// `POST /v1/auth/device/token` once approved: the new key, this once.
#[derive(Debug, Deserialize)]
pub struct DeviceToken {
    pub key: String,
    pub key_id: String,
    pub name: String,
    pub email: String,
    pub tenant: String,
    pub expires_at: Option<String>,
}

/// An execution, as invoke and the executions routes answer.
#[derive(Debug, Deserialize)]
pub struct Execution {
    pub execution_id: String,
    pub graph_id: String,
    pub status: String,
    pub output: Option<Value>,
    pub error: Option<ExecutionError>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub duration_ms: Option<f64>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
pub struct ExecutionError {
    /// The failed step; none when the run as a whole failed (it timed out).
    pub step: Option<String>,
    pub message: String,
}

#[derive(Debug, Deserialize)]
pub struct Step {
    pub id: String,
    pub status: String,
}

impl Execution {
    /// `succeeded`, `failed`, `cancelled` or `compensation_failed`: the run is over.
    pub fn has_ended(&self) -> bool {
        matches!(
            self.status.as_str(),
            "succeeded" | "failed" | "cancelled" | "compensation_failed"
        )
    }

    /// `queued`, `running` or `compensating`: the run moves on by itself (`paused` waits for a
    /// resume).
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "running" | "compensating")
    }
}

/// `GET /v1/usage`
#[derive(Debug, Deserialize)]
pub struct Usage {
    pub window: UsageWindow,
    pub executions: u64,
    pub success_rate: Option<f64>,
    pub avg_duration_ms: Option<f64>,
    pub daily: Vec<UsageDay>,
}

#[derive(Debug, Deserialize)]
pub struct UsageWindow {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Deserialize)]
pub struct UsageDay {
    pub date: String,
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub in_flight: u64,
}
