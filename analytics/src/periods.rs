//! How many return periods make a year, inferred from the timestamps of an equity curve.

use airlock_core::UnixNanos;

const NANOS_PER_HOUR: f64 = 3_600.0 * 1e9;
const NANOS_PER_DAY: f64 = 24.0 * NANOS_PER_HOUR;
/// A Julian year: the calendar-time unit of CAGR and of the coarse spacings below.
pub(crate) const DAYS_PER_YEAR: f64 = 365.25;
/// Bars on Saturday and Sunday (UTC) below this share of all bars: the market closes at weekends.
const WEEKEND_SHARE_OF_SEVEN_DAY_MARKET: f64 = 0.15;

/// Infers the number of periods per year from ascending equity timestamps.
///
/// The rule looks at the median spacing `m` between consecutive timestamps:
///
/// | median spacing | periods per year |
/// |---|---|
/// | fewer than 2 timestamps, or `m` = 0 | 252 (the daily default) |
/// | `m` < 20 hours (intraday) | 252 × bars per day, or 365 × bars per day for a 7-day market |
/// | 20 hours ≤ `m` < 5 days (daily) | 252, or 365 for a 7-day market |
/// | 5 days ≤ `m` < 10 days (weekly) | 52 |
/// | 25 days ≤ `m` ≤ 35 days (monthly, 28–31 days) | 12 |
/// | anything else (fortnightly, quarterly, yearly) | 365.25 days ÷ `m` |
///
/// *Bars per day* is the median number of timestamps per UTC calendar day, over the days that
/// have any. A *7-day market* (crypto) is one where Saturday and Sunday (UTC) hold at least 15 %
/// of the timestamps; equities have none there, and FX only the Sunday-evening open (about 2 %),
/// so both count as markets with weekend gaps and use 252 trading days.
pub fn periods_per_year(timestamps: &[UnixNanos]) -> f64 {
    periods_per_year_of(timestamps.iter().copied())
}

/// [`periods_per_year`] over any ascending timestamps that can be walked more than once (an
/// equity curve's, without collecting them first).
pub(crate) fn periods_per_year_of<I>(timestamps: I) -> f64
where
    I: Iterator<Item = UnixNanos> + Clone,
{
    let mut spacings: Vec<u64> = timestamps
        .clone()
        .zip(timestamps.clone().skip(1))
        .map(|(earlier, later)| later.as_u64().saturating_sub(earlier.as_u64()))
        .collect();
    if spacings.is_empty() {
        return 252.0;
    }
    let spacing = median_u64(&mut spacings);
    if spacing <= 0.0 {
        return 252.0;
    }
    let days = spacing / NANOS_PER_DAY;
    let trading_days = if trades_seven_days(timestamps.clone()) {
        365.0
    } else {
        252.0
    };
    if spacing < 20.0 * NANOS_PER_HOUR {
        trading_days * bars_per_day(timestamps)
    } else if days < 5.0 {
        trading_days
    } else if days < 10.0 {
        52.0
    } else if (25.0..=35.0).contains(&days) {
        12.0
    } else {
        DAYS_PER_YEAR / days
    }
}

/// True when at least 15 % of the timestamps fall on a Saturday or Sunday (UTC).
fn trades_seven_days(timestamps: impl Iterator<Item = UnixNanos>) -> bool {
    let (mut all, mut weekend) = (0, 0);
    for timestamp in timestamps {
        all += 1;
        weekend += usize::from(is_weekend(timestamp.day_index()));
    }
    all > 0 && share(weekend, all) >= WEEKEND_SHARE_OF_SEVEN_DAY_MARKET
}

/// 1970-01-01 was a Thursday, so day index mod 7 is 2 on Saturdays and 3 on Sundays.
pub(crate) fn is_weekend(day_index: u64) -> bool {
    matches!(day_index % 7, 2 | 3)
}

/// Median count of timestamps per UTC calendar day, over the days that have any.
fn bars_per_day(timestamps: impl Iterator<Item = UnixNanos>) -> f64 {
    let mut counts: Vec<u64> = Vec::new();
    let mut current_day = None;
    for timestamp in timestamps {
        let day = timestamp.day_index();
        match (current_day == Some(day), counts.last_mut()) {
            (true, Some(count)) => *count += 1,
            _ => {
                counts.push(1);
                current_day = Some(day);
            }
        }
    }
    median_u64(&mut counts).max(1.0)
}

/// Median of a non-empty slice (mean of the two middle values for an even length), found by
/// selection in linear time; reorders the slice.
#[expect(
    clippy::cast_precision_loss,
    reason = "spacings and counts are far below 2^53 in practice; statistics tolerate rounding"
)]
fn median_u64(values: &mut [u64]) -> f64 {
    let (length, middle) = (values.len(), values.len() / 2);
    if length == 0 {
        return 0.0;
    }
    let (below, &mut upper, _) = values.select_nth_unstable(middle);
    if middle > 0 && length.is_multiple_of(2) {
        let lower = below.iter().copied().max().unwrap_or(upper);
        (lower as f64 + upper as f64) / 2.0
    } else {
        upper as f64
    }
}

/// `part / whole` as a fraction (0 when `whole` is 0).
#[expect(
    clippy::cast_precision_loss,
    reason = "counts are far below 2^53; the share is a statistic"
)]
pub(crate) fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    const DAY: u64 = 86_400_000_000_000;
    const HOUR: u64 = 3_600_000_000_000;
    /// Monday 2024-01-01T00:00:00Z.
    const MONDAY: u64 = 19_723 * DAY;

    fn weekdays_only(days: u64, bars_per_day: u64, spacing: u64) -> Vec<UnixNanos> {
        (0..days)
            .filter(|day| !is_weekend(MONDAY / DAY + day))
            .flat_map(|day| {
                (0..bars_per_day)
                    .map(move |bar| UnixNanos::new(MONDAY + day * DAY + 14 * HOUR + bar * spacing))
            })
            .collect()
    }

    #[test]
    fn monday_is_not_a_weekend_and_saturday_is() {
        assert!(!is_weekend(MONDAY / DAY));
        assert!(is_weekend(MONDAY / DAY + 5));
        assert!(is_weekend(MONDAY / DAY + 6));
    }

    #[test]
    fn daily_bars_with_weekend_gaps_give_252() {
        assert!(close(periods_per_year(&weekdays_only(60, 1, HOUR)), 252.0));
    }

    #[test]
    fn daily_bars_every_day_give_365() {
        let stamps: Vec<UnixNanos> = (0..60)
            .map(|day| UnixNanos::new(MONDAY + day * DAY))
            .collect();
        assert!(close(periods_per_year(&stamps), 365.0));
    }

    #[test]
    fn weekly_and_monthly_bars() {
        let weekly: Vec<UnixNanos> = (0..30)
            .map(|week| UnixNanos::new(MONDAY + week * 7 * DAY))
            .collect();
        assert!(close(periods_per_year(&weekly), 52.0));
        let monthly: Vec<UnixNanos> = (1..=12)
            .map(|month| UnixNanos::from_civil(2023, month, 1, 0, 0, 0, 0).unwrap())
            .collect();
        assert!(close(periods_per_year(&monthly), 12.0));
        let quarterly: Vec<UnixNanos> = (0..8)
            .map(|quarter| UnixNanos::new(MONDAY + quarter * 91 * DAY))
            .collect();
        assert!(close(periods_per_year(&quarterly), 365.25 / 91.0));
    }

    #[test]
    fn hourly_equity_bars_scale_252_by_bars_per_day() {
        // 7 hourly bars per weekday (a US session), none at weekends.
        assert!(close(
            periods_per_year(&weekdays_only(30, 7, HOUR)),
            252.0 * 7.0
        ));
    }

    #[test]
    fn hourly_crypto_bars_scale_365_by_bars_per_day() {
        let stamps: Vec<UnixNanos> = (0..24 * 20)
            .map(|hour| UnixNanos::new(MONDAY + hour * HOUR))
            .collect();
        assert!(close(periods_per_year(&stamps), 365.0 * 24.0));
    }

    #[test]
    fn too_few_timestamps_fall_back_to_daily() {
        assert!(close(periods_per_year(&[]), 252.0));
        assert!(close(periods_per_year(&[UnixNanos::new(MONDAY)]), 252.0));
        assert!(close(periods_per_year(&[UnixNanos::new(MONDAY); 3]), 252.0));
    }
}
