//! Drawdown: how far equity sits below its running peak, and for how long.

use airlock_core::{Money, UnixNanos};

use crate::periods::DAYS_PER_YEAR;

const NANOS_PER_DAY: f64 = 86_400.0 * 1e9;

/// The deepest and the longest drawdown of an equity curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MaxDrawdown {
    /// Largest `(1 − equity / running peak) × 100`, ≥ 0.
    pub(crate) depth_pct: f64,
    /// Index of the peak before the deepest point (`None`: the initial cash was the peak).
    pub(crate) peak: Option<usize>,
    /// Index of the deepest point (`None` when there is no drawdown).
    pub(crate) trough: Option<usize>,
    /// Longest time from a peak to its recovery (or to the last point), in calendar days.
    pub(crate) longest_days: f64,
}

/// Drawdown at each point, in percent (≤ 0): `(equity / running peak − 1) × 100`.
///
/// The running peak starts at `initial_cash`. Where the peak is not positive the drawdown is
/// reported as 0 (a ratio to a non-positive peak means nothing).
pub(crate) fn drawdown_pct(initial_cash: Money, equity: &[(UnixNanos, Money)]) -> Vec<f64> {
    let mut peak = initial_cash;
    equity
        .iter()
        .map(|&(_, value)| {
            peak = peak.max(value);
            -depth_pct(peak, value)
        })
        .collect()
}

/// `(1 − value / peak) × 100`, or 0 for a non-positive peak.
fn depth_pct(peak: Money, value: Money) -> f64 {
    if peak <= Money::ZERO {
        return 0.0;
    }
    (peak - value).to_f64() / peak.to_f64() * 100.0
}

/// Scans the curve once for the deepest drawdown and the longest time under water.
///
/// The initial cash is the first peak, placed at the first timestamp. A point at or above the
/// running peak recovers it (and becomes the new peak); the time under water of a peak runs from
/// the last point at that peak to its recovery, or to the last point when it never recovers.
pub(crate) fn max_drawdown(initial_cash: Money, equity: &[(UnixNanos, Money)]) -> MaxDrawdown {
    let mut result = MaxDrawdown {
        depth_pct: 0.0,
        peak: None,
        trough: None,
        longest_days: 0.0,
    };
    let Some(&(first_at, _)) = equity.first() else {
        return result;
    };
    let mut peak = initial_cash;
    let mut peak_index: Option<usize> = None;
    let mut peak_at = first_at;
    let mut under_water = false;
    for (index, &(at, value)) in equity.iter().enumerate() {
        if value >= peak {
            if under_water {
                result.longest_days = result.longest_days.max(days_between(peak_at, at));
                under_water = false;
            }
            peak = value;
            peak_index = Some(index);
            peak_at = at;
            continue;
        }
        under_water = true;
        let depth = depth_pct(peak, value);
        if depth > result.depth_pct {
            result.depth_pct = depth;
            result.peak = peak_index;
            result.trough = Some(index);
        }
    }
    if under_water && let Some(&(last_at, _)) = equity.last() {
        result.longest_days = result.longest_days.max(days_between(peak_at, last_at));
    }
    result
}

/// Calendar days from `start` to `end` (0 when `end` is not after `start`).
#[expect(
    clippy::cast_precision_loss,
    reason = "nanosecond spans lose only sub-microsecond precision as f64"
)]
pub(crate) fn days_between(start: UnixNanos, end: UnixNanos) -> f64 {
    end.as_u64().saturating_sub(start.as_u64()) as f64 / NANOS_PER_DAY
}

/// Calendar years (of 365.25 days) from `start` to `end`.
pub(crate) fn years_between(start: UnixNanos, end: UnixNanos) -> f64 {
    days_between(start, end) / DAYS_PER_YEAR
}
