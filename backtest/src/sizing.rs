//! Sizing: how a strategy's target (long, short, flat) becomes a quantity.

use std::fmt;
use std::str::FromStr;

use airlock_core::{Money, Price, Quantity, Rate};
use thiserror::Error;

/// How big a position a `Long` or `Short` target means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sizing {
    /// Always this many units (`fixed:100`).
    Fixed(Quantity),
    /// This fraction of current equity, in whole units, after commission (`equity:0.95`).
    EquityFraction(Rate),
}

/// Why a `--sizing` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SizingError {
    /// Not `fixed:QTY` or `equity:FRACTION`.
    #[error("sizing {0:?} is not fixed:QTY or equity:FRACTION (e.g. fixed:100, equity:0.95)")]
    Syntax(String),
    /// A quantity that is not a positive decimal.
    #[error("sizing {text:?}: quantity must be a positive number")]
    BadQuantity {
        /// The text given.
        text: String,
    },
    /// A fraction outside (0, 10].
    #[error("sizing {text:?}: fraction must be a decimal above 0 and at most 10")]
    BadFraction {
        /// The text given.
        text: String,
    },
}

impl FromStr for Sizing {
    type Err = SizingError;
    fn from_str(text: &str) -> Result<Self, SizingError> {
        let (kind, value) = text
            .split_once(':')
            .ok_or_else(|| SizingError::Syntax(text.into()))?;
        match kind {
            "fixed" => match value.parse::<Quantity>() {
                Ok(quantity) if quantity.is_positive() => Ok(Sizing::Fixed(quantity)),
                _ => Err(SizingError::BadQuantity { text: text.into() }),
            },
            "equity" => match value.parse::<Rate>() {
                Ok(fraction)
                    if fraction.is_positive() && fraction.raw() <= 10 * Rate::ONE.raw() =>
                {
                    Ok(Sizing::EquityFraction(fraction))
                }
                _ => Err(SizingError::BadFraction { text: text.into() }),
            },
            _ => Err(SizingError::Syntax(text.into())),
        }
    }
}

impl fmt::Display for Sizing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sizing::Fixed(quantity) => write!(f, "fixed:{quantity}"),
            Sizing::EquityFraction(fraction) => write!(f, "equity:{fraction}"),
        }
    }
}

impl Sizing {
    /// The absolute quantity a non-flat target should hold at `price`.
    ///
    /// For `EquityFraction`: the largest whole number of units `q` such that
    /// `q × price + max(q × price × fee_rate, minimum_fee) ≤ fraction × equity`. Zero when equity
    /// is not positive or the price is not positive.
    pub fn quantity(
        &self,
        price: Price,
        equity: Money,
        fee_rate: Rate,
        minimum_fee: Money,
    ) -> Quantity {
        match *self {
            Sizing::Fixed(quantity) => quantity,
            Sizing::EquityFraction(fraction) => {
                let Some(budget) = equity.checked_mul_rate(fraction) else {
                    return Quantity::ZERO;
                };
                // price × (1 + fee_rate): the all-in cost of one unit.
                let unit_fee = price.checked_mul_rate(fee_rate).unwrap_or(Price::MAX);
                let all_in = price.checked_add(unit_fee).unwrap_or(Price::MAX);
                let mut units = budget.whole_units_at(all_in).unwrap_or(Quantity::ZERO);
                // The minimum fee can make the estimate one or more units too big.
                while units.is_positive() {
                    let notional = price.notional(units);
                    let fee = notional
                        .checked_mul_rate(fee_rate)
                        .unwrap_or(notional)
                        .max_of(minimum_fee);
                    if notional + fee <= budget {
                        break;
                    }
                    units = units.checked_sub(Quantity::ONE).unwrap_or(Quantity::ZERO);
                }
                units
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_names_bad_input() {
        assert_eq!(
            "fixed:100".parse(),
            Ok(Sizing::Fixed(Quantity::from_units(100).unwrap()))
        );
        assert_eq!(
            "equity:0.5".parse::<Sizing>().unwrap().to_string(),
            "equity:0.5"
        );
        assert_eq!(
            "fixed:0".parse::<Sizing>().unwrap_err().to_string(),
            "sizing \"fixed:0\": quantity must be a positive number"
        );
        assert!(matches!(
            "equity:0".parse::<Sizing>(),
            Err(SizingError::BadFraction { .. })
        ));
        assert!(matches!(
            "equity:11".parse::<Sizing>(),
            Err(SizingError::BadFraction { .. })
        ));
        assert!(matches!(
            "percent:5".parse::<Sizing>(),
            Err(SizingError::Syntax(_))
        ));
        assert!(matches!(
            "100".parse::<Sizing>(),
            Err(SizingError::Syntax(_))
        ));
    }

    #[test]
    fn equity_fraction_leaves_room_for_commission() {
        let sizing: Sizing = "equity:1".parse().unwrap();
        let price: Price = "100".parse().unwrap();
        let equity = Money::from_units(10_000);
        // Without fees exactly 100 units fit.
        assert_eq!(
            sizing.quantity(price, equity, Rate::ZERO, Money::ZERO),
            Quantity::from_units(100).unwrap()
        );
        // 10 bps commission: 100 units would cost 10,010, so 99.
        let ten_bps = Rate::from_bps("10".parse().unwrap()).unwrap();
        assert_eq!(
            sizing.quantity(price, equity, ten_bps, Money::ZERO),
            Quantity::from_units(99).unwrap()
        );
        // A 50 minimum fee also counts: 99 × 100 + 50 = 9,950 fits.
        assert_eq!(
            sizing.quantity(price, equity, Rate::ZERO, Money::from_units(50)),
            Quantity::from_units(99).unwrap()
        );
        assert_eq!(
            sizing.quantity(price, -equity, Rate::ZERO, Money::ZERO),
            Quantity::ZERO
        );
    }
}
