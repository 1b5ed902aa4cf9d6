//! `airlock sweep`: a parameter grid run in parallel, ranked by a statistic.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use airlock_backtest::sweep::{GridAxis, SweepPlan, statistic, sweep};
use anyhow::{Context, bail};
use clap::Args;

use super::RunArgs;
use super::progress::Progress;

/// Arguments of `airlock sweep`.
#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    #[command(flatten)]
    pub(crate) run: RunArgs,
    /// A grid axis, repeatable: name=start..end:step (inclusive) or name=v1,v2,...
    #[arg(long = "grid", required = true, value_name = "SPEC")]
    grid: Vec<GridAxis>,
    /// The statistic to rank by (a key of the report's stats: sharpe, total_return_pct,
    /// max_drawdown_pct, ...). Drawdown, volatility and fees rank lowest first.
    #[arg(long, default_value = "sharpe", value_name = "STAT")]
    rank: String,
    /// How many rows of the ranking to print.
    #[arg(long, default_value = "20", value_name = "N")]
    top: usize,
    /// Worker threads (default: every core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Write every run with its statistics as JSON, ranked.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

const COLUMNS: [&str; 6] = [
    "total_return_pct",
    "sharpe",
    "max_drawdown_pct",
    "trades",
    "win_rate_pct",
    "final_equity",
];

pub(crate) fn run(args: &SweepArgs) -> anyhow::Result<()> {
    println!(
        "airlock {} · mode: backtest (sweep)",
        env!("CARGO_PKG_VERSION")
    );
    let config = args.run.config()?;
    for axis in &args.grid {
        if args.run.params.iter().any(|(key, _)| *key == axis.name) {
            bail!(
                "parameter {:?} is given both as --param and as --grid",
                axis.name
            );
        }
    }
    // Validate names and values before loading any data: every axis's first value with the rest.
    let probe: Vec<(String, String)> = args
        .run
        .params
        .iter()
        .cloned()
        .chain(
            args.grid
                .iter()
                .filter_map(|axis| Some((axis.name.clone(), axis.values.first()?.clone()))),
        )
        .collect();
    if let Err(error) = airlock_strategies::describe(&args.run.strategy, &probe) {
        // Constraint errors (slow <= fast) may hold for one combination only; names may not.
        let known = airlock_strategies::catalogue()
            .iter()
            .find(|info| info.name == args.run.strategy);
        let unknown_name = match known {
            None => true,
            Some(info) => probe
                .iter()
                .any(|(key, _)| info.params.iter().all(|param| param.name != key)),
        };
        if unknown_name {
            return Err(error.into());
        }
    }
    let series = args.run.load()?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let strategy = args.run.strategy.clone();
    let build = move |params: &[(String, String)]| {
        airlock_strategies::build(&strategy, params).map_err(|error| error.to_string())
    };
    let plan = SweepPlan {
        series: &series,
        build: &build,
        fixed: &args.run.params,
        axes: &args.grid,
        config: &config,
        rank_by: &args.rank,
        threads,
    };
    let total: usize = args.grid.iter().map(|axis| axis.values.len()).product();
    let progress = Progress::new("runs", total as u64, 2);
    let runs = sweep(&plan, &|done, total| {
        progress.update(done as u64, total as u64)
    })?;
    let mut out = std::io::stdout().lock();
    let symbols: Vec<&str> = series.iter().map(|one| one.symbol.as_str()).collect();
    writeln!(
        out,
        "strategy: {} on {} · {} runs on {threads} threads · ranked by {}",
        args.run.strategy,
        symbols.join(" "),
        runs.len(),
        args.rank
    )?;
    let names: Vec<&str> = args.grid.iter().map(|axis| axis.name.as_str()).collect();
    let mut header = format!("{:>4}  ", "rank");
    for name in &names {
        header.push_str(&format!("{name:>10} "));
    }
    let mut columns: Vec<&str> = vec![args.rank.as_str()];
    columns.extend(
        COLUMNS
            .iter()
            .copied()
            .filter(|column| *column != args.rank),
    );
    for column in &columns {
        header.push_str(&format!("{column:>17} "));
    }
    writeln!(out, "{}", header.trim_end())?;
    let mut failed = 0usize;
    for (rank, run) in runs.iter().enumerate() {
        let Ok(stats) = &run.outcome else {
            failed += 1;
            continue;
        };
        if rank >= args.top {
            continue;
        }
        let mut line = format!("{:>4}  ", rank + 1);
        for (_, value) in &run.params {
            line.push_str(&format!("{value:>10} "));
        }
        for column in &columns {
            match statistic(stats, column) {
                Some(value) if *column == "trades" => line.push_str(&format!("{value:>17.0} ")),
                Some(value) => line.push_str(&format!("{value:>17.3} ")),
                None => line.push_str(&format!("{:>17} ", "-")),
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    if failed > 0 {
        writeln!(out, "{failed} combinations could not run:")?;
        for run in runs.iter().filter(|run| run.outcome.is_err()).take(5) {
            let params: Vec<String> = run
                .params
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            if let Err(reason) = &run.outcome {
                writeln!(out, "  {}: {reason}", params.join(" "))?;
            }
        }
    }
    if let Some(path) = &args.json {
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .map(|run| {
                let params: serde_json::Map<String, serde_json::Value> = run
                    .params
                    .iter()
                    .map(|(key, value)| (key.clone(), value.clone().into()))
                    .collect();
                match &run.outcome {
                    Ok(stats) => serde_json::json!({ "params": params, "stats": stats }),
                    Err(reason) => serde_json::json!({ "params": params, "error": reason }),
                }
            })
            .collect();
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = BufWriter::new(file);
        serde_json::to_writer_pretty(
            &mut writer,
            &serde_json::json!({ "rank_by": args.rank, "runs": rows }),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        writer.flush()?;
        writeln!(out, "json:     {}", path.display())?;
    }
    Ok(())
}
