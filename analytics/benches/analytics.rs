//! Throughput of round-trip matching, statistics and report writing on a synthetic run.
//! Prints the median of seven runs of each step; asserts nothing.

#[path = "../examples/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use airlock_analytics::{AnalyticsInput, Report, round_trips, statistics};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn time<T>(label: &str, items: usize, mut work: impl FnMut() -> T) {
    let samples: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(work());
            start.elapsed()
        })
        .collect();
    let median = median(samples);
    let per_second = items as f64 / median.as_secs_f64();
    println!(
        "{label:<34} {:>9.2} ms  {:>12.0} items/s",
        median.as_secs_f64() * 1e3,
        per_second
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bars = 1_000_000;
    let run = synthetic::run(bars, 5)?;
    let input = AnalyticsInput {
        initial_cash: run.initial_cash,
        fills: &run.fills,
        equity: &run.equity,
        in_market: &run.in_market,
        periods_per_year: None,
    };
    println!(
        "{} equity points, {} fills",
        run.equity.len(),
        run.fills.len()
    );
    time("round_trips (per fill)", run.fills.len(), || {
        round_trips(&run.fills)
    });
    let trades = round_trips(&run.fills);
    time("statistics (per point)", bars, || {
        statistics(&input, &trades)
    });
    time("Report::build (per point)", bars, || {
        Report::build(BTreeMap::new(), &input)
    });
    let report = Report::build(BTreeMap::new(), &input);
    let mut json = Vec::new();
    time("write_json (per point)", bars, || {
        json.clear();
        report.write_json(&mut json).is_ok()
    });
    let mut html = Vec::new();
    time("write_html (per point)", bars, || {
        html.clear();
        report.write_html(&mut html).is_ok()
    });
    println!(
        "json {:.1} MB, html {:.1} kB",
        json.len() as f64 / 1e6,
        html.len() as f64 / 1e3
    );
    Ok(())
}
