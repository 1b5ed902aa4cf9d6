//! Identifiers: instruments, our order ids, the venue's order ids, accounts.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Empty text.
    #[error("{kind} is empty")]
    Empty {
        /// Which identifier.
        kind: &'static str,
    },
    /// Longer than the identifier allows.
    #[error("{kind} {text:?} is longer than {max} characters")]
    TooLong {
        /// Which identifier.
        kind: &'static str,
        /// The text given.
        text: String,
        /// The limit.
        max: usize,
    },
    /// A character the identifier does not allow.
    #[error("{kind} {text:?} has the character {character:?}; allowed: {allowed}")]
    BadCharacter {
        /// Which identifier.
        kind: &'static str,
        /// The text given.
        text: String,
        /// The first offending character.
        character: char,
        /// A description of what is allowed.
        allowed: &'static str,
    },
}

const SYMBOL_MAX: usize = 31;

/// An instrument's ticker, such as `AAPL`, `BRK.B`, `BTC/USD` or `EURUSD`.
///
/// Stored inline (32 bytes, `Copy`), so it is cheap on the hot path. Letters are normalised to
/// upper case: `aapl` and `AAPL` are the same symbol.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol {
    len: u8,
    bytes: [u8; SYMBOL_MAX],
}

impl Symbol {
    /// Parses a ticker: 1 to 31 characters of `A-Z`, `0-9`, `.`, `-`, `_`, `/`, `:`; lower-case
    /// letters are upper-cased.
    ///
    /// # Errors
    /// [`IdError`] naming the ticker and the offending character or length.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        const ALLOWED: &str = "letters, digits, '.', '-', '_', '/', ':'";
        if text.is_empty() {
            return Err(IdError::Empty { kind: "symbol" });
        }
        if text.len() > SYMBOL_MAX {
            return Err(IdError::TooLong {
                kind: "symbol",
                text: text.into(),
                max: SYMBOL_MAX,
            });
        }
        let mut bytes = [0u8; SYMBOL_MAX];
        for (slot, character) in bytes.iter_mut().zip(text.chars()) {
            if !(character.is_ascii_alphanumeric() || ".-_/:".contains(character)) {
                return Err(IdError::BadCharacter {
                    kind: "symbol",
                    text: text.into(),
                    character,
                    allowed: ALLOWED,
                });
            }
            // ASCII checked above, so the character is one byte.
            *slot = character.to_ascii_uppercase() as u8;
        }
        let len = u8::try_from(text.len()).map_err(|_| IdError::TooLong {
            kind: "symbol",
            text: text.into(),
            max: SYMBOL_MAX,
        })?;
        Ok(Self { len, bytes })
    }

    /// The ticker text.
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl FromStr for Symbol {
    type Err = IdError;
    fn from_str(text: &str) -> Result<Self, IdError> {
        Self::parse(text)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.as_str())
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Symbol::parse(&text).map_err(serde::de::Error::custom)
    }
}

const CLIENT_ORDER_ID_MAX: usize = 48;
/// Characters [`ClientOrderId::derive`] leaves free at the end of the 48: room for a venue's
/// replacement suffix such as Alpaca's `.r999` (see `airlock_brokers::alpaca`).
const DERIVED_RESERVE: usize = 5;

/// Our id for an order, chosen before the order leaves the process and re-sent unchanged on every
/// retry, so a venue's duplicate check makes retries harmless. At most 48 characters (Alpaca's
/// limit) of `A-Z a-z 0-9 - _ . :`.
///
/// Shared, immutable text: cloning is a reference-count increment, so ids can ride along on every
/// event and fill without allocating.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientOrderId(Arc<str>);

impl Serialize for ClientOrderId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl ClientOrderId {
    /// Parses an id received from outside (a broker report, an API call).
    ///
    /// # Errors
    /// [`IdError`] when empty, longer than 48 characters, or with a character outside the set.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.is_empty() {
            return Err(IdError::Empty {
                kind: "client order id",
            });
        }
        if text.len() > CLIENT_ORDER_ID_MAX {
            return Err(IdError::TooLong {
                kind: "client order id",
                text: text.into(),
                max: CLIENT_ORDER_ID_MAX,
            });
        }
        if let Some(character) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.:".contains(*c)))
        {
            return Err(IdError::BadCharacter {
                kind: "client order id",
                text: text.into(),
                character,
                allowed: "letters, digits, '-', '_', '.', ':'",
            });
        }
        Ok(Self(Arc::from(text)))
    }

    /// The longest id text: 48 characters (what every venue we route to accepts).
    pub const MAX_LEN: usize = CLIENT_ORDER_ID_MAX;

    /// The length [`ClientOrderId::derive`] cuts its ids to: 43 characters, leaving 5 of the 48
    /// free so a venue that names each replacement of an order with a suffix (Alpaca's
    /// `{id}.r{n}`, `n` up to 999) stays within 48.
    pub const DERIVED_MAX_LEN: usize = CLIENT_ORDER_ID_MAX - DERIVED_RESERVE;

    /// The deterministic id of the `sequence`-th decision of `strategy` in run `run`:
    /// `{strategy}-{run}-{sequence}`, where the strategy tag is cut to fit
    /// [`ClientOrderId::DERIVED_MAX_LEN`] (43) characters. The same three inputs always give the
    /// same id, which is what makes retries and restarts idempotent.
    ///
    /// # Errors
    /// [`IdError`] when the strategy tag or the run id has a character outside the allowed set.
    pub fn derive(strategy: &str, run: &str, sequence: u64) -> Result<Self, IdError> {
        use std::fmt::Write as _;
        // One buffer, no intermediate strings: the backtest derives one id per order decided.
        let digits = sequence.checked_ilog10().map_or(1, |log| log as usize + 1);
        let suffix_len = 2 + run.len() + digits;
        let room = Self::DERIVED_MAX_LEN.saturating_sub(suffix_len).max(1);
        let mut text = String::with_capacity(CLIENT_ORDER_ID_MAX + suffix_len);
        text.extend(strategy.chars().take(room));
        let _ = write!(text, "-{run}-{sequence}");
        Self::parse(&text)
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientOrderId({})", self.0)
    }
}

impl<'de> Deserialize<'de> for ClientOrderId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ClientOrderId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The venue's id for an order (Alpaca's UUID, an MT5 ticket, the matching engine's sequence).
/// A different type from [`ClientOrderId`] so the two can never be confused.
///
/// Ids of up to 23 bytes (the matching engine's `sim-…`, MT5 tickets) are stored in place, so
/// creating one allocates nothing; longer ones (Alpaca's UUIDs) on the heap. Equality, ordering,
/// hashing, `Debug` and serde all go by the text alone.
#[derive(Clone)]
pub struct BrokerOrderId(IdText);

const BROKER_ORDER_ID_INLINE: usize = 23;

#[derive(Clone)]
enum IdText {
    Inline {
        len: u8,
        bytes: [u8; BROKER_ORDER_ID_INLINE],
    },
    Heap(String),
}

impl BrokerOrderId {
    /// Wraps the venue's id text as given.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        if text.len() <= BROKER_ORDER_ID_INLINE {
            return Self::copied(&text);
        }
        Self(IdText::Heap(text))
    }

    /// Copies the venue's id text; allocates only for ids longer than 23 bytes.
    pub fn copied(text: &str) -> Self {
        let mut bytes = [0u8; BROKER_ORDER_ID_INLINE];
        match (bytes.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(place), Ok(len)) => {
                place.copy_from_slice(text.as_bytes());
                Self(IdText::Inline { len, bytes })
            }
            _ => Self(IdText::Heap(text.to_owned())),
        }
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // A whole `&str` was copied in, so the bytes are valid UTF-8.
            IdText::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|text| std::str::from_utf8(text).ok())
                .unwrap_or_default(),
            IdText::Heap(text) => text,
        }
    }
}

impl PartialEq for BrokerOrderId {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for BrokerOrderId {}

impl PartialOrd for BrokerOrderId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BrokerOrderId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for BrokerOrderId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for BrokerOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BrokerOrderId")
            .field(&self.as_str())
            .finish()
    }
}

impl fmt::Display for BrokerOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for BrokerOrderId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BrokerOrderId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::copied(&text))
    }
}

/// An account inside the matching engine (one per participant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_normalise_case_and_refuse_junk() {
        assert_eq!(Symbol::parse("brk.b").unwrap().as_str(), "BRK.B");
        assert_eq!(Symbol::parse("BTC/USD").unwrap().to_string(), "BTC/USD");
        assert_eq!(Symbol::parse(""), Err(IdError::Empty { kind: "symbol" }));
        assert!(matches!(
            Symbol::parse("A B"),
            Err(IdError::BadCharacter { character: ' ', .. })
        ));
        assert!(matches!(
            Symbol::parse(&"X".repeat(32)),
            Err(IdError::TooLong { .. })
        ));
        assert_eq!(Symbol::parse(&"X".repeat(31)).unwrap().as_str().len(), 31);
    }

    #[test]
    fn broker_order_ids_compare_show_and_serialise_by_text_short_or_long() {
        let short = BrokerOrderId::new("sim-42");
        let long = BrokerOrderId::new("904b6d4f-9d5e-4a43-b5c1-0a2c3e6f1b7d");
        assert_eq!(short, BrokerOrderId::copied("sim-42"));
        assert_eq!(short.as_str(), "sim-42");
        assert_eq!(long.as_str(), "904b6d4f-9d5e-4a43-b5c1-0a2c3e6f1b7d");
        assert_eq!(BrokerOrderId::new("x".repeat(23)).as_str().len(), 23);
        assert_eq!(BrokerOrderId::copied(&"y".repeat(24)).as_str().len(), 24);
        assert_eq!(format!("{short:?}"), r#"BrokerOrderId("sim-42")"#);
        assert_eq!(format!("{long:>40}"), format!("{:>40}", long.as_str()));
        assert!(long < short);
        let json = serde_json::to_string(&[&short, &long]).unwrap();
        assert_eq!(json, r#"["sim-42","904b6d4f-9d5e-4a43-b5c1-0a2c3e6f1b7d"]"#);
        let back: Vec<BrokerOrderId> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [short, long]);
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        assert_eq!(
            hasher.hash_one(BrokerOrderId::new("sim-7")),
            hasher.hash_one(String::from("sim-7"))
        );
    }

    #[test]
    fn client_order_ids_are_deterministic_and_short() {
        let first = ClientOrderId::derive("sma_cross", "r7", 42).unwrap();
        assert_eq!(first.as_str(), "sma_cross-r7-42");
        assert_eq!(first, ClientOrderId::derive("sma_cross", "r7", 42).unwrap());
        let long = ClientOrderId::derive(&"s".repeat(100), "run", u64::MAX).unwrap();
        assert_eq!(long.as_str().len(), 43, "{long}");
        assert_eq!(ClientOrderId::DERIVED_MAX_LEN + 5, ClientOrderId::MAX_LEN);
        assert!(ClientOrderId::derive("bad tag", "r", 1).is_err());
        assert_eq!(
            ClientOrderId::derive("x", "r", 0).unwrap().as_str(),
            "x-r-0"
        );
    }

    proptest::proptest! {
        #[test]
        fn derive_is_tag_cut_to_fit_then_run_then_sequence(
            strategy in "[a-z_]{1,60}",
            run in "[a-z0-9]{1,12}",
            sequence in proptest::prelude::any::<u64>(),
        ) {
            let suffix = format!("-{run}-{sequence}");
            let room = 43 - suffix.len();
            let tag: String = strategy.chars().take(room).collect();
            let derived = ClientOrderId::derive(&strategy, &run, sequence).unwrap();
            proptest::prop_assert_eq!(derived.as_str(), format!("{tag}{suffix}"));
        }
    }
}
