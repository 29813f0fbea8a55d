//! Idempotent invoke (PRODUCT.md §15): within 24 hours and one account, a request with the same
//! `Idempotency-Key` and the same `graph_id` and `input` (as parsed JSON) gets the run the first
//! one started; a different body is refused.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// How long a key stays bound to its run.
pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;
pub const MAX_KEY_LEN: usize = 255;

/// A client's `Idempotency-Key`, checked: 1 to 255 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Option<Self> {
        let valid =
            (1..=MAX_KEY_LEN).contains(&text.len()) && text.bytes().all(|b| (0x20..=0x7e).contains(&b));
        valid.then(|| Self(text.to_owned()))
    }

    /// What is stored instead of the key itself: its SHA-256, hex (fixed size, any text).
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// What a repeat must match: the flow and the input, as parsed JSON (objects compare whatever
/// their key order, since `serde_json` keeps object keys sorted).
pub fn fingerprint(graph_id: &str, input: &Value) -> String {
    let request = json!({"graph_id": graph_id, "input": input});
    hex::encode(Sha256::digest(request.to_string().as_bytes()))
}

/// A key bound to the run it started, until `expires_at_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key_hash: String,
    pub fingerprint: String,
    pub execution_id: String,
    pub expires_at_ms: i64,
}

impl IdempotencyRecord {
    pub fn is_live(&self, now_ms: i64) -> bool {
        now_ms < self.expires_at_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("order-42").is_some());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_some());
        for bad in ["", "tab\there", "caf\u{e9}", "\u{7f}"] {
            assert!(IdempotencyKey::parse(bad).is_none(), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_none());
    }

    #[test]
    fn the_fingerprint_is_of_parsed_json() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": [1, 2]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":[1,2],"b":1}"#).unwrap();
        assert_eq!(fingerprint("g", &a), fingerprint("g", &b));
        assert_ne!(fingerprint("g", &a), fingerprint("h", &a));
        assert_ne!(
            fingerprint("g", &a),
            fingerprint("g", &json!({"a": [2, 1], "b": 1}))
        );
    }
}
