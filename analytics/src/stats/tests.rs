use std::time::Duration;

use airlock_core::{
    ClientOrderId, Fill, Liquidity, Money, Price, Quantity, Side, Symbol, UnixNanos,
};

use super::*;

const DAY: u64 = 86_400_000_000_000;

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

fn assert_close(actual: Option<f64>, expected: f64, what: &str) {
    match actual {
        Some(actual) => assert!(close(actual, expected), "{what}: {actual} != {expected}"),
        None => panic!("{what}: undefined, expected {expected}"),
    }
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

/// Equity points one calendar day apart, starting on day 18,000 (2019-04-14).
fn daily(values: &[&str]) -> Vec<(UnixNanos, Money)> {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| (UnixNanos::new((18_000 + index as u64) * DAY), money(value)))
        .collect()
}

fn input<'a>(
    initial: &str,
    equity: &'a [(UnixNanos, Money)],
    in_market: &'a [bool],
    fills: &'a [Fill],
) -> AnalyticsInput<'a> {
    AnalyticsInput {
        initial_cash: money(initial),
        fills,
        equity,
        in_market,
        periods_per_year: Some(252.0),
    }
}

fn trade(pnl: &str, days: u64) -> RoundTrip {
    RoundTrip {
        symbol: Symbol::parse("AAPL").unwrap(),
        side: Side::Buy,
        quantity: Quantity::ONE,
        entry_at: UnixNanos::new(0),
        exit_at: UnixNanos::new(days * DAY),
        entry_price: Price::ONE,
        exit_price: Price::ONE,
        pnl: money(pnl),
        return_pct: 0.0,
        fees: Money::ZERO,
        holding: Duration::from_secs(days * 86_400),
    }
}

#[test]
fn return_ratios_match_a_hand_computed_series() {
    // Initial 100, then 110, 99, 108.9, 130.68: returns r = [0.1, −0.1, 0.1, 0.2].
    // mean = 0.3 / 4 = 0.075; squared deviations 0.000625, 0.030625, 0.000625, 0.015625 sum to
    // 0.0475, so std (ddof 1) = √(0.0475 / 3) = 0.125830574.
    // sharpe = 0.075 / 0.125830574 × √252 = 9.461834695.
    // volatility = 0.125830574 × √252 × 100 = 199.749843554 %.
    // downside deviation = √((0 + 0.01 + 0 + 0) / 4) × √252 = 0.05 × √252 = 0.793725393;
    // sortino = 0.075 × 252 / 0.793725393 = 23.811761800.
    let equity = daily(&["110", "99", "108.9", "130.68"]);
    let stats = statistics(&input("100", &equity, &[true; 4], &[]), &[]);
    assert_close(stats.sharpe, 9.461_834_694_681_244, "sharpe");
    assert_close(
        stats.annual_volatility_pct,
        199.749_843_554_381_78,
        "volatility",
    );
    assert_close(stats.sortino, 23.811_761_799_581_316, "sortino");
    assert_close(stats.total_return_pct, 30.68, "total return");
    assert!(close(stats.final_equity, 130.68));
    // Peak 110 on day 0, trough 99 on day 1: 10 % deep; recovered on day 3 (130.68 ≥ 110).
    assert!(close(stats.max_drawdown_pct, 10.0));
    assert!(close(stats.max_drawdown_days, 3.0));
    assert_eq!(stats.bars, 4);
    assert!(close(stats.periods_per_year, 252.0));
}

#[test]
fn cagr_uses_calendar_years_of_365_25_days() {
    // 100 → 121 over 2020-01-01 … 2022-01-01 = 731 days = 2.001369 years:
    // (1.21^(365.25 / 731) − 1) × 100 = 9.992829153 %.
    let start = UnixNanos::from_civil(2020, 1, 1, 0, 0, 0, 0).unwrap();
    let end = UnixNanos::from_civil(2022, 1, 1, 0, 0, 0, 0).unwrap();
    let equity = [(start, money("100")), (end, money("121"))];
    let stats = statistics(&input("100", &equity, &[false, false], &[]), &[]);
    assert_close(stats.cagr_pct, 9.992_829_153_182_337, "cagr");
    // No drawdown: calmar undefined.
    assert!(close(stats.max_drawdown_pct, 0.0));
    assert_eq!(stats.calmar, None);
}

#[test]
fn calmar_divides_cagr_by_the_deepest_drawdown() {
    // 100 → 80 (−20 %) → 121 over exactly 731 days.
    let start = UnixNanos::from_civil(2020, 1, 1, 0, 0, 0, 0).unwrap();
    let middle = UnixNanos::from_civil(2021, 1, 1, 0, 0, 0, 0).unwrap();
    let end = UnixNanos::from_civil(2022, 1, 1, 0, 0, 0, 0).unwrap();
    let equity = [
        (start, money("100")),
        (middle, money("80")),
        (end, money("121")),
    ];
    let stats = statistics(&input("100", &equity, &[false; 3], &[]), &[]);
    assert!(close(stats.max_drawdown_pct, 20.0));
    // Peak at the start (the initial cash), recovered at the end: 731 days.
    assert!(close(stats.max_drawdown_days, 731.0));
    assert_close(stats.calmar, 9.992_829_153_182_337 / 20.0, "calmar");
}

#[test]
fn an_unrecovered_drawdown_runs_to_the_last_point() {
    // Day 0: 100, a 1-day dip to 95 recovered on day 2 at 120, then 90 and 100 to day 10.
    let equity = [
        (UnixNanos::new(0), money("100")),
        (UnixNanos::new(DAY), money("95")),
        (UnixNanos::new(2 * DAY), money("120")),
        (UnixNanos::new(5 * DAY), money("90")),
        (UnixNanos::new(10 * DAY), money("100")),
    ];
    let stats = statistics(&input("100", &equity, &[false; 5], &[]), &[]);
    // Deepest: (1 − 90 / 120) × 100 = 25 %. Longest: day 2 (peak 120) to day 10 = 8 days.
    assert!(close(stats.max_drawdown_pct, 25.0));
    assert!(close(stats.max_drawdown_days, 8.0));
}

#[test]
fn a_first_bar_below_the_initial_cash_is_a_drawdown() {
    let equity = daily(&["99", "100"]);
    let stats = statistics(&input("100", &equity, &[true, false], &[]), &[]);
    assert!(close(stats.max_drawdown_pct, 1.0));
    assert!(close(stats.max_drawdown_days, 1.0));
    assert_close(stats.exposure_pct, 50.0, "exposure");
}

#[test]
fn trade_statistics_from_wins_losses_and_a_scratch() {
    // P&Ls 30, −10, 20, 0: 2 wins of 4 = 50 %; profit factor 50 / 10 = 5; avg win 25,
    // avg loss −10, expectancy 40 / 4 = 10; holding (1 + 2 + 3 + 6) / 4 = 3 days.
    let trades = [
        trade("30", 1),
        trade("-10", 2),
        trade("20", 3),
        trade("0", 6),
    ];
    let equity = daily(&["100"]);
    let stats = statistics(&input("100", &equity, &[false], &[]), &trades);
    assert_eq!(stats.trades, 4);
    assert_close(stats.win_rate_pct, 50.0, "win rate");
    assert_close(stats.profit_factor, 5.0, "profit factor");
    assert_close(stats.avg_win, 25.0, "avg win");
    assert_close(stats.avg_loss, -10.0, "avg loss");
    assert_close(stats.expectancy, 10.0, "expectancy");
    assert_close(stats.best_trade, 30.0, "best");
    assert_close(stats.worst_trade, -10.0, "worst");
    assert_close(stats.avg_holding_days, 3.0, "holding");
}

#[test]
fn all_winning_trades_leave_the_profit_factor_undefined() {
    let trades = [trade("5", 1), trade("7", 1)];
    let stats = statistics(&input("100", &[], &[], &[]), &trades);
    assert_eq!(stats.profit_factor, None);
    assert_eq!(stats.avg_loss, None);
    assert_close(stats.win_rate_pct, 100.0, "win rate");
    let json = serde_json::to_value(&stats).unwrap();
    assert!(json["profit_factor"].is_null());
}

#[test]
fn only_losing_trades_give_a_profit_factor_of_zero() {
    let trades = [trade("-5", 1)];
    let stats = statistics(&input("100", &[], &[], &[]), &trades);
    assert_close(stats.profit_factor, 0.0, "profit factor");
    assert_eq!(stats.avg_win, None);
}

#[test]
fn no_fills_and_no_bars_give_nulls_not_nans() {
    let stats = statistics(&input("100", &[], &[], &[]), &[]);
    assert_eq!(stats.bars, 0);
    assert_eq!(stats.trades, 0);
    assert!(close(stats.final_equity, 100.0));
    assert_close(stats.total_return_pct, 0.0, "total return");
    for (name, value) in [
        ("cagr", stats.cagr_pct),
        ("volatility", stats.annual_volatility_pct),
        ("sharpe", stats.sharpe),
        ("sortino", stats.sortino),
        ("calmar", stats.calmar),
        ("win rate", stats.win_rate_pct),
        ("profit factor", stats.profit_factor),
        ("expectancy", stats.expectancy),
        ("exposure", stats.exposure_pct),
    ] {
        assert_eq!(value, None, "{name}");
    }
    assert_eq!((stats.start, stats.end), (None, None));
    let text = serde_json::to_string(&stats).unwrap();
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    assert!(text.contains("\"start\":null"));
}

#[test]
fn one_bar_has_a_return_but_no_volatility() {
    let equity = daily(&["101"]);
    let stats = statistics(&input("100", &equity, &[true], &[]), &[]);
    assert_eq!(stats.annual_volatility_pct, None);
    assert_eq!(stats.sharpe, None);
    // The one return is positive: no downside, so sortino is undefined too.
    assert_eq!(stats.sortino, None);
    // First and last timestamps coincide: no calendar time for a CAGR.
    assert_eq!(stats.cagr_pct, None);
    assert_close(stats.total_return_pct, 1.0, "total return");
    assert_close(stats.exposure_pct, 100.0, "exposure");
}

#[test]
fn flat_equity_has_zero_volatility_and_no_sharpe() {
    let equity = daily(&["100", "100", "100", "100"]);
    let stats = statistics(&input("100", &equity, &[false; 4], &[]), &[]);
    assert_close(stats.annual_volatility_pct, 0.0, "volatility");
    assert_eq!(stats.sharpe, None);
    assert_eq!(stats.sortino, None);
    assert!(close(stats.max_drawdown_pct, 0.0));
    assert!(close(stats.max_drawdown_days, 0.0));
    assert_close(stats.cagr_pct, 0.0, "cagr");
}

#[test]
fn equity_at_or_below_zero_makes_return_ratios_undefined() {
    let equity = daily(&["50", "0", "-10"]);
    let stats = statistics(&input("100", &equity, &[true; 3], &[]), &[]);
    assert_eq!(stats.sharpe, None);
    assert_eq!(stats.sortino, None);
    assert_eq!(stats.annual_volatility_pct, None);
    assert_eq!(stats.cagr_pct, None);
    assert_close(stats.total_return_pct, -110.0, "total return");
    assert!(close(stats.max_drawdown_pct, 110.0));
}

#[test]
fn fees_sum_every_fill_and_periods_per_year_is_inferred_when_absent() {
    let fill = |fee: &str, seconds: u64| Fill {
        client_order_id: ClientOrderId::parse("f").unwrap(),
        symbol: Symbol::parse("AAPL").unwrap(),
        side: Side::Buy,
        price: Price::ONE,
        quantity: Quantity::ONE,
        fee: money(fee),
        liquidity: Liquidity::Maker,
        at: UnixNanos::new(seconds),
    };
    let fills = [fill("0.25", 0), fill("1.5", 1)];
    let equity: Vec<(UnixNanos, Money)> = (0..30)
        .map(|day| (UnixNanos::new((18_000 + day) * DAY), money("100")))
        .collect();
    let mut analytics_input = input("100", &equity, &[false; 30], &fills);
    analytics_input.periods_per_year = None;
    let stats = statistics(&analytics_input, &[]);
    assert!(close(stats.fees, 1.75));
    // Thirty consecutive calendar days, weekends included: a 7-day market.
    assert!(close(stats.periods_per_year, 365.0));
}

#[test]
fn statistics_serialize_with_snake_case_keys_and_rfc3339_times() {
    let equity = daily(&["110", "99"]);
    let stats = statistics(&input("100", &equity, &[true, true], &[]), &[]);
    let json = serde_json::to_value(&stats).unwrap();
    for key in [
        "final_equity",
        "total_return_pct",
        "cagr_pct",
        "annual_volatility_pct",
        "sharpe",
        "sortino",
        "max_drawdown_pct",
        "max_drawdown_days",
        "calmar",
        "trades",
        "win_rate_pct",
        "profit_factor",
        "avg_win",
        "avg_loss",
        "expectancy",
        "exposure_pct",
        "fees",
        "bars",
        "start",
        "end",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["start"], "2019-04-14T00:00:00Z");
    assert_eq!(json["trades"], 0);
}
