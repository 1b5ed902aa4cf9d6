//! Bar intervals: `1m`, `5m`, `1h`, `1d`, …

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::time::NANOS_PER_SECOND;

/// Why a text is not a timeframe.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not a timeframe: {reason} (examples: 1m, 5m, 15m, 1h, 4h, 1d)")]
pub struct TimeframeError {
    text: String,
    reason: &'static str,
}

/// The length of one bar: a positive count of seconds, minutes, hours or days, written `1m`,
/// `5m`, `1h`, `1d`. Stored and displayed in canonical form (the largest unit that divides it:
/// `60m` is `1h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeframe {
    seconds: u32,
}

const UNITS: [(char, u32); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

impl Timeframe {
    /// One minute.
    pub const MINUTE: Timeframe = Timeframe { seconds: 60 };
    /// One day.
    pub const DAY: Timeframe = Timeframe { seconds: 86_400 };

    /// A timeframe of `seconds` seconds, if positive.
    pub const fn from_seconds(seconds: u32) -> Option<Self> {
        if seconds == 0 {
            None
        } else {
            Some(Self { seconds })
        }
    }

    /// The length in seconds.
    pub const fn seconds(self) -> u32 {
        self.seconds
    }

    /// The length in nanoseconds.
    pub const fn nanos(self) -> u64 {
        self.seconds as u64 * NANOS_PER_SECOND
    }

    /// The timeframe closest to a typical spacing between bars, if it is one of the common ones
    /// (1m, 5m, 15m, 30m, 1h, 4h, 1d) within 10%. Daily bars of a market that closes on weekends
    /// have a median spacing of one day, so they are recognised.
    pub fn from_spacing(nanos: u64) -> Option<Self> {
        const COMMON: [u32; 7] = [60, 300, 900, 1_800, 3_600, 14_400, 86_400];
        COMMON.iter().find_map(|&seconds| {
            let exact = u64::from(seconds) * NANOS_PER_SECOND;
            let tolerance = exact / 10;
            (nanos.abs_diff(exact) <= tolerance).then_some(Self { seconds })
        })
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, size) = UNITS
            .iter()
            .copied()
            .find(|(_, size)| self.seconds.is_multiple_of(*size))
            .unwrap_or(('s', 1));
        write!(f, "{}{unit}", self.seconds / size)
    }
}

impl FromStr for Timeframe {
    type Err = TimeframeError;

    fn from_str(text: &str) -> Result<Self, TimeframeError> {
        let error = |reason| TimeframeError {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        let Some(unit) = trimmed.chars().last() else {
            return Err(error("it is empty"));
        };
        let Some(&(_, size)) = UNITS
            .iter()
            .find(|(name, _)| *name == unit.to_ascii_lowercase())
        else {
            return Err(error("it must end in s, m, h or d"));
        };
        let count: u32 = trimmed[..trimmed.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| error("it must start with a whole number"))?;
        let seconds = count
            .checked_mul(size)
            .ok_or_else(|| error("it is too long"))?;
        Self::from_seconds(seconds).ok_or_else(|| error("it must be longer than zero"))
    }
}

impl Serialize for Timeframe {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timeframe {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonical_forms() {
        for (text, seconds, canonical) in [
            ("1m", 60, "1m"),
            ("5m", 300, "5m"),
            ("60m", 3_600, "1h"),
            ("1H", 3_600, "1h"),
            ("1d", 86_400, "1d"),
            ("24h", 86_400, "1d"),
            ("90s", 90, "90s"),
        ] {
            let frame: Timeframe = text.parse().unwrap();
            assert_eq!(frame.seconds(), seconds, "{text}");
            assert_eq!(frame.to_string(), canonical, "{text}");
        }
    }

    #[test]
    fn bad_text_names_the_reason() {
        for (text, reason) in [
            ("", "it is empty"),
            ("5", "must end in s, m, h or d"),
            ("xm", "must start with a whole number"),
            ("-1m", "must start with a whole number"),
            ("0m", "longer than zero"),
            ("99999999d", "too long"),
        ] {
            let message = text.parse::<Timeframe>().unwrap_err().to_string();
            assert!(message.contains(reason), "{text}: {message}");
        }
    }

    #[test]
    fn spacing_is_recognised_within_ten_percent() {
        assert_eq!(
            Timeframe::from_spacing(60 * NANOS_PER_SECOND),
            Some(Timeframe::MINUTE)
        );
        assert_eq!(
            Timeframe::from_spacing(86_400 * NANOS_PER_SECOND),
            Some(Timeframe::DAY)
        );
        assert_eq!(Timeframe::from_spacing(7 * 60 * NANOS_PER_SECOND), None);
    }
}
