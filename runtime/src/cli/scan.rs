//! `airlock scan`: Momentum Radar over a universe of candle files, as a ranked table and JSON.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use airlock::data::{Adjust, CsvOptions, read_csv};
use airlock_core::{Money, Price, Symbol};
use airlock_scanner::{Exclusion, Radar, RadarConfig, Ranking};
use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

/// Arguments of `airlock scan`.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Candle files, or folders whose candle files (.csv, .txt, .tsv, optionally .gz) are all
    /// read; one symbol per file, named after the file. Repeatable. A file that cannot be read is
    /// named in a warning and skipped.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE|DIR")]
    universe: Vec<PathBuf>,
    /// How many rows of the ranking to print.
    #[arg(long, default_value = "20", value_name = "N")]
    top: usize,
    /// Write the whole ranking as JSON: `as_of`, `config`, `universe`, `rows` (every ranked
    /// symbol with its factors and score, best first), `excluded` (with reasons) and `skipped`
    /// (files that could not be read).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Rate of change over this many bars.
    #[arg(long, default_value = "20", value_name = "N")]
    roc_bars: usize,
    /// Relative and dollar volume over this many bars.
    #[arg(long, default_value = "20", value_name = "N")]
    volume_bars: usize,
    /// Distance from the high and breakouts over this many bars.
    #[arg(long, default_value = "50", value_name = "N")]
    high_bars: usize,
    /// Average true range over this many bars.
    #[arg(long, default_value = "14", value_name = "N")]
    atr_bars: usize,
    /// Leave out symbols whose last close is below this.
    #[arg(long, default_value = "5", value_name = "PRICE")]
    min_price: Price,
    /// Leave out symbols whose average dollar volume is below this.
    #[arg(long, default_value = "10000000", value_name = "AMOUNT")]
    min_dollar_volume: Money,
    /// Corporate-action adjustment for files that carry it: all, splits or none.
    #[arg(long, default_value = "all", value_name = "WHAT")]
    adjust: Adjust,
}

/// A file left out, for the JSON report.
#[derive(Debug, Serialize)]
struct Skipped {
    file: String,
    error: String,
}

#[derive(Serialize)]
struct JsonScan<'a> {
    config: &'a RadarConfig,
    skipped: &'a [Skipped],
    #[serde(flatten)]
    ranking: &'a Ranking,
}

fn is_candle_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".csv", ".txt", ".tsv"]
        .iter()
        .any(|extension| name.ends_with(extension))
}

/// Every candle file named or inside a named folder, in order (folders sorted by name).
fn universe_files(paths: &[PathBuf], skipped: &mut Vec<Skipped>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut inside: Vec<PathBuf> = entries
                    .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                    .filter(|entry| !entry.is_dir() && is_candle_file(entry))
                    .collect();
                inside.sort();
                files.extend(inside);
            }
            Err(error) => skipped.push(Skipped {
                file: path.display().to_string(),
                error: format!("cannot list the folder: {error}"),
            }),
        }
    }
    files
}

pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<()> {
    println!("airlock {} · mode: scan", env!("CARGO_PKG_VERSION"));
    let config = RadarConfig {
        roc_bars: args.roc_bars,
        volume_bars: args.volume_bars,
        high_bars: args.high_bars,
        atr_bars: args.atr_bars,
        min_price: args.min_price,
        min_avg_dollar_volume: args.min_dollar_volume,
        ..RadarConfig::default()
    };
    let mut radar = Radar::new(config.clone())?;
    let mut skipped = Vec::new();
    let files = universe_files(&args.universe, &mut skipped);
    let options = CsvOptions {
        adjust: args.adjust,
        symbol: None,
    };
    let mut seen: Vec<(Symbol, PathBuf)> = Vec::new();
    for path in &files {
        let prefix = format!("{}: ", path.display());
        let loaded = read_csv(path, &options).map_err(|error| {
            let text = error.to_string();
            text.strip_prefix(&prefix)
                .map_or(text.clone(), str::to_owned)
        });
        let loaded = loaded.and_then(|file| match seen.iter().find(|(s, _)| *s == file.symbol) {
            Some((symbol, first)) => Err(format!(
                "symbol {symbol} is already given by {}",
                first.display()
            )),
            None => Ok(file),
        });
        let file = match loaded {
            Ok(file) => file,
            Err(error) => {
                skipped.push(Skipped {
                    file: path.display().to_string(),
                    error,
                });
                continue;
            }
        };
        let slot = radar.slot(file.symbol);
        for candle in &file.candles {
            radar.update_slot(slot, candle)?;
        }
        seen.push((file.symbol, path.clone()));
    }
    for skip in &skipped {
        eprintln!("warning: {} skipped: {}", skip.file, skip.error);
    }
    if radar.is_empty() {
        bail!("no candle file in the universe could be read");
    }
    let ranking = radar.rank();
    let mut out = std::io::stdout().lock();
    let count = |wanted: fn(&Exclusion) -> bool| {
        ranking
            .excluded
            .iter()
            .filter(|entry| wanted(&entry.why))
            .count()
    };
    writeln!(
        out,
        "universe: {} files, {} symbols, {} skipped · as of {}",
        files.len(),
        ranking.universe,
        skipped.len(),
        ranking
            .as_of
            .map_or_else(|| "-".to_owned(), |as_of| as_of.to_string())
    )?;
    writeln!(
        out,
        "ranked:   {} (left out: {} warming up, {} stale, {} closing below {}, {} with average dollar volume under {})",
        ranking.rows.len(),
        count(|why| matches!(why, Exclusion::WarmingUp { .. })),
        count(|why| matches!(why, Exclusion::Stale { .. })),
        count(|why| matches!(why, Exclusion::BelowMinPrice { .. })),
        config.min_price,
        count(|why| matches!(why, Exclusion::BelowMinDollarVolume { .. })),
        config.min_avg_dollar_volume,
    )?;
    writeln!(
        out,
        "factors:  roc {} bars, volume {} bars, high {} bars, atr {} bars",
        config.roc_bars, config.volume_bars, config.high_bars, config.atr_bars
    )?;
    write!(out, "{}", ranking.table(args.top))?;
    if let Some(path) = &args.json {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = BufWriter::new(file);
        let document = JsonScan {
            config: &config,
            skipped: &skipped,
            ranking: &ranking,
        };
        serde_json::to_writer(&mut writer, &document)
            .with_context(|| format!("writing {}", path.display()))?;
        writer
            .write_all(b"\n")
            .and_then(|()| writer.flush())
            .with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "json:     {}", path.display())?;
    }
    Ok(())
}
