//! `airlock backtest`: one run, a statistics table, optional JSON and HTML reports.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use airlock_risk::{RiskEventKind, Trigger};
use anyhow::Context;
use clap::Args;

use super::RunArgs;
use super::progress::Progress;

/// Arguments of `airlock backtest`.
#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// Write the full report as JSON: `stats`, `trades`, `equity` ([timestamp, equity] pairs),
    /// `orders`, `refusals` (orders refused per risk rule, every rule listed),
    /// `risk_transitions` (trading-state changes with their reasons), `meta`.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a self-contained HTML report with equity and drawdown charts.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

pub(crate) fn run(args: &BacktestArgs) -> anyhow::Result<()> {
    println!("airlock {} · mode: backtest", env!("CARGO_PKG_VERSION"));
    let config = args.run.config()?;
    let params = airlock_strategies::describe(&args.run.strategy, &args.run.params)?;
    let mut strategy = airlock_strategies::build(&args.run.strategy, &args.run.params)?;
    let series = args.run.load()?;
    let total: u64 = series.iter().map(|one| one.candles.len() as u64).sum();
    let progress = Progress::new("bars", total, 2_000_000);
    let mut report_progress = |done: u64, total: u64| progress.update(done, total);
    let result = airlock_backtest::run(
        &series,
        strategy.as_mut(),
        &config,
        Some(&mut report_progress),
    )?;
    let meta = args.run.meta(&series, &params);
    let (bars, orders) = (result.bars, result.orders.len());
    let refusals = result.refusals.clone();
    let halts: Vec<String> = result
        .risk_transitions
        .iter()
        .filter_map(|event| match &event.kind {
            RiskEventKind::Transition {
                to,
                trigger,
                reason,
                ..
            } if *trigger != Trigger::StateConfirmed => {
                Some(format!("{} {to}: {reason}", event.at))
            }
            _ => None,
        })
        .collect();
    let report = result.into_report(meta, args.json.is_some());
    let mut out = std::io::stdout().lock();
    let symbols: Vec<&str> = series.iter().map(|one| one.symbol.as_str()).collect();
    let params: Vec<String> = params
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    writeln!(
        out,
        "strategy: {} ({})",
        args.run.strategy,
        params.join(", ")
    )?;
    writeln!(
        out,
        "symbols:  {} ({bars} bars, fill {})",
        symbols.join(" "),
        args.run.fill
    )?;
    write!(out, "{}", report.summary_table())?;
    let refused: u64 = refusals.values().sum();
    write!(
        out,
        "orders:   {orders} decided, {refused} refused by pre-trade checks"
    )?;
    if refused > 0 {
        let rules: Vec<String> = refusals
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(rule, count)| format!("{rule} {count}"))
            .collect();
        write!(out, " ({})", rules.join(", "))?;
    }
    writeln!(out)?;
    for halt in &halts {
        writeln!(out, "risk:     {halt}")?;
    }
    if let Some(path) = &args.json {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = BufWriter::new(file);
        report
            .write_json(&mut writer)
            .with_context(|| format!("writing {}", path.display()))?;
        writer
            .flush()
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "json:     {}", path.display())?;
    }
    if let Some(path) = &args.report {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = BufWriter::new(file);
        report
            .write_html(&mut writer)
            .with_context(|| format!("writing {}", path.display()))?;
        writer
            .flush()
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "report:   {}", path.display())?;
    }
    Ok(())
}
