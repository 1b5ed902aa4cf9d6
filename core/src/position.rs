//! Positions: long or short holdings with their cost and realised profit and loss.

use serde::{Deserialize, Serialize};

use crate::ids::Symbol;
use crate::num::{Money, Price, Quantity, SCALE};
use crate::order::Side;

/// A position in one instrument. Quantity is signed: positive long, negative short.
///
/// Tracks the signed cost of the open quantity (so the average price is exact up to the final
/// division) and the realised P&L of closed quantity. Fees are not part of realised P&L here; the
/// ledger that charges them keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    symbol: Symbol,
    quantity: Quantity,
    cost: Money,
    realized_pnl: Money,
}

impl Position {
    /// A flat position.
    pub fn flat(symbol: Symbol) -> Self {
        Self {
            symbol,
            quantity: Quantity::ZERO,
            cost: Money::ZERO,
            realized_pnl: Money::ZERO,
        }
    }

    /// The instrument.
    pub fn symbol(&self) -> Symbol {
        self.symbol
    }
    /// Signed quantity: positive long, negative short, zero flat.
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }
    /// Signed cost of the open quantity (negative for a short).
    pub fn cost(&self) -> Money {
        self.cost
    }
    /// Realised profit and loss of everything closed so far, before fees.
    pub fn realized_pnl(&self) -> Money {
        self.realized_pnl
    }
    /// True when flat.
    pub fn is_flat(&self) -> bool {
        self.quantity.is_zero()
    }

    /// Average entry price of the open quantity, or `None` when flat.
    pub fn average_price(&self) -> Option<Price> {
        if self.quantity.is_zero() {
            return None;
        }
        let numerator = self.cost.raw().checked_mul(i128::from(SCALE))?;
        let raw = numerator.checked_div(i128::from(self.quantity.raw()))?;
        i64::try_from(raw).ok().map(Price::from_raw)
    }

    /// Unrealised P&L of the open quantity at `mark`.
    pub fn unrealized_pnl(&self, mark: Price) -> Money {
        mark.notional(self.quantity) - self.cost
    }

    /// Applies a fill and returns the P&L it realised (zero when it only opened or added).
    ///
    /// A fill larger than a position on the other side closes it and opens the rest the other way.
    /// Returns `None`, leaving the position unchanged, if the new quantity would not fit.
    pub fn apply_fill(&mut self, side: Side, quantity: Quantity, price: Price) -> Option<Money> {
        let signed = match side {
            Side::Buy => quantity,
            Side::Sell => quantity.checked_neg()?,
        };
        let new_quantity = self.quantity.checked_add(signed)?;
        let opening =
            self.quantity.is_zero() || (self.quantity.is_positive() == signed.is_positive());
        if opening {
            self.quantity = new_quantity;
            self.cost += price.notional(signed);
            return Some(Money::ZERO);
        }
        let held = self.quantity.checked_abs()?;
        let closing = quantity.min_of(held);
        let closing_signed = if signed.is_negative() {
            closing.checked_neg()?
        } else {
            closing
        };
        let cost_removed = if closing == held {
            self.cost
        } else {
            prorate(self.cost, closing, held)?
        };
        let realized = -price.notional(closing_signed) - cost_removed;
        self.cost -= cost_removed;
        let opened = signed.checked_sub(closing_signed)?;
        self.cost += price.notional(opened);
        self.quantity = new_quantity;
        self.realized_pnl += realized;
        Some(realized)
    }
}

/// `money × part / whole`, rounded toward zero; `None` on overflow or a zero `whole`.
fn prorate(money: Money, part: Quantity, whole: Quantity) -> Option<Money> {
    let scaled = money.raw().checked_mul(i128::from(part.raw()))?;
    scaled
        .checked_div(i128::from(whole.raw()))
        .map(Money::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(value: i64) -> Quantity {
        Quantity::from_units(value).unwrap()
    }
    fn px(text: &str) -> Price {
        text.parse().unwrap()
    }

    #[test]
    fn long_then_partial_close_realises_pnl() {
        let mut position = Position::flat(Symbol::parse("AAPL").unwrap());
        assert_eq!(
            position.apply_fill(Side::Buy, units(10), px("100")),
            Some(Money::ZERO)
        );
        assert_eq!(
            position.apply_fill(Side::Buy, units(10), px("110")),
            Some(Money::ZERO)
        );
        assert_eq!(position.average_price(), Some(px("105")));
        let realized = position
            .apply_fill(Side::Sell, units(5), px("120"))
            .unwrap();
        assert_eq!(realized, Money::from_units(75));
        assert_eq!(position.quantity(), units(15));
        assert_eq!(position.average_price(), Some(px("105")));
        assert_eq!(position.unrealized_pnl(px("100")), Money::from_units(-75));
    }

    #[test]
    fn reversal_closes_and_opens_short() {
        let mut position = Position::flat(Symbol::parse("MSFT").unwrap());
        position.apply_fill(Side::Buy, units(10), px("50")).unwrap();
        let realized = position
            .apply_fill(Side::Sell, units(25), px("40"))
            .unwrap();
        assert_eq!(realized, Money::from_units(-100));
        assert_eq!(position.quantity(), units(-15));
        assert_eq!(position.average_price(), Some(px("40")));
        let realized = position.apply_fill(Side::Buy, units(15), px("30")).unwrap();
        assert_eq!(realized, Money::from_units(150));
        assert!(position.is_flat());
        assert_eq!(position.cost(), Money::ZERO);
        assert_eq!(position.realized_pnl(), Money::from_units(50));
    }
}
