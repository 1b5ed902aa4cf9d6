//! What the radar measures and how it weighs it.

use airlock_core::{Money, Price};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The radar's windows, filters and score weights. Every field has a default, so a
/// `[scanner]` table need only name what it changes; unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RadarConfig {
    /// Rate of change: close against the close this many bars earlier.
    pub roc_bars: usize,
    /// Relative volume: the bar's volume against the average of this many bars before it; also
    /// the window of the average dollar volume (ending at the bar).
    pub volume_bars: usize,
    /// The high: distance of the close from the highest high of this many bars (the bar
    /// included); breakout: the close above the highest high of the this many bars before it.
    pub high_bars: usize,
    /// Wilder's average true range over this many bars, as a fraction of the close.
    pub atr_bars: usize,
    /// Symbols whose last close is below this are filtered out.
    pub min_price: Price,
    /// Symbols whose average dollar volume (close × volume over `volume_bars`) is below this are
    /// filtered out.
    pub min_avg_dollar_volume: Money,
    /// Weights of the composite score: each factor is standardised across the eligible symbols
    /// (z-score) and weighted; the breakout flag adds its weight when set.
    pub weights: Weights,
}

/// Weights of the composite score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Rate of change.
    pub roc: f64,
    /// Relative volume (its logarithm, so that 2× and 0.5× are symmetric).
    pub relative_volume: f64,
    /// Distance from the high (0 at the high, negative below it).
    pub distance_from_high: f64,
    /// Added when the breakout flag is set.
    pub breakout: f64,
    /// ATR as a fraction of price (negative: prefer calmer names).
    pub atr_fraction: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            roc: 1.0,
            relative_volume: 0.5,
            distance_from_high: 0.5,
            breakout: 0.5,
            atr_fraction: -0.25,
        }
    }
}

impl Default for RadarConfig {
    /// Daily-bar defaults: 20-bar rate of change and volume, 50-bar high, 14-bar ATR, price at
    /// least 5 and average dollar volume at least 10 million.
    fn default() -> Self {
        Self {
            roc_bars: 20,
            volume_bars: 20,
            high_bars: 50,
            atr_bars: 14,
            min_price: Price::from_raw(5_000_000_000),
            min_avg_dollar_volume: Money::from_units(10_000_000),
            weights: Weights::default(),
        }
    }
}

/// A configuration the radar cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A window of zero bars.
    #[error("{field} must be at least 1 bar, got 0")]
    EmptyWindow {
        /// The field.
        field: &'static str,
    },
    /// A window too long to hold.
    #[error("{field} must be at most 100000 bars, got {value}")]
    WindowTooLong {
        /// The field.
        field: &'static str,
        /// The value given.
        value: usize,
    },
    /// A weight that is NaN or infinite.
    #[error("weight {field} must be a finite number")]
    NonFiniteWeight {
        /// The field.
        field: &'static str,
    },
}

impl RadarConfig {
    /// Checks the windows and weights.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("roc_bars", self.roc_bars),
            ("volume_bars", self.volume_bars),
            ("high_bars", self.high_bars),
            ("atr_bars", self.atr_bars),
        ] {
            if value == 0 {
                return Err(ConfigError::EmptyWindow { field });
            }
            if value > 100_000 {
                return Err(ConfigError::WindowTooLong { field, value });
            }
        }
        let weights = self.weights;
        for (field, value) in [
            ("roc", weights.roc),
            ("relative_volume", weights.relative_volume),
            ("distance_from_high", weights.distance_from_high),
            ("breakout", weights.breakout),
            ("atr_fraction", weights.atr_fraction),
        ] {
            if !value.is_finite() {
                return Err(ConfigError::NonFiniteWeight { field });
            }
        }
        Ok(())
    }

    /// Bars a symbol needs before all its factors are defined.
    pub fn warm_up_bars(&self) -> usize {
        (self.roc_bars + 1)
            .max(self.volume_bars + 1)
            .max(self.high_bars + 1)
            .max(self.atr_bars + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_values_name_their_field() {
        let config = RadarConfig::default();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.warm_up_bars(), 51);
        let empty = RadarConfig {
            atr_bars: 0,
            ..RadarConfig::default()
        };
        assert_eq!(
            empty.validate().unwrap_err().to_string(),
            "atr_bars must be at least 1 bar, got 0"
        );
        let mut nan = RadarConfig::default();
        nan.weights.breakout = f64::NAN;
        assert_eq!(
            nan.validate(),
            Err(ConfigError::NonFiniteWeight { field: "breakout" })
        );
    }
}
