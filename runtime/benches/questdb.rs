//! QuestDB ILP buffer build speed (encoding only, nothing is sent):
//! `cargo bench -p airlock --bench questdb`.
//!
//! Encodes 1,000,000 one-minute candles (a deterministic random walk of two-decimal prices
//! around 130, integer volumes) into a `questdb-rs` buffer with [`encode_candle`], the function
//! the writer uses: the exactness check of every value, text ILP (protocol version 1) and
//! binary doubles (version 2). The buffer is cleared between runs and keeps its capacity, as
//! the writer's does between batches. Prints the median of several runs and rows per second.
//! No assertions: figures are for people.

use std::hint::black_box;
use std::time::{Duration, Instant};

use airlock::questdb::encode_candle;
use airlock_core::{Candle, Price, Quantity, Symbol, UnixNanos};
use questdb::ingress::{Buffer, ProtocolVersion, TableName};

const ROWS: usize = 1_000_000;
const RUNS: usize = 11;

fn median(mut work: impl FnMut()) -> Duration {
    work(); // warm-up: page faults, buffer growth
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    times.get(RUNS / 2).copied().unwrap_or_default()
}

fn candles() -> Vec<Candle> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let start = UnixNanos::from_civil(2021, 4, 21, 13, 30, 0, 0).map_or(0, UnixNanos::as_u64);
    let mut cents: i64 = 13_000;
    (0..ROWS)
        .filter_map(|row| {
            let step = i64::try_from(next() % 41).unwrap_or(0) - 20;
            let open = cents;
            cents = (cents + step).max(100);
            let high = open.max(cents) + i64::try_from(next() % 15).unwrap_or(0);
            let low = (open.min(cents) - i64::try_from(next() % 15).unwrap_or(0)).max(1);
            let price = |value: i64| Price::from_raw(value * 10_000_000);
            let volume =
                Quantity::from_raw(i64::try_from(next() % 5_000_000).unwrap_or(0) * 1_000_000_000);
            let ts = UnixNanos::new(start + u64::try_from(row).unwrap_or(0) * 60_000_000_000);
            Candle::new(
                ts,
                price(open),
                price(high),
                price(low),
                price(cents),
                volume,
            )
            .ok()
        })
        .collect()
}

fn main() {
    println!("median of {RUNS} runs\n");
    let bars = candles();
    let symbol = Symbol::parse("AAPL").unwrap_or_else(|_| unreachable!("a valid ticker"));
    for (name, version) in [
        ("text ILP (protocol 1)", ProtocolVersion::V1),
        ("binary doubles (protocol 2)", ProtocolVersion::V2),
    ] {
        let mut buffer = Buffer::new(version);
        let mut bytes = 0;
        let time = median(|| {
            buffer.clear();
            for bar in &bars {
                let table = TableName::new_unchecked("candles");
                if encode_candle(&mut buffer, table, &symbol, "1m", black_box(bar)).is_err() {
                    return;
                }
            }
            bytes = buffer.len();
        });
        let seconds = time.as_secs_f64();
        println!(
            "ILP buffer build, {name}: {} rows, {:.1} MB in {:.1} ms: {:.2} M rows/s",
            bars.len(),
            bytes as f64 / 1e6,
            seconds * 1e3,
            bars.len() as f64 / seconds / 1e6
        );
    }
}
