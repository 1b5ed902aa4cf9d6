use super::*;

fn period(value: usize) -> NonZeroUsize {
    NonZeroUsize::new(value).unwrap()
}

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

fn rate(text: &str) -> Rate {
    text.parse().unwrap()
}

#[test]
fn sma_sums_the_last_period_values_exactly() {
    let mut sma = Sma::new(period(3));
    sma.push(price("1"));
    sma.push(price("2"));
    assert_eq!(sma.sum(), None, "two values are not a 3-bar average");
    assert_eq!(sma.value(), None);
    sma.push(price("3"));
    assert_eq!(sma.sum(), Some(6_000_000_000));
    assert_eq!(sma.value(), Some(price("2")));
    sma.push(price("4"));
    assert_eq!(sma.sum(), Some(9_000_000_000), "2 + 3 + 4");
    sma.push(price("0.000000001"));
    assert_eq!(sma.sum(), Some(7_000_000_001), "3 + 4 + 0.000000001");
    assert_eq!(sma.value(), Some(price("2.333333334")), "rounded half up");
}

#[test]
fn sma_of_one_value_is_that_value() {
    let mut sma = Sma::new(period(1));
    for text in ["5", "7.25", "1"] {
        sma.push(price(text));
        assert_eq!(sma.value(), Some(price(text)));
    }
}

#[test]
fn means_compare_exactly_without_dividing() {
    // 6/3 = 2 vs 5/2 = 2.5
    assert_eq!(compare_means(6, period(3), 5, period(2)), Ordering::Less);
    // 10/4 = 2.5 vs 5/2 = 2.5
    assert_eq!(compare_means(10, period(4), 5, period(2)), Ordering::Equal);
    // 1/3 vs 333_333_333/10⁹: a division rounded to 10⁻⁹ would call these equal.
    assert_eq!(
        compare_means(1, period(3), 333_333_333, period(1_000_000_000)),
        Ordering::Greater
    );
}

#[test]
fn donchian_covers_exactly_the_last_window_bars() {
    let mut channel = Donchian::new(period(3));
    let bars = [
        ("10", "5", None),
        ("12", "6", None),
        ("11", "4", Some(("12", "4"))),
        ("9", "7", Some(("12", "4"))),
        ("8", "8", Some(("11", "4"))),
        ("7", "7", Some(("9", "7"))),
        ("20", "1", Some(("20", "1"))),
    ];
    for (index, (high, low, expected)) in bars.into_iter().enumerate() {
        channel.push(price(high), price(low));
        let got = channel.upper().zip(channel.lower());
        let expected = expected.map(|(upper, lower)| (price(upper), price(lower)));
        assert_eq!(got, expected, "after bar {index}");
    }
}

#[test]
fn atr_seeds_with_the_mean_then_smooths_like_wilder() {
    let mut atr = Atr::new(period(3));
    // (high, low, close, ATR after the bar); true ranges 3, 1, 2.5, 4.
    let bars = [
        ("10", "8", "9", None),
        ("12", "9", "11", None),
        ("11", "10", "10.5", None),
        ("13", "11", "12", Some("2.166666667")),
        ("12", "8", "9", Some("2.777777778")),
    ];
    for (index, (high, low, close, expected)) in bars.into_iter().enumerate() {
        atr.push(price(high), price(low), price(close));
        assert_eq!(atr.value(), expected.map(price), "after bar {index}");
    }
}

#[test]
fn atr_counts_gaps_through_the_previous_close() {
    let mut atr = Atr::new(period(1));
    atr.push(price("10"), price("9"), price("10"));
    // Gap up: the bar's own range is 1, the gap from the previous close makes it 5.
    atr.push(price("15"), price("14"), price("14.5"));
    assert_eq!(atr.value(), Some(price("5")));
    // Gap down: |low − previous close| = 14.5 − 8 = 6.5.
    atr.push(price("9"), price("8"), price("8.5"));
    assert_eq!(atr.value(), Some(price("6.5")));
}

#[test]
fn rsi_matches_hand_computed_wilder_values() {
    let mut rsi = Rsi::new(period(3));
    // Changes +1, −0.5, +1.5 → average gain 2.5/3, average loss 0.5/3 → RSI 83.33…
    for close in ["10", "11", "10.5"] {
        rsi.push(price(close));
        assert_eq!(rsi.value(), None);
    }
    rsi.push(price("12"));
    assert_eq!(rsi.value(), Some(rate("83.3333333")));
    // Change −1: gain (0.833333333·2 + 0)/3 = 0.555555555, loss (0.166666667·2 + 1)/3 =
    // 0.444444445 → RSI 55.5555555.
    rsi.push(price("11"));
    assert_eq!(rsi.value(), Some(rate("55.5555555")));
    assert_eq!(rsi.compare(rate("55.5555555")), Some(Ordering::Equal));
    assert_eq!(rsi.is_below(rate("55.5555556")), Some(true));
    assert_eq!(rsi.is_above(rate("55.5555554")), Some(true));
    assert_eq!(rsi.is_above(rate("55.5555555")), Some(false));
}

#[test]
fn rsi_is_100_without_losses_and_undefined_without_moves() {
    let mut rising = Rsi::new(period(2));
    for close in ["1", "2", "3"] {
        rising.push(price(close));
    }
    assert_eq!(rising.value(), Some(rate("100")));
    assert_eq!(rising.is_above(rate("99.999999999")), Some(true));

    let mut flat = Rsi::new(period(2));
    for _ in 0..5 {
        flat.push(price("7"));
    }
    assert_eq!(flat.value(), None);
    assert_eq!(flat.is_below(rate("30")), None);
}

#[test]
fn wilder_step_widens_instead_of_overflowing() {
    let large = 5_000_000_000_000_000_000;
    assert_eq!(wilder_step(large, large, 14), large);
    assert_eq!(wilder_step(10, 20, 4), 13, "(30 + 20) / 4 = 12.5 rounds up");
}

mod property_tests {
    //! Invariants: the streaming Donchian channel and SMA equal a brute-force scan of the last
    //! `window` bars after every push.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn donchian_equals_brute_force(
            window in 1usize..8,
            bars in proptest::collection::vec((1i64..50, 0i64..50), 0..80),
        ) {
            let mut channel = Donchian::new(period(window));
            let mut seen: Vec<(i64, i64)> = Vec::new();
            for (low, extra) in bars {
                let high = low + extra;
                channel.push(Price::from_raw(high), Price::from_raw(low));
                seen.push((high, low));
                let expected = (seen.len() >= window).then(|| {
                    let last = &seen[seen.len() - window..];
                    let upper = last.iter().map(|bar| bar.0).max().unwrap();
                    let lower = last.iter().map(|bar| bar.1).min().unwrap();
                    (Price::from_raw(upper), Price::from_raw(lower))
                });
                prop_assert_eq!(channel.upper().zip(channel.lower()), expected);
            }
        }

        #[test]
        fn sma_sum_equals_brute_force(
            window in 1usize..8,
            values in proptest::collection::vec(-1_000_000i64..1_000_000, 0..60),
        ) {
            let mut sma = Sma::new(period(window));
            for (index, value) in values.iter().enumerate() {
                sma.push(Price::from_raw(*value));
                let expected = (index + 1 >= window).then(|| {
                    values[index + 1 - window..=index].iter().map(|v| i128::from(*v)).sum::<i128>()
                });
                prop_assert_eq!(sma.sum(), expected);
            }
        }
    }
}
