//! Matching engine benchmark: `cargo bench -p airlock-brokers --bench matching`.
//!
//! A deterministic stream of 1,000,000 operations on one symbol from four accounts: 60% limit
//! orders placed around the mid (most rest, some cross), 25% cancels of orders placed earlier
//! (some have filled meanwhile and are refused, which is part of the work), 15% marketable orders
//! (market orders and limits through the touch). Every operation also drains the event queue, as
//! the backtest does. Requests are built before the clock starts.
//!
//! Prints the median throughput of 7 untimed runs, the per-operation latency percentiles of 5
//! timed runs (each operation timed with `Instant`, the measured timer overhead subtracted), and
//! the cost of `on_candle` for a symbol with no working orders.
#![expect(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "benchmark binary: its inputs are fixed and valid, and a failure should stop the run"
)]

use std::hint::black_box;
use std::time::Instant;

use airlock_brokers::matching::{EngineConfig, MatchingEngine};
use airlock_core::{
    AccountId, Candle, ClientOrderId, Money, OrderKind, OrderRequest, Price, Quantity, Side,
    Symbol, TimeInForce, UnixNanos,
};

/// Operations per run unless a count is given after `--` (`cargo bench … -- 100000`).
const OPERATIONS: usize = 1_000_000;
const ACCOUNTS: u32 = 4;

/// SplitMix64: a tiny deterministic generator (no dependency, same stream on every machine).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[derive(Clone)]
enum Op {
    Submit(AccountId, OrderRequest),
    Cancel(AccountId, ClientOrderId),
}

fn operations(count: usize) -> Vec<Op> {
    let mut rng = Rng(42);
    let symbol = Symbol::parse("AAPL").unwrap();
    let mid: i64 = 100_000_000_000;
    let tick: i64 = 10_000_000;
    let mut placed: Vec<(AccountId, ClientOrderId)> = Vec::new();
    let mut ops = Vec::with_capacity(count);
    for sequence in 0..count {
        let roll = rng.below(100);
        let account = AccountId(u32::try_from(rng.below(u64::from(ACCOUNTS))).unwrap());
        if (60..85).contains(&roll) && !placed.is_empty() {
            let pick = usize::try_from(rng.below(placed.len() as u64)).unwrap();
            let (owner, id) = placed.swap_remove(pick);
            ops.push(Op::Cancel(owner, id));
            continue;
        }
        let side = if rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let id = ClientOrderId::parse(&format!("o{sequence}")).unwrap();
        let units = i64::try_from(1 + rng.below(10)).unwrap();
        let kind = if roll < 85 {
            // Around the mid: buys at or below mid + 2 ticks, sells at or above mid - 2 ticks, so
            // most rest and a few cross.
            let offset = i64::try_from(rng.below(40)).unwrap() - 2;
            let limit = match side {
                Side::Buy => mid - offset * tick,
                Side::Sell => mid + offset * tick,
            };
            placed.push((account, id.clone()));
            OrderKind::Limit {
                limit: Price::from_raw(limit),
            }
        } else if rng.below(2) == 0 {
            OrderKind::Market
        } else {
            let through = 5 * tick;
            let limit = match side {
                Side::Buy => mid + through,
                Side::Sell => mid - through,
            };
            OrderKind::Limit {
                limit: Price::from_raw(limit),
            }
        };
        let time_in_force = if matches!(kind, OrderKind::Market) {
            TimeInForce::Ioc
        } else {
            TimeInForce::Gtc
        };
        let request = OrderRequest::new(
            id,
            symbol,
            side,
            kind,
            Quantity::from_units(units).unwrap(),
            time_in_force,
        )
        .unwrap();
        ops.push(Op::Submit(account, request));
    }
    ops
}

fn fresh_engine() -> MatchingEngine {
    let mut engine = MatchingEngine::new(EngineConfig::default());
    for _ in 0..ACCOUNTS {
        engine.open_account(Money::from_units(1_000_000_000));
    }
    engine.slot(Symbol::parse("AAPL").unwrap());
    engine
}

#[inline]
fn apply(engine: &mut MatchingEngine, op: Op, now: UnixNanos) -> bool {
    match op {
        Op::Submit(account, request) => engine.submit(account, request, now).is_ok(),
        Op::Cancel(account, id) => engine.cancel(account, &id, now).is_ok(),
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    let rank = (fraction * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let count = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(OPERATIONS);
    let ops = operations(count);
    let cancels = ops.iter().filter(|op| matches!(op, Op::Cancel(..))).count();
    println!(
        "matching engine: {} operations on one symbol, {ACCOUNTS} accounts ({} submits, {cancels} cancels)",
        ops.len(),
        ops.len() - cancels
    );
    let now = UnixNanos::new(1);
    let mut events = Vec::with_capacity(1024);

    // Throughput: no per-operation timer.
    let mut rates = Vec::new();
    let mut summary = (0usize, 0usize, 0usize);
    for _ in 0..7 {
        let batch = ops.clone();
        let mut engine = fresh_engine();
        let mut accepted = 0usize;
        let mut produced = 0usize;
        let start = Instant::now();
        for op in batch {
            accepted += usize::from(apply(&mut engine, op, now));
            engine.take_events(&mut events);
            produced += events.len();
            events.clear();
        }
        let elapsed = start.elapsed().as_secs_f64();
        rates.push(ops.len() as f64 / elapsed);
        let resting = engine.open_orders(AccountId(0)).len();
        summary = (accepted, produced, resting);
        drop(black_box(engine));
    }
    let (accepted, produced, resting) = summary;
    println!(
        "  per run: {accepted} operations succeeded, {produced} events, {resting} orders of account 0 still resting"
    );
    println!(
        "  throughput: median {:.2} million ops/s over {} runs (min {:.2}, max {:.2})",
        median(&mut rates.clone()) / 1e6,
        rates.len(),
        rates.iter().copied().fold(f64::INFINITY, f64::min) / 1e6,
        rates.iter().copied().fold(0.0, f64::max) / 1e6,
    );

    // Timer overhead: the median of back-to-back Instant pairs.
    let mut overheads: Vec<u64> = (0..1_000_000)
        .map(|_| {
            let start = Instant::now();
            black_box(());
            u64::try_from(start.elapsed().as_nanos()).unwrap()
        })
        .collect();
    overheads.sort_unstable();
    let overhead = overheads[overheads.len() / 2];

    // Latency: every operation timed (submit or cancel plus draining its events).
    let mut latencies = Vec::with_capacity(count * 5);
    for _ in 0..5 {
        let batch = ops.clone();
        let mut engine = fresh_engine();
        for op in batch {
            let start = Instant::now();
            black_box(apply(&mut engine, op, now));
            engine.take_events(&mut events);
            let elapsed = u64::try_from(start.elapsed().as_nanos()).unwrap();
            events.clear();
            latencies.push(elapsed.saturating_sub(overhead));
        }
    }
    latencies.sort_unstable();
    println!(
        "  latency per operation ({} samples, timer overhead {overhead} ns subtracted): p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        latencies.last().copied().unwrap_or(0),
    );

    // on_candle with no working orders: the backtest's hot path for most bars.
    let mut engine = fresh_engine();
    let slot = engine.slot(Symbol::parse("AAPL").unwrap());
    let price = Price::from_raw(100_000_000_000);
    let candle = Candle::new(UnixNanos::new(0), price, price, price, price, Quantity::ONE).unwrap();
    let candles = 50_000_000u32;
    let mut per_candle = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..candles {
            engine.on_candle(black_box(slot), black_box(&candle));
        }
        per_candle.push(start.elapsed().as_secs_f64() * 1e9 / f64::from(candles));
    }
    println!(
        "  on_candle with no working orders: median {:.2} ns/candle over 5 runs of {candles}",
        median(&mut per_candle)
    );
}
