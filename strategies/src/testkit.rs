//! Test helpers: candles from short decimal strings, a driver that feeds candles to a real
//! strategy the way the engine does, and a one-line-per-signal rendering for `expect!` tests.

use std::fmt::Write as _;

use airlock_core::{
    Candle, Money, PortfolioView, Price, Quantity, Signal, Strategy, Symbol, Target, UnixNanos,
};

pub(crate) fn symbol(text: &str) -> Symbol {
    Symbol::parse(text).unwrap()
}

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

/// A bar at minute `index` whose open, high, low and close are all `close`.
pub(crate) fn flat_bar(index: usize, close: &str) -> Candle {
    bar(index, close, close, close, close)
}

/// A bar at minute `index`.
pub(crate) fn bar(index: usize, open: &str, high: &str, low: &str, close: &str) -> Candle {
    let ts = UnixNanos::new(60_000_000_000 * u64::try_from(index).unwrap());
    Candle::new(
        ts,
        price(open),
        price(high),
        price(low),
        price(close),
        Quantity::from_units(1).unwrap(),
    )
    .unwrap()
}

/// Bars whose open, high, low and close are each of `closes`.
pub(crate) fn closes(closes: &[&str]) -> Vec<Candle> {
    closes
        .iter()
        .enumerate()
        .map(|(index, close)| flat_bar(index, close))
        .collect()
}

pub(crate) const VIEW: PortfolioView = PortfolioView {
    position: Quantity::ZERO,
    cash: Money::ZERO,
    equity: Money::ZERO,
};

/// Feeds `(slot, symbol, candle)` in order; returns each signal with the index of its bar.
pub(crate) fn drive(
    strategy: &mut dyn Strategy,
    bars: &[(usize, Symbol, Candle)],
) -> Vec<(usize, Signal)> {
    let mut out = Vec::new();
    let mut signals = Vec::new();
    for (index, (slot, symbol, candle)) in bars.iter().enumerate() {
        strategy.on_candle(*slot, *symbol, candle, &VIEW, &mut signals);
        out.extend(signals.drain(..).map(|signal| (index, signal)));
    }
    out
}

/// One line per signal: `bar 4 AAA long stop 9.5: reason`.
pub(crate) fn render(signals: &[(usize, Signal)]) -> String {
    let mut text = String::new();
    for (index, signal) in signals {
        let target = match signal.target {
            Target::Long => "long",
            Target::Short => "short",
            Target::Flat => "flat",
        };
        write!(text, "bar {index} {} {target}", signal.symbol.as_str()).unwrap();
        if let Some(stop) = signal.stop {
            write!(text, " stop {stop}").unwrap();
        }
        writeln!(text, ": {}", signal.reason).unwrap();
    }
    text
}

/// Runs one symbol's candles through `strategy` (slot 0) and renders the signals.
pub(crate) fn run_one(strategy: &mut dyn Strategy, candles: &[Candle]) -> String {
    let ticker = symbol("AAA");
    let bars: Vec<_> = candles.iter().map(|candle| (0, ticker, *candle)).collect();
    render(&drive(strategy, &bars))
}

/// Two symbols interleaved through one strategy give, per symbol, the same signals on the same
/// bars as each symbol alone through a fresh strategy.
pub(crate) fn assert_symbols_independent(
    make: impl Fn() -> Box<dyn Strategy>,
    first: &[Candle],
    second: &[Candle],
) {
    let (a, b) = (symbol("AAA"), symbol("BBB"));
    let alone = |ticker: Symbol, candles: &[Candle]| -> Vec<(usize, Signal)> {
        let bars: Vec<_> = candles.iter().map(|candle| (0, ticker, *candle)).collect();
        drive(make().as_mut(), &bars)
    };
    let expected_a = alone(a, first);
    let expected_b = alone(b, second);
    assert!(
        !expected_a.is_empty() && !expected_b.is_empty(),
        "the series must produce signals for the comparison to mean anything"
    );

    // Interleave: A0 B0 A1 B1 …, then the rest of the longer one; remember each bar's own index.
    let mut bars = Vec::new();
    let mut own_index = Vec::new();
    for index in 0..first.len().max(second.len()) {
        if let Some(candle) = first.get(index) {
            bars.push((0, a, *candle));
            own_index.push(index);
        }
        if let Some(candle) = second.get(index) {
            bars.push((1, b, *candle));
            own_index.push(index);
        }
    }
    let together = drive(make().as_mut(), &bars);
    let of = |ticker: Symbol| -> Vec<(usize, Signal)> {
        together
            .iter()
            .filter(|(_, signal)| signal.symbol == ticker)
            .map(|(index, signal)| (own_index[*index], *signal))
            .collect()
    };
    assert_eq!(render(&of(a)), render(&expected_a));
    assert_eq!(render(&of(b)), render(&expected_b));
}

/// `count` bars of a deterministic random walk (xorshift seeded by `seed`) around 100, with
/// wicks, for tests that need long, busy series.
pub(crate) fn walk(seed: u64, count: usize) -> Vec<Candle> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        i64::try_from(state % 1_000).unwrap()
    };
    let mut close: i64 = 100_000_000_000;
    (0..count)
        .map(|index| {
            let open = close;
            close = (open + (next() - 500) * 2_000_000).max(1_000_000_000);
            let high = open.max(close) + next() * 1_000_000;
            let low = (open.min(close) - next() * 1_000_000).max(1);
            let ts = UnixNanos::new(60_000_000_000 * u64::try_from(index).unwrap());
            Candle::new(
                ts,
                Price::from_raw(open),
                Price::from_raw(high),
                Price::from_raw(low),
                Price::from_raw(close),
                Quantity::ONE,
            )
            .unwrap()
        })
        .collect()
}
