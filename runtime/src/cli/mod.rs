//! The command line: argument definitions and dispatch to one function per command.

mod backtest;
mod options;
mod progress;
mod scan;
mod sweep;

use clap::{Parser, Subcommand};

pub(crate) use options::RunArgs;

/// Airlock runs one strategy codebase in backtest, dry-run, paper and live, and cannot cross
/// those wires by accident. This build runs backtests, parameter sweeps and the Momentum Radar
/// scanner on candle files.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, about, long_about = None, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay candle files through a strategy and print its statistics.
    ///
    /// Example: airlock backtest --data examples/data/DA-AAPL-T-2021-04-21.csv.gz
    /// --strategy sma_cross --param fast=20 --param slow=50 --report aapl.html
    Backtest(backtest::BacktestArgs),
    /// Run a grid of strategy parameters in parallel and rank the results.
    ///
    /// Example: airlock sweep --data examples/data/DA-MSFT-T-2021-04-21.csv.gz
    /// --strategy sma_cross --grid fast=5..30:5 --grid slow=40..120:20 --rank sharpe
    Sweep(sweep::SweepArgs),
    /// List the built-in strategies and their parameters.
    Strategies,
    /// Rank a universe of candle files with Momentum Radar (rate of change, relative volume,
    /// distance from the high, breakouts, ATR).
    ///
    /// Example: airlock scan --universe examples/data/sp500-daily --top 20 --json radar.json
    Scan(scan::ScanArgs),
}

/// Runs the command.
pub(crate) fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Backtest(args) => backtest::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Strategies => {
            print!("{}", strategies_text());
            Ok(())
        }
    }
}

fn strategies_text() -> String {
    let mut text = String::new();
    for info in airlock_strategies::catalogue() {
        text.push_str(&format!("{}  {}\n", info.name, info.summary));
        for param in info.params {
            text.push_str(&format!(
                "    {:<10} default {:<6} {}\n",
                param.name, param.default, param.help
            ));
        }
    }
    text
}
