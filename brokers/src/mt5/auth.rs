//! Signing and verifying the bridge link, and the order tag (`brokers/mt5/bridge/PROTOCOL.md`,
//! "Authentication" and "Order tags"). HMAC-SHA256 is written here over `sha2` (RFC 2104, checked
//! against RFC 4231's vectors) rather than adding a crate for twenty lines.

use std::fmt;

use airlock_core::ClientOrderId;
use sha2::{Digest, Sha256};

pub(crate) const SCHEME: &str = "AIRLOCK-MT5-1";
pub(crate) const RESPONSE_SCHEME: &str = "AIRLOCK-MT5-1-RESPONSE";
pub(crate) const TIMESTAMP_HEADER: &str = "x-airlock-timestamp";
pub(crate) const NONCE_HEADER: &str = "x-airlock-nonce";
pub(crate) const SIGNATURE_HEADER: &str = "x-airlock-signature";

const BLOCK: usize = 64;
const TAG_PREFIX: &str = "al1-";
const TAG_HASH_CHARS: usize = 24;

/// An HMAC-SHA256 key, held only as the two hash states keyed with it (the secret's bytes are
/// not kept). `Debug` shows nothing of it.
#[derive(Clone)]
pub(crate) struct SigningKey {
    inner: Sha256,
    outer: Sha256,
}

impl SigningKey {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let inner_pad: Vec<u8> = block.iter().map(|byte| byte ^ 0x36).collect();
        let outer_pad: Vec<u8> = block.iter().map(|byte| byte ^ 0x5c).collect();
        Self {
            inner: Sha256::new().chain_update(inner_pad),
            outer: Sha256::new().chain_update(outer_pad),
        }
    }

    pub(crate) fn mac(&self, message: &[u8]) -> [u8; 32] {
        let inner = self.inner.clone().chain_update(message).finalize();
        self.outer.clone().chain_update(inner).finalize().into()
    }

    pub(crate) fn sign(&self, canonical: &str) -> String {
        hex(&self.mac(canonical.as_bytes()))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(****)")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

pub(crate) fn sha256_hex(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

pub(crate) fn request_canonical(
    method: &str,
    path: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    format!(
        "{SCHEME}\n{}\n{path}\n{timestamp}\n{nonce}\n{}",
        method.to_ascii_uppercase(),
        sha256_hex(body)
    )
}

pub(crate) fn response_canonical(status: u16, nonce: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "{RESPONSE_SCHEME}\n{status}\n{nonce}\n{timestamp}\n{}",
        sha256_hex(body)
    )
}

/// Compares two signatures in time independent of where they differ.
pub(crate) fn same_signature(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.trim().as_bytes());
    if expected.len() != given.len() {
        return false;
    }
    expected.iter().zip(given).fold(0u8, |difference, (a, b)| {
        difference | (a ^ b.to_ascii_lowercase())
    }) == 0
}

/// The MT5 order comment that stands for `id`: `al1-` and the first 24 characters of the
/// lowercase, unpadded RFC 4648 base32 of the id's SHA-256 (28 characters, inside MT5's
/// 31-character comment). The same id always gives the same tag, on both sides of the link.
pub fn order_tag(id: &ClientOrderId) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let digest = Sha256::digest(id.as_str().as_bytes());
    let mut tag = String::with_capacity(TAG_PREFIX.len() + TAG_HASH_CHARS);
    tag.push_str(TAG_PREFIX);
    // 24 characters of 5 bits are the first 15 bytes: three groups of 5 bytes → 8 characters.
    for group in digest[..15].chunks(5) {
        let mut bits: u64 = 0;
        for byte in group {
            bits = (bits << 8) | u64::from(*byte);
        }
        for index in (0..8).rev() {
            let value = (bits >> (index * 5)) & 0x1f;
            tag.push(char::from(ALPHABET[usize::try_from(value).unwrap_or(0)]));
        }
    }
    tag
}

/// True when `comment` has the shape of one of our tags.
pub(crate) fn is_tag(comment: &str) -> bool {
    comment.len() == TAG_PREFIX.len() + TAG_HASH_CHARS
        && comment.starts_with(TAG_PREFIX)
        && comment[TAG_PREFIX.len()..]
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || (b'2'..=b'7').contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&text[index..index + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 test cases 1, 2, 3, 4, 6 and 7 (case 5 truncates the output).
    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(hex(&SigningKey::new(&key).mac(&data)), expected);
        }
    }

    /// The worked example in PROTOCOL.md, which the bridge's Python tests check too.
    #[test]
    fn protocol_worked_example() {
        let document = include_str!("../../mt5/bridge/PROTOCOL.md");
        let block = document
            .split("```worked-example\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let field = |name: &str| {
            block
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{name}: ")))
                .unwrap_or_else(|| panic!("worked example has no {name}"))
                .to_owned()
        };
        let key = SigningKey::new(field("secret").as_bytes());
        let body = field("body");
        assert_eq!(sha256_hex(body.as_bytes()), field("body_sha256"));
        let canonical = request_canonical(
            &field("method"),
            &field("path"),
            &field("timestamp"),
            &field("nonce"),
            body.as_bytes(),
        );
        assert_eq!(key.sign(&canonical), field("request_signature"));
        let response = response_canonical(
            field("response_status").parse().unwrap(),
            &field("nonce"),
            &field("response_timestamp"),
            field("response_body").as_bytes(),
        );
        assert_eq!(key.sign(&response), field("response_signature"));
        let id = ClientOrderId::parse(&field("client_order_id")).unwrap();
        assert_eq!(order_tag(&id), field("tag"));
        assert!(is_tag(&field("tag")));
        assert!(!is_tag("al1-MHG567ZDUQJB6YNKAALLODRV"));
    }

    #[test]
    fn signatures_compare_whole_and_case_blind() {
        assert!(same_signature("ab12", "AB12"));
        assert!(!same_signature("ab12", "ab13"));
        assert!(!same_signature("ab12", "ab1"));
        assert_eq!(format!("{:?}", SigningKey::new(b"k")), "SigningKey(****)");
    }
}
