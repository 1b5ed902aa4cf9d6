//! The risk limits a backtest runs under.
//!
//! A backtest passes every order through the same [`RiskManager`](airlock_risk::RiskManager) as
//! paper and live trading, so its report shows what risk would have blocked. The limits must be
//! configured like any environment's — an absent limit refuses orders — so a backtest gets an
//! explicit, generous profile from [`backtest_limits`], which callers may tighten.

use airlock_core::{Money, Quantity, Rate};
use airlock_risk::{PriceCollar, RiskLimits, Throttle};

/// The backtest profile: a cash account (`max_leverage`) with every other limit set, and set
/// wide enough not to bind in an ordinary daily-bar backtest:
///
/// - order notional, gross and net exposure, and daily loss: 1,000 × `initial_cash`;
/// - order quantity and position: 1,000,000,000 units;
/// - price collar: 100 % of the last close; last price at most 31 days old (one daily bar can be
///   days old over a market closure);
/// - 1,000,000 orders per second and per minute, per strategy and per account;
/// - duplicate window 0 ms (identical orders at the same bar are allowed: a reversal may cancel
///   and re-send the same protective stop);
/// - no blocked symbols; one session covering every day, 00:00–24:00 UTC;
/// - drawdown: a fall of more than 100 % of the day's peak equity (equity below zero) moves the
///   run to Reducing.
pub fn backtest_limits(initial_cash: Money, max_leverage: Rate) -> RiskLimits {
    let wide = |multiple: &str| {
        initial_cash
            .checked_mul_rate(multiple.parse().unwrap_or(Rate::ONE))
            .unwrap_or(initial_cash)
    };
    let units = Quantity::from_units(1_000_000_000).unwrap_or(Quantity::MAX);
    let throttle = Throttle {
        strategy: Some(1_000_000),
        account: Some(1_000_000),
    };
    RiskLimits {
        max_order_quantity: Some(units),
        max_order_notional: Some(wide("1000")),
        max_position: Some(units),
        max_gross_exposure: Some(wide("1000")),
        max_net_exposure: Some(wide("1000")),
        max_leverage: Some(max_leverage),
        price_collar: Some(PriceCollar {
            max_fraction: Some(Rate::ONE),
            max_ticks: None,
            tick_size: None,
        }),
        max_price_age_ms: Some(31 * 24 * 3_600 * 1_000),
        orders_per_second: Some(throttle),
        orders_per_minute: Some(throttle),
        duplicate_window_ms: Some(0),
        blocked_symbols: Some(Vec::new()),
        sessions: "mon-sun 00:00-24:00"
            .parse()
            .ok()
            .map(|session| vec![session]),
        max_daily_loss: Some(wide("1000")),
        max_drawdown_fraction: Some(Rate::ONE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backtest_profile_configures_every_limit() {
        let limits = backtest_limits(Money::from_units(100_000), Rate::ONE);
        assert_eq!(limits.missing(), Vec::<&str>::new());
        assert_eq!(
            limits.max_order_notional,
            Some(Money::from_units(100_000_000))
        );
        assert_eq!(limits.max_leverage, Some(Rate::ONE));
    }
}
