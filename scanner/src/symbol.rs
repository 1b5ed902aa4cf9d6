//! One symbol's incremental state: every factor is updated in O(1) per bar.

use airlock_core::{Candle, Money, Price, Quantity, UnixNanos};

use crate::config::RadarConfig;
use crate::window::MaxWindow;

/// A symbol's factors after its latest bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Factors {
    /// The last close.
    pub close: Price,
    /// `close / close N bars ago − 1`.
    pub roc: f64,
    /// The bar's volume over the average volume of the N bars before it (1 when that average
    /// is zero).
    pub relative_volume: f64,
    /// `close / highest high of the last N bars − 1` (0 at the high, negative below it).
    pub distance_from_high: f64,
    /// The close is above the highest high of the N bars before this one.
    pub breakout: bool,
    /// Wilder's average true range over the close.
    pub atr_fraction: f64,
    /// Average of close × volume over the volume window (the bar included), exact.
    pub avg_dollar_volume: Money,
}

/// A bar's close and volume, raw.
#[derive(Debug, Clone, Copy, Default)]
struct Slim {
    close: i64,
    volume: i64,
}

impl Slim {
    fn dollars(self) -> i128 {
        Price::from_raw(self.close)
            .notional(Quantity::from_raw(self.volume))
            .raw()
    }
}

/// The windows, shared by every symbol (kept out of each symbol's state to keep it small).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    roc_bars: usize,
    volume_bars: usize,
    high_bars: usize,
    atr_bars: usize,
    /// `atr_bars − 1` and `1 / atr_bars`, for Wilder's smoothing.
    atr_keep: f64,
    atr_scale: f64,
}

impl Params {
    pub(crate) fn new(config: &RadarConfig) -> Self {
        Self {
            roc_bars: config.roc_bars,
            volume_bars: config.volume_bars,
            high_bars: config.high_bars,
            atr_bars: config.atr_bars,
            atr_keep: config.atr_bars as f64 - 1.0,
            atr_scale: 1.0 / config.atr_bars as f64,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct SymbolState {
    pub(crate) bars: usize,
    /// The last bar's time (meaningful once `bars > 0`).
    pub(crate) last_ts: UnixNanos,
    /// The last `max(roc_bars, volume_bars) + 1` bars, oldest overwritten first.
    ring: Vec<Slim>,
    /// Where the newest bar is in `ring`.
    newest: usize,
    /// Exact sums over the last `volume_bars` bars (the newest included).
    volume_sum: i128,
    dollar_sum: i128,
    /// The volume sum of the `volume_bars` bars before the newest (once there were that many).
    volume_before: i128,
    highs: MaxWindow,
    breakout: bool,
    /// In raw price units.
    atr: f64,
    atr_seed: f64,
    prev_close: i64,
}

impl SymbolState {
    pub(crate) fn new(config: &RadarConfig) -> Self {
        let span = config.roc_bars.max(config.volume_bars) + 1;
        Self {
            bars: 0,
            last_ts: UnixNanos::default(),
            ring: vec![Slim::default(); span],
            newest: span - 1,
            volume_sum: 0,
            dollar_sum: 0,
            volume_before: 0,
            highs: MaxWindow::new(config.high_bars),
            breakout: false,
            atr: 0.0,
            atr_seed: 0.0,
            prev_close: 0,
        }
    }

    /// The bar `back` bars before the newest (0: the newest); valid while `back < ring.len()`.
    #[inline]
    fn back(&self, back: usize) -> Slim {
        // No division on the hot path: `back < len` by construction.
        let index = if self.newest >= back {
            self.newest - back
        } else {
            (self.newest + self.ring.len()).saturating_sub(back)
        };
        self.ring.get(index).copied().unwrap_or_default()
    }

    /// Takes the next bar (the caller checked that it is later than the last one).
    #[inline]
    pub(crate) fn update(&mut self, candle: &Candle, params: &Params) {
        let (high, low) = (candle.high().raw(), candle.low().raw());
        let bar = Slim {
            close: candle.close().raw(),
            volume: candle.volume().raw(),
        };
        let prev_close = (self.bars > 0).then_some(self.prev_close);
        // Relative volume is judged against the bars before this one.
        self.volume_before = self.volume_sum;
        self.newest = if self.newest + 1 == self.ring.len() {
            0
        } else {
            self.newest + 1
        };
        if let Some(slot) = self.ring.get_mut(self.newest) {
            *slot = bar;
        }
        self.volume_sum += i128::from(bar.volume);
        self.dollar_sum += bar.dollars();
        if self.bars >= params.volume_bars {
            let leaving = self.back(params.volume_bars);
            self.volume_sum -= i128::from(leaving.volume);
            self.dollar_sum -= leaving.dollars();
        }
        // Breakout against the previous N highs, then this high joins the window.
        self.breakout =
            self.bars >= params.high_bars && self.highs.max().is_some_and(|max| bar.close > max);
        self.highs.push(high);
        // Wilder's ATR in raw price units, seeded with the mean of the first N true ranges.
        let range = match prev_close {
            Some(prev) => (high.saturating_sub(low))
                .max(high.saturating_sub(prev).saturating_abs())
                .max(low.saturating_sub(prev).saturating_abs()),
            None => high.saturating_sub(low),
        } as f64;
        if self.bars < params.atr_bars {
            self.atr_seed += range;
            self.atr = self.atr_seed / (self.bars + 1) as f64;
        } else {
            self.atr = (self.atr * params.atr_keep + range) * params.atr_scale;
        }
        self.prev_close = bar.close;
        self.bars += 1;
        self.last_ts = candle.ts();
    }

    /// The factors, once every window has filled.
    pub(crate) fn factors(&self, warm_up: usize, params: &Params) -> Option<Factors> {
        if self.bars < warm_up {
            return None;
        }
        let newest = self.back(0);
        let close = Price::from_raw(newest.close);
        let base = self.back(params.roc_bars).close as f64;
        let high = self.highs.max()? as f64;
        // Warm-up guarantees more than `volume_bars` bars, so `volume_before` is a full window.
        let relative_volume = if self.volume_before > 0 {
            let average = self.volume_before as f64 / params.volume_bars as f64;
            newest.volume as f64 / average
        } else {
            1.0
        };
        let count = i128::try_from(params.volume_bars).ok()?.max(1);
        let close_raw = newest.close as f64;
        Some(Factors {
            close,
            roc: close_raw / base - 1.0,
            relative_volume,
            distance_from_high: close_raw / high - 1.0,
            breakout: self.breakout,
            atr_fraction: self.atr / close_raw,
            avg_dollar_volume: Money::from_raw(self.dollar_sum / count),
        })
    }
}
