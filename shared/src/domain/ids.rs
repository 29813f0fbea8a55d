//! Ids of keys, flows and runs: UUIDv7, so they sort by creation time.

/// A new id. Ids sort by creation time, so a key's sort key orders a list newest first.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True when `id` has the form of the ids this service makes. Any other id from a client is
/// unknown without a database call, and never becomes part of a key (whose size DynamoDB
/// limits, so a long one would fail the call: a 5xx caused by client input).
pub fn is_plausible_id(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_plausible() {
        assert!(is_plausible_id(&new_id()));
        assert!(!is_plausible_id("x"));
        assert!(!is_plausible_id(&"a".repeat(1000)));
    }
}
