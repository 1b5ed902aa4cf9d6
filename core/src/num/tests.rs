#![allow(
    clippy::arithmetic_side_effects,
    reason = "tests compare against plain arithmetic"
)]

use super::*;

#[test]
fn parses_and_prints_exact_decimals() {
    let cases = [
        ("187.25", "187.25"),
        ("-3", "-3"),
        ("0.000000001", "0.000000001"),
        (".5", "0.5"),
        ("7.", "7"),
        ("+12.500", "12.5"),
        ("1.1000000000000", "1.1"),
    ];
    for (input, shown) in cases {
        let price: Price = input.parse().unwrap();
        assert_eq!(price.to_string(), shown, "{input}");
    }
}

#[test]
fn refuses_more_than_nine_decimals_instead_of_rounding() {
    assert_eq!(
        "0.5968787424".parse::<Price>(),
        Err(NumError::TooPrecise("0.5968787424".into()))
    );
    assert_eq!(
        Price::parse_rounded("0.5968787425").unwrap().raw(),
        596_878_743
    );
    assert_eq!(Price::parse_rounded("-0.0000000005").unwrap().raw(), -1);
}

#[test]
fn refuses_non_decimals() {
    for bad in [
        "", "-", ".", "1e5", "NaN", "inf", "1,000", "1.2.3", " 1", "0x10",
    ] {
        assert!(bad.parse::<Price>().is_err(), "{bad:?} parsed");
    }
    assert!(matches!(
        "99999999999".parse::<Price>(),
        Err(NumError::OutOfRange(_))
    ));
}

#[test]
fn notional_is_exact_and_symmetric() {
    let price: Price = "101.37".parse().unwrap();
    let quantity: Quantity = "3".parse().unwrap();
    assert_eq!(price.notional(quantity).to_string(), "304.11");
    let short = quantity.checked_neg().unwrap();
    assert_eq!(price.notional(short), -price.notional(quantity));
    // Largest values cannot overflow.
    let huge = Price::MAX.notional(Quantity::MAX);
    assert!(huge > Money::ZERO);
}

#[test]
fn rates_from_basis_points() {
    let five_bps = Rate::from_bps("5".parse().unwrap()).unwrap();
    assert_eq!(five_bps.to_string(), "0.0005");
    let fee = Money::from_units(10_000)
        .checked_mul_rate(five_bps)
        .unwrap();
    assert_eq!(fee.to_string(), "5");
}

#[test]
fn whole_units_round_down() {
    let cash = Money::from_units(1_000);
    let price: Price = "333.34".parse().unwrap();
    assert_eq!(cash.whole_units_at(price), Quantity::from_units(2));
    assert_eq!(cash.whole_units_at(Price::ZERO), None);
    assert_eq!((-cash).whole_units_at(price), Some(Quantity::ZERO));
}

#[test]
fn serde_uses_exact_strings() {
    let price: Price = "0.1".parse().unwrap();
    assert_eq!(serde_json::to_string(&price).unwrap(), "\"0.1\"");
    let back: Price = serde_json::from_str("\"0.1\"").unwrap();
    assert_eq!(back, price);
}

mod property_tests {
    //! Invariants: printing then parsing any value gives it back; notional is odd in quantity.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn display_round_trips(raw in any::<i64>()) {
            let price = Price::from_raw(raw);
            prop_assert_eq!(price.to_string().parse::<Price>(), Ok(price));
        }

        #[test]
        fn whole_unit_notional_matches_the_general_formula(price in any::<i64>(), units in -9_000_000_000_i64..9_000_000_000) {
            let quantity = Quantity::from_units(units).unwrap();
            let general = div_scale_round(i128::from(price) * i128::from(quantity.raw()));
            prop_assert_eq!(Price::from_raw(price).notional(quantity).raw(), general);
        }

        #[test]
        #[expect(clippy::cast_precision_loss, reason = "the reference conversion under test")]
        fn money_to_f64_matches_the_128_bit_conversion(raw in any::<i128>(), small in any::<i64>()) {
            for raw in [raw, i128::from(small)] {
                let expected = raw as f64 / 1e9;
                prop_assert_eq!(Money::from_raw(raw).to_f64().to_bits(), expected.to_bits());
            }
        }

        #[test]
        fn notional_sign_symmetry(price in any::<i64>(), quantity in (i64::MIN + 1)..i64::MAX) {
            let price = Price::from_raw(price);
            let quantity = Quantity::from_raw(quantity);
            let negated = quantity.checked_neg().unwrap();
            prop_assert_eq!(price.notional(negated), -price.notional(quantity));
        }
    }
}
