//! How many runs an account may have in flight (PRODUCT.md §16). The count is kept in shards,
//! so that no one item takes every start and end of a busy account; each shard may hold its
//! share of the quota, so the shards together never admit more than the quota, and an invoke is
//! refused only once every shard with a share is full.

/// An account's quota when the operator has not set one.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 1000;
/// The in-flight count's shards per account: every start and end of a run changes one in a
/// transaction, so at 1,000 runs a second each takes about 125 transactions a second.
pub const QUOTA_SHARDS: u32 = 16;

/// What `shard` may hold: the quota split evenly, the remainder to the first shards.
pub fn shard_cap(max_in_flight: u32, shard: u32) -> u32 {
    max_in_flight / QUOTA_SHARDS + u32::from(shard < max_in_flight % QUOTA_SHARDS)
}

/// The shards to try, starting at `first` (chosen at random by the caller, to spread load),
/// skipping those with no share.
pub fn shards_to_try(max_in_flight: u32, first: u32) -> impl Iterator<Item = u32> {
    (0..QUOTA_SHARDS)
        .map(move |offset| (first + offset) % QUOTA_SHARDS)
        .filter(move |shard| shard_cap(max_in_flight, *shard) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shards_hold_exactly_the_quota() {
        for max in [0, 1, 3, 7, 8, 9, 100, 1000, 1001] {
            let total: u32 = (0..QUOTA_SHARDS).map(|shard| shard_cap(max, shard)).sum();
            assert_eq!(total, max);
            assert_eq!(shards_to_try(max, 5).count() as u32, max.min(QUOTA_SHARDS));
        }
        assert_eq!(shards_to_try(3, 6).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(shards_to_try(1000, 6).next(), Some(6));
    }
}
