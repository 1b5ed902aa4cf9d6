//! The manager end to end: state, fail-closed limits, working orders, market data, events.

use super::*;
use crate::limits::{PriceCollar, Throttle};
use crate::rule::Rule;
use airlock_core::{Liquidity, OrderKind, Side, TimeInForce};

pub(crate) fn generous_limits() -> RiskLimits {
    RiskLimits {
        max_order_quantity: Some(Quantity::from_units(1_000).unwrap()),
        max_order_notional: Some(Money::from_units(100_000)),
        max_position: Some(Quantity::from_units(100).unwrap()),
        max_gross_exposure: Some(Money::from_units(1_000_000)),
        max_net_exposure: Some(Money::from_units(1_000_000)),
        max_leverage: Some("10".parse().unwrap()),
        price_collar: Some(PriceCollar {
            max_fraction: Some("0.05".parse().unwrap()),
            max_ticks: None,
            tick_size: None,
        }),
        max_price_age_ms: Some(5_000),
        orders_per_second: Some(Throttle {
            strategy: Some(100),
            account: Some(100),
        }),
        orders_per_minute: Some(Throttle {
            strategy: Some(1_000),
            account: Some(1_000),
        }),
        duplicate_window_ms: Some(1_000),
        blocked_symbols: Some(vec![Symbol::parse("GME").unwrap()]),
        sessions: Some(vec!["mon-sun 00:00-24:00".parse().unwrap()]),
        max_daily_loss: Some(Money::from_units(5_000)),
        max_drawdown_fraction: Some("0.1".parse().unwrap()),
    }
}

fn at(second: u64) -> UnixNanos {
    // 2021-04-21T00:00:00Z plus `second`.
    UnixNanos::new(1_618_963_200_000_000_000 + second * 1_000_000_000)
}

fn aapl() -> Symbol {
    Symbol::parse("AAPL").unwrap()
}

fn order(id: &str, side: Side, units: i64) -> OrderRequest {
    OrderRequest::new(
        ClientOrderId::parse(id).unwrap(),
        aapl(),
        side,
        OrderKind::Market,
        Quantity::from_units(units).unwrap(),
        TimeInForce::Day,
    )
    .unwrap()
}

fn fill(id: &str, side: Side, units: i64) -> Fill {
    Fill {
        client_order_id: ClientOrderId::parse(id).unwrap(),
        symbol: aapl(),
        side,
        price: "100".parse().unwrap(),
        quantity: Quantity::from_units(units).unwrap(),
        fee: Money::ZERO,
        liquidity: Liquidity::Taker,
        at: at(0),
    }
}

/// A confirmed manager with AAPL at 100 and equity 100,000.
fn ready(limits: RiskLimits) -> RiskManager {
    let mut manager = RiskManager::new(limits);
    manager.on_price(aapl(), "100".parse().unwrap(), at(0));
    manager.on_equity(Money::from_units(100_000), at(0));
    manager.confirm_state(at(0), "reconciled").unwrap();
    manager
}

#[test]
fn starts_halted_until_the_state_is_confirmed_once() {
    let mut manager = RiskManager::new(generous_limits());
    manager.on_price(aapl(), "100".parse().unwrap(), at(0));
    manager.on_equity(Money::from_units(100_000), at(0));
    assert_eq!(manager.state(), TradingState::Halted);
    let refusal = manager
        .check(order("o-1", Side::Buy, 1), "s", at(0))
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::TradingState);
    assert_eq!(
        manager.confirm_state(at(1), "reconciled"),
        Ok(TradingState::Active)
    );
    assert!(
        manager
            .check(order("o-2", Side::Buy, 1), "s", at(1))
            .is_ok()
    );
    assert!(manager.confirm_state(at(2), "again").is_err());
    manager
        .command(Trigger::OperatorHalt, at(3), "kill switch")
        .unwrap();
    assert!(manager.confirm_state(at(4), "sneaky resume").is_err());
    assert_eq!(manager.state(), TradingState::Halted);
}

#[test]
fn unconfigured_limits_refuse_every_order() {
    let mut manager = ready(RiskLimits::default());
    let refusal = manager
        .check(order("o-1", Side::Buy, 1), "s", at(0))
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::MaxDailyLoss);
    assert!(refusal.reason.contains("not configured"), "{refusal}");
    // Remove each limit in turn from a full set: the order is refused, never let through.
    let full = generous_limits();
    let without: Vec<(&str, RiskLimits)> = vec![
        (
            "max_order_quantity",
            RiskLimits {
                max_order_quantity: None,
                ..full.clone()
            },
        ),
        (
            "max_order_notional",
            RiskLimits {
                max_order_notional: None,
                ..full.clone()
            },
        ),
        (
            "max_position",
            RiskLimits {
                max_position: None,
                ..full.clone()
            },
        ),
        (
            "max_gross_exposure",
            RiskLimits {
                max_gross_exposure: None,
                ..full.clone()
            },
        ),
        (
            "max_net_exposure",
            RiskLimits {
                max_net_exposure: None,
                ..full.clone()
            },
        ),
        (
            "max_leverage",
            RiskLimits {
                max_leverage: None,
                ..full.clone()
            },
        ),
        (
            "price_collar",
            RiskLimits {
                price_collar: None,
                ..full.clone()
            },
        ),
        (
            "max_price_age_ms",
            RiskLimits {
                max_price_age_ms: None,
                ..full.clone()
            },
        ),
        (
            "orders_per_second",
            RiskLimits {
                orders_per_second: None,
                ..full.clone()
            },
        ),
        (
            "orders_per_minute",
            RiskLimits {
                orders_per_minute: None,
                ..full.clone()
            },
        ),
        (
            "duplicate_window_ms",
            RiskLimits {
                duplicate_window_ms: None,
                ..full.clone()
            },
        ),
        (
            "blocked_symbols",
            RiskLimits {
                blocked_symbols: None,
                ..full.clone()
            },
        ),
        (
            "sessions",
            RiskLimits {
                sessions: None,
                ..full.clone()
            },
        ),
        (
            "max_daily_loss",
            RiskLimits {
                max_daily_loss: None,
                ..full.clone()
            },
        ),
        (
            "max_drawdown_fraction",
            RiskLimits {
                max_drawdown_fraction: None,
                ..full.clone()
            },
        ),
    ];
    for (name, limits) in without {
        assert_eq!(limits.missing(), [name]);
        let mut manager = ready(limits);
        let refusal = manager
            .check(order("o-1", Side::Buy, 1), "s", at(0))
            .unwrap_err();
        assert!(
            refusal
                .reason
                .contains(&format!("limit {name} is not configured")),
            "{name}: {refusal}"
        );
    }
}

#[test]
fn working_orders_count_towards_the_position_limit_until_they_close() {
    let mut manager = ready(generous_limits());
    assert!(
        manager
            .check(order("o-1", Side::Buy, 60), "s", at(0))
            .is_ok()
    );
    let refusal = manager
        .check(order("o-2", Side::Buy, 41), "s", at(0))
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::MaxPosition);
    assert!(
        refusal.reason.contains("could reach 101 (now 0)"),
        "{refusal}"
    );
    // Half fills, the rest is cancelled: position 30, nothing working.
    manager.on_fill(&fill("o-1", Side::Buy, 30));
    manager.on_order_closed(&ClientOrderId::parse("o-1").unwrap());
    assert_eq!(manager.position(aapl()), Quantity::from_units(30).unwrap());
    assert!(
        manager
            .check(order("o-3", Side::Buy, 70), "s", at(0))
            .is_ok()
    );
    assert!(
        manager
            .check(order("o-4", Side::Buy, 1), "s", at(0))
            .is_err()
    );
    // Selling always fits.
    assert!(
        manager
            .check(order("o-5", Side::Sell, 100), "s", at(0))
            .is_ok()
    );
}

#[test]
fn missing_zero_negative_and_stale_prices_block_orders() {
    let mut manager = RiskManager::new(generous_limits());
    manager.on_equity(Money::from_units(100_000), at(0));
    manager.confirm_state(at(0), "reconciled").unwrap();
    let refusal = manager
        .check(order("o-1", Side::Buy, 1), "s", at(0))
        .unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "refused by no_price: no price for AAPL"
    );
    manager.on_price(aapl(), "100".parse().unwrap(), at(0));
    assert!(
        manager
            .check(order("o-2", Side::Buy, 1), "s", at(0))
            .is_ok()
    );
    // A zero price replaces the good one and blocks: no fallback to the earlier 100.
    manager.on_price(aapl(), Price::ZERO, at(1));
    assert_eq!(
        manager
            .check(order("o-3", Side::Buy, 2), "s", at(1))
            .unwrap_err()
            .rule,
        Rule::NoPrice
    );
    manager.on_price(aapl(), "-3".parse().unwrap(), at(1));
    assert_eq!(
        manager
            .check(order("o-4", Side::Buy, 2), "s", at(1))
            .unwrap_err()
            .rule,
        Rule::NoPrice
    );
    manager.on_price(aapl(), "101".parse().unwrap(), at(2));
    assert!(
        manager
            .check(order("o-5", Side::Buy, 2), "s", at(7))
            .is_ok()
    );
    let stale = manager
        .check(order("o-6", Side::Buy, 3), "s", at(8))
        .unwrap_err();
    assert_eq!(stale.rule, Rule::StalePrice);
}

#[test]
fn a_position_in_another_symbol_without_a_price_blocks_exposure_checks() {
    let mut manager = ready(generous_limits());
    manager.set_position(
        Symbol::parse("MSFT").unwrap(),
        Quantity::from_units(5).unwrap(),
    );
    let refusal = manager
        .check(order("o-1", Side::Buy, 1), "s", at(0))
        .unwrap_err();
    assert_eq!(
        refusal.reason,
        "no usable price for MSFT to value its exposure"
    );
}

#[test]
fn blocked_symbols_reload_at_run_time_and_are_recorded() {
    let mut manager = ready(generous_limits());
    let gme = OrderRequest::new(
        ClientOrderId::parse("g-1").unwrap(),
        Symbol::parse("gme").unwrap(),
        Side::Buy,
        OrderKind::Market,
        Quantity::ONE,
        TimeInForce::Day,
    )
    .unwrap();
    assert_eq!(
        manager.check(gme.clone(), "s", at(0)).unwrap_err().rule,
        Rule::BlockedSymbol
    );
    manager.set_blocked_symbols([Symbol::parse("aapl").unwrap()], at(1));
    assert_eq!(
        manager
            .check(order("o-1", Side::Buy, 1), "s", at(1))
            .unwrap_err()
            .rule,
        Rule::BlockedSymbol
    );
    // GME is no longer blocked (it now fails on its missing price instead).
    assert_eq!(
        manager.check(gme, "s", at(1)).unwrap_err().rule,
        Rule::NoPrice
    );
    assert!(manager.events().iter().any(|event| matches!(
        &event.kind,
        RiskEventKind::BlockedSymbols { symbols } if symbols == &[aapl()]
    )));
}

#[test]
fn drawdown_moves_to_reducing_and_daily_loss_to_halted_with_reasons() {
    let mut manager = ready(RiskLimits {
        max_daily_loss: Some(Money::from_units(15_000)),
        ..generous_limits()
    });
    assert!(
        manager
            .check(order("o-1", Side::Buy, 50), "s", at(0))
            .is_ok()
    );
    manager.on_fill(&fill("o-1", Side::Buy, 50));
    manager.on_order_closed(&ClientOrderId::parse("o-1").unwrap());
    // 10 % below the day's peak is allowed; a cent more moves to Reducing.
    manager.on_equity(Money::from_units(90_000), at(1));
    assert_eq!(manager.state(), TradingState::Active);
    manager.on_equity("96000".parse().unwrap(), at(2));
    manager.on_equity("89999.99".parse().unwrap(), at(3));
    assert_eq!(manager.state(), TradingState::Reducing);
    let refusal = manager
        .check(order("o-2", Side::Buy, 1), "s", at(3))
        .unwrap_err();
    assert_eq!(refusal.rule, Rule::ReduceOnly);
    assert!(
        manager
            .check(order("o-3", Side::Sell, 20), "s", at(3))
            .is_ok()
    );
    // 30 working + 31 would sell past flat.
    assert!(
        manager
            .check(order("o-4", Side::Sell, 31), "s", at(3))
            .is_err()
    );
    // A loss of exactly 15,000 is allowed; 15,001 halts.
    manager.on_equity(Money::from_units(85_000), at(4));
    assert_eq!(manager.state(), TradingState::Reducing);
    manager.on_equity(Money::from_units(84_999), at(4));
    assert_eq!(manager.state(), TradingState::Halted);
    assert_eq!(
        manager
            .check(order("o-5", Side::Sell, 1), "s", at(4))
            .unwrap_err()
            .rule,
        Rule::TradingState
    );
    let transitions: Vec<String> = manager
        .events()
        .iter()
        .filter_map(|event| match &event.kind {
            RiskEventKind::Transition {
                from,
                to,
                trigger,
                reason,
            } => Some(format!("{from}->{to} {trigger}: {reason}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        transitions,
        [
            "halted->active state_confirmed: reconciled",
            "active->reducing drawdown_limit: equity 89999.99 is 10000.01 below today's peak \
             100000; max_drawdown_fraction 0.1 allows 10000",
            "reducing->halted daily_loss_limit: loss today 15001 (from 100000 to 84999) exceeds \
             max_daily_loss 15000",
        ]
    );
    // Only an operator resumes; a limit still breached moves the state back at the next report.
    assert_eq!(
        manager.command(Trigger::OperatorResume, at(5), "reviewed"),
        Ok(TradingState::Active)
    );
    let before = manager.events().len();
    manager.on_equity(Money::from_units(84_999), at(5));
    assert_eq!(manager.state(), TradingState::Halted);
    assert_eq!(manager.events().len(), before + 1);
    assert!(
        manager
            .command(Trigger::StateConfirmed, at(5), "x")
            .is_err()
    );
}

#[test]
fn every_refusal_is_an_event_with_its_rule_and_reason() {
    let mut manager = ready(generous_limits());
    let too_far = OrderRequest::new(
        ClientOrderId::parse("o-1").unwrap(),
        aapl(),
        Side::Buy,
        OrderKind::Limit {
            limit: "110".parse().unwrap(),
        },
        Quantity::ONE,
        TimeInForce::Day,
    )
    .unwrap();
    manager.drain_events();
    let refusal = manager.check(too_far, "momentum", at(0)).unwrap_err();
    assert_eq!(refusal.rule, Rule::PriceCollar);
    let events = manager.drain_events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].kind,
        RiskEventKind::Refused {
            client_order_id: ClientOrderId::parse("o-1").unwrap(),
            symbol: aapl(),
            strategy: "momentum".into(),
            rule: Rule::PriceCollar,
            reason: refusal.reason,
        }
    );
    assert!(manager.events().is_empty());
}

#[test]
fn duplicates_and_rates_count_only_approved_orders() {
    let mut manager = ready(generous_limits());
    assert!(
        manager
            .check(order("o-1", Side::Buy, 5), "s", at(0))
            .is_ok()
    );
    let duplicate = manager
        .check(order("o-2", Side::Buy, 5), "s", at(0))
        .unwrap_err();
    assert_eq!(duplicate.rule, Rule::DuplicateOrder);
    assert!(
        manager
            .check(order("o-3", Side::Buy, 5), "s", at(1))
            .is_ok()
    );
}
