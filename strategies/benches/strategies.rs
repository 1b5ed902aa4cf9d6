//! Per-bar cost of each built-in strategy with its default parameters over 1,000,000 synthetic
//! one-minute bars (one symbol, a deterministic random walk), plus `breakout` and
//! `rsi_reversion` with `short=true`. Prints the median of 5 runs.
//!
//! Run: `cargo bench -p airlock-strategies --bench strategies`

use std::hint::black_box;
use std::time::{Duration, Instant};

use airlock_core::{Candle, Money, PortfolioView, Price, Quantity, Signal, Symbol, UnixNanos};

const BARS: usize = 1_000_000;
const RUNS: usize = 5;

/// A deterministic random walk around 100 with small wicks (xorshift, no dependencies).
fn synthetic_bars(count: usize) -> Vec<Candle> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut close: i64 = 100_000_000_000;
    let mut candles = Vec::with_capacity(count);
    for index in 0..count {
        let open = close;
        // A step of up to ±0.1 (in 10⁻⁹ units), then wicks of up to 0.05.
        let step = i64::try_from(next() % 200_000_001).unwrap_or(0) - 100_000_000;
        close = (open + step).max(1_000_000_000);
        let wick_up = i64::try_from(next() % 50_000_001).unwrap_or(0);
        let wick_down = i64::try_from(next() % 50_000_001).unwrap_or(0);
        let high = open.max(close) + wick_up;
        let low = (open.min(close) - wick_down).max(1);
        let ts = UnixNanos::new(60_000_000_000 * index as u64);
        if let Ok(candle) = Candle::new(
            ts,
            Price::from_raw(open),
            Price::from_raw(high),
            Price::from_raw(low),
            Price::from_raw(close),
            Quantity::ONE,
        ) {
            candles.push(candle);
        }
    }
    candles
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let candles = synthetic_bars(BARS);
    let Ok(symbol) = Symbol::parse("SYN") else {
        return;
    };
    let view = PortfolioView {
        position: Quantity::ZERO,
        cash: Money::ZERO,
        equity: Money::ZERO,
    };
    println!(
        "airlock-strategies: {} bars, default parameters, median of {RUNS} runs",
        candles.len()
    );
    let short = [("short".to_owned(), "true".to_owned())];
    let mut cases: Vec<(&str, &[(String, String)])> = airlock_strategies::catalogue()
        .iter()
        .map(|info| (info.name, &[][..]))
        .collect();
    cases.extend([("breakout", &short[..]), ("rsi_reversion", &short[..])]);
    for (name, params) in cases {
        let label = if params.is_empty() {
            name.to_owned()
        } else {
            format!("{name} short")
        };
        let mut samples = Vec::with_capacity(RUNS);
        let mut emitted = 0;
        for _ in 0..RUNS {
            let Ok(mut strategy) = airlock_strategies::build(name, params) else {
                println!("{label}: could not be built");
                return;
            };
            let mut signals: Vec<Signal> = Vec::with_capacity(16);
            emitted = 0;
            let started = Instant::now();
            for candle in &candles {
                strategy.on_candle(0, symbol, black_box(candle), &view, &mut signals);
                emitted += signals.len();
                signals.clear();
            }
            samples.push(started.elapsed());
            black_box(&mut strategy);
        }
        let time = median(samples);
        let per_bar = time.as_secs_f64() * 1e9 / candles.len() as f64;
        println!(
            "{label:<20} {per_bar:6.2} ns/bar  {:7.1} M bars/s  ({emitted} signals)",
            candles.len() as f64 / time.as_secs_f64() / 1e6
        );
    }
}
