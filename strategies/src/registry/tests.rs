use expect_test::expect;

use super::*;

fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).into(), (*value).into()))
        .collect()
}

#[test]
fn catalogue_lists_the_cli_names_in_order() {
    let names: Vec<&str> = catalogue().iter().map(|info| info.name).collect();
    assert_eq!(names, ["sma_cross", "breakout", "rsi_reversion"]);
}

#[test]
fn every_strategy_builds_from_its_defaults_under_its_own_name() {
    for info in catalogue() {
        let strategy = build(info.name, &[]).unwrap();
        assert_eq!(strategy.name(), info.name);
        let described = describe(info.name, &[]).unwrap();
        let defaults: Vec<(String, String)> = info
            .params
            .iter()
            .map(|param| (param.name.to_owned(), param.default.to_owned()))
            .collect();
        assert_eq!(described, defaults, "{}", info.name);
    }
}

#[test]
fn describe_fills_defaults_in_catalogue_order_and_normalises_numbers() {
    let described = describe(
        "breakout",
        &pairs(&[("short", "true"), ("atr_mult", "2.50"), ("entry", "055")]),
    )
    .unwrap();
    let text: Vec<String> = described
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    assert_eq!(
        text.join(" "),
        "entry=55 exit=10 atr=14 atr_mult=2.5 short=true"
    );
    let described = describe("rsi_reversion", &pairs(&[("lower", "25.5")])).unwrap();
    assert_eq!(
        described,
        pairs(&[
            ("period", "14"),
            ("lower", "25.5"),
            ("upper", "70"),
            ("short", "false")
        ])
    );
}

#[test]
fn build_uses_the_given_parameters() {
    let strategy = build("sma_cross", &pairs(&[("fast", "3"), ("slow", "4")])).unwrap();
    assert_eq!(strategy.name(), "sma_cross");
    let params = SmaCrossParams::parse(&pairs(&[("fast", "3"), ("slow", "4")])).unwrap();
    assert_eq!(
        (params.fast.get(), params.slow.get(), params.short),
        (3, 4, false)
    );
}

#[test]
fn every_error_message_names_the_field_and_the_reason() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("sma", &[]),
        ("sma_cross", &[("fsat", "5")]),
        ("breakout", &[("period", "5")]),
        ("sma_cross", &[("fast", "5"), ("fast", "6")]),
        ("sma_cross", &[("fast", "0")]),
        ("sma_cross", &[("fast", "")]),
        ("sma_cross", &[("fast", "abc")]),
        ("sma_cross", &[("fast", "-3")]),
        ("sma_cross", &[("fast", "1.5")]),
        ("sma_cross", &[("slow", "1000001")]),
        ("sma_cross", &[("slow", "99999999999999999999999")]),
        ("sma_cross", &[("short", "yes")]),
        ("sma_cross", &[("fast", "10"), ("slow", "5")]),
        ("sma_cross", &[("fast", "30")]),
        ("breakout", &[("atr_mult", "0")]),
        ("breakout", &[("atr_mult", "-1")]),
        ("breakout", &[("atr_mult", "1.0000000001")]),
        ("breakout", &[("atr", "0")]),
        ("rsi_reversion", &[("period", "0")]),
        ("rsi_reversion", &[("lower", "0")]),
        ("rsi_reversion", &[("upper", "100")]),
        ("rsi_reversion", &[("upper", "abc")]),
        ("rsi_reversion", &[("lower", "70"), ("upper", "30")]),
        ("rsi_reversion", &[("lower", "50"), ("upper", "50")]),
    ];
    let mut text = String::new();
    for (name, given) in cases {
        let given = pairs(given);
        let built = build(name, &given).map(|_| ()).unwrap_err();
        let described = describe(name, &given).unwrap_err();
        assert_eq!(built, described, "build and describe validate alike");
        text.push_str(&format!("{built}\n"));
    }
    expect![[r#"
        unknown strategy "sma"; known strategies: sma_cross, breakout, rsi_reversion
        unknown parameter "fsat" for strategy sma_cross; its parameters are: fast, slow, short
        unknown parameter "period" for strategy breakout; its parameters are: entry, exit, atr, atr_mult, short
        parameter fast of strategy sma_cross is given twice ("5" and "6")
        bad value "0" for parameter fast of strategy sma_cross: expected a whole number ≥ 1
        bad value "" for parameter fast of strategy sma_cross: expected a whole number ≥ 1
        bad value "abc" for parameter fast of strategy sma_cross: expected a whole number ≥ 1
        bad value "-3" for parameter fast of strategy sma_cross: expected a whole number ≥ 1
        bad value "1.5" for parameter fast of strategy sma_cross: expected a whole number ≥ 1
        bad value "1000001" for parameter slow of strategy sma_cross: expected a whole number ≤ 1000000
        bad value "99999999999999999999999" for parameter slow of strategy sma_cross: expected a whole number ≤ 1000000
        bad value "yes" for parameter short of strategy sma_cross: expected true or false
        invalid parameters for strategy sma_cross: slow (5) must be greater than fast (10)
        invalid parameters for strategy sma_cross: slow (30) must be greater than fast (30)
        bad value "0" for parameter atr_mult of strategy breakout: expected a positive decimal number with at most 9 decimals
        bad value "-1" for parameter atr_mult of strategy breakout: expected a positive decimal number with at most 9 decimals
        bad value "1.0000000001" for parameter atr_mult of strategy breakout: expected a positive decimal number with at most 9 decimals
        bad value "0" for parameter atr of strategy breakout: expected a whole number ≥ 1
        bad value "0" for parameter period of strategy rsi_reversion: expected a whole number ≥ 1
        bad value "0" for parameter lower of strategy rsi_reversion: expected a decimal number strictly between 0 and 100
        bad value "100" for parameter upper of strategy rsi_reversion: expected a decimal number strictly between 0 and 100
        bad value "abc" for parameter upper of strategy rsi_reversion: expected a decimal number strictly between 0 and 100
        invalid parameters for strategy rsi_reversion: lower (70) must be less than upper (30)
        invalid parameters for strategy rsi_reversion: lower (50) must be less than upper (50)
    "#]]
    .assert_eq(&text);
}
