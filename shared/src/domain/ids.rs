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

/// Which of `shards` an id falls in: FNV-1a of its text, so ids (whose last characters are
/// random) spread evenly whatever their alphabet.
pub fn shard_of(id: &str, shards: u32) -> u32 {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    });
    (hash % u64::from(shards)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_spread_evenly_over_shards() {
        let mut counts = [0u32; 8];
        for _ in 0..8_000 {
            counts[shard_of(&new_id(), 8) as usize] += 1;
        }
        assert!(
            counts.iter().all(|count| (800..1200).contains(count)),
            "{counts:?}"
        );
    }

    #[test]
    fn new_ids_are_plausible() {
        assert!(is_plausible_id(&new_id()));
        assert!(!is_plausible_id("x"));
        assert!(!is_plausible_id(&"a".repeat(1000)));
    }
}
