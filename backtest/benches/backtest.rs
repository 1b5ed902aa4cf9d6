//! Backtest benchmarks (figures printed, not asserted):
//! (a) `sma_cross` throughput in bars/s over 1,000,000 one-minute bars, one thread;
//! (c) a 100-combination sweep over the same bars on one thread and on every core, and the
//!     scaling between them.
//!
//! Run with `cargo bench -p airlock-backtest --bench backtest`.

use std::time::{Duration, Instant};

use airlock_backtest::sweep::{GridAxis, SweepPlan, sweep};
use airlock_backtest::{BacktestConfig, Series, Sizing, backtest_limits};
use airlock_brokers::matching::EngineConfig;
use airlock_core::{Candle, Money, Price, Quantity, Rate, Symbol, UnixNanos};

/// A deterministic random walk of one-minute bars (xorshift; no external crates).
fn synthetic_minutes(count: usize) -> Vec<Candle> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let start = UnixNanos::from_civil(2020, 1, 1, 0, 0, 0, 0).map_or(0, UnixNanos::as_u64);
    let mut close: i64 = 100_000_000_000; // 100.0
    let mut candles = Vec::with_capacity(count);
    for index in 0..count {
        let open = close;
        let step = i64::try_from(next() % 200_000_001).unwrap_or(0) - 100_000_000; // ±0.1
        close = (open + step).max(1_000_000_000);
        let wick = i64::try_from(next() % 50_000_001).unwrap_or(0);
        let high = open.max(close) + wick;
        let low = (open.min(close) - wick).max(1);
        let volume = i64::try_from(next() % 10_000).unwrap_or(0) * 1_000_000_000;
        let ts = UnixNanos::new(start + index as u64 * 60_000_000_000);
        if let Ok(candle) = Candle::new(
            ts,
            Price::from_raw(open),
            Price::from_raw(high),
            Price::from_raw(low),
            Price::from_raw(close),
            Quantity::from_raw(volume),
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

fn config() -> BacktestConfig {
    BacktestConfig {
        initial_cash: Money::from_units(100_000),
        engine: EngineConfig::default(),
        sizing: Sizing::EquityFraction(Rate::ONE),
        risk: backtest_limits(Money::from_units(100_000), Rate::ONE),
        run_id: "bench".into(),
    }
}

fn params(fast: u32, slow: u32) -> Vec<(String, String)> {
    vec![
        ("fast".into(), fast.to_string()),
        ("slow".into(), slow.to_string()),
    ]
}

fn main() {
    let bars = 1_000_000;
    let symbol = Symbol::parse("SYN").unwrap_or_else(|_| unreachable!("valid literal"));
    let series = vec![Series {
        symbol,
        candles: synthetic_minutes(bars),
    }];
    let config = config();
    // `cargo bench ... -- a` runs only (a); `-- c` only (c).
    let only: Option<String> = std::env::args()
        .skip(1)
        .find(|arg| arg == "a" || arg == "c");
    let wants = |part: &str| only.as_deref().is_none_or(|only| only == part);

    // (a) single run, one thread.
    let mut samples = Vec::new();
    let mut fills = 0;
    for _ in 0..if wants("a") { 7 } else { 0 } {
        let Ok(mut strategy) = airlock_strategies::build("sma_cross", &params(10, 30)) else {
            return;
        };
        let started = Instant::now();
        let result = airlock_backtest::run(&series, strategy.as_mut(), &config, None);
        samples.push(started.elapsed());
        fills = result.map_or(0, |result| result.fills.len());
    }
    let time = median(samples);
    if wants("a") {
        println!(
            "(a) sma_cross 10/30 over {bars} one-minute bars, 1 thread: median {:.2} ms, {:.1} M bars/s ({fills} fills)",
            time.as_secs_f64() * 1e3,
            bars as f64 / time.as_secs_f64() / 1e6
        );
    }
    if !wants("c") {
        return;
    }

    // (c) 100-combination sweep: 1 thread vs every core.
    let axes: Vec<GridAxis> = ["fast=5..50:5", "slow=60..240:20"]
        .iter()
        .filter_map(|text| text.parse().ok())
        .collect();
    let build = |params: &[(String, String)]| {
        airlock_strategies::build("sma_cross", params).map_err(|error| error.to_string())
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut per_threads = Vec::new();
    for threads in [1, cores] {
        let plan = SweepPlan {
            series: &series,
            build: &build,
            fixed: &[],
            axes: &axes,
            config: &config,
            rank_by: "sharpe",
            threads,
        };
        let mut samples = Vec::new();
        let mut runs = 0;
        for _ in 0..3 {
            let started = Instant::now();
            runs = sweep(&plan, &|_, _| {}).map_or(0, |runs| runs.len());
            samples.push(started.elapsed());
        }
        let time = median(samples);
        println!(
            "(c) sweep of {runs} combinations over {bars} bars on {threads} thread(s): median {:.2} s, {:.1} M bars/s",
            time.as_secs_f64(),
            (runs * bars) as f64 / time.as_secs_f64() / 1e6
        );
        per_threads.push(time);
    }
    if let [one, all] = per_threads[..] {
        println!(
            "(c) scaling from 1 to {cores} threads: {:.2}x",
            one.as_secs_f64() / all.as_secs_f64()
        );
    }
}
