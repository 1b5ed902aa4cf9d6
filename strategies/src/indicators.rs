//! Exact streaming indicators over fixed-point prices: [`Sma`], [`RollingMax`]/[`RollingMin`],
//! [`Donchian`], [`Atr`], [`Rsi`].
//!
//! Every indicator works on the raw 10⁻⁹ integers behind [`Price`]: sums are `i128`, so they
//! cannot overflow, and comparisons between averages cross-multiply instead of dividing. Each
//! `push` is O(1) (amortised O(1) for the rolling extremes) and never allocates; the only allocation is
//! the fixed buffer made by `new`. No `f64` is used anywhere in this module.
//!
//! Wilder's smoothing ([`Atr`], [`Rsi`]) divides by the period once per bar; those averages are
//! held in raw units and rounded half up to 10⁻⁹ of a price unit at each step, which is the
//! resolution of the price itself.

use std::cmp::Ordering;
use std::num::NonZeroUsize;

use airlock_core::{Price, Rate, SCALE};

/// `numerator / denominator` for a non-negative numerator and a positive denominator, rounded
/// half up. Saturates instead of overflowing (it cannot for the values indicators feed it).
fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    numerator
        .saturating_add(half)
        .checked_div(denominator)
        .unwrap_or(0)
}

/// The period as an `i128` multiplier (periods are far below `i128::MAX`).
fn wide(period: NonZeroUsize) -> i128 {
    i128::try_from(period.get()).unwrap_or(i128::MAX)
}

/// Compares the mean of `sum_a` over `count_a` values with the mean of `sum_b` over `count_b`,
/// exactly, by cross-multiplying: `sum_a / count_a` vs `sum_b / count_b`.
///
/// Exact for every sum an [`Sma`] can hold with periods up to 10⁶ (|sum| < 2⁸³, product < 2¹⁰³).
pub fn compare_means(
    sum_a: i128,
    count_a: NonZeroUsize,
    sum_b: i128,
    count_b: NonZeroUsize,
) -> Ordering {
    let left = sum_a.saturating_mul(wide(count_b));
    let right = sum_b.saturating_mul(wide(count_a));
    left.cmp(&right)
}

/// Simple moving average of the last `period` values, kept as an exact `i128` sum over a ring
/// buffer.
///
/// Read it with [`Sma::sum`] and compare two averages with [`compare_means`]; [`Sma::value`]
/// rounds to a [`Price`] for reports.
#[derive(Debug, Clone)]
pub struct Sma {
    period: NonZeroUsize,
    window: Box<[i64]>,
    next: usize,
    filled: usize,
    sum: i128,
}

impl Sma {
    /// An empty average over `period` values (allocates the `period`-long buffer once).
    pub fn new(period: NonZeroUsize) -> Self {
        Self {
            period,
            window: vec![0; period.get()].into_boxed_slice(),
            next: 0,
            filled: 0,
            sum: 0,
        }
    }

    /// The number of values averaged.
    pub fn period(&self) -> NonZeroUsize {
        self.period
    }

    /// Adds the newest value, dropping the oldest once `period` values are held.
    #[inline]
    pub fn push(&mut self, value: Price) {
        let raw = value.raw();
        if let Some(oldest) = self.window.get_mut(self.next) {
            self.sum = self.sum - i128::from(*oldest) + i128::from(raw);
            *oldest = raw;
        }
        self.next += 1;
        if self.next == self.window.len() {
            self.next = 0;
        }
        if self.filled < self.window.len() {
            self.filled += 1;
        }
    }

    /// True once `period` values have been pushed.
    pub fn is_ready(&self) -> bool {
        self.filled == self.window.len()
    }

    /// The exact raw sum (10⁻⁹ units) of the last `period` values, or `None` before `period`
    /// values have been pushed.
    #[inline]
    pub fn sum(&self) -> Option<i128> {
        self.is_ready().then_some(self.sum)
    }

    /// The average rounded half up to 10⁻⁹, for reports; `None` until ready.
    pub fn value(&self) -> Option<Price> {
        let sum = self.sum()?;
        let mean = if sum >= 0 {
            div_round_half_up(sum, wide(self.period))
        } else {
            -div_round_half_up(-sum, wide(self.period))
        };
        i64::try_from(mean).ok().map(Price::from_raw)
    }
}

/// The maximum (`MAX = true`, alias [`RollingMax`]) or minimum ([`RollingMin`]) of the last
/// `window` values pushed, by a monotonic deque: amortised O(1) per push, no allocation after
/// `new`.
#[derive(Debug, Clone)]
pub struct RollingExtreme<const MAX: bool> {
    /// Ring buffer of (push index, raw value); values strictly decrease (MAX) or increase (MIN)
    /// from front to back.
    ring: Box<[(u64, i64)]>,
    head: usize,
    len: usize,
    seen: u64,
}

/// The highest of the last `window` values.
pub type RollingMax = RollingExtreme<true>;
/// The lowest of the last `window` values.
pub type RollingMin = RollingExtreme<false>;

impl<const MAX: bool> RollingExtreme<MAX> {
    /// An empty window of `window` values (allocates the `window`-long buffer once).
    pub fn new(window: NonZeroUsize) -> Self {
        Self {
            ring: vec![(0, 0); window.get()].into_boxed_slice(),
            head: 0,
            len: 0,
            seen: 0,
        }
    }

    fn position(&self, offset: usize) -> usize {
        let index = self.head + offset;
        if index >= self.ring.len() {
            index - self.ring.len()
        } else {
            index
        }
    }

    fn front(&self) -> Option<(u64, i64)> {
        (self.len > 0).then(|| self.ring.get(self.head).copied())?
    }

    fn back(&self) -> Option<(u64, i64)> {
        let offset = self.len.checked_sub(1)?;
        self.ring.get(self.position(offset)).copied()
    }

    /// Adds the newest value, forgetting values older than the last `window`.
    #[inline]
    pub fn push(&mut self, value: Price) {
        let (index, value) = (self.seen, value.raw());
        self.seen += 1;
        let capacity = self.ring.len() as u64;
        while let Some((front_index, _)) = self.front() {
            if front_index + capacity > index {
                break;
            }
            self.head = self.position(1);
            self.len -= 1;
        }
        while let Some((_, back_value)) = self.back() {
            let dominated = if MAX {
                back_value <= value
            } else {
                back_value >= value
            };
            if !dominated {
                break;
            }
            self.len -= 1;
        }
        let slot = self.position(self.len);
        if let Some(entry) = self.ring.get_mut(slot) {
            *entry = (index, value);
            self.len += 1;
        }
    }

    /// The extreme of the last `window` values, or `None` before `window` values were pushed.
    #[inline]
    pub fn value(&self) -> Option<Price> {
        if self.seen < self.ring.len() as u64 {
            return None;
        }
        self.front().map(|(_, value)| Price::from_raw(value))
    }
}

/// Donchian channel: the highest high and lowest low of the last `window` bars pushed.
///
/// Strategies read [`Donchian::upper`]/[`Donchian::lower`] *before* pushing the current bar, so
/// the channel covers the previous `window` bars and a close can break out of it. A strategy
/// that needs only one side uses [`RollingMax`] or [`RollingMin`] alone.
#[derive(Debug, Clone)]
pub struct Donchian {
    highs: RollingMax,
    lows: RollingMin,
}

impl Donchian {
    /// An empty channel over `window` bars (allocates two `window`-long buffers once).
    pub fn new(window: NonZeroUsize) -> Self {
        Self {
            highs: RollingMax::new(window),
            lows: RollingMin::new(window),
        }
    }

    /// Adds one bar's high and low.
    #[inline]
    pub fn push(&mut self, high: Price, low: Price) {
        self.highs.push(high);
        self.lows.push(low);
    }

    /// The highest high of the last `window` bars, or `None` before `window` bars were pushed.
    #[inline]
    pub fn upper(&self) -> Option<Price> {
        self.highs.value()
    }

    /// The lowest low of the last `window` bars, or `None` before `window` bars were pushed.
    #[inline]
    pub fn lower(&self) -> Option<Price> {
        self.lows.value()
    }
}

/// One step of Wilder's smoothing, `(average × (period − 1) + value) / period`, rounded half up,
/// for non-negative inputs. Uses `i64` when it cannot overflow, `i128` otherwise.
#[inline]
fn wilder_step(average: i64, value: i64, period: i64) -> i64 {
    let narrow = average
        .checked_mul(period - 1)
        .and_then(|scaled| scaled.checked_add(value))
        .and_then(|numerator| numerator.checked_add(period / 2));
    match narrow {
        Some(numerator) => numerator / period,
        None => {
            let numerator = i128::from(average) * i128::from(period - 1) + i128::from(value);
            let smoothed = div_round_half_up(numerator, i128::from(period));
            i64::try_from(smoothed).unwrap_or(i64::MAX)
        }
    }
}

/// The period as the `i64` divisor Wilder's smoothing uses (periods are at most 10⁶).
fn narrow(period: NonZeroUsize) -> i64 {
    i64::try_from(period.get()).unwrap_or(i64::MAX)
}

/// Accumulates the first `period` values, then smooths with Wilder's recursion.
#[derive(Debug, Clone, Copy)]
struct WilderAverage {
    period: i64,
    seed_sum: i128,
    seeded: i64,
    value: i64,
}

impl WilderAverage {
    fn new(period: NonZeroUsize) -> Self {
        Self {
            period: narrow(period),
            seed_sum: 0,
            seeded: 0,
            value: 0,
        }
    }

    #[inline]
    fn push(&mut self, value: i64) {
        if self.seeded < self.period {
            self.seed_sum += i128::from(value);
            self.seeded += 1;
            if self.seeded == self.period {
                let mean = div_round_half_up(self.seed_sum, i128::from(self.period));
                self.value = i64::try_from(mean).unwrap_or(i64::MAX);
            }
        } else {
            self.value = wilder_step(self.value, value, self.period);
        }
    }

    fn get(&self) -> Option<i64> {
        (self.seeded == self.period).then_some(self.value)
    }
}

/// Wilder's average true range over `period` bars.
///
/// The true range of a bar is `max(high − low, |high − previous close|, |low − previous
/// close|)`, so the first bar only supplies a previous close. The first ATR is the plain mean of
/// the first `period` true ranges (after `period + 1` bars); after that
/// `ATR = (ATR × (period − 1) + TR) / period`, rounded half up to 10⁻⁹.
#[derive(Debug, Clone, Copy)]
pub struct Atr {
    previous_close: Option<i64>,
    average: WilderAverage,
}

impl Atr {
    /// An empty ATR over `period` bars.
    pub fn new(period: NonZeroUsize) -> Self {
        Self {
            previous_close: None,
            average: WilderAverage::new(period),
        }
    }

    /// Adds one bar.
    #[inline]
    pub fn push(&mut self, high: Price, low: Price, close: Price) {
        let (high, low) = (high.raw(), low.raw());
        if let Some(previous) = self.previous_close {
            let range = high.saturating_sub(low);
            let up = high.saturating_sub(previous).saturating_abs();
            let down = low.saturating_sub(previous).saturating_abs();
            self.average.push(range.max(up).max(down));
        }
        self.previous_close = Some(close.raw());
    }

    /// The current ATR, or `None` before `period + 1` bars were pushed.
    #[inline]
    pub fn value(&self) -> Option<Price> {
        self.average.get().map(Price::from_raw)
    }
}

/// One hundred as a raw [`Rate`] (100 × 10⁹).
const HUNDRED_RAW: i128 = 100 * SCALE as i128;

/// Wilder's relative strength index over `period` closes, on a 0–100 scale.
///
/// Gains and losses are close-to-close changes; their first averages are plain means of the
/// first `period` changes (after `period + 1` closes), then Wilder-smoothed like [`Atr`].
/// `RSI = 100 × average gain / (average gain + average loss)`, which equals the textbook
/// `100 − 100 / (1 + RS)`. It is undefined (`None`) while both averages are zero.
///
/// Threshold tests ([`Rsi::is_below`], [`Rsi::is_above`]) cross-multiply and never divide;
/// [`Rsi::value`] divides once, for reports.
#[derive(Debug, Clone, Copy)]
pub struct Rsi {
    previous_close: Option<i64>,
    gains: WilderAverage,
    losses: WilderAverage,
}

impl Rsi {
    /// An empty RSI over `period` closes.
    pub fn new(period: NonZeroUsize) -> Self {
        Self {
            previous_close: None,
            gains: WilderAverage::new(period),
            losses: WilderAverage::new(period),
        }
    }

    /// Adds one close.
    #[inline]
    pub fn push(&mut self, close: Price) {
        let close = close.raw();
        if let Some(previous) = self.previous_close {
            let change = close.saturating_sub(previous);
            self.gains.push(change.max(0));
            self.losses.push(change.saturating_neg().max(0));
        }
        self.previous_close = Some(close);
    }

    /// The (average gain, average loss) in raw price units, once ready and defined.
    #[inline]
    fn averages(&self) -> Option<(i128, i128)> {
        let gain = self.gains.get()?;
        let loss = self.losses.get()?;
        (gain > 0 || loss > 0).then_some((i128::from(gain), i128::from(loss)))
    }

    /// Compares the RSI with `level` (a 0–100 [`Rate`] such as `30`), exactly.
    #[inline]
    pub fn compare(&self, level: Rate) -> Option<Ordering> {
        let (gain, loss) = self.averages()?;
        // 100·gain/(gain+loss) vs level/10⁹  ⇔  100·10⁹·gain vs level·(gain+loss).
        let left = HUNDRED_RAW.saturating_mul(gain);
        let right = i128::from(level.raw()).saturating_mul(gain + loss);
        Some(left.cmp(&right))
    }

    /// True when the RSI is strictly below `level`; `None` while undefined.
    #[inline]
    pub fn is_below(&self, level: Rate) -> Option<bool> {
        self.compare(level).map(Ordering::is_lt)
    }

    /// True when the RSI is strictly above `level`; `None` while undefined.
    #[inline]
    pub fn is_above(&self, level: Rate) -> Option<bool> {
        self.compare(level).map(Ordering::is_gt)
    }

    /// The RSI on a 0–100 scale, rounded half up to 10⁻⁹; `None` while undefined.
    pub fn value(&self) -> Option<Rate> {
        let (gain, loss) = self.averages()?;
        let rsi = div_round_half_up(HUNDRED_RAW.saturating_mul(gain), gain + loss);
        i64::try_from(rsi).ok().map(Rate::from_raw)
    }
}

#[cfg(test)]
mod tests;
