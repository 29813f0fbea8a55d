//! API keys: minting, hashing and masking, what a key resolves to and how it is listed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// How often at most `last_used_at` is written for one key.
pub const LAST_USED_INTERVAL: Duration = Duration::minutes(1);
/// How far ahead a key's `expires_at` may be.
pub const MAX_LIFETIME: Duration = Duration::days(366);
/// How long an expired key stays (listed, refused) before it is cleaned up.
pub const EXPIRED_KEPT_FOR: Duration = Duration::days(30);
/// The longest overlap of a roll: the old key keeps working this long at most.
pub const MAX_ROLL_OVERLAP_SECONDS: u32 = 7 * 24 * 60 * 60;
/// The longest user agent kept as a key's last-use origin, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// Length of a raw key: 32 random bytes as lowercase hex.
pub const RAW_KEY_LEN: usize = 64;

/// A freshly minted key. Its text leaves the process exactly once, in the create response.
pub struct RawKey(String);

impl RawKey {
    /// Mints a key from 32 bytes of the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
        Self(hex::encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.0)
    }

    /// First 8 characters, an ellipsis, the last 4: `a1b2c3d4…9f0e`.
    pub fn masked(&self) -> String {
        format!("{}…{}", &self.0[..8], &self.0[RAW_KEY_LEN - 4..])
    }
}

// Never print the key by accident.
impl std::fmt::Debug for RawKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawKey(<redacted>)")
    }
}

/// SHA-256 of a raw key, as lowercase hex: the only form of a key that is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHash(String);

impl KeyHash {
    pub fn of(raw: &str) -> Self {
        Self(hex::encode(Sha256::digest(raw.as_bytes())))
    }

    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short prefix that is safe to log.
    pub fn log_prefix(&self) -> &str {
        &self.0[..8]
    }
}

/// True when `candidate` has the form of a raw key: 64 lowercase hex characters.
pub fn is_well_formed(candidate: &str) -> bool {
    candidate.len() == RAW_KEY_LEN
        && candidate
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the authorizer learns from a key: who is calling, and until when the key works.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub account_id: String,
    pub tenant: String,
    pub email: String,
    pub key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

impl Credential {
    /// True from the instant `expires_at` is reached: the key is then refused like a revoked
    /// one. (Times are fixed-width UTC text, so text order is time order.)
    pub fn is_expired(&self, now: &str) -> bool {
        is_expired(self.expires_at.as_deref(), now)
    }
}

fn is_expired(expires_at: Option<&str>, now: &str) -> bool {
    expires_at.is_some_and(|at| at <= now)
}

/// Where a key was last used from, as the authorizer saw the request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UseOrigin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl UseOrigin {
    /// The origin kept: the user agent cut to [`MAX_USER_AGENT_CHARS`] characters.
    pub fn new(ip: Option<&str>, user_agent: Option<&str>) -> Self {
        Self {
            ip: ip.filter(|ip| !ip.is_empty()).map(str::to_owned),
            user_agent: user_agent
                .filter(|agent| !agent.is_empty())
                .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect()),
        }
    }
}

/// A key as listed: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySummary {
    #[serde(rename = "id")]
    pub key_id: String,
    pub name: String,
    /// `None` for keys stored before masking metadata existed.
    pub masked: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    #[serde(default)]
    pub last_used_ip: Option<String>,
    #[serde(default)]
    pub last_used_user_agent: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// Whether a listed key still works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Expired,
}

impl KeySummary {
    pub fn status(&self, now: &str) -> KeyStatus {
        if is_expired(self.expires_at.as_deref(), now) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }
}

/// Why an `expires_at` was refused (a 400 naming the field).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidExpiry {
    #[error("expires_at must be an RFC 3339 time such as 2026-12-31T00:00:00Z")]
    NotATime,
    #[error("expires_at must be in the future")]
    Past,
    #[error("expires_at must be at most 366 days ahead")]
    TooFar,
}

/// A requested expiry, checked against `now`: in the future, at most [`MAX_LIFETIME`] ahead.
/// Kept to the whole second (rounded down: a key never outlives what was asked).
pub fn expiry(requested: &str, now: OffsetDateTime) -> Result<OffsetDateTime, InvalidExpiry> {
    let at = OffsetDateTime::parse(requested, &time::format_description::well_known::Rfc3339)
        .map_err(|_| InvalidExpiry::NotATime)?;
    let at = at.replace_nanosecond(0).expect("zero nanoseconds is valid");
    if at <= now {
        return Err(InvalidExpiry::Past);
    }
    if at > now + MAX_LIFETIME {
        return Err(InvalidExpiry::TooFar);
    }
    Ok(at)
}

/// Until when a rolled key keeps working: `overlap_seconds` from now, never past its own
/// expiry. `None`: no overlap, the old key goes at once (as by a revoke).
pub fn rolled_key_expiry(
    overlap_seconds: u32,
    own_expiry: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    if overlap_seconds == 0 {
        return None;
    }
    let overlap_end = now + Duration::seconds(overlap_seconds.into());
    Some(own_expiry.map_or(overlap_end, |own| own.min(overlap_end)))
}

/// A key just minted, with the raw key that is shown this once.
#[derive(Debug)]
pub struct CreatedKey {
    pub summary: KeySummary,
    pub raw: RawKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_64_lowercase_hex_and_distinct() {
        let a = RawKey::generate();
        let b = RawKey::generate();
        assert!(is_well_formed(a.expose()));
        assert!(is_well_formed(b.expose()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn hash_is_sha256_hex_of_the_raw_text() {
        // sha256("abc"), a published test vector.
        assert_eq!(
            KeyHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let key = RawKey::generate();
        assert_eq!(key.hash(), KeyHash::of(key.expose()));
    }

    #[test]
    fn masked_shows_first_eight_ellipsis_last_four() {
        let key = RawKey(format!("a1b2c3d4{}9f0e", "0".repeat(52)));
        assert_eq!(key.masked(), "a1b2c3d4…9f0e");
    }

    #[test]
    fn expiry_is_future_within_a_year_whole_seconds() {
        use time::macros::datetime;
        let now = datetime!(2026-11-26 10:00:00 UTC);
        assert_eq!(
            expiry("2026-11-27T10:00:00.9Z", now),
            Ok(datetime!(2026-11-27 10:00:00 UTC))
        );
        assert_eq!(
            expiry("2026-11-27T12:00:00+02:00", now),
            Ok(datetime!(2026-11-27 10:00:00 UTC))
        );
        assert_eq!(expiry("tomorrow", now), Err(InvalidExpiry::NotATime));
        assert_eq!(expiry("2026-11-26T10:00:00Z", now), Err(InvalidExpiry::Past));
        assert_eq!(expiry("2027-11-28T10:00:00Z", now), Err(InvalidExpiry::TooFar));
    }

    #[test]
    fn a_roll_s_overlap_never_outlives_the_old_key() {
        use time::macros::datetime;
        let now = datetime!(2026-11-26 10:00:00 UTC);
        assert_eq!(rolled_key_expiry(0, None, now), None);
        assert_eq!(
            rolled_key_expiry(3600, None, now),
            Some(datetime!(2026-11-26 11:00:00 UTC))
        );
        let soon = datetime!(2026-11-26 10:30:00 UTC);
        assert_eq!(rolled_key_expiry(3600, Some(soon), now), Some(soon));
    }

    #[test]
    fn status_and_refusal_start_at_the_expiry_instant() {
        let credential = Credential {
            account_id: "a".into(),
            tenant: "t".into(),
            email: "e".into(),
            key_id: "k".into(),
            expires_at: Some("2026-11-26T10:00:00Z".into()),
            last_used_at: None,
        };
        assert!(!credential.is_expired("2026-11-26T09:59:59Z"));
        assert!(credential.is_expired("2026-11-26T10:00:00Z"));
        assert_eq!(
            UseOrigin::new(Some(""), Some(&"x".repeat(300)))
                .user_agent
                .unwrap()
                .len(),
            256
        );
    }

    #[test]
    fn debug_output_never_contains_the_key() {
        let key = RawKey::generate();
        assert!(!format!("{key:?}").contains(key.expose()));
    }

    #[test]
    fn well_formed_rejects_wrong_length_case_and_alphabet() {
        let good = "0123456789abcdef".repeat(4);
        assert!(is_well_formed(&good));
        assert!(!is_well_formed(&good[..63]));
        assert!(!is_well_formed(&format!("{good}0")));
        assert!(!is_well_formed(&good.to_uppercase()));
        assert!(!is_well_formed(&"g".repeat(64)));
        assert!(!is_well_formed(""));
        // 64 bytes but multi-byte characters.
        assert!(!is_well_formed(&"é".repeat(32)));
    }
}
