//! How the engine fills: the fill model, fees, slippage and the volume participation cap.

use std::fmt;
use std::str::FromStr;

use airlock_core::{Money, Quantity, Rate, SCALE};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// When an order decided on a bar can first trade against market data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillModel {
    /// An order submitted after bar t's candle trades from bar t+1 on: market orders at t+1's
    /// open, limits and stops against t+1's open, high and low. The default: no look-ahead.
    #[default]
    NextOpen,
    /// A market order (or a limit marketable at the close) submitted after bar t's candle fills at
    /// once at bar t's close; everything that rests is evaluated from bar t+1 as in `NextOpen`.
    Close,
}

impl FillModel {
    /// `"next_open"` or `"close"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FillModel::NextOpen => "next_open",
            FillModel::Close => "close",
        }
    }
}

impl fmt::Display for FillModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A fill model name that is not one of the allowed ones.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("fill_model: {given:?} is not one of next_open, close")]
pub struct FillModelError {
    /// The text given.
    pub given: String,
}

impl FromStr for FillModel {
    type Err = FillModelError;
    /// Parses `"next_open"` or `"close"` (exactly, lower case).
    fn from_str(text: &str) -> Result<Self, FillModelError> {
        match text {
            "next_open" => Ok(FillModel::NextOpen),
            "close" => Ok(FillModel::Close),
            _ => Err(FillModelError { given: text.into() }),
        }
    }
}

/// Commissions: a rate on each fill's notional, with a minimum per order.
///
/// Each fill pays `notional × rate` (rounded half away from zero to 10⁻⁹). An order's first fill
/// also pays the top-up to `minimum_per_order` when its own rate fee is below it, so every order
/// that trades pays at least the minimum. Orders that never fill pay nothing. The default is zero
/// fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeSchedule {
    /// Fraction of the notional charged on every fill (0.0005 = 5 bps). Negative counts as zero.
    pub rate: Rate,
    /// The least an order that trades pays in total. Negative counts as zero.
    pub minimum_per_order: Money,
}

/// Everything that shapes how the engine fills orders against market data.
///
/// The default is the most conservative common choice: next-open fills, no fees, no slippage,
/// no participation cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// When decisions first trade against candles.
    pub fill_model: FillModel,
    /// Commissions.
    pub fees: FeeSchedule,
    /// Worsens market and stop fill prices by this fraction (buys up, sells down); limit fills are
    /// never slipped beyond their limit. 0.0005 = 5 bps. Negative counts as zero.
    pub slippage: Rate,
    /// At most this fraction of a candle's volume fills per symbol and candle, across all orders
    /// in time priority (rounded down to 10⁻⁹ units). `None`: no cap. With a cap, a zero-volume
    /// candle fills nothing.
    pub participation: Option<Rate>,
}

/// A configuration value outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// The offending field, dotted (`fees.rate`).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl EngineConfig {
    /// Checks the ranges: rates and the minimum fee not negative, participation in `(0, 1]`.
    /// [`MatchingEngine::new`](super::MatchingEngine::new) accepts any value (treating negative
    /// rates as zero); call this where the configuration is read to refuse nonsense early.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let negative = |field: &'static str, value: String| ConfigError {
            field,
            reason: format!("must not be negative, got {value}"),
        };
        if self.fees.rate.is_negative() {
            return Err(negative("fees.rate", self.fees.rate.to_string()));
        }
        if self.fees.minimum_per_order.is_negative() {
            return Err(negative(
                "fees.minimum_per_order",
                self.fees.minimum_per_order.to_string(),
            ));
        }
        if self.slippage.is_negative() {
            return Err(negative("slippage", self.slippage.to_string()));
        }
        if let Some(participation) = self.participation
            && (!participation.is_positive() || participation > Rate::ONE)
        {
            return Err(ConfigError {
                field: "participation",
                reason: format!("must be above 0 and at most 1, got {participation}"),
            });
        }
        Ok(())
    }

    /// The same configuration with negative rates and fees replaced by zero.
    pub(super) fn sanitized(mut self) -> Self {
        self.fees.rate = self.fees.rate.max(Rate::ZERO);
        self.fees.minimum_per_order = self.fees.minimum_per_order.max_of(Money::ZERO);
        self.slippage = self.slippage.max(Rate::ZERO);
        self
    }

    /// How much a candle of `volume` can fill in total: `participation × volume` rounded down,
    /// or unlimited without a cap.
    pub(super) fn candle_budget(&self, volume: Quantity) -> Quantity {
        let Some(participation) = self.participation else {
            return Quantity::MAX;
        };
        if !participation.is_positive() || !volume.is_positive() {
            return Quantity::ZERO;
        }
        // Both factors are positive, so the floor division rounds down.
        let product = i128::from(volume.raw()).saturating_mul(i128::from(participation.raw()));
        let raw = product / i128::from(SCALE);
        Quantity::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_model_round_trips_and_names_the_allowed_values() {
        for model in [FillModel::NextOpen, FillModel::Close] {
            assert_eq!(model.to_string().parse::<FillModel>(), Ok(model));
        }
        assert_eq!(FillModel::default(), FillModel::NextOpen);
        assert_eq!(
            "open".parse::<FillModel>().unwrap_err().to_string(),
            r#"fill_model: "open" is not one of next_open, close"#
        );
    }

    #[test]
    fn budget_rounds_down_and_zero_volume_fills_nothing() {
        let config = EngineConfig {
            participation: Some("0.1".parse().unwrap()),
            ..EngineConfig::default()
        };
        let volume = Quantity::from_raw(19);
        assert_eq!(config.candle_budget(volume), Quantity::from_raw(1));
        assert_eq!(config.candle_budget(Quantity::ZERO), Quantity::ZERO);
        assert_eq!(
            EngineConfig::default().candle_budget(Quantity::ZERO),
            Quantity::MAX
        );
    }

    #[test]
    fn validate_names_the_field() {
        let mut config = EngineConfig::default();
        assert_eq!(config.validate(), Ok(()));
        config.participation = Some(Rate::ZERO);
        assert_eq!(
            config.validate().unwrap_err().to_string(),
            "participation: must be above 0 and at most 1, got 0"
        );
        config.participation = None;
        config.fees.rate = "-0.001".parse().unwrap();
        assert_eq!(
            config.validate().unwrap_err().to_string(),
            "fees.rate: must not be negative, got -0.001"
        );
        assert_eq!(config.sanitized().fees.rate, Rate::ZERO);
    }
}
