//! Storage speed: `cargo bench -p airlock --bench storage`.
//!
//! 1,000,000 synthetic one-minute candles (a deterministic random walk) are
//! 1. imported into the embedded store (a fresh folder each run: the merge, encoding, checksum,
//!    write and rename) — rows per second;
//! 2. read back from the embedded store (read, checksum, decode and validate every candle) —
//!    candles per second, target ≥ 20 million/s;
//! 3. written once into PostgreSQL (`AIRLOCK_BENCH_PG_ADMIN`, default
//!    `postgres://postgres@127.0.0.1:5432/postgres`; a scratch database, dropped afterwards) and
//!    read back — rows and candles per second. Skipped, with a message, when no server answers.
//!
//! Prints medians. No assertions: figures are for people.
#![expect(
    clippy::panic,
    reason = "a bench binary stops loudly on a broken set-up"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use airlock::data::embedded::EmbeddedStore;
use airlock::store::{PgStore, Store};
use airlock_core::{Candle, Price, Quantity, Symbol, TimeRange, Timeframe, UnixNanos};

const ROWS: usize = 1_000_000;

fn candles(rows: usize) -> Vec<Candle> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut close: i64 = 46_319_000_000_000;
    (0..rows)
        .map(|row| {
            let open = close;
            let step = i64::try_from(next() % 80_000_000_001).unwrap_or(0) - 40_000_000_000;
            close = (open + step).max(1_000_000_000_000);
            let wick = i64::try_from(next() % 25_000_000_000).unwrap_or(0);
            let high = open.max(close) + wick;
            let low = (open.min(close) - wick).max(1);
            let volume = i64::try_from(next() % 4_000_000_000_000).unwrap_or(0);
            Candle::new(
                UnixNanos::new(1_640_995_260_000_000_000 + row as u64 * 60_000_000_000),
                Price::from_raw(open),
                Price::from_raw(high),
                Price::from_raw(low),
                Price::from_raw(close),
                Quantity::from_raw(volume),
            )
            .unwrap_or_else(|error| panic!("synthetic candle {row}: {error}"))
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

#[expect(
    clippy::disallowed_methods,
    reason = "a bench binary reads its own setting"
)]
fn pg_admin() -> String {
    std::env::var("AIRLOCK_BENCH_PG_ADMIN")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn main() {
    let data = candles(ROWS);
    let symbol = Symbol::parse("BTCUSD").unwrap_or_else(|error| panic!("{error}"));
    println!("storage benchmark: {ROWS} one-minute candles");

    let mut imports = Vec::new();
    let mut reads = Vec::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let store = EmbeddedStore::new(dir.path());
        let started = Instant::now();
        let written = store
            .write(&symbol, Timeframe::MINUTE, &data)
            .unwrap_or_else(|error| panic!("{error}"));
        imports.push(started.elapsed());
        assert_eq!(written.inserted, ROWS as u64);
        for _ in 0..3 {
            let started = Instant::now();
            let read = store
                .read(&symbol, Timeframe::MINUTE, TimeRange::ALL)
                .unwrap_or_else(|error| panic!("{error}"));
            reads.push(started.elapsed());
            assert_eq!(black_box(read).len(), ROWS);
        }
    }
    let import = median(imports);
    let read = median(reads);
    println!(
        "embedded import      {:>8.1} ms  {:>12.0} rows/s",
        import.as_secs_f64() * 1e3,
        per_second(ROWS, import)
    );
    println!(
        "embedded read        {:>8.1} ms  {:>12.0} candles/s  (target ≥ 20,000,000)",
        read.as_secs_f64() * 1e3,
        per_second(ROWS, read)
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("{error}"));
    runtime.block_on(async {
        let admin = pg_admin();
        let name = format!("airlock_bench_{}", std::process::id());
        if let Err(error) = airlock_store_postgres::admin::create_database(&admin, &name).await {
            println!("postgresql           skipped: {error}");
            return;
        }
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        let outcome = async {
            let store = PgStore::connect(&url).await?;
            store.migrate().await?;
            let started = Instant::now();
            store
                .write_candles(&symbol, Timeframe::MINUTE, &data)
                .await?;
            let write = started.elapsed();
            let mut reads = Vec::new();
            for _ in 0..3 {
                let started = Instant::now();
                let read = store
                    .load_candles(&symbol, Timeframe::MINUTE, TimeRange::ALL)
                    .await?;
                reads.push(started.elapsed());
                assert_eq!(black_box(read).len(), ROWS);
            }
            Ok::<_, airlock::store::StoreError>((write, median(reads)))
        }
        .await;
        let _ = airlock_store_postgres::admin::drop_database(&admin, &name).await;
        match outcome {
            Ok((write, read)) => {
                println!(
                    "postgresql import    {:>8.1} ms  {:>12.0} rows/s  (once)",
                    write.as_secs_f64() * 1e3,
                    per_second(ROWS, write)
                );
                println!(
                    "postgresql read      {:>8.1} ms  {:>12.0} candles/s",
                    read.as_secs_f64() * 1e3,
                    per_second(ROWS, read)
                );
            }
            Err(error) => println!("postgresql           failed: {error}"),
        }
    });
}
