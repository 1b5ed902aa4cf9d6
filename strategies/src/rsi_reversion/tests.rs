use expect_test::expect;

use super::*;
use crate::testkit::{assert_symbols_independent, closes, run_one, walk};

fn strategy(short: &str) -> RsiReversion {
    let params: Vec<(String, String)> = [("period", "2"), ("short", short)]
        .iter()
        .map(|(name, value)| ((*name).into(), (*value).into()))
        .collect();
    RsiReversion::try_from(RsiReversionParams::parse(&params).unwrap()).unwrap()
}

// RSI(2) after each bar from bar 2: 100 (first reading, above 70: recorded only), 50, 25,
// 12.5, 78.125, 52.08, 79.46, 29.28, 20.6.
const SERIES: [&str; 11] = [
    "10", "11", "12", "11", "10", "9", "12", "11", "13", "10", "9",
];

#[test]
fn long_below_lower_flat_above_upper() {
    expect![[r#"
        bar 4 AAA long: rsi fell below lower
        bar 6 AAA flat: rsi rose above upper
        bar 9 AAA long: rsi fell below lower
    "#]]
    .assert_eq(&run_one(&mut strategy("false"), &closes(&SERIES)));
}

#[test]
fn short_above_upper_and_cover_below_lower() {
    // Bar 9 covers the short; bar 10 stays below 30, which is not a fresh cross: no long.
    expect![[r#"
        bar 4 AAA long: rsi fell below lower
        bar 6 AAA flat: rsi rose above upper
        bar 8 AAA short: rsi rose above upper
        bar 9 AAA flat: rsi fell below lower
    "#]]
    .assert_eq(&run_one(&mut strategy("true"), &closes(&SERIES)));
}

#[test]
fn levels_are_exclusive() {
    // RSI exactly 25 on bar 4 is not below a lower level of 25; 12.5 on bar 5 is, and so is
    // 20.6 on bar 10 after 29.28 (not below 25) on bar 9.
    let params: Vec<(String, String)> = [("period", "2"), ("lower", "25")]
        .iter()
        .map(|(name, value)| ((*name).into(), (*value).into()))
        .collect();
    let mut strategy = RsiReversion::try_from(RsiReversionParams::parse(&params).unwrap()).unwrap();
    expect![[r#"
        bar 5 AAA long: rsi fell below lower
        bar 6 AAA flat: rsi rose above upper
        bar 10 AAA long: rsi fell below lower
    "#]]
    .assert_eq(&run_one(&mut strategy, &closes(&SERIES)));
}

#[test]
fn flat_prices_give_no_reading_and_no_signal() {
    let series = closes(&["5"; 20]);
    assert_eq!(run_one(&mut strategy("true"), &series), "");
}

#[test]
fn symbols_are_independent() {
    assert_symbols_independent(|| Box::new(strategy("true")), &walk(5, 300), &walk(6, 260));
}

#[test]
fn lower_must_be_below_upper() {
    let mut params = RsiReversionParams::parse(&[]).unwrap();
    params.lower = Rate::from_units(80).unwrap();
    assert_eq!(
        RsiReversion::try_from(params).unwrap_err().to_string(),
        "invalid parameters for strategy rsi_reversion: lower (80) must be less than upper (70)"
    );
    params.lower = Rate::ZERO;
    assert_eq!(
        RsiReversion::try_from(params).unwrap_err().to_string(),
        "invalid parameters for strategy rsi_reversion: lower (0) must be strictly between 0 \
         and 100"
    );
}
