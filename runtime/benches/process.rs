//! Benchmark (d): the whole `airlock backtest` process on a 300,000-row one-minute CSV file,
//! parsing included, as a user runs it. Prints the median wall time of several runs.
//!
//! Run with `cargo bench -p airlock --bench process`.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A deterministic one-minute random walk in the plain layout, with realistic field widths.
fn synthetic_csv(rows: usize) -> String {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = String::with_capacity(rows * 72);
    text.push_str("timestamp,open,high,low,close,volume\n");
    let mut close: i64 = 4_631_900; // cents
    let start = 1_640_991_660_u64; // 2021-12-31 23:01:00 UTC
    for index in 0..rows {
        let open = close;
        close = (open + i64::try_from(next() % 2_001).unwrap_or(0) - 1_000).max(100);
        let wick = i64::try_from(next() % 500).unwrap_or(0);
        let high = open.max(close) + wick;
        let low = (open.min(close) - wick).max(1);
        let volume = next() % 100_000_000;
        let seconds = start + index as u64 * 60;
        let (days, second_of_day) = (seconds / 86_400, seconds % 86_400);
        let (year, month, day) = civil(days);
        let _ = writeln!(
            text,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:00.000000,{}.{:02},{}.{:02},{}.{:02},{}.{:02},{}.{:04}",
            second_of_day / 3_600,
            second_of_day % 3_600 / 60,
            open / 100,
            open % 100,
            high / 100,
            high % 100,
            low / 100,
            low % 100,
            close / 100,
            close % 100,
            volume / 10_000,
            volume % 10_000,
        );
    }
    text
}

fn civil(days: u64) -> (i64, u64, u64) {
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u64::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u64::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn main() -> std::io::Result<()> {
    let rows = 300_000;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("SYN.csv");
    let csv = synthetic_csv(rows);
    std::fs::write(&path, &csv)?;
    let binary = env!("CARGO_BIN_EXE_airlock");
    let run = || -> std::io::Result<Duration> {
        let started = Instant::now();
        let status = Command::new(binary)
            .args(["backtest", "--data"])
            .arg(&path)
            .args(["--strategy", "sma_cross", "--commission-bps", "1"])
            .stdout(Stdio::null())
            .status()?;
        let elapsed = started.elapsed();
        if !status.success() {
            return Err(std::io::Error::other(format!(
                "airlock exited with {status}"
            )));
        }
        Ok(elapsed)
    };
    run()?; // warm the page cache
    let mut samples = (0..11)
        .map(|_| run())
        .collect::<std::io::Result<Vec<_>>>()?;
    samples.sort();
    let median = samples[samples.len() / 2];
    println!(
        "(d) airlock backtest on a {rows}-row one-minute CSV ({:.1} MB), whole process: median {:.1} ms (min {:.1}, max {:.1}) over {} runs",
        csv.len() as f64 / 1e6,
        median.as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
        samples.len()
    );
    Ok(())
}
