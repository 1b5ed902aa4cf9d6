//! The pre-trade check hook every order of a backtest passes through.
//!
//! The full risk manager (limits per environment, trading states, `Approved<T>`) lives in the
//! risk crate once it exists; this hook is where the backtest calls it. [`BasicChecks`] are the
//! rules a backtest needs on its own: a cash account cannot buy more than it can pay for.

use std::fmt;

use airlock_core::{Money, OrderRequest, Price, Quantity, Rate, Side};

/// What a check may know when it judges an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckContext {
    /// The price the decision was taken at (the last close of the symbol).
    pub reference_price: Price,
    /// The signed position in the order's symbol before the order.
    pub position: Quantity,
    /// Cash now.
    pub cash: Money,
    /// Equity now (cash plus marked positions).
    pub equity: Money,
    /// Σ |position| × price over every symbol, before the order.
    pub gross_exposure: Money,
}

/// A refused order: the rule that refused it and the numbers that broke it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rule's stable name (`max_leverage`), used to count refusals per rule in reports.
    pub rule: &'static str,
    /// The numbers that broke the rule.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused by {}: {}", self.rule, self.reason)
    }
}

/// A pre-trade check. Called for every order before it reaches the matching engine.
pub trait PreTradeCheck: Send {
    /// `Ok` lets the order through; `Err` refuses it with the rule's name.
    ///
    /// # Errors
    /// A [`Refusal`] naming the rule and the numbers that broke it.
    fn check(&mut self, order: &OrderRequest, context: &CheckContext) -> Result<(), Refusal>;
}

/// The backtest's own rules. An order that reduces gross exposure always passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicChecks {
    /// Gross exposure after the order may be at most this multiple of equity (`1` is a cash
    /// account; shorts count at their absolute value). `None`: no limit.
    pub max_leverage: Option<Rate>,
    /// Largest notional of a single order. `None`: no limit.
    pub max_order_notional: Option<Money>,
}

impl Default for BasicChecks {
    /// A cash account: leverage at most 1, no per-order limit.
    fn default() -> Self {
        Self {
            max_leverage: Some(Rate::ONE),
            max_order_notional: None,
        }
    }
}

impl PreTradeCheck for BasicChecks {
    fn check(&mut self, order: &OrderRequest, context: &CheckContext) -> Result<(), Refusal> {
        let price = order
            .kind()
            .limit_price()
            .unwrap_or(context.reference_price);
        if !price.is_positive() {
            return Err(Refusal {
                rule: "no_price",
                reason: format!("no positive price for {}", order.symbol()),
            });
        }
        let signed = match order.side() {
            Side::Buy => order.quantity(),
            Side::Sell => order.quantity().checked_neg().unwrap_or(Quantity::ZERO),
        };
        let after = context
            .position
            .checked_add(signed)
            .unwrap_or(context.position);
        let before_abs = context.position.checked_abs().unwrap_or(Quantity::MAX);
        let after_abs = after.checked_abs().unwrap_or(Quantity::MAX);
        if after_abs <= before_abs
            && (after.is_zero() || after.is_negative() == context.position.is_negative())
        {
            return Ok(());
        }
        let notional = price.notional(order.quantity());
        if let Some(limit) = self.max_order_notional
            && notional > limit
        {
            return Err(Refusal {
                rule: "max_order_notional",
                reason: format!("order notional {notional} exceeds the limit {limit}"),
            });
        }
        if let Some(leverage) = self.max_leverage {
            if context.equity <= Money::ZERO {
                return Err(Refusal {
                    rule: "max_leverage",
                    reason: format!("equity {} is not positive", context.equity),
                });
            }
            let gross_after = context.gross_exposure - context.reference_price.notional(before_abs)
                + context.reference_price.notional(after_abs);
            let allowed = context
                .equity
                .checked_mul_rate(leverage)
                .unwrap_or(Money::ZERO);
            if gross_after > allowed {
                return Err(Refusal {
                    rule: "max_leverage",
                    reason: format!(
                        "gross exposure after the order {gross_after} exceeds {leverage} x equity {}",
                        context.equity
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_core::{ClientOrderId, OrderKind, Symbol, TimeInForce};

    fn order(side: Side, units: i64) -> OrderRequest {
        OrderRequest::new(
            ClientOrderId::parse("c-1").unwrap(),
            Symbol::parse("AAPL").unwrap(),
            side,
            OrderKind::Market,
            Quantity::from_units(units).unwrap(),
            TimeInForce::Day,
        )
        .unwrap()
    }

    fn context(position: i64) -> CheckContext {
        let price: Price = "100".parse().unwrap();
        let position = Quantity::from_units(position).unwrap();
        let gross = price.notional(position.checked_abs().unwrap());
        CheckContext {
            reference_price: price,
            position,
            cash: Money::from_units(10_000) - price.notional(position),
            equity: Money::from_units(10_000),
            gross_exposure: gross,
        }
    }

    #[test]
    fn cash_account_cannot_buy_beyond_equity() {
        let mut checks = BasicChecks::default();
        assert_eq!(checks.check(&order(Side::Buy, 100), &context(0)), Ok(()));
        let refusal = checks
            .check(&order(Side::Buy, 101), &context(0))
            .unwrap_err();
        assert_eq!(refusal.rule, "max_leverage");
        assert_eq!(
            refusal.to_string(),
            "refused by max_leverage: gross exposure after the order 10100 exceeds 1 x equity 10000"
        );
    }

    #[test]
    fn reducing_always_passes_and_reversal_is_judged_on_the_new_side() {
        let mut checks = BasicChecks {
            max_leverage: Some(Rate::ONE),
            max_order_notional: Some(Money::from_units(5_000)),
        };
        // Selling 100 of a 100 long reduces exposure, even though its notional is over 5,000.
        assert_eq!(checks.check(&order(Side::Sell, 100), &context(100)), Ok(()));
        // Selling 150 of a 100 long flips to a 50 short: judged as a new position.
        let refusal = checks
            .check(&order(Side::Sell, 150), &context(100))
            .unwrap_err();
        assert_eq!(refusal.rule, "max_order_notional");
        let mut no_limits = BasicChecks {
            max_leverage: None,
            max_order_notional: None,
        };
        assert_eq!(
            no_limits.check(&order(Side::Buy, 1_000), &context(0)),
            Ok(())
        );
    }
}
