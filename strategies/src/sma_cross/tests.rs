use expect_test::expect;

use super::*;
use crate::testkit::{assert_symbols_independent, closes, run_one, walk};

fn strategy(fast: &str, slow: &str, short: &str) -> SmaCross {
    let params: Vec<(String, String)> = [("fast", fast), ("slow", slow), ("short", short)]
        .iter()
        .map(|(name, value)| ((*name).into(), (*value).into()))
        .collect();
    SmaCross::try_from(SmaCrossParams::parse(&params).unwrap()).unwrap()
}

// fast 2 / slow 3: bar 2 is the first with both averages (10 = 10, no side); bar 3 records
// "below" (9.5 < 9.67); bar 4 crosses above (10.5 > 10.33); bar 6 below (10 < 10.67); bar 8
// above (9.5 > 9); bar 10 below (10.25 < 10.5).
const SERIES: [&str; 11] = [
    "10", "10", "10", "9", "12", "12", "8", "8", "11", "11", "9.5",
];

#[test]
fn long_on_cross_above_flat_on_cross_below() {
    let signals = run_one(&mut strategy("2", "3", "false"), &closes(&SERIES));
    expect![[r#"
        bar 4 AAA long: fast sma crossed above slow
        bar 6 AAA flat: fast sma crossed below slow
        bar 8 AAA long: fast sma crossed above slow
        bar 10 AAA flat: fast sma crossed below slow
    "#]]
    .assert_eq(&signals);
}

#[test]
fn short_reverses_on_every_cross() {
    let signals = run_one(&mut strategy("2", "3", "true"), &closes(&SERIES));
    expect![[r#"
        bar 4 AAA long: fast sma crossed above slow
        bar 6 AAA short: fast sma crossed below slow
        bar 8 AAA long: fast sma crossed above slow
        bar 10 AAA short: fast sma crossed below slow
    "#]]
    .assert_eq(&signals);
}

#[test]
fn being_above_when_the_averages_appear_is_not_a_cross() {
    // Bars 2 and 3 have fast above slow from the start: no signal. Bar 4 (2.5 < 2.67) crosses
    // below: flat is already the target, so only the short variant speaks.
    let series = closes(&["1", "2", "3", "4", "1"]);
    assert_eq!(run_one(&mut strategy("2", "3", "false"), &series), "");
    expect![[r#"
        bar 4 AAA short: fast sma crossed below slow
    "#]]
    .assert_eq(&run_one(&mut strategy("2", "3", "true"), &series));
}

#[test]
fn ties_keep_the_previous_side() {
    // fast 1 / slow 2: fast > slow exactly when the close rises. Equal closes are ties.
    let series = closes(&["5", "4", "6", "6", "7", "3", "3", "3", "4"]);
    expect![[r#"
        bar 2 AAA long: fast sma crossed above slow
        bar 5 AAA flat: fast sma crossed below slow
        bar 8 AAA long: fast sma crossed above slow
    "#]]
    .assert_eq(&run_one(&mut strategy("1", "2", "false"), &series));
}

#[test]
fn no_signal_before_slow_bars() {
    // The first possible cross is on bar `slow + 1`; with 30 bars and slow 30 there is none.
    let series = walk(7, 30);
    assert_eq!(run_one(&mut strategy("2", "30", "true"), &series), "");
}

#[test]
fn symbols_are_independent() {
    assert_symbols_independent(
        || Box::new(strategy("3", "8", "true")),
        &walk(1, 400),
        &walk(2, 350),
    );
}

#[test]
fn slow_must_exceed_fast() {
    let params = SmaCrossParams {
        fast: NonZeroUsize::new(10).unwrap(),
        slow: NonZeroUsize::new(5).unwrap(),
        short: false,
    };
    let error = SmaCross::try_from(params).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid parameters for strategy sma_cross: slow (5) must be greater than fast (10)"
    );
}

mod property_tests {
    //! Invariant: for every symbol, sma_cross never emits the same target twice in a row, and
    //! never starts with `flat` (every symbol starts flat).
    use super::*;
    use crate::testkit::{VIEW, flat_bar, symbol};
    use airlock_core::{Signal, Strategy};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_repeats_a_target(
            fast in 1usize..6,
            extra in 1usize..8,
            short in any::<bool>(),
            bars in proptest::collection::vec((0usize..3, 1u32..30), 0..300),
        ) {
            let params = SmaCrossParams {
                fast: NonZeroUsize::new(fast).unwrap(),
                slow: NonZeroUsize::new(fast + extra).unwrap(),
                short,
            };
            let mut strategy = SmaCross::try_from(params).unwrap();
            let symbols = [symbol("AAA"), symbol("BBB"), symbol("CCC")];
            let mut last: [Option<Target>; 3] = [None; 3];
            let mut signals: Vec<Signal> = Vec::new();
            for (index, (slot, close)) in bars.into_iter().enumerate() {
                let candle = flat_bar(index, &close.to_string());
                strategy.on_candle(slot, symbols[slot], &candle, &VIEW, &mut signals);
                prop_assert!(signals.len() <= 1);
                for signal in signals.drain(..) {
                    prop_assert_eq!(signal.symbol, symbols[slot]);
                    prop_assert_ne!(Some(signal.target), last[slot]);
                    prop_assert!(last[slot].is_some() || signal.target != Target::Flat);
                    prop_assert!(short || signal.target != Target::Short);
                    last[slot] = Some(signal.target);
                }
            }
        }
    }
}
