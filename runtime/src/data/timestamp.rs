//! A hand-written timestamp reader for the forms candle files use, with a one-day cache.
//!
//! Accepted forms (naive times are UTC):
//! - `YYYY-MM-DD` (midnight)
//! - `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS`, optionally with 1 to 9 fractional digits
//!   (`2021-12-31 23:01:00.000000`); the separator may also be `T`
//! - any of those followed by `Z`, or by an offset `+HH:MM` / `-HH:MM` (converted to UTC)
//! - HistData's `YYYYMMDD HHMMSS`

use airlock_core::UnixNanos;
use airlock_core::time::NANOS_PER_SECOND;

use super::scan::POWERS_OF_TEN;

const NANOS_PER_MINUTE: u64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MINUTE;

/// Reads timestamps, remembering the last calendar day so that intraday files (hundreds of
/// rows per day) convert each date once.
#[derive(Debug, Default)]
pub(crate) struct TimestampReader {
    day_key: [u8; 10],
    day_len: usize,
    day_start: u64,
}

impl TimestampReader {
    /// The UTC instant written in `field`, or the reason it is not one.
    pub(crate) fn read(&mut self, field: &[u8]) -> Result<UnixNanos, String> {
        if let Some((instant, length)) = self.read_prefix(field)
            && length == field.len()
        {
            return Ok(instant);
        }
        self.read_inner(field).ok_or_else(|| {
            format!(
                "not a timestamp: {:?} (expected YYYY-MM-DD, YYYY-MM-DD HH:MM:SS[.fff][Z] or \
                 YYYYMMDD HHMMSS)",
                String::from_utf8_lossy(field)
            )
        })
    }

    /// The fast path: the timestamp at the start of `text` in its common forms (`YYYY-MM-DD`,
    /// `YYYY-MM-DD HH:MM:SS`, either with `T` and 1 to 9 fractional digits, and HistData's
    /// `YYYYMMDD HHMMSS`) and the number of bytes it spans. `None` for anything else (zones,
    /// minutes without seconds, malformed text), which the general reader then judges; for the
    /// text it accepts, both agree.
    #[inline]
    fn read_prefix(&mut self, text: &[u8]) -> Option<(UnixNanos, usize)> {
        let compact = text.get(4).is_some_and(u8::is_ascii_digit);
        if compact {
            let day_start = self.day_start(text.get(..8)?, true)?;
            if text.get(8) != Some(&b' ') {
                return None;
            }
            let clock = text.get(9..15)?;
            let time_of_day = compact_time_digits(clock)?;
            return Some((UnixNanos::new(day_start.checked_add(time_of_day)?), 15));
        }
        let day_start = self.day_start(text.get(..10)?, false)?;
        if !matches!(text.get(10), Some(b' ' | b'T')) {
            return Some((UnixNanos::new(day_start), 10));
        }
        let clock = text.get(11..19)?.first_chunk::<8>()?;
        if clock[2] != b':' || clock[5] != b':' {
            return None;
        }
        let pair = |high: u8, low: u8| -> Option<u32> {
            let (high, low) = (high.wrapping_sub(b'0'), low.wrapping_sub(b'0'));
            (high <= 9 && low <= 9).then(|| u32::from(high) * 10 + u32::from(low))
        };
        let time_of_day = clock_nanos(
            pair(clock[0], clock[1])?,
            pair(clock[3], clock[4])?,
            pair(clock[6], clock[7])?,
        )?;
        let mut length = 19;
        let mut nanos = 0;
        if text.get(19) == Some(&b'.') {
            let digits = text
                .get(20..)?
                .iter()
                .take(10)
                .take_while(|byte| byte.is_ascii_digit())
                .count();
            if digits == 0 || digits > 9 {
                return None;
            }
            let fraction = text
                .get(20..20 + digits)?
                .iter()
                .fold(0, |value, byte| value * 10 + u64::from(byte - b'0'));
            nanos = fraction * POWERS_OF_TEN.get(9 - digits)?;
            length = 20 + digits;
        }
        let instant = day_start.checked_add(time_of_day)?.checked_add(nanos)?;
        Some((UnixNanos::new(instant), length))
    }

    fn read_inner(&mut self, field: &[u8]) -> Option<UnixNanos> {
        // ISO dates have '-' at 4; HistData's compact dates have a digit there.
        let compact = field.get(4).is_some_and(u8::is_ascii_digit);
        let date_len = if compact { 8 } else { 10 };
        let date = field.get(..date_len)?;
        let day_start = self.day_start(date, compact)?;
        let rest = field.get(date_len..)?;
        let (time_of_day, offset) = if compact {
            (compact_time(rest)?, 0)
        } else {
            iso_time(rest)?
        };
        let local = day_start.checked_add(time_of_day)?;
        let utc = if offset >= 0 {
            local.checked_sub(offset.unsigned_abs())?
        } else {
            local.checked_add(offset.unsigned_abs())?
        };
        Some(UnixNanos::new(utc))
    }

    /// Midnight UTC of `date` in nanoseconds, from the cache when the date repeats.
    #[inline]
    fn day_start(&mut self, date: &[u8], compact: bool) -> Option<u64> {
        let cached = match (compact, date.first_chunk::<10>()) {
            (false, Some(key)) => self.day_len == 10 && *key == self.day_key,
            _ => date.len() == self.day_len && self.day_key.get(..date.len()) == Some(date),
        };
        if cached {
            return Some(self.day_start);
        }
        let (year, month, day) = if compact {
            (
                digits(date.get(0..4)?)?,
                digits(date.get(4..6)?)?,
                digits(date.get(6..8)?)?,
            )
        } else {
            if date.get(4) != Some(&b'-') || date.get(7) != Some(&b'-') {
                return None;
            }
            (
                digits(date.get(0..4)?)?,
                digits(date.get(5..7)?)?,
                digits(date.get(8..10)?)?,
            )
        };
        let year = i32::try_from(year).ok()?;
        let start = UnixNanos::from_civil(year, month, day, 0, 0, 0, 0)?.as_u64();
        self.day_key.get_mut(..date.len())?.copy_from_slice(date);
        self.day_len = date.len();
        self.day_start = start;
        Some(start)
    }
}

/// ` HHMMSS` after a compact date.
fn compact_time(rest: &[u8]) -> Option<u64> {
    if rest.len() != 7 || rest.first() != Some(&b' ') {
        return None;
    }
    compact_time_digits(rest.get(1..)?)
}

/// `HHMMSS`.
fn compact_time_digits(text: &[u8]) -> Option<u64> {
    clock_nanos(
        digits(text.get(0..2)?)?,
        digits(text.get(2..4)?)?,
        digits(text.get(4..6)?)?,
    )
}

/// Everything after an ISO date: nothing, or `[ T]HH:MM[:SS[.f…]]` and an optional zone.
/// Returns (nanoseconds into the day, zone offset east of UTC in nanoseconds).
fn iso_time(rest: &[u8]) -> Option<(u64, i64)> {
    if rest.is_empty() {
        return Some((0, 0));
    }
    if !matches!(rest.first(), Some(b' ' | b'T')) {
        return None;
    }
    let hour = digits(rest.get(1..3)?)?;
    if rest.get(3) != Some(&b':') {
        return None;
    }
    let minute = digits(rest.get(4..6)?)?;
    let mut index = 6;
    let mut second = 0;
    let mut nanos: u64 = 0;
    if rest.get(index) == Some(&b':') {
        second = digits(rest.get(7..9)?)?;
        index = 9;
        if rest.get(index) == Some(&b'.') {
            index += 1;
            let start = index;
            while rest.get(index).is_some_and(u8::is_ascii_digit) {
                index += 1;
            }
            let fraction = rest.get(start..index)?;
            if fraction.is_empty() || fraction.len() > 9 {
                return None;
            }
            let missing = u32::try_from(9 - fraction.len()).ok()?;
            nanos = u64::from(digits(fraction)?) * 10_u64.pow(missing);
        }
    }
    let time_of_day = clock_nanos(hour, minute, second)?.checked_add(nanos)?;
    let offset = zone(rest.get(index..)?)?;
    Some((time_of_day, offset))
}

/// Nothing (naive, read as UTC), `Z`, or `±HH:MM`: the offset east of UTC in nanoseconds.
fn zone(text: &[u8]) -> Option<i64> {
    match text {
        [] | [b'Z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let magnitude = i64::from(hours * 60 + minutes) * 60 * 1_000_000_000;
            Some(if *sign == b'-' { -magnitude } else { magnitude })
        }
        _ => None,
    }
}

/// Nanoseconds into the day, or `None` for an impossible clock reading.
fn clock_nanos(hour: u32, minute: u32, second: u32) -> Option<u64> {
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(
        u64::from(hour) * NANOS_PER_HOUR
            + u64::from(minute) * NANOS_PER_MINUTE
            + u64::from(second) * NANOS_PER_SECOND,
    )
}

/// An unsigned decimal of at most nine ASCII digits, nothing else.
fn digits(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 9 {
        return None;
    }
    text.iter().try_fold(0_u32, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<String> {
        TimestampReader::default()
            .read(text.as_bytes())
            .ok()
            .map(|instant| instant.to_string())
    }

    #[test]
    fn every_documented_form_reads_as_utc() {
        let cases = [
            ("2021-04-21", "2021-04-21T00:00:00Z"),
            ("2017-04-19 09:00:00", "2017-04-19T09:00:00Z"),
            ("2017-04-19 09:00", "2017-04-19T09:00:00Z"),
            ("2021-12-31 23:01:00.000000", "2021-12-31T23:01:00Z"),
            ("2021-12-31T23:01:00.25Z", "2021-12-31T23:01:00.25Z"),
            (
                "2021-12-31T23:01:00.123456789",
                "2021-12-31T23:01:00.123456789Z",
            ),
            ("2021-12-31T23:01:00+01:00", "2021-12-31T22:01:00Z"),
            ("2021-12-31T23:01:00-05:30", "2022-01-01T04:31:00Z"),
            ("20190101 170200", "2019-01-01T17:02:00Z"),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn malformed_or_impossible_times_are_refused() {
        for text in [
            "",
            "2021-4-21",
            "2021/04/21",
            "2021-02-29",
            "2021-04-21 24:00:00",
            "2021-04-21 23:60",
            "2021-04-21 23:59:60",
            "2021-04-21 23:59:59.",
            "2021-04-21 23:59:59.1234567890",
            "2021-04-21X23:59",
            "2021-04-21 23:59:59+0100",
            "2021-04-21 ",
            "1969-12-31",
            "20190101 1702",
            "20190101T170200",
            "1619000000",
        ] {
            assert_eq!(read(text), None, "{text:?} should be refused");
        }
    }

    #[test]
    fn the_day_cache_does_not_leak_between_dates() {
        let mut reader = TimestampReader::default();
        let first = reader.read(b"2021-01-04 10:00:00").unwrap();
        let same_day = reader.read(b"2021-01-04 10:01:00").unwrap();
        let next_day = reader.read(b"2021-01-05 10:00:00").unwrap();
        assert_eq!(same_day.as_u64() - first.as_u64(), 60 * NANOS_PER_SECOND);
        assert_eq!(
            next_day.as_u64() - first.as_u64(),
            86_400 * NANOS_PER_SECOND
        );
        assert!(reader.read(b"2021-01-0x 10:00:00").is_err());
    }
}
