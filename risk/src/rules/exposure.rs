//! Position and exposure limits. Working (open, unfilled) orders count as if they could all
//! fill: a symbol's exposure is its worst case, `max(|position + working buys|,
//! |position − working sells|)`, marked at its last price.
//!
//! An order that does not increase the measure always passes, so a position above a limit
//! (after a price move) can still be reduced.

use airlock_core::{Money, Price, Quantity, Rate, Side};

use crate::rule::{Refusal, Rule};

/// One symbol's position and working orders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Holding {
    pub(crate) position: Quantity,
    pub(crate) working_buy: Quantity,
    pub(crate) working_sell: Quantity,
}

impl Holding {
    /// The position if every working buy fills.
    pub(crate) fn long_bound(&self) -> Option<Quantity> {
        self.position.checked_add(self.working_buy)
    }

    /// The position if every working sell fills.
    pub(crate) fn short_bound(&self) -> Option<Quantity> {
        self.position.checked_sub(self.working_sell)
    }

    /// The largest absolute position the working orders can lead to.
    pub(crate) fn worst_abs(&self) -> Option<Quantity> {
        let long = self.long_bound()?.checked_abs()?;
        let short = self.short_bound()?.checked_abs()?;
        Some(long.max(short))
    }

    /// The holding with one more working order.
    pub(crate) fn with_order(&self, side: Side, quantity: Quantity) -> Option<Holding> {
        let mut next = *self;
        match side {
            Side::Buy => next.working_buy = next.working_buy.checked_add(quantity)?,
            Side::Sell => next.working_sell = next.working_sell.checked_add(quantity)?,
        }
        // Both bounds must stay representable.
        next.worst_abs()?;
        Some(next)
    }
}

/// Exposure totals over every symbol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Σ worst |position| × price.
    pub(crate) gross: Money,
    /// Σ position × price if every working buy fills.
    pub(crate) net_long: Money,
    /// Σ position × price if every working sell fills.
    pub(crate) net_short: Money,
}

impl Totals {
    /// Adds one symbol's contribution; `None` on overflow of its quantities.
    pub(crate) fn add(&mut self, holding: &Holding, price: Price) -> Option<()> {
        self.gross += price.notional(holding.worst_abs()?);
        self.net_long += price.notional(holding.long_bound()?);
        self.net_short += price.notional(holding.short_bound()?);
        Some(())
    }

    /// The worst absolute net exposure.
    pub(crate) fn net_abs(&self) -> Money {
        abs(self.net_long).max(abs(self.net_short))
    }
}

fn abs(money: Money) -> Money {
    if money.is_negative() { -money } else { money }
}

/// The worst absolute position must stay at most `limit` (or not grow).
pub(crate) fn max_position(
    limit: Option<Quantity>,
    before: &Holding,
    after: &Holding,
) -> Result<(), Refusal> {
    let Some(limit) = limit else {
        return Err(Refusal::not_configured(Rule::MaxPosition, "max_position"));
    };
    let (Some(before_abs), Some(after_abs)) = (before.worst_abs(), after.worst_abs()) else {
        return Err(Refusal::new(
            Rule::MaxPosition,
            "position arithmetic overflows",
        ));
    };
    if after_abs > limit && after_abs > before_abs {
        return Err(Refusal::new(
            Rule::MaxPosition,
            format!(
                "position with working orders could reach {after_abs} (now {}); the limit is \
                 {limit}",
                before.position
            ),
        ));
    }
    Ok(())
}

/// Gross exposure must stay at most `limit` (or not grow).
pub(crate) fn max_gross_exposure(
    limit: Option<Money>,
    before: &Totals,
    after: &Totals,
) -> Result<(), Refusal> {
    let Some(limit) = limit else {
        return Err(Refusal::not_configured(
            Rule::MaxGrossExposure,
            "max_gross_exposure",
        ));
    };
    if after.gross > limit && after.gross > before.gross {
        return Err(Refusal::new(
            Rule::MaxGrossExposure,
            format!(
                "gross exposure with working orders would be {} (now {}); the limit is {limit}",
                after.gross, before.gross
            ),
        ));
    }
    Ok(())
}

/// Absolute net exposure must stay at most `limit` (or not grow).
pub(crate) fn max_net_exposure(
    limit: Option<Money>,
    before: &Totals,
    after: &Totals,
) -> Result<(), Refusal> {
    let Some(limit) = limit else {
        return Err(Refusal::not_configured(
            Rule::MaxNetExposure,
            "max_net_exposure",
        ));
    };
    let (before_net, after_net) = (before.net_abs(), after.net_abs());
    if after_net > limit && after_net > before_net {
        return Err(Refusal::new(
            Rule::MaxNetExposure,
            format!(
                "net exposure with working orders could reach {after_net} (now {before_net}); the \
                 limit is {limit}"
            ),
        ));
    }
    Ok(())
}

/// Gross exposure must stay at most `leverage × equity` (or not grow). Unknown or non-positive
/// equity refuses any order that adds exposure.
pub(crate) fn max_leverage(
    limit: Option<Rate>,
    equity: Option<Money>,
    before: &Totals,
    after: &Totals,
) -> Result<(), Refusal> {
    let Some(leverage) = limit else {
        return Err(Refusal::not_configured(Rule::MaxLeverage, "max_leverage"));
    };
    if after.gross <= before.gross {
        return Ok(());
    }
    let equity = match equity {
        Some(equity) if equity.is_positive() => equity,
        Some(equity) => {
            return Err(Refusal::new(
                Rule::MaxLeverage,
                format!("equity {equity} is not positive"),
            ));
        }
        None => {
            return Err(Refusal::new(
                Rule::MaxLeverage,
                "no equity has been reported",
            ));
        }
    };
    let allowed = equity.checked_mul_rate(leverage).unwrap_or(Money::ZERO);
    if after.gross > allowed {
        return Err(Refusal::new(
            Rule::MaxLeverage,
            format!(
                "gross exposure after the order {} exceeds {leverage} x equity {equity}",
                after.gross
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qty(units: i64) -> Quantity {
        Quantity::from_units(units).unwrap()
    }

    fn holding(position: i64, buy: i64, sell: i64) -> Holding {
        Holding {
            position: qty(position),
            working_buy: qty(buy),
            working_sell: qty(sell),
        }
    }

    fn totals(holdings: &[(Holding, &str)]) -> Totals {
        let mut totals = Totals::default();
        for (holding, price) in holdings {
            totals.add(holding, price.parse().unwrap()).unwrap();
        }
        totals
    }

    #[test]
    fn working_orders_count_in_the_worst_case() {
        assert_eq!(holding(100, 50, 0).worst_abs(), Some(qty(150)));
        assert_eq!(holding(100, 0, 250).worst_abs(), Some(qty(150)));
        assert_eq!(holding(-10, 30, 5).worst_abs(), Some(qty(20)));
        let with = holding(0, 0, 0).with_order(Side::Sell, qty(7)).unwrap();
        assert_eq!(with.worst_abs(), Some(qty(7)));
        assert_eq!(
            holding(0, 0, 0).with_order(Side::Buy, Quantity::MAX),
            Some(Holding {
                working_buy: Quantity::MAX,
                ..Holding::default()
            })
        );
        assert_eq!(holding(1, 0, 0).with_order(Side::Buy, Quantity::MAX), None);
    }

    #[test]
    fn position_limit_is_inclusive_and_reductions_always_pass() {
        let limit = Some(qty(100));
        let before = holding(60, 0, 0);
        assert!(max_position(limit, &before, &holding(60, 40, 0)).is_ok());
        let over = max_position(limit, &before, &holding(60, 41, 0)).unwrap_err();
        assert_eq!(
            over.reason,
            "position with working orders could reach 101 (now 60); the limit is 100"
        );
        // Already over the limit (the limit was lowered): selling still passes.
        let big = holding(150, 0, 0);
        assert!(max_position(limit, &big, &holding(150, 0, 50)).is_ok());
        assert!(max_position(limit, &big, &holding(150, 1, 0)).is_err());
        // A negative limit or none: refuse growth.
        assert!(max_position(Some(qty(-1)), &before, &holding(60, 1, 0)).is_err());
        assert!(max_position(None, &before, &before).is_err());
    }

    #[test]
    fn gross_and_net_exposure_limits_are_inclusive() {
        let before = totals(&[(holding(100, 0, 0), "10")]);
        // Long 100 @ 10 plus short 100 @ 5: gross 1,500, net 500.
        let after = totals(&[(holding(100, 0, 0), "10"), (holding(0, 0, 100), "5")]);
        assert_eq!(after.gross, Money::from_units(1_500));
        assert_eq!(after.net_abs(), Money::from_units(1_000));
        assert!(max_gross_exposure(Some(Money::from_units(1_500)), &before, &after).is_ok());
        let over = max_gross_exposure(Some("1499.99".parse().unwrap()), &before, &after);
        assert_eq!(over.unwrap_err().rule, Rule::MaxGrossExposure);
        // Net: worst case is all buys (1,000 long), since the short order may not fill.
        assert!(max_net_exposure(Some(Money::from_units(1_000)), &before, &after).is_ok());
        assert!(max_net_exposure(Some(Money::from_units(999)), &before, &after).is_ok());
        let grows = totals(&[(holding(100, 1, 0), "10")]);
        assert!(max_net_exposure(Some(Money::from_units(1_000)), &before, &grows).is_err());
        assert!(max_gross_exposure(None, &before, &before).is_err());
        assert!(max_net_exposure(None, &before, &before).is_err());
    }

    #[test]
    fn leverage_needs_positive_equity_to_grow() {
        let before = totals(&[]);
        let after = totals(&[(holding(0, 100, 0), "100")]);
        let equity = Some(Money::from_units(10_000));
        assert!(max_leverage(Some(Rate::ONE), equity, &before, &after).is_ok());
        let more = totals(&[(holding(0, 101, 0), "100")]);
        let refusal = max_leverage(Some(Rate::ONE), equity, &before, &more).unwrap_err();
        assert_eq!(
            refusal.reason,
            "gross exposure after the order 10100 exceeds 1 x equity 10000"
        );
        assert!(max_leverage(Some(Rate::ONE), Some(Money::ZERO), &before, &after).is_err());
        assert!(
            max_leverage(
                Some(Rate::ONE),
                Some(-Money::from_units(1)),
                &before,
                &after
            )
            .is_err()
        );
        assert!(max_leverage(Some(Rate::ONE), None, &before, &after).is_err());
        // Reducing passes even with no equity known.
        assert!(max_leverage(Some(Rate::ONE), None, &after, &before).is_ok());
        assert!(max_leverage(None, equity, &after, &before).is_err());
    }
}
