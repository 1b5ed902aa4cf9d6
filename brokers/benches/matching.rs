//! Matching engine benchmark: `cargo bench -p airlock-brokers --bench matching`.
//!
//! Two deterministic streams (SplitMix64, seed 42) of 1,000,000 operations each on one symbol
//! from four accounts, every operation followed by draining the event queue, as the backtest does.
//! Requests and cancel ids (`o{sequence}`, so consecutive per account) are built before the clock
//! starts; they are cold in the cache when the engine reads them, which a caller that has just
//! built its request would not pay.
//!
//! **steady** (the headline figure, shaped like exchange-core's throughput test): the book is held
//! near 1,000 working orders. 15% of operations are marketable: half market orders, half IOC limits
//! 5 ticks through the mid, 1 to 10 units each. The other 85% add a GTC limit (1 to 10 units, 2
//! ticks through to 37 ticks away from the mid, so a few cross) while the tracked set of working
//! orders is below a threshold drawn uniformly from 900..1,100, and otherwise cancel a random
//! member of that set. The generator replays the stream on its own engine (untimed) to know which
//! orders are still working: every cancel hits a working order, usually a resting limit, sometimes
//! the unfilled remainder of a market or IOC order that waits for a candle (no candles are fed).
//!
//! **stress** (the earlier stream, kept so nothing is hidden): 60% GTC limits around the mid as
//! above, 25% cancels of random earlier limits (about a quarter of them filled meanwhile and are
//! refused, which is part of the work), 15% marketable orders (market IOC, or GTC limits 5 ticks
//! through the mid). Nothing holds the book's size: about 260,000 orders end up resting on 40
//! price levels, so nearly every operation misses the cache.
//!
//! In both streams the engine keeps the record of every order it was given (lifecycle history
//! included, for `order` and `report`), so its memory grows by about 350 bytes per submitted order
//! even when the book does not: the first-touch page faults and cache misses of that store are
//! part of every figure.
//!
//! For each stream: the operation mix; the median, minimum and maximum throughput of 7 untimed
//! runs (each on a fresh engine); and the per-operation latency percentiles over 5 further runs,
//! each operation (the call plus draining its events) timed with `Instant`, the median cost of an
//! empty `Instant` pair subtracted, overall and split into GTC limits, cancels and market/IOC
//! orders. Finally the cost of `on_candle` for a symbol with no working
//! orders. The machine's other load shows in the figures: compare medians, and re-run.
#![expect(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "benchmark binary: its inputs are fixed and valid, and a failure should stop the run"
)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use airlock_brokers::matching::{EngineConfig, MatchingEngine};
use airlock_core::{
    AccountId, BrokerEvent, Candle, ClientOrderId, Money, OrderKind, OrderRequest, Price, Quantity,
    Side, Symbol, TimeInForce, UnixNanos,
};

/// Operations per stream unless a count is given after `--` (`cargo bench … -- 100000`). A word
/// after `--` (`steady`, `stress`) runs only the streams whose name starts with it.
const OPERATIONS: usize = 1_000_000;
const ACCOUNTS: u32 = 4;
/// Working orders the steady stream holds the book near.
const TARGET_WORKING: u64 = 1_000;
const THROUGHPUT_RUNS: usize = 7;
const LATENCY_RUNS: usize = 5;
const MID: i64 = 100_000_000_000;
const TICK: i64 = 10_000_000;

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

    fn side(&mut self) -> Side {
        if self.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn units(&mut self) -> Quantity {
        Quantity::from_units(i64::try_from(1 + self.below(10)).unwrap()).unwrap()
    }
}

#[derive(Clone)]
enum Op {
    Submit(AccountId, OrderRequest),
    Cancel(AccountId, ClientOrderId),
}

/// How many operations of each kind a stream holds.
#[derive(Default)]
struct Mix {
    limits: usize,
    markets: usize,
    ioc_limits: usize,
    marketable_gtc: usize,
    cancels: usize,
}

impl Mix {
    fn count(&mut self, op: &Op) {
        match op {
            Op::Cancel(..) => self.cancels += 1,
            Op::Submit(_, request) => match (request.kind(), request.time_in_force()) {
                (OrderKind::Market, _) => self.markets += 1,
                (_, TimeInForce::Ioc) => self.ioc_limits += 1,
                (OrderKind::Limit { limit }, _) if through(request.side(), limit) => {
                    self.marketable_gtc += 1;
                }
                _ => self.limits += 1,
            },
        }
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "{} GTC limits around the mid, {} cancels, {} market IOC",
            self.limits, self.cancels, self.markets
        );
        if self.ioc_limits > 0 {
            text.push_str(&format!(", {} IOC limits through the mid", self.ioc_limits));
        }
        if self.marketable_gtc > 0 {
            text.push_str(&format!(
                ", {} GTC limits 5 ticks through the mid",
                self.marketable_gtc
            ));
        }
        text
    }
}

/// True for the marketable limits of both streams (5 ticks through the mid).
fn through(side: Side, limit: Price) -> bool {
    match side {
        Side::Buy => limit.raw() >= MID + 5 * TICK,
        Side::Sell => limit.raw() <= MID - 5 * TICK,
    }
}

fn symbol() -> Symbol {
    Symbol::parse("AAPL").unwrap()
}

/// A GTC limit 2 ticks through to 37 ticks away from the mid: most rest, a few cross.
fn resting_limit(rng: &mut Rng, id: ClientOrderId) -> OrderRequest {
    let side = rng.side();
    let units = rng.units();
    let offset = i64::try_from(rng.below(40)).unwrap() - 2;
    let limit = match side {
        Side::Buy => MID - offset * TICK,
        Side::Sell => MID + offset * TICK,
    };
    let kind = OrderKind::Limit {
        limit: Price::from_raw(limit),
    };
    OrderRequest::new(id, symbol(), side, kind, units, TimeInForce::Gtc).unwrap()
}

/// A market order, or a limit 5 ticks through the mid with time in force `limit_tif`.
fn marketable(rng: &mut Rng, id: ClientOrderId, limit_tif: TimeInForce) -> OrderRequest {
    let side = rng.side();
    let units = rng.units();
    let (kind, time_in_force) = if rng.below(2) == 0 {
        (OrderKind::Market, TimeInForce::Ioc)
    } else {
        let limit = match side {
            Side::Buy => MID + 5 * TICK,
            Side::Sell => MID - 5 * TICK,
        };
        let kind = OrderKind::Limit {
            limit: Price::from_raw(limit),
        };
        (kind, limit_tif)
    };
    OrderRequest::new(id, symbol(), side, kind, units, time_in_force).unwrap()
}

/// The steady stream: the book held near [`TARGET_WORKING`] working orders (see the top).
fn steady(count: usize) -> Vec<Op> {
    let mut rng = Rng(42);
    let mut shadow = fresh_engine();
    let now = UnixNanos::new(1);
    let mut events = Vec::new();
    // Working orders of the shadow engine, with each one's place in `working`.
    let mut working: Vec<(AccountId, ClientOrderId)> = Vec::new();
    let mut places: HashMap<ClientOrderId, usize> = HashMap::new();
    let mut ops = Vec::with_capacity(count);
    for sequence in 0..count {
        let roll = rng.below(100);
        let account = AccountId(u32::try_from(rng.below(u64::from(ACCOUNTS))).unwrap());
        let threshold = TARGET_WORKING - 100 + rng.below(200);
        let op = if roll < 15 {
            let id = ClientOrderId::parse(&format!("o{sequence}")).unwrap();
            Op::Submit(account, marketable(&mut rng, id, TimeInForce::Ioc))
        } else if (working.len() as u64) < threshold {
            let id = ClientOrderId::parse(&format!("o{sequence}")).unwrap();
            Op::Submit(account, resting_limit(&mut rng, id))
        } else {
            let pick = usize::try_from(rng.below(working.len() as u64)).unwrap();
            let (owner, id) = working.get(pick).cloned().unwrap();
            Op::Cancel(owner, id)
        };
        apply(&mut shadow, op.clone(), now);
        if let Op::Submit(account, request) = &op {
            let id = request.client_order_id();
            if shadow
                .order(*account, id)
                .is_some_and(|order| !order.status().is_terminal())
            {
                places.insert(id.clone(), working.len());
                working.push((*account, id.clone()));
            }
        }
        shadow.take_events(&mut events);
        for (_, event) in events.drain(..) {
            if event.status.is_terminal()
                && let Some(place) = places.remove(&event.client_order_id)
            {
                working.swap_remove(place);
                if let Some((_, moved)) = working.get(place) {
                    places.insert(moved.clone(), place);
                }
            }
        }
        ops.push(op);
    }
    ops
}

/// The stress stream: the earlier generator, whose book grows without bound (see the top).
fn stress(count: usize) -> Vec<Op> {
    let mut rng = Rng(42);
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
        let id = ClientOrderId::parse(&format!("o{sequence}")).unwrap();
        let request = if roll < 85 {
            placed.push((account, id.clone()));
            resting_limit(&mut rng, id)
        } else {
            marketable(&mut rng, id, TimeInForce::Gtc)
        };
        ops.push(Op::Submit(account, request));
    }
    ops
}

fn fresh_engine() -> MatchingEngine {
    let mut engine = MatchingEngine::new(EngineConfig::default());
    for _ in 0..ACCOUNTS {
        engine.open_account(Money::from_units(1_000_000_000));
    }
    engine.slot(symbol());
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

/// The median cost of a back-to-back `Instant` pair, in nanoseconds.
fn timer_overhead() -> u64 {
    let mut overheads: Vec<u64> = (0..1_000_000)
        .map(|_| {
            let start = Instant::now();
            black_box(());
            u64::try_from(start.elapsed().as_nanos()).unwrap()
        })
        .collect();
    overheads.sort_unstable();
    overheads[overheads.len() / 2]
}

/// Runs one stream: throughput without timers, then latency with a timer around every operation.
fn measure(name: &str, ops: &[Op], overhead: u64) {
    let mut mix = Mix::default();
    ops.iter().for_each(|op| mix.count(op));
    println!("{name}: {} operations: {}", ops.len(), mix.describe());
    let now = UnixNanos::new(1);
    let mut events: Vec<(AccountId, BrokerEvent)> = Vec::with_capacity(1024);

    let mut rates = Vec::new();
    let mut summary = (0usize, 0usize, 0usize);
    for _ in 0..THROUGHPUT_RUNS {
        let batch = ops.to_vec();
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
        let working = (0..ACCOUNTS)
            .map(|account| engine.open_orders(AccountId(account)).len())
            .sum();
        summary = (accepted, produced, working);
        drop(black_box(engine));
    }
    let (accepted, produced, working) = summary;
    println!(
        "  per run: {accepted} operations succeeded, {produced} events, {working} orders working at the end"
    );
    println!(
        "  throughput: median {:.2} million ops/s over {} runs (min {:.2}, max {:.2})",
        median(&mut rates.clone()) / 1e6,
        rates.len(),
        rates.iter().copied().fold(f64::INFINITY, f64::min) / 1e6,
        rates.iter().copied().fold(0.0, f64::max) / 1e6,
    );

    let mut latencies = Vec::with_capacity(ops.len() * LATENCY_RUNS);
    // The same samples split by what the operation was: GTC limit, cancel, market or IOC.
    let mut by_kind: [Vec<u64>; 3] = Default::default();
    for _ in 0..LATENCY_RUNS {
        let batch = ops.to_vec();
        let mut engine = fresh_engine();
        for op in batch {
            let kind = match &op {
                Op::Submit(_, request) if request.time_in_force() == TimeInForce::Gtc => 0,
                Op::Cancel(..) => 1,
                Op::Submit(..) => 2,
            };
            let start = Instant::now();
            black_box(apply(&mut engine, op, now));
            engine.take_events(&mut events);
            let elapsed = u64::try_from(start.elapsed().as_nanos()).unwrap();
            events.clear();
            let sample = elapsed.saturating_sub(overhead);
            latencies.push(sample);
            by_kind[kind].push(sample);
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
    let names = ["GTC limits", "cancels", "market/IOC"];
    let split: Vec<String> = names
        .iter()
        .zip(&mut by_kind)
        .filter(|(_, samples)| !samples.is_empty())
        .map(|(name, samples)| {
            samples.sort_unstable();
            format!(
                "{name} p50 {} p99 {} ns",
                percentile(samples, 0.50),
                percentile(samples, 0.99)
            )
        })
        .collect();
    println!("  by kind: {}", split.join(", "));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = args
        .iter()
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(OPERATIONS);
    let only: Vec<&String> = args
        .iter()
        .filter(|arg| arg.starts_with(|c: char| c.is_ascii_lowercase()) && *arg != "--bench")
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|word| name.starts_with(*word));
    println!(
        "matching engine: one symbol, {ACCOUNTS} accounts, events drained after every operation"
    );
    let overhead = timer_overhead();
    if wanted("steady") {
        measure(
            "steady (book held near 1,000 working orders)",
            &steady(count),
            overhead,
        );
    }
    if wanted("stress") {
        measure(
            "stress (unbounded book, ~260,000 resting orders by the end)",
            &stress(count),
            overhead,
        );
    }
    if !only.is_empty() {
        return;
    }

    // on_candle with no working orders: the backtest's hot path for most bars.
    let mut engine = fresh_engine();
    let slot = engine.slot(symbol());
    let price = Price::from_raw(MID);
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
        "on_candle with no working orders: median {:.2} ns/candle over 5 runs of {candles}",
        median(&mut per_candle)
    );
}
