//! CSV candle parsing speed: `cargo bench -p airlock --bench csv`.
//!
//! 1. A synthetic 300,000-row one-minute file in the plain layout, built in memory (a
//!    deterministic random walk with the widths of real crypto bars:
//!    `2021-12-31 23:01:00.000000,46319.0,46385.0,46319.0,46377.0,2300413.7295`).
//! 2. A bundled Alpha Vantage file (gzip, 5,402 daily rows with splits and dividends), with and
//!    without adjustment, plus the gzip decompression alone.
//!
//! Prints the median of several runs, rows per second and (uncompressed) MB per second. No
//! assertions: figures are for people.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use airlock::data::{Adjust, CsvOptions, parse_csv, read_csv};
use airlock_core::UnixNanos;

const ROWS: usize = 300_000;
const RUNS: usize = 11;

/// xorshift64*: deterministic, dependency-free noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A step in -range..=range.
    fn step(&mut self, range: u64) -> i64 {
        let span = 2 * range + 1;
        i64::try_from(self.next() % span).unwrap_or(0) - i64::try_from(range).unwrap_or(0)
    }
}

/// The synthetic plain-layout file: whole-dollar prices with a `.0` suffix, volumes with four
/// decimals, one row per minute from 2021-12-31 23:01.
fn synthetic_minutes(rows: usize) -> Vec<u8> {
    use std::fmt::Write;
    let mut text = String::with_capacity(rows * 72 + 64);
    text.push_str("timestamp,open,high,low,close,volume\n");
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let start = UnixNanos::from_civil(2021, 12, 31, 23, 1, 0, 0).map_or(0, UnixNanos::as_u64);
    let mut close: i64 = 46_319;
    for row in 0..rows {
        let ts = UnixNanos::new(start + u64::try_from(row).unwrap_or(0) * 60_000_000_000);
        let (year, month, day, hour, minute, second, _) = ts.to_civil();
        let open = close;
        close = (open + noise.step(40)).max(1_000);
        let high = open.max(close) + noise.step(25).abs();
        let low = (open.min(close) - noise.step(25).abs()).max(1);
        let volume = 60_000 + noise.next() % 4_000_000;
        let fraction = noise.next() % 10_000;
        let _ = writeln!(
            text,
            "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.000000,\
             {open}.0,{high}.0,{low}.0,{close}.0,{volume}.{fraction:04}"
        );
    }
    text.into_bytes()
}

/// The median wall time of `RUNS` calls of `work`.
fn median(mut work: impl FnMut()) -> Duration {
    work(); // warm-up: page faults, caches
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

fn report(label: &str, time: Duration, rows: usize, bytes: usize) {
    let seconds = time.as_secs_f64();
    let (rows_per_second, megabytes_per_second) =
        (rows as f64 / seconds, bytes as f64 / 1e6 / seconds);
    println!(
        "{label:<44} {:>8.3} ms  {:>6.1} M rows/s  {:>7.1} MB/s",
        seconds * 1e3,
        rows_per_second / 1e6,
        megabytes_per_second
    );
}

fn main() {
    println!("median of {RUNS} runs\n");

    let plain = synthetic_minutes(ROWS);
    let options = CsvOptions::default();
    let mut rows = 0;
    let time = median(|| {
        let parsed = parse_csv("synthetic.csv", black_box(&plain), &options);
        rows = parsed.map_or(0, |(_, candles)| candles.len());
    });
    println!(
        "synthetic plain layout: {rows} rows, {:.1} MB",
        plain.len() as f64 / 1e6
    );
    report(
        "parse 300k one-minute rows (in memory)",
        time,
        rows,
        plain.len(),
    );

    // The same bytes from a file, as `airlock backtest` reads them: streamed, and parsed in two
    // halves on two cores when there are two.
    let dir = tempfile::tempdir().ok();
    let file = dir.as_ref().map(|dir| dir.path().join("SYN.csv"));
    if let Some(file) = file.filter(|file| std::fs::write(file, &plain).is_ok()) {
        let time = median(|| {
            let read = read_csv(black_box(&file), &options);
            rows = read.map_or(0, |file| file.candles.len());
        });
        report(
            "read_csv of the same file (streamed, split)",
            time,
            rows,
            plain.len(),
        );
    }

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data/DA-AAPL-T-2021-04-21.csv.gz");
    let Ok(gzip) = std::fs::read(&path) else {
        println!(
            "\n{} not found: Alpha Vantage figures skipped",
            path.display()
        );
        return;
    };
    let mut text = Vec::new();
    let inflated = flate2::read::MultiGzDecoder::new(gzip.as_slice()).read_to_end(&mut text);
    let unpacked = inflated.unwrap_or(0);
    println!(
        "\nDA-AAPL-T-2021-04-21.csv.gz: {} B gzip, {unpacked} B of CSV",
        gzip.len()
    );
    let time = median(|| {
        let mut sink = Vec::with_capacity(unpacked);
        let _ =
            flate2::read::MultiGzDecoder::new(black_box(gzip.as_slice())).read_to_end(&mut sink);
        black_box(sink);
    });
    report("gunzip only", time, 0, unpacked);
    for adjust in [Adjust::None, Adjust::Splits, Adjust::All] {
        let options = CsvOptions {
            adjust,
            symbol: None,
        };
        let mut rows = 0;
        let time = median(|| {
            let parsed = parse_csv("AAPL", black_box(&gzip), &options);
            rows = parsed.map_or(0, |(_, candles)| candles.len());
        });
        report(
            &format!("gzip + parse + adjust={adjust}"),
            time,
            rows,
            unpacked,
        );
    }
    let options = CsvOptions::default();
    let time = median(|| {
        let parsed = parse_csv("AAPL", black_box(&text), &options);
        black_box(parsed.map(|(_, candles)| candles.len()).ok());
    });
    report(
        "parse + adjust=all (already unzipped)",
        time,
        5_402,
        unpacked,
    );
}
