use expect_test::expect;

use super::*;
use crate::testkit::{assert_symbols_independent, bar, closes, run_one, walk};

fn strategy(pairs: &[(&str, &str)]) -> Breakout {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(name, value)| ((*name).into(), (*value).into()))
        .collect();
    Breakout::try_from(BreakoutParams::parse(&params).unwrap()).unwrap()
}

#[test]
fn enters_on_the_breakout_trails_the_stop_and_exits() {
    // entry 3, exit 2, ATR 2 (first value after bar 2: true ranges 2, 2 → 2), stop 1 ATR.
    let series = [
        bar(0, "10", "11", "9", "10"),
        bar(1, "10", "11", "9", "10"),
        bar(2, "10", "11", "9", "10"),
        // 12.5 > 11 (highest high of bars 0–2). TR 3 → ATR 2.5 → stop 12.5 − 2.5 = 10.
        bar(3, "10", "13", "10", "12.5"),
        // TR 2 → ATR 2.25 → 13.5 − 2.25 = 11.25 > 10: the stop trails up.
        bar(4, "12.5", "14", "12", "13.5"),
        // TR 0.6 → ATR 1.425 → 13.2 − 1.425 = 11.775 > 11.25.
        bar(5, "13.5", "13.6", "13", "13.2"),
        // TR 0.7 → ATR 1.0625 → 12.6 − 1.0625 = 11.5375 < 11.775: the stop stays.
        bar(6, "13.2", "13.2", "12.5", "12.6"),
        // Low 11.8 stays above the stop; 11.9 < 12.5 (lowest low of bars 5–6): exit.
        bar(7, "12.6", "12.7", "11.8", "11.9"),
        // Flat; 11.6 is not above 13.6 (highest high of bars 5–7). ATR 0.98125 then 0.740625.
        bar(8, "11.9", "12", "11.5", "11.6"),
        // 14.8 > 13.2 (bars 6–8). TR 3.4 → ATR 2.0703125 → stop 12.7296875.
        bar(9, "14", "15", "14", "14.8"),
        // Low 12.5 ≤ 12.7296875: the stop order has filled.
        bar(10, "14.8", "14.9", "12.5", "13"),
    ];
    let signals = run_one(
        &mut strategy(&[
            ("entry", "3"),
            ("exit", "2"),
            ("atr", "2"),
            ("atr_mult", "1"),
        ]),
        &series,
    );
    expect![[r#"
        bar 3 AAA long stop 10: close broke above the entry channel
        bar 4 AAA long stop 11.25: trailing stop moved
        bar 5 AAA long stop 11.775: trailing stop moved
        bar 7 AAA flat: close broke below the exit channel
        bar 9 AAA long stop 12.7296875: close broke above the entry channel
        bar 10 AAA flat: stop hit
    "#]]
    .assert_eq(&signals);
}

#[test]
fn short_side_mirrors_and_reverses_through_the_entry_channel() {
    // entry 2, exit 1, ATR 1 (the last true range), stop 3 ATRs.
    let series = [
        bar(0, "10", "10.5", "9.5", "10"),
        bar(1, "10", "10.5", "9.5", "10"),
        // 9 < 9.5 (lowest low of bars 0–1). TR 1.5 → stop 9 + 4.5 = 13.5.
        bar(2, "10", "10", "8.5", "9"),
        // TR 1.2 → 8.2 + 3.6 = 11.8 < 13.5: the stop trails down.
        bar(3, "9", "9.2", "8", "8.2"),
        // 9.3 > 9.2 (bar 3's high) but not > 10 (bars 2–3): cover only.
        bar(4, "8.2", "9.5", "8.1", "9.3"),
        // 10.8 > 9.5 (bars 3–4). TR 1.7 → stop 10.8 − 5.1 = 5.7.
        bar(5, "9.3", "11", "9.3", "10.8"),
        // 8 < 9.3 (bar 5's low) and < 8.1 (bars 4–5): straight from long to short. TR 3 → 17.
        bar(6, "10.8", "10.9", "7.9", "8"),
        // TR 1 → 7.6 + 3 = 10.6 < 17.
        bar(7, "8", "8.5", "7.5", "7.6"),
        // High 10.6 reaches the stop.
        bar(8, "7.6", "10.6", "7.6", "9"),
    ];
    let signals = run_one(
        &mut strategy(&[
            ("entry", "2"),
            ("exit", "1"),
            ("atr", "1"),
            ("atr_mult", "3"),
            ("short", "true"),
        ]),
        &series,
    );
    expect![[r#"
        bar 2 AAA short stop 13.5: close broke below the entry channel
        bar 3 AAA short stop 11.8: trailing stop moved
        bar 4 AAA flat: close broke above the exit channel
        bar 5 AAA long stop 5.7: close broke above the entry channel
        bar 6 AAA short stop 17: close broke below the entry channel
        bar 7 AAA short stop 10.6: trailing stop moved
        bar 8 AAA flat: stop hit
    "#]]
    .assert_eq(&signals);
}

#[test]
fn waits_for_the_atr_before_entering() {
    // Every bar breaks above the previous one, but ATR(3) needs 4 bars; true ranges are 1 until
    // the last bar, whose ATR of 0.833333333 gives 11.833333334, below the stop of 12.
    let series = closes(&["10", "11", "12", "13", "14", "13.5"]);
    let signals = run_one(&mut strategy(&[("entry", "1"), ("atr", "3")]), &series);
    expect![[r#"
        bar 3 AAA long stop 11: close broke above the entry channel
        bar 4 AAA long stop 12: trailing stop moved
    "#]]
    .assert_eq(&signals);
}

#[test]
fn without_short_a_downside_break_does_nothing() {
    let series = closes(&["10", "10", "10", "10", "5", "4", "3"]);
    let signals = run_one(&mut strategy(&[("entry", "2"), ("atr", "2")]), &series);
    assert_eq!(signals, "");
}

#[test]
fn symbols_are_independent() {
    assert_symbols_independent(
        || {
            Box::new(strategy(&[
                ("entry", "10"),
                ("exit", "5"),
                ("short", "true"),
            ]))
        },
        &walk(3, 500),
        &walk(4, 420),
    );
}

#[test]
fn atr_mult_must_be_positive() {
    let mut params = BreakoutParams::parse(&[]).unwrap();
    params.atr_mult = Rate::ZERO;
    let error = Breakout::try_from(params).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid parameters for strategy breakout: atr_mult (0) must be greater than 0"
    );
}
