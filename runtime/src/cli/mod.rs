//! The command line: argument definitions and dispatch to one function per command.

mod backtest;
mod data;
mod db;
mod env;
mod health;
mod options;
mod progress;
mod questdb;
mod scan;
mod sim;
mod source;
mod sweep;

use airlock_core::{EnvSnapshot, ModeTag};
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
    /// Import candle files into the embedded store, PostgreSQL or QuestDB, and list what is
    /// stored.
    ///
    /// Example: airlock data import --from examples/data/DA-AAPL-T-2021-04-21.csv.gz --to embedded
    Data(data::DataArgs),
    /// Show whether this process could send orders now: the database, Redis, and the trading
    /// state they confirm (exit 1 when it cannot be confirmed).
    Health(health::HealthArgs),
    /// Change the trading state (active, reducing, halted): recorded in the database and the
    /// audit log, then broadcast to every process of the environment.
    ///
    /// Example: airlock trading halted --reason "exchange outage" --actor ana
    Trading(health::TradingArgs),
    /// Migrate a database (PostgreSQL or SQLite), show its status, verify its audit log.
    ///
    /// Example: airlock db migrate --database-url postgres://postgres@127.0.0.1:5432/airlock --tag paper
    Db(db::DbArgs),
    /// Inspect an environment's settings and start-up guards.
    #[command(subcommand)]
    Env(env::EnvCommand),
    /// Start a session in an environment: run every start-up guard (exit 78 on a refusal, before
    /// any connection), then connect to its endpoints. This build stops after the connection
    /// check: the broker sessions arrive with later releases.
    ///
    /// Example: airlock run --env paper --secrets-file ~/.airlock/paper.secrets
    Run(env::EnvArgs),
    /// Rank a universe of candle files with Momentum Radar (rate of change, relative volume,
    /// distance from the high, breakouts, ATR).
    ///
    /// Example: airlock scan --universe examples/data/sp500-daily --top 20 --json radar.json
    Scan(scan::ScanArgs),
    /// Run a simulated venue on this machine: `airlock sim alpaca` serves Alpaca's trading API
    /// (REST and the trade-updates stream) backed by the matching engine.
    ///
    /// Example: airlock sim alpaca --listen 127.0.0.1:8787 --data
    /// examples/data/DA-AAPL-T-2021-04-21.csv.gz
    #[command(subcommand)]
    Sim(sim::SimCommand),
}

impl Cli {
    /// The mode the command runs in (for the log span), if it has one.
    pub(crate) fn mode(&self) -> Option<ModeTag> {
        match &self.command {
            Command::Backtest(_) | Command::Sweep(_) => Some(ModeTag::Backtest),
            Command::Strategies
            | Command::Data(_)
            | Command::Db(_)
            | Command::Scan(_)
            | Command::Sim(_)
            | Command::Health(_)
            | Command::Trading(_) => None,
            Command::Env(command) => Some(env::mode_of(command.environment())),
            Command::Run(args) => Some(env::mode_of(args.environment)),
        }
    }
}

/// Runs the command.
pub(crate) fn dispatch(cli: Cli, environment: &EnvSnapshot) -> anyhow::Result<()> {
    match cli.command {
        Command::Backtest(mut args) => {
            args.run.source.resolve(environment);
            backtest::run(&args)
        }
        Command::Sweep(mut args) => {
            args.run.source.resolve(environment);
            sweep::run(&args)
        }
        Command::Data(mut args) => {
            args.resolve(environment);
            data::run(&args)
        }
        Command::Db(mut args) => {
            args.resolve(environment);
            db::run(&args)
        }
        Command::Health(mut args) => {
            args.state.resolve(environment);
            health::health(&args)
        }
        Command::Trading(mut args) => {
            args.state.resolve(environment);
            health::trading(&args)
        }
        Command::Scan(args) => scan::run(&args),
        Command::Sim(command) => sim::run(&command),
        Command::Strategies => {
            print!("{}", strategies_text());
            Ok(())
        }
        Command::Env(command) => env::check(&command, environment),
        Command::Run(args) => env::start(&args, environment),
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
