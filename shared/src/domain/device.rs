//! Signing in the CLI with a browser (PRODUCT.md §17), modelled on the OAuth 2.0 Device
//! Authorization Grant (RFC 8628): the CLI asks for a grant, a person approves its short user
//! code in the Console with a key, and the CLI's polling gets a key minted for it then, once.
//!
//! The device code is `<user code>.<secret>`: the user code (which its holder knows anyway)
//! finds the grant in one read, the secret proves the holder got it from us. Only the SHA-256
//! of the whole device code is stored, and compared in constant time.

use sha2::{Digest, Sha256};
use time::Duration;

use super::{ids::new_id, keys::RawKey};

/// The letters of a user code: no vowels (no words), no look-alikes.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const USER_CODE_LEN: usize = 8;
/// How long a grant can be approved and polled.
pub const EXPIRES_IN_SECONDS: i64 = 600;
/// How often the CLI may poll at first; each `slow_down` adds [`SLOW_DOWN_STEP_SECONDS`].
pub const INTERVAL_SECONDS: i64 = 5;
pub const SLOW_DOWN_STEP_SECONDS: i64 = 5;
/// How long the key minted for the CLI works.
pub const MINTED_KEY_LIFETIME: Duration = Duration::days(90);
/// The name of the key minted for the CLI.
pub const MINTED_KEY_NAME: &str = "cli";
/// Grants one source IP may ask for per [`RATE_WINDOW_SECONDS`].
pub const GRANTS_PER_IP: u32 = 10;
pub const RATE_WINDOW_SECONDS: i64 = 60;

/// A user code as shown: `XXXX-XXXX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    pub fn generate() -> Self {
        // 20 letters: a byte's value mod 20 is uniform over the bytes below 240.
        let mut code = String::with_capacity(USER_CODE_LEN);
        while code.len() < USER_CODE_LEN {
            let mut byte = [0u8; 1];
            getrandom::fill(&mut byte).expect("the operating system's random source is unavailable");
            if byte[0] < 240 {
                code.push(char::from(USER_CODE_ALPHABET[usize::from(byte[0] % 20)]));
            }
        }
        Self(code)
    }

    /// What a person typed: case and dashes (and spaces) ignored; `None` unless it can be a code.
    pub fn parse(typed: &str) -> Option<Self> {
        let code: String = typed
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
        valid.then_some(Self(code))
    }

    /// The 8 letters, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `XXXX-XXXX`, as shown to a person.
    pub fn shown(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }
}

/// A device code just issued; it leaves the process once, in the grant's answer.
pub struct DeviceCode(String);

impl DeviceCode {
    pub fn generate(user_code: &UserCode) -> Self {
        Self(format!("{}.{}", user_code.as_str(), RawKey::generate().expose()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The SHA-256 (hex) of a device code: what is stored.
pub fn device_code_hash(device_code: &str) -> String {
    hex::encode(Sha256::digest(device_code.as_bytes()))
}

/// The user code a device code names, if it has a device code's form.
pub fn user_code_of(device_code: &str) -> Option<UserCode> {
    let (user_code, secret) = device_code.split_once('.')?;
    let secret_ok = secret.len() == 64
        && secret
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !secret_ok || user_code.len() != USER_CODE_LEN {
        return None;
    }
    UserCode::parse(user_code)
}

/// Equality of two hashes that takes the same time wherever they differ.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Where a grant stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    Pending,
    Approved,
    Denied,
    /// Its key was handed out.
    Consumed,
}

/// A grant, as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceGrant {
    /// Names the grant in audit events (never the user or device code).
    pub grant_id: String,
    pub device_code_hash: String,
    pub status: GrantStatus,
    pub expires_at_ms: i64,
    pub interval_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll_ms: Option<i64>,
    /// Set by the approval: whose key approved it, for which account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver_key_id: Option<String>,
}

impl DeviceGrant {
    pub fn new(device_code: &DeviceCode, now_ms: i64) -> Self {
        Self {
            grant_id: new_id(),
            device_code_hash: device_code_hash(device_code.expose()),
            status: GrantStatus::Pending,
            expires_at_ms: now_ms + EXPIRES_IN_SECONDS * 1000,
            interval_seconds: INTERVAL_SECONDS,
            last_poll_ms: None,
            account_id: None,
            email: None,
            tenant: None,
            approver_key_id: None,
        }
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// What a token poll at `now_ms` gets, before any key is minted. A poll sooner than the
    /// interval after the previous one is `SlowDown`, and the interval grows.
    pub fn poll(&mut self, now_ms: i64) -> Poll {
        if self.status == GrantStatus::Consumed || self.is_expired(now_ms) {
            return Poll::ExpiredToken;
        }
        let too_soon = self
            .last_poll_ms
            .is_some_and(|last| now_ms - last < self.interval_seconds * 1000);
        self.last_poll_ms = Some(now_ms);
        if too_soon {
            self.interval_seconds += SLOW_DOWN_STEP_SECONDS;
            return Poll::SlowDown;
        }
        match self.status {
            GrantStatus::Pending => Poll::Pending,
            GrantStatus::Denied => Poll::Denied,
            GrantStatus::Approved => Poll::Approved,
            GrantStatus::Consumed => Poll::ExpiredToken,
        }
    }
}

/// The outcome of a token poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    Pending,
    SlowDown,
    Denied,
    ExpiredToken,
    /// Mint the key now.
    Approved,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_8_letters_typed_any_way() {
        let code = UserCode::generate();
        assert_eq!(code.as_str().len(), 8);
        assert!(code.as_str().bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
        assert_eq!(UserCode::parse(&code.shown().to_lowercase()), Some(code.clone()));
        assert_eq!(UserCode::parse("bcdf ghjk").unwrap().shown(), "BCDF-GHJK");
        for bad in ["", "BCDF-GHJ", "ABCD-EFGH", "BCDF-GHJKL", "BCDF_GHJK"] {
            assert_eq!(UserCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn device_codes_name_their_user_code_and_are_stored_hashed() {
        let user_code = UserCode::generate();
        let device_code = DeviceCode::generate(&user_code);
        assert_eq!(user_code_of(device_code.expose()), Some(user_code));
        assert_eq!(user_code_of("BCDFGHJK.nothex"), None);
        assert_eq!(user_code_of("nonsense"), None);
        let grant = DeviceGrant::new(&device_code, 0);
        assert!(same_hash(
            &grant.device_code_hash,
            &device_code_hash(device_code.expose())
        ));
        assert!(!grant.device_code_hash.contains(device_code.expose()));
        assert!(!same_hash(&grant.device_code_hash, &device_code_hash("other")));
    }

    #[test]
    fn polls_wait_their_interval_and_slow_down_grows_it() {
        let mut grant = DeviceGrant::new(&DeviceCode::generate(&UserCode::generate()), 0);
        assert_eq!(grant.poll(1_000), Poll::Pending);
        assert_eq!(grant.poll(2_000), Poll::SlowDown);
        assert_eq!(grant.interval_seconds, 10);
        assert_eq!(
            grant.poll(11_000),
            Poll::SlowDown,
            "10 s from the last poll, not the first"
        );
        assert_eq!(grant.poll(26_000), Poll::Pending);
        grant.status = GrantStatus::Denied;
        assert_eq!(grant.poll(60_000), Poll::Denied);
        grant.status = GrantStatus::Approved;
        assert_eq!(grant.poll(600_000), Poll::ExpiredToken);
    }
}
