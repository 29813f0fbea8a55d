//! API keys: minting, hashing and masking, what a key resolves to and how it is listed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Duration;

/// How often at most `last_used_at` is written for one key.
pub const LAST_USED_INTERVAL: Duration = Duration::minutes(1);

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

/// What the authorizer learns from a key: who is calling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub account_id: String,
    pub tenant: String,
    pub email: String,
    pub key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
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
