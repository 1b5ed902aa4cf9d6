//! Momentum Radar speed: a full pass over 500 symbols × 250 daily bars, and the incremental
//! update of the whole universe by one bar (500 updates plus a new ranking).
//!
//! `cargo bench -p airlock-scanner --bench radar` prints medians (and p99 for the incremental
//! update). Targets: ≥ 20 M bar-updates/s for the full pass; p99 ≤ 200 µs per incremental
//! universe update.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark on generated data fails loudly"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use airlock_core::{Candle, Price, Quantity, Symbol, UnixNanos};
use airlock_scanner::{Radar, RadarConfig};

const SYMBOLS: usize = 500;
const BARS: usize = 250;

/// Random-walk daily candles for every symbol (deterministic, xorshift).
fn universe(bars: usize) -> (Vec<Symbol>, Vec<Vec<Candle>>) {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let symbols: Vec<Symbol> = (0..SYMBOLS)
        .map(|index| Symbol::parse(&format!("S{index:03}")).unwrap())
        .collect();
    let series = (0..SYMBOLS)
        .map(|_| {
            let mut close: i64 = 20_000 + (next() % 20_000) as i64; // cents
            (0..bars)
                .map(|day| {
                    let step = (next() % 401) as i64 - 200;
                    let open = close;
                    close = (close + step).max(100);
                    let high = open.max(close) + (next() % 150) as i64;
                    let low = (open.min(close) - (next() % 150) as i64).max(1);
                    let cents = |value: i64| Price::from_raw(value * 10_000_000);
                    Candle::new(
                        UnixNanos::new(1_600_000_000_000_000_000 + day as u64 * 86_400_000_000_000),
                        cents(open),
                        cents(high),
                        cents(low),
                        cents(close),
                        Quantity::from_units(100_000 + (next() % 5_000_000) as i64).unwrap(),
                    )
                    .unwrap()
                })
                .collect()
        })
        .collect();
    (symbols, series)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let extra = 2_000;
    let (symbols, series) = universe(BARS + extra);
    let config = RadarConfig::default();
    // Bars as a feed delivers them: one stream in time order, every symbol's bar of a day
    // before the next day's (the slot is the symbol's index).
    let stream: Vec<(usize, Candle)> = (0..BARS + extra)
        .flat_map(|day| {
            series
                .iter()
                .enumerate()
                .map(move |(slot, candles)| (slot, candles[day]))
        })
        .collect();
    let day_of = |day: usize| &stream[day * SYMBOLS..(day + 1) * SYMBOLS];

    // Full pass: every bar of every symbol, in time order, then one ranking.
    let mut samples = Vec::new();
    let mut ranked = 0;
    for _ in 0..31 {
        let started = Instant::now();
        let mut radar = Radar::new(config.clone()).unwrap();
        for symbol in &symbols {
            radar.slot(*symbol);
        }
        for (slot, candle) in &stream[..BARS * SYMBOLS] {
            radar.update_slot(*slot, candle).unwrap();
        }
        let ranking = radar.rank();
        samples.push(started.elapsed());
        ranked = black_box(ranking).rows.len();
    }
    let best = samples.iter().min().copied().unwrap_or_default();
    let full = median(samples);
    let updates = (SYMBOLS * BARS) as f64;
    println!(
        "full pass: {SYMBOLS} symbols x {BARS} bars + ranking: median {:.3} ms, {:.1} M bar-updates/s (best run {:.1} M/s; {ranked} ranked)",
        full.as_secs_f64() * 1e3,
        updates / full.as_secs_f64() / 1e6,
        updates / best.as_secs_f64() / 1e6
    );

    // Incremental: a warm radar takes one new bar for every symbol, then re-ranks.
    let mut radar = Radar::new(config).unwrap();
    for symbol in &symbols {
        radar.slot(*symbol);
    }
    for (slot, candle) in &stream[..BARS * SYMBOLS] {
        radar.update_slot(*slot, candle).unwrap();
    }
    let watchlist = radar.subscribe(20);
    let mut samples = Vec::with_capacity(extra);
    for day in BARS..BARS + extra {
        let started = Instant::now();
        for (slot, candle) in day_of(day) {
            radar.update_slot(*slot, candle).unwrap();
        }
        let ranking = radar.refresh();
        samples.push(started.elapsed());
        black_box((ranking, radar.watchlist_changes(watchlist)));
    }
    samples.sort();
    let p99 = samples[(samples.len() * 99).div_ceil(100) - 1];
    println!(
        "incremental: one new bar for all {SYMBOLS} symbols + ranking + watchlist: median {:.1} µs, p99 {:.1} µs ({extra} updates)",
        median(samples.clone()).as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );
}
