//! Candles (OHLCV bars) and the [`CandleSource`] trait every candle store implements.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::Symbol;
use crate::num::{Price, Quantity};
use crate::time::UnixNanos;

/// Why a candle is not a valid bar. Each variant names the broken relation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CandleError {
    /// A price that is zero or negative.
    #[error("{field} must be positive, got {value}")]
    NonPositivePrice {
        /// `open`, `high`, `low` or `close`.
        field: &'static str,
        /// The value.
        value: Price,
    },
    /// `high` below `open` or `close`.
    #[error("high {high} is below max(open, close) {max}")]
    HighBelowBody {
        /// The high.
        high: Price,
        /// max(open, close).
        max: Price,
    },
    /// `low` above `open` or `close`.
    #[error("low {low} is above min(open, close) {min}")]
    LowAboveBody {
        /// The low.
        low: Price,
        /// min(open, close).
        min: Price,
    },
    /// Negative volume.
    #[error("volume must not be negative, got {0}")]
    NegativeVolume(Quantity),
}

/// One OHLCV bar, labelled by the UTC instant its interval opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Candle {
    ts: UnixNanos,
    open: Price,
    high: Price,
    low: Price,
    close: Price,
    volume: Quantity,
}

impl Candle {
    /// A validated candle: positive prices, `high ≥ max(open, close)`, `low ≤ min(open, close)`,
    /// `volume ≥ 0`.
    ///
    /// # Errors
    /// [`CandleError`] naming the first relation that fails.
    pub fn new(
        ts: UnixNanos,
        open: Price,
        high: Price,
        low: Price,
        close: Price,
        volume: Quantity,
    ) -> Result<Self, CandleError> {
        for (field, value) in [
            ("open", open),
            ("high", high),
            ("low", low),
            ("close", close),
        ] {
            if !value.is_positive() {
                return Err(CandleError::NonPositivePrice { field, value });
            }
        }
        let max = open.max(close);
        if high < max {
            return Err(CandleError::HighBelowBody { high, max });
        }
        let min = open.min(close);
        if low > min {
            return Err(CandleError::LowAboveBody { low, min });
        }
        if volume.is_negative() {
            return Err(CandleError::NegativeVolume(volume));
        }
        Ok(Self {
            ts,
            open,
            high,
            low,
            close,
            volume,
        })
    }

    /// When the bar's interval opens (UTC).
    pub fn ts(&self) -> UnixNanos {
        self.ts
    }
    /// First trade price.
    pub fn open(&self) -> Price {
        self.open
    }
    /// Highest price.
    pub fn high(&self) -> Price {
        self.high
    }
    /// Lowest price.
    pub fn low(&self) -> Price {
        self.low
    }
    /// Last trade price.
    pub fn close(&self) -> Price {
        self.close
    }
    /// Traded volume (may be zero, for example for FX quote bars).
    pub fn volume(&self) -> Quantity {
        self.volume
    }
}

/// A half-open time window `[start, end)`; `None` means unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TimeRange {
    /// Inclusive start.
    pub start: Option<UnixNanos>,
    /// Exclusive end.
    pub end: Option<UnixNanos>,
}

impl TimeRange {
    /// All of time.
    pub const ALL: TimeRange = TimeRange {
        start: None,
        end: None,
    };

    /// True when `ts` lies in the window.
    pub fn contains(&self, ts: UnixNanos) -> bool {
        self.start.is_none_or(|start| ts >= start) && self.end.is_none_or(|end| ts < end)
    }
}

/// Where candles come from: CSV files, the embedded store, QuestDB.
///
/// Implementations return each symbol's candles in ascending time order with no duplicate
/// timestamps, already validated. Synchronous: an implementation backed by a server blocks.
pub trait CandleSource {
    /// The source's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The symbols this source can serve, in a stable order.
    fn symbols(&self) -> Vec<Symbol>;

    /// The candles of `symbol` within `range`, ascending by timestamp.
    ///
    /// # Errors
    /// The source's error when the data cannot be read or is invalid.
    fn load(&mut self, symbol: &Symbol, range: TimeRange) -> Result<Vec<Candle>, Self::Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn validation_names_the_broken_relation() {
        let ts = UnixNanos::new(0);
        let ok = Candle::new(ts, px("10"), px("12"), px("9"), px("11"), Quantity::ZERO);
        assert!(ok.is_ok());
        let high = Candle::new(ts, px("10"), px("10.5"), px("9"), px("11"), Quantity::ZERO);
        assert_eq!(
            high.unwrap_err().to_string(),
            "high 10.5 is below max(open, close) 11"
        );
        let low = Candle::new(ts, px("10"), px("12"), px("10.5"), px("11"), Quantity::ZERO);
        assert_eq!(
            low.unwrap_err().to_string(),
            "low 10.5 is above min(open, close) 10"
        );
        let volume = Candle::new(
            ts,
            px("10"),
            px("12"),
            px("9"),
            px("11"),
            Quantity::from_raw(-1),
        );
        assert!(matches!(volume, Err(CandleError::NegativeVolume(_))));
        let zero = Candle::new(ts, Price::ZERO, px("12"), px("9"), px("11"), Quantity::ZERO);
        assert!(matches!(
            zero,
            Err(CandleError::NonPositivePrice { field: "open", .. })
        ));
    }

    #[test]
    fn ranges_are_half_open() {
        let range = TimeRange {
            start: Some(UnixNanos::new(10)),
            end: Some(UnixNanos::new(20)),
        };
        assert!(range.contains(UnixNanos::new(10)));
        assert!(!range.contains(UnixNanos::new(20)));
        assert!(TimeRange::ALL.contains(UnixNanos::new(u64::MAX)));
    }
}
