//! The key pair the simulator accepts, and the one place its secret is read.

use secrecy::{ExposeSecret, SecretString};

/// Alpaca's request headers carrying the key pair.
pub(crate) const KEY_ID_HEADER: &str = "apca-api-key-id";
/// See [`KEY_ID_HEADER`].
pub(crate) const SECRET_KEY_HEADER: &str = "apca-api-secret-key";

/// The accepted key pair. Its `Debug` never shows the secret.
#[derive(Debug)]
pub(crate) struct KeyPair {
    key_id: String,
    secret_key: SecretString,
}

impl KeyPair {
    pub(crate) fn new(key_id: String, secret_key: SecretString) -> Self {
        Self { key_id, secret_key }
    }

    /// The name of the first empty (or blank) half, if any.
    pub(crate) fn empty_half(&self) -> Option<&'static str> {
        if self.key_id.trim().is_empty() {
            Some("key_id")
        } else if self.secret_key.expose_secret().is_empty() {
            Some("secret_key")
        } else {
            None
        }
    }

    /// True when both halves match. Both comparisons take the same time whatever the bytes, so
    /// a client cannot find the secret by timing refusals.
    pub(crate) fn matches(&self, key_id: &str, secret_key: &str) -> bool {
        let key_matches = constant_time_eq(key_id.as_bytes(), self.key_id.as_bytes());
        let secret_matches = constant_time_eq(
            secret_key.as_bytes(),
            self.secret_key.expose_secret().as_bytes(),
        );
        key_matches & secret_matches
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(given.len() != expected.len());
    for (index, byte) in expected.iter().enumerate() {
        difference |= byte ^ given.get(index).copied().unwrap_or(!byte);
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_pair_matches_and_debug_hides_the_secret() {
        let pair = KeyPair::new("PKSIM".into(), SecretString::from("s3cret"));
        assert!(pair.matches("PKSIM", "s3cret"));
        assert!(!pair.matches("PKSIM", "s3cre"));
        assert!(!pair.matches("PKSIM", "s3cret!"));
        assert!(!pair.matches("PKSIM", "S3cret"));
        assert!(!pair.matches("PKSIX", "s3cret"));
        assert!(!pair.matches("", ""));
        assert!(!format!("{pair:?}").contains("s3cret"));
    }
}
