//! Deterministic, UUID-shaped ids and the wall clock.
//!
//! Alpaca's ids are random UUIDs. The simulator's are counters dressed as UUIDs, so the same
//! session always hands out the same ids and a test can predict them:
//! `KKKKKKKK-0000-4000-8000-NNNNNNNNNNNN`, where `K` says what the id names ([`IdKind`]) and `N`
//! is the counter in hexadecimal. They parse as version-4 UUIDs in every client library.

use std::fmt;

use airlock_core::UnixNanos;
use chrono::{DateTime, SecondsFormat, Utc};

/// What a simulator id names: the first eight hex digits of the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    Account = 1,
    Asset = 2,
    Order = 3,
    Execution = 4,
    ClientOrder = 5,
}

/// A UUID as a 128-bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Uuid(u128);

impl Uuid {
    /// The id number `counter` of `kind`.
    pub(crate) fn new(kind: IdKind, counter: u64) -> Self {
        let kind = u128::from(kind as u32);
        let counter = u128::from(counter) & 0xFFFF_FFFF_FFFF;
        Uuid((kind << 96) | (0x4000_u128 << 64) | (0x8000_u128 << 48) | counter)
    }

    /// Parses a UUID written with hyphens (`8-4-4-4-12` hex digits) or without (32 hex digits, as
    /// apca puts order ids in paths). Upper and lower case are both accepted.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let digits: Vec<u8> = match bytes.len() {
            32 => bytes.to_vec(),
            36 => {
                if [8, 13, 18, 23]
                    .iter()
                    .any(|&at| bytes.get(at) != Some(&b'-'))
                {
                    return None;
                }
                bytes.iter().copied().filter(|byte| *byte != b'-').collect()
            }
            _ => return None,
        };
        if digits.len() != 32 {
            return None;
        }
        let mut value: u128 = 0;
        for digit in digits {
            let nibble = char::from(digit).to_digit(16)?;
            value = (value << 4) | u128::from(nibble);
        }
        Some(Uuid(value))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = format!("{:032x}", self.0);
        let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default();
        write!(
            f,
            "{}-{}-{}-{}-{}",
            part(0, 8),
            part(8, 12),
            part(12, 16),
            part(16, 20),
            part(20, 32)
        )
    }
}

/// The wall clock. The simulator is an I/O component: it stamps orders with real time, and only
/// fills caused by a candle carry the candle's time.
#[expect(
    clippy::disallowed_methods,
    reason = "the simulator's one wall-clock read: order timestamps and rate-limit windows"
)]
pub(crate) fn now() -> UnixNanos {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or(0);
    UnixNanos::new(u64::try_from(nanos).unwrap_or(0))
}

/// RFC 3339 in UTC with nanoseconds, as Alpaca writes its timestamps
/// (`2023-12-12T22:31:24.668464435Z`).
pub(crate) fn rfc3339(at: UnixNanos) -> String {
    let nanos = i64::try_from(at.as_u64()).unwrap_or(i64::MAX);
    DateTime::<Utc>::from_timestamp_nanos(nanos).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Parses an RFC 3339 timestamp or a `YYYY-MM-DD` date (midnight UTC), as Alpaca's `after` and
/// `until` query parameters take them.
pub(crate) fn parse_instant(text: &str) -> Option<UnixNanos> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        let nanos = instant.timestamp_nanos_opt()?;
        return u64::try_from(nanos).ok().map(UnixNanos::new);
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let nanos = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()?;
    u64::try_from(nanos).ok().map(UnixNanos::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_parse_back_with_or_without_hyphens() {
        let id = Uuid::new(IdKind::Order, 0x2a);
        let text = id.to_string();
        assert_eq!(text, "00000003-0000-4000-8000-00000000002a");
        assert_eq!(Uuid::parse(&text), Some(id));
        assert_eq!(Uuid::parse(&text.replace('-', "")), Some(id));
        assert_eq!(Uuid::parse(&text.to_uppercase()), Some(id));
        assert_eq!(Uuid::parse("00000003-0000-4000-8000-00000000002"), None);
        assert_eq!(Uuid::parse("0000000300004000-8000-00000000002a-"), None);
        assert_eq!(Uuid::parse("g0000003-0000-4000-8000-00000000002a"), None);
        assert_eq!(Uuid::parse("AAPL"), None);
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_nanoseconds_and_parse_back() {
        let at = UnixNanos::new(1_702_420_284_668_464_435);
        assert_eq!(rfc3339(at), "2023-12-12T22:31:24.668464435Z");
        assert_eq!(parse_instant("2023-12-12T22:31:24.668464435Z"), Some(at));
        assert_eq!(
            parse_instant("2023-12-12T17:31:24.668464435-05:00"),
            Some(at)
        );
        assert_eq!(
            parse_instant("2023-12-12"),
            Some(UnixNanos::new(1_702_339_200_000_000_000))
        );
        assert_eq!(parse_instant("yesterday"), None);
    }
}
