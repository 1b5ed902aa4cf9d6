//! Replay scenarios on small synthetic series, checked against hand-computed fills and equity.

use super::*;
use airlock_brokers::matching::{EngineConfig, FeeSchedule, FillModel};
use airlock_core::Rate;

/// A strategy that emits the given targets at given bar indices (per symbol slot).
struct Scripted {
    script: Vec<(usize, usize, Target, Option<&'static str>)>,
    seen: Vec<usize>,
}

impl Scripted {
    fn new(script: Vec<(usize, usize, Target, Option<&'static str>)>) -> Self {
        Self {
            script,
            seen: Vec::new(),
        }
    }
}

impl Strategy for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn on_candle(
        &mut self,
        slot: usize,
        symbol: Symbol,
        _: &Candle,
        _: &PortfolioView,
        signals: &mut Vec<Signal>,
    ) {
        if self.seen.len() <= slot {
            self.seen.resize(slot + 1, 0);
        }
        let bar = self.seen[slot];
        self.seen[slot] += 1;
        for (at_slot, at_bar, target, stop) in &self.script {
            if *at_slot == slot && *at_bar == bar {
                signals.push(Signal {
                    symbol,
                    target: *target,
                    stop: stop.map(|s| s.parse().unwrap()),
                    reason: "script",
                });
            }
        }
    }
}

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

/// Daily candles from (open, high, low, close) tuples, volume 1,000.
fn series(symbol: &str, bars: &[(&str, &str, &str, &str)]) -> Series {
    let candles = bars
        .iter()
        .enumerate()
        .map(|(day, (open, high, low, close))| {
            let ts = UnixNanos::from_civil(2021, 1, 4 + u32::try_from(day).unwrap(), 0, 0, 0, 0)
                .unwrap();
            Candle::new(
                ts,
                px(open),
                px(high),
                px(low),
                px(close),
                Quantity::from_units(1_000).unwrap(),
            )
            .unwrap()
        })
        .collect();
    Series {
        symbol: Symbol::parse(symbol).unwrap(),
        candles,
    }
}

fn config(fill_model: FillModel, sizing: &str) -> BacktestConfig {
    BacktestConfig {
        initial_cash: Money::from_units(10_000),
        engine: EngineConfig {
            fill_model,
            ..EngineConfig::default()
        },
        sizing: sizing.parse().unwrap(),
        risk: crate::backtest_limits(Money::from_units(10_000), Rate::ONE),
        run_id: "t".into(),
    }
}

fn replay(
    series: &[Series],
    script: Vec<(usize, usize, Target, Option<&'static str>)>,
    config: &BacktestConfig,
) -> BacktestResult {
    let mut strategy = Scripted::new(script);
    run(series, &mut strategy, config, None).unwrap()
}

fn fills(result: &BacktestResult) -> Vec<String> {
    result
        .fills
        .iter()
        .map(|f| {
            format!(
                "{} {} {} @ {} fee {}",
                f.at, f.side, f.quantity, f.price, f.fee
            )
        })
        .collect()
}

fn equity(result: &BacktestResult) -> Vec<String> {
    result
        .equity
        .iter()
        .map(|(_, equity)| equity.to_string())
        .collect()
}

const BARS: [(&str, &str, &str, &str); 5] = [
    ("100", "101", "99", "100"),
    ("102", "104", "101", "103"),
    ("103", "106", "102", "105"),
    ("104", "105", "96", "97"),
    ("98", "99", "95", "96"),
];

#[test]
fn next_open_fills_a_decision_at_the_following_open() {
    let data = [series("AAA", &BARS)];
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, None), (0, 2, Target::Flat, None)],
        &config(FillModel::NextOpen, "fixed:10"),
    );
    assert_eq!(
        fills(&result),
        [
            "2021-01-05T00:00:00Z buy 10 @ 102 fee 0",
            "2021-01-07T00:00:00Z sell 10 @ 104 fee 0",
        ]
    );
    // Equity: flat, then 10 × (103 − 102), 10 × (105 − 102), then sold at 104: +20 for good.
    assert_eq!(
        equity(&result),
        ["10000", "10010", "10030", "10020", "10020"]
    );
    assert_eq!(result.in_market, [false, true, true, false, false]);
    assert_eq!(result.final_cash, Money::from_units(10_020));
    assert_eq!(result.orders.len(), 2);
    assert!(result.orders.iter().all(|order| order.status == "filled"));
    assert_eq!(result.orders[1].client_order_id.as_str(), "scripted-t-2");
}

#[test]
fn close_model_fills_at_the_deciding_bar_close() {
    let data = [series("AAA", &BARS)];
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, None), (0, 2, Target::Flat, None)],
        &config(FillModel::Close, "fixed:10"),
    );
    assert_eq!(
        fills(&result),
        [
            "2021-01-04T00:00:00Z buy 10 @ 100 fee 0",
            "2021-01-06T00:00:00Z sell 10 @ 105 fee 0",
        ]
    );
    assert_eq!(result.final_cash, Money::from_units(10_050));
}

#[test]
fn protective_stop_is_placed_after_entry_and_fills_at_the_stop() {
    let data = [series("AAA", &BARS)];
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, Some("98"))],
        &config(FillModel::NextOpen, "fixed:10"),
    );
    // Entry at bar 1's open; the stop rests from bar 2; bar 3's low 96 trades through 98.
    assert_eq!(
        fills(&result),
        [
            "2021-01-05T00:00:00Z buy 10 @ 102 fee 0",
            "2021-01-07T00:00:00Z sell 10 @ 98 fee 0",
        ]
    );
    let stop = result
        .orders
        .iter()
        .find(|order| order.kind == "stop")
        .unwrap();
    assert_eq!((stop.stop, stop.status), (Some(px("98")), "filled"));
    assert_eq!(result.final_cash, Money::from_units(9_960));
}

#[test]
fn reversal_goes_from_long_to_short_in_one_order() {
    let data = [series("AAA", &BARS)];
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, None), (0, 2, Target::Short, None)],
        &config(FillModel::NextOpen, "fixed:10"),
    );
    assert_eq!(
        fills(&result),
        [
            "2021-01-05T00:00:00Z buy 10 @ 102 fee 0",
            "2021-01-07T00:00:00Z sell 20 @ 104 fee 0",
        ]
    );
    // Short 10 from 104, marked at 96 at the end: +80 on top of the +20 of the long.
    assert_eq!(equity(&result).last().unwrap(), "10100");
}

#[test]
fn equity_sizing_uses_current_equity_after_commission() {
    let data = [series("AAA", &BARS)];
    let mut config = config(FillModel::NextOpen, "equity:0.5");
    config.engine.fees = FeeSchedule {
        rate: Rate::from_bps("10".parse().unwrap()).unwrap(),
        minimum_per_order: Money::from_units(1),
    };
    let result = replay(&data, vec![(0, 0, Target::Long, None)], &config);
    // 5,000 / (100 × 1.001) = 49.95 → 49 units, decided at the close of 100, filled at 102.
    assert_eq!(
        fills(&result),
        ["2021-01-05T00:00:00Z buy 49 @ 102 fee 4.998"]
    );
    assert_eq!(result.fees_paid, "4.998".parse().unwrap());
}

#[test]
fn pre_trade_refusals_are_counted_per_rule_and_nothing_is_sent() {
    let data = [series("AAA", &BARS)];
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, None)],
        &config(FillModel::NextOpen, "fixed:1000"),
    );
    assert!(result.fills.is_empty());
    assert_eq!(result.refusals.get("max_leverage"), Some(&1));
    assert_eq!(result.orders[0].status, "refused");
    assert!(
        result.orders[0].reason.contains("exceeds 1 x equity 10000"),
        "{}",
        result.orders[0].reason
    );
}

#[test]
fn several_symbols_share_one_account_and_one_equity_point_per_timestamp() {
    let data = [series("AAA", &BARS), series("BBB", &BARS[..3])];
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, None), (1, 0, Target::Long, None)],
        &config(FillModel::NextOpen, "fixed:10"),
    );
    assert_eq!(result.bars, 8);
    assert_eq!(result.equity.len(), 5);
    assert_eq!(
        result
            .fills
            .iter()
            .map(|fill| fill.symbol.as_str())
            .collect::<Vec<_>>(),
        ["AAA", "BBB"]
    );
    // Both long 10 from 102; BBB stops updating after its last bar (close 105).
    assert_eq!(equity(&result), ["10000", "10020", "10060", "9980", "9970"]);
}

#[test]
fn identical_inputs_give_identical_results() {
    let data = [series("AAA", &BARS), series("BBB", &BARS)];
    let script = vec![
        (0, 0, Target::Long, Some("99")),
        (1, 1, Target::Short, None),
        (1, 3, Target::Flat, None),
    ];
    let config = config(FillModel::NextOpen, "equity:0.4");
    assert_eq!(
        replay(&data, script.clone(), &config),
        replay(&data, script, &config)
    );
}

#[test]
fn bad_inputs_are_errors() {
    let mut strategy = Scripted::new(Vec::new());
    let config = config(FillModel::NextOpen, "fixed:1");
    let empty = [Series {
        symbol: Symbol::parse("A").unwrap(),
        candles: Vec::new(),
    }];
    assert_eq!(
        run(&empty, &mut strategy, &config, None),
        Err(BacktestError::NoCandles)
    );
    let twice = [series("AAA", &BARS), series("AAA", &BARS)];
    assert!(matches!(
        run(&twice, &mut strategy, &config, None),
        Err(BacktestError::DuplicateSymbol(_))
    ));
    let mut backwards = series("AAA", &BARS);
    backwards.candles.swap(1, 2);
    assert!(matches!(
        run(&[backwards], &mut strategy, &config, None),
        Err(BacktestError::NotAscending { .. })
    ));
    let bad_run = BacktestConfig {
        run_id: "has space".into(),
        ..config.clone()
    };
    assert!(matches!(
        run(&[series("AAA", &BARS)], &mut strategy, &bad_run, None),
        Err(BacktestError::RunId { .. })
    ));
}

#[test]
fn every_rule_is_counted_and_a_blocked_symbol_never_reaches_the_engine() {
    let data = [series("AAA", &BARS), series("BBB", &BARS)];
    let mut config = config(FillModel::NextOpen, "fixed:10");
    config.risk.blocked_symbols = Some(vec![Symbol::parse("bbb").unwrap()]);
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, None), (1, 0, Target::Long, None)],
        &config,
    );
    assert_eq!(result.refusals.len(), airlock_risk::Rule::ALL.len());
    assert_eq!(result.refusals["blocked_symbol"], 1);
    assert_eq!(result.refusals.values().sum::<u64>(), 1);
    assert!(
        result
            .fills
            .iter()
            .all(|fill| fill.symbol.as_str() == "AAA")
    );
    let refused = result
        .orders
        .iter()
        .find(|order| order.status == "refused")
        .unwrap();
    assert_eq!(
        refused.reason,
        "script; refused by blocked_symbol: BBB is on the blocked symbols list"
    );
    // The manager started Halted and the backtest confirmed it at the first bar.
    assert_eq!(result.risk_transitions.len(), 1);
    let report = result.into_report(BTreeMap::new(), false);
    assert_eq!(report.refusals["blocked_symbol"], 1);
    assert_eq!(report.refusals["max_leverage"], 0);
}

#[test]
fn a_daily_loss_halts_the_run_and_later_orders_are_refused_by_the_state() {
    let data = [series("AAA", &BARS)];
    let mut config = config(FillModel::NextOpen, "fixed:50");
    // Long 50 from 102: the fall from 105 to 97 loses 400 in one day.
    config.risk.max_daily_loss = Some(Money::from_units(300));
    let result = replay(
        &data,
        vec![(0, 0, Target::Long, None), (0, 4, Target::Flat, None)],
        &config,
    );
    let reasons: Vec<String> = result
        .risk_transitions
        .iter()
        .map(|event| serde_json::to_string(&event.kind).unwrap())
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[1].contains("\"to\":\"halted\"") && reasons[1].contains("loss today 400"),
        "{}",
        reasons[1]
    );
    // The exit on the last bar is refused: a halted manager approves nothing.
    assert_eq!(result.refusals["trading_state"], 1);
    assert_eq!(result.fills.len(), 1);
}
