//! The radar on hand-checked bars, against a from-scratch recomputation, and its watchlists.

use super::*;
use crate::config::Weights;
use airlock_core::{Money, Price, Quantity};
use proptest::prelude::*;

fn day(index: usize) -> UnixNanos {
    UnixNanos::new(1_600_000_000_000_000_000 + index as u64 * 86_400_000_000_000)
}

fn bar(index: usize, high: &str, low: &str, close: &str, volume: i64) -> Candle {
    let (high, low, close): (Price, Price, Price) = (
        high.parse().unwrap(),
        low.parse().unwrap(),
        close.parse().unwrap(),
    );
    Candle::new(
        day(index),
        close,
        high,
        low,
        close,
        Quantity::from_units(volume).unwrap(),
    )
    .unwrap()
}

fn small_config() -> RadarConfig {
    RadarConfig {
        roc_bars: 2,
        volume_bars: 2,
        high_bars: 3,
        atr_bars: 2,
        min_price: Price::ONE,
        min_avg_dollar_volume: Money::from_units(1_000),
        weights: Weights::default(),
    }
}

fn symbol(text: &str) -> Symbol {
    Symbol::parse(text).unwrap()
}

#[test]
fn factors_match_hand_computed_values() {
    let mut radar = Radar::new(small_config()).unwrap();
    let bars = [
        bar(0, "11", "9", "10", 100),
        bar(1, "12", "10", "11", 100),
        bar(2, "13", "11", "12", 200),
        bar(3, "13", "11", "12.5", 300),
        bar(4, "16", "12", "15", 500),
    ];
    for (index, candle) in bars.iter().enumerate() {
        radar.update(symbol("AAA"), candle).unwrap();
        let ranking = radar.rank();
        if index < 3 {
            // Warm-up is max(roc 2, volume 2, high 3, atr 2) + 1 = 4 bars.
            assert_eq!(ranking.rows.len(), 0);
            assert_eq!(
                ranking.excluded[0].why,
                Exclusion::WarmingUp {
                    bars: index + 1,
                    needed: 4
                }
            );
        }
    }
    let row = &radar.rank().rows[0];
    // ROC: 15 / 12 − 1 = 25 %. Relative volume: 500 / mean(200, 300) = 2.
    assert!((row.roc_pct - 25.0).abs() < 1e-12);
    assert!((row.relative_volume - 2.0).abs() < 1e-12);
    // High of the last 3 bars is 16: 15 / 16 − 1 = −6.25 %. Breakout: 15 > max(12, 13, 13).
    assert!((row.distance_from_high_pct + 6.25).abs() < 1e-12);
    assert!(row.breakout);
    // True ranges 2, 2, 2, 2, 4 (16 − 12); Wilder ATR(2): seed 2, 2, 2, then (2 + 4) / 2 = 3.
    assert!((row.atr_pct - 20.0).abs() < 1e-12, "{}", row.atr_pct);
    // Dollar volume: (12.5 × 300 + 15 × 500) / 2 = 5,625.
    assert_eq!(row.avg_dollar_volume, Money::from_units(5_625));
    assert_eq!(row.close, "15".parse().unwrap());
}

#[test]
fn filters_and_staleness_exclude_with_reasons() {
    let mut config = small_config();
    config.min_price = "11".parse().unwrap();
    let mut radar = Radar::new(config).unwrap();
    for index in 0..5 {
        radar
            .update(symbol("CHEAP"), &bar(index, "10.5", "9.5", "10", 1_000))
            .unwrap();
        radar
            .update(symbol("THIN"), &bar(index, "21", "19", "20", 1))
            .unwrap();
        radar
            .update(symbol("GOOD"), &bar(index, "21", "19", "20", 1_000))
            .unwrap();
    }
    radar
        .update(symbol("OLD"), &bar(0, "21", "19", "20", 1_000))
        .unwrap();
    for index in 1..4 {
        radar
            .update(symbol("OLD"), &bar(index, "21", "19", "20", 1_000))
            .unwrap();
    }
    let ranking = radar.rank();
    assert_eq!(ranking.as_of, Some(day(4)));
    assert_eq!(ranking.rows.len(), 1);
    assert_eq!(ranking.rows[0].symbol, symbol("GOOD"));
    let reasons: Vec<String> = ranking.excluded.iter().map(serde_json_like).collect();
    assert_eq!(
        reasons,
        [
            "CHEAP BelowMinPrice { close: Price(10) }",
            "OLD Stale { last: UnixNanos(2020-09-16T12:26:40Z) }",
            "THIN BelowMinDollarVolume { average: Money(20) }",
        ]
    );
}

fn serde_json_like(entry: &Excluded) -> String {
    format!("{} {:?}", entry.symbol, entry.why)
}

#[test]
fn out_of_order_bars_are_refused_and_change_nothing() {
    let mut radar = Radar::new(small_config()).unwrap();
    radar
        .update(symbol("AAA"), &bar(1, "11", "9", "10", 5))
        .unwrap();
    let error = radar
        .update(symbol("aaa"), &bar(1, "11", "9", "10", 5))
        .unwrap_err();
    assert!(error.to_string().starts_with("AAA: bar at"), "{error}");
    assert_eq!(
        radar.update_slot(7, &bar(2, "11", "9", "10", 5)),
        Err(UpdateError::UnknownSlot(7))
    );
    assert_eq!(radar.len(), 1);
}

#[test]
fn watchlists_follow_the_top_and_report_changes_once() {
    let mut radar = Radar::new(small_config()).unwrap();
    let list = radar.subscribe(1);
    for index in 0..5 {
        // Equal factors (ties go by symbol) until B triples on the last bar.
        let b = if index < 4 { ("10", "9") } else { ("30", "27") };
        radar
            .update(symbol("A"), &bar(index, "20", "18", "20", 1_000))
            .unwrap();
        radar
            .update(symbol("B"), &bar(index, b.0, b.1, b.0, 1_000))
            .unwrap();
        radar.refresh();
        if index == 3 {
            let change = radar.watchlist_changes(list).unwrap();
            assert_eq!(change.added, [symbol("A")]);
            assert!(change.removed.is_empty());
            assert_eq!(radar.watchlist_changes(list), None);
        }
    }
    // B tripled on the last bar and takes the top.
    assert_eq!(radar.watchlist(list), [symbol("B")]);
    let change = radar.watchlist_changes(list).unwrap();
    assert_eq!(
        (change.added, change.removed),
        (vec![symbol("B")], vec![symbol("A")])
    );
}

/// Factors recomputed from the whole history with the textbook formulas.
fn recompute(candles: &[Candle], config: &RadarConfig) -> (f64, f64, f64, bool, f64, Money) {
    let n = candles.len();
    let last = candles[n - 1];
    let close = |c: &Candle| c.close().to_f64();
    let roc = close(&last) / close(&candles[n - 1 - config.roc_bars]) - 1.0;
    let before = &candles[n - 1 - config.volume_bars..n - 1];
    let average = before.iter().map(|c| c.volume().to_f64()).sum::<f64>() / before.len() as f64;
    let relative = if average > 0.0 {
        last.volume().to_f64() / average
    } else {
        1.0
    };
    let high = candles[n - config.high_bars..]
        .iter()
        .map(Candle::high)
        .max()
        .unwrap();
    let previous = candles[n - 1 - config.high_bars..n - 1]
        .iter()
        .map(Candle::high)
        .max()
        .unwrap();
    let mut atr = 0.0;
    for (index, candle) in candles.iter().enumerate() {
        let range = if index == 0 {
            candle.high().to_f64() - candle.low().to_f64()
        } else {
            let prev = close(&candles[index - 1]);
            (candle.high().to_f64() - candle.low().to_f64())
                .max((candle.high().to_f64() - prev).abs())
                .max((candle.low().to_f64() - prev).abs())
        };
        atr = if index < config.atr_bars {
            (atr * index as f64 + range) / (index + 1) as f64
        } else {
            (atr * (config.atr_bars as f64 - 1.0) + range) / config.atr_bars as f64
        };
    }
    let dollar: Money = candles[n - config.volume_bars..]
        .iter()
        .map(|c| c.close().notional(c.volume()))
        .sum();
    (
        roc,
        relative,
        close(&last) / high.to_f64() - 1.0,
        last.close() > previous,
        atr / close(&last),
        Money::from_raw(dollar.raw() / config.volume_bars as i128),
    )
}

proptest! {
    #[test]
    fn incremental_factors_equal_a_recomputation_from_scratch(
        moves in proptest::collection::vec((-500i64..500, 0i64..300, 0i64..300, 0i64..10_000), 1..80),
        roc_bars in 1usize..10, volume_bars in 1usize..10, high_bars in 1usize..10, atr_bars in 1usize..10,
    ) {
        let config = RadarConfig { roc_bars, volume_bars, high_bars, atr_bars, ..small_config() };
        let mut radar = Radar::new(config.clone()).unwrap();
        let mut candles = Vec::new();
        let mut close: i64 = 100_000;
        for (index, (step, up, down, volume)) in moves.into_iter().enumerate() {
            close = (close + step).max(1_000);
            let cents = |value: i64| Price::from_raw(value * 10_000_000);
            let candle = Candle::new(
                day(index), cents(close), cents(close + up), cents((close - down).max(1)), cents(close),
                Quantity::from_units(volume).unwrap(),
            ).unwrap();
            radar.update(symbol("P"), &candle).unwrap();
            candles.push(candle);
            let ranking = radar.rank();
            if candles.len() < config.warm_up_bars() {
                prop_assert!(ranking.rows.is_empty());
                continue;
            }
            let expected = recompute(&candles, &config);
            let Some(row) = ranking.rows.first() else {
                // Filtered by dollar volume (volume can be tiny): check the reason is right.
                let right_reason = matches!(
                    ranking.excluded[0].why,
                    Exclusion::BelowMinDollarVolume { average } if average == expected.5
                );
                prop_assert!(right_reason);
                continue;
            };
            let close_enough = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
            prop_assert!(close_enough(row.roc_pct / 100.0, expected.0));
            prop_assert!(close_enough(row.relative_volume, expected.1));
            prop_assert!(close_enough(row.distance_from_high_pct / 100.0, expected.2));
            prop_assert_eq!(row.breakout, expected.3);
            prop_assert!(close_enough(row.atr_pct / 100.0, expected.4), "{} vs {}", row.atr_pct / 100.0, expected.4);
            prop_assert_eq!(row.avg_dollar_volume, expected.5);
        }
    }
}
