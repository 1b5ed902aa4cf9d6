//! Timestamps: UTC nanoseconds since the Unix epoch.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A UTC instant as nanoseconds since 1970-01-01T00:00:00Z. Never a naive local time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixNanos(u64);

/// Nanoseconds in one second.
pub const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// Nanoseconds in one day.
pub const NANOS_PER_DAY: u64 = 86_400 * NANOS_PER_SECOND;

impl UnixNanos {
    /// Wraps a raw count of nanoseconds since the epoch.
    pub const fn new(nanos: u64) -> Self {
        Self(nanos)
    }

    /// The raw count of nanoseconds since the epoch.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// Whole days since the epoch (the UTC calendar day this instant falls on).
    pub const fn day_index(self) -> u64 {
        self.0 / NANOS_PER_DAY
    }

    /// The instant from a UTC civil date and time, or `None` for an invalid date or one before
    /// 1970.
    pub fn from_civil(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        nanos: u32,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || nanos >= 1_000_000_000
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let days = u64::try_from(days).ok()?;
        let seconds = days
            .checked_mul(86_400)?
            .checked_add(u64::from(hour) * 3_600 + u64::from(minute) * 60 + u64::from(second))?;
        seconds
            .checked_mul(NANOS_PER_SECOND)?
            .checked_add(u64::from(nanos))
            .map(Self)
    }

    /// The UTC civil date and time: (year, month, day, hour, minute, second, nanos).
    pub fn to_civil(self) -> (i32, u32, u32, u32, u32, u32, u32) {
        let nanos = self.0 % NANOS_PER_SECOND;
        let total_seconds = self.0 / NANOS_PER_SECOND;
        let days = total_seconds / 86_400;
        let second_of_day = total_seconds % 86_400;
        let (year, month, day) = civil_from_days(days);
        (
            year,
            month,
            day,
            (second_of_day / 3_600) as u32,
            (second_of_day % 3_600 / 60) as u32,
            (second_of_day % 60) as u32,
            nanos as u32,
        )
    }
}

/// Days in a month of the proleptic Gregorian calendar.
pub const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: u64) -> (i32, u32, u32) {
    let z = i64::try_from(days).unwrap_or(i64::MAX / 2) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    #[expect(clippy::cast_possible_truncation, reason = "calendar fields are small")]
    (year as i32, month as u32, day as u32)
}

impl fmt::Display for UnixNanos {
    /// RFC 3339 in UTC: `2021-04-21T00:00:00Z`, with fractional seconds only when present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, hour, minute, second, nanos) = self.to_civil();
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}"
        )?;
        if nanos != 0 {
            let digits = format!("{nanos:09}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl fmt::Debug for UnixNanos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixNanos({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        let instant = UnixNanos::from_civil(2021, 4, 21, 13, 5, 9, 250_000_000).unwrap();
        assert_eq!(instant.to_string(), "2021-04-21T13:05:09.25Z");
        assert_eq!(instant.to_civil(), (2021, 4, 21, 13, 5, 9, 250_000_000));
        assert_eq!(
            UnixNanos::from_civil(1970, 1, 1, 0, 0, 0, 0),
            Some(UnixNanos::new(0))
        );
        assert_eq!(
            UnixNanos::from_civil(2000, 2, 29, 0, 0, 0, 0).map(|t| t.day_index()),
            Some(11_016)
        );
    }

    #[test]
    fn invalid_dates_are_refused() {
        assert_eq!(UnixNanos::from_civil(2021, 2, 29, 0, 0, 0, 0), None);
        assert_eq!(UnixNanos::from_civil(2021, 13, 1, 0, 0, 0, 0), None);
        assert_eq!(UnixNanos::from_civil(1969, 12, 31, 0, 0, 0, 0), None);
        assert_eq!(UnixNanos::from_civil(2021, 1, 1, 24, 0, 0, 0), None);
    }
}
