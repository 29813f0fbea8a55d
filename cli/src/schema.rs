//! The API's JSON (PRODUCT.md sections 4 to 7), as far as the text output reads it. Fields the
//! CLI does not show are left out; `--json` prints the whole answer. A missing `Option` field
//! reads as `None`.

use serde::Deserialize;
use serde_json::Value;

/// `GET /v1/whoami`
#[derive(Debug, Deserialize)]
pub struct Whoami {
    pub email: String,
    pub tenant: String,
}

/// `POST /v1/api-keys`
#[derive(Debug, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub key: String,
}

/// An item of `GET /v1/api-keys`.
#[derive(Debug, Deserialize)]
pub struct KeySummary {
    pub id: String,
    pub name: String,
    pub masked: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct KeyList {
    pub keys: Vec<KeySummary>,
}

/// `POST /v1/flows`, and an item of `GET /v1/flows`.
#[derive(Debug, Deserialize)]
pub struct Flow {
    pub graph_id: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Deserialize)]
pub struct FlowList {
    pub flows: Vec<Flow>,
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
