//! Trading sessions: the weekdays and UTC times of day in which orders are allowed.

use std::fmt;
use std::str::FromStr;

use airlock_core::UnixNanos;
use serde::{Deserialize, Deserializer};
use thiserror::Error;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const NANOS_PER_MINUTE: u64 = 60_000_000_000;

/// One allowed window, written `"mon-fri 13:30-20:00"`: a weekday or a range of weekdays
/// (`mon`…`sun`), then a UTC time range `HH:MM-HH:MM` (start inclusive, end exclusive, end up to
/// `24:00`). A window never wraps past midnight: write an overnight session as two windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// Bit `d` set: weekday `d` (0 = Monday) is in the session.
    days: u8,
    /// Minutes after 00:00 UTC, inclusive.
    start: u16,
    /// Minutes after 00:00 UTC, exclusive.
    end: u16,
}

/// Why a session text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("session {text:?}: {reason} (expected e.g. \"mon-fri 13:30-20:00\")")]
pub struct SessionError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Session {
    /// True when `at` falls inside this window.
    pub fn contains(&self, at: UnixNanos) -> bool {
        let weekday = weekday(at);
        let minute = (at.as_u64() % (24 * 60 * NANOS_PER_MINUTE)) / NANOS_PER_MINUTE;
        self.days & (1 << weekday) != 0
            && u64::from(self.start) <= minute
            && minute < u64::from(self.end)
    }
}

/// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
fn weekday(at: UnixNanos) -> u64 {
    (at.day_index() + 3) % 7
}

fn day(text: &str) -> Option<u8> {
    DAYS.iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .and_then(|index| u8::try_from(index).ok())
}

fn minutes(text: &str) -> Option<u16> {
    let (hours, mins) = text.split_once(':')?;
    if hours.len() != 2 || mins.len() != 2 {
        return None;
    }
    let hours: u16 = hours.parse().ok()?;
    let mins: u16 = mins.parse().ok()?;
    if mins > 59 || hours > 24 || (hours == 24 && mins != 0) {
        return None;
    }
    Some(hours * 60 + mins)
}

impl FromStr for Session {
    type Err = SessionError;

    fn from_str(text: &str) -> Result<Self, SessionError> {
        let fail = |reason: &str| SessionError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (days, times) = text
            .trim()
            .split_once(' ')
            .ok_or_else(|| fail("no space between the days and the times"))?;
        let (first, last) = days.split_once('-').unwrap_or((days, days));
        let (first, last) = match (day(first), day(last)) {
            (Some(first), Some(last)) if first <= last => (first, last),
            (Some(_), Some(_)) => return Err(fail("the day range runs backwards")),
            _ => return Err(fail("days are mon, tue, wed, thu, fri, sat, sun")),
        };
        let mask = (first..=last).fold(0u8, |mask, index| mask | (1 << index));
        let (start, end) = times
            .trim()
            .split_once('-')
            .ok_or_else(|| fail("the times are not HH:MM-HH:MM"))?;
        let (start, end) = match (minutes(start), minutes(end)) {
            (Some(start), Some(end)) if start < end => (start, end),
            (Some(_), Some(_)) => return Err(fail("the session ends before it starts")),
            _ => return Err(fail("a time is not HH:MM between 00:00 and 24:00")),
        };
        Ok(Self {
            days: mask,
            start,
            end,
        })
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = DAYS
            .iter()
            .enumerate()
            .filter(|(index, _)| self.days & (1 << index) != 0)
            .map(|(_, name)| *name)
            .collect();
        let days = match (set.first(), set.last()) {
            (Some(first), Some(last)) if first == last => (*first).to_owned(),
            (Some(first), Some(last)) => format!("{first}-{last}"),
            _ => String::new(),
        };
        write!(
            f,
            "{days} {:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> UnixNanos {
        UnixNanos::from_civil(year, month, day, hour, minute, 0, 0).unwrap()
    }

    #[test]
    fn weekday_window_includes_its_start_and_excludes_its_end() {
        let session: Session = "mon-fri 13:30-20:00".parse().unwrap();
        // 2021-04-21 was a Wednesday.
        assert!(session.contains(at(2021, 4, 21, 13, 30)));
        assert!(session.contains(at(2021, 4, 21, 19, 59)));
        assert!(!session.contains(at(2021, 4, 21, 20, 0)));
        assert!(!session.contains(at(2021, 4, 21, 13, 29)));
        // Saturday 2021-04-24.
        assert!(!session.contains(at(2021, 4, 24, 15, 0)));
        assert_eq!(session.to_string(), "mon-fri 13:30-20:00");
    }

    #[test]
    fn whole_days_and_mixed_case_parse() {
        let session: Session = "MON-Sun 00:00-24:00".parse().unwrap();
        assert!(session.contains(at(2021, 4, 24, 23, 59)));
        assert!(session.contains(at(1970, 1, 1, 0, 0)));
        let saturday: Session = "sat 10:00-11:00".parse().unwrap();
        assert!(saturday.contains(at(2021, 4, 24, 10, 30)));
        assert!(!saturday.contains(at(2021, 4, 25, 10, 30)));
    }

    #[test]
    fn malformed_sessions_name_the_problem() {
        for (text, reason) in [
            ("mon-fri", "no space"),
            ("fri-mon 10:00-11:00", "backwards"),
            ("xyz 10:00-11:00", "days are"),
            ("mon 11:00-10:00", "ends before"),
            ("mon 10:00-24:01", "HH:MM"),
            ("mon 1000-1100", "a time is not"),
            ("mon 10:00", "not HH:MM-HH:MM"),
        ] {
            let error = text.parse::<Session>().unwrap_err().to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }
}
