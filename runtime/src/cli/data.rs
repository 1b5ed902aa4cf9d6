//! `airlock data`: import candle files into a store, list what is stored.

use std::path::PathBuf;
use std::time::Instant;

use airlock::data::{Adjust, CsvOptions, read_csv, read_csv_skipping};
use airlock::store::{self, CandleSeriesInfo, CandleWrite};
use airlock_core::{Candle, Symbol, Timeframe};
use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};

use super::questdb::QuestDbArgs;
use super::source::{StoreArgs, block_on};

/// `airlock data …`
#[derive(Debug, Args)]
pub(crate) struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// The embedded store (compact binary files in the data directory; no server).
    Embedded,
    /// The `candles` table of a PostgreSQL database (--database-url).
    Postgres,
    /// The `candles` table of QuestDB (--questdb-ilp to write, --questdb-pg-url to read).
    Questdb,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Embedded => "embedded",
            Target::Postgres => "postgres",
            Target::Questdb => "questdb",
        }
    }
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Validate candle files row by row and store them. A re-import of the same file changes
    /// nothing; a corrected file updates the rows that differ.
    ///
    /// Example: airlock data import --from examples/data/DA-AAPL-T-2021-04-21.csv.gz --to embedded
    Import {
        /// Candle files (CSV, optionally gzip-compressed), one symbol each.
        #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
        from: Vec<PathBuf>,
        /// Where to store them.
        #[arg(long, value_enum, value_name = "STORE")]
        to: Target,
        /// The symbol, instead of the one in the file name (one file only).
        #[arg(long, value_name = "SYMBOL")]
        symbol: Option<Symbol>,
        /// The bar length (1m, 5m, 1h, 1d, …). Default: recognised from the spacing of the bars.
        #[arg(long, value_name = "TIMEFRAME")]
        timeframe: Option<Timeframe>,
        /// Corporate-action adjustment applied before storing: all, splits or none.
        #[arg(long, default_value = "all", value_name = "WHAT")]
        adjust: Adjust,
        /// Leave out rows that fail validation (each is named on stderr with its line and
        /// reason, and counted) instead of stopping at the first. Meant for a few bad rows.
        #[arg(long)]
        skip_bad: bool,
        /// With --skip-bad, give up on a file after this many bad rows.
        #[arg(long, default_value = "1000", value_name = "N", requires = "skip_bad")]
        max_bad: usize,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        questdb: QuestDbArgs,
    },
    /// List stored candle series: symbol, timeframe, first and last bar, rows.
    Ls {
        /// Which store to list.
        #[arg(long, value_enum, default_value = "embedded", value_name = "STORE")]
        source: Target,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        questdb: QuestDbArgs,
    },
}

impl DataArgs {
    /// Fills in the store defaults that come from the environment.
    pub(crate) fn resolve(&mut self, environment: &airlock_core::EnvSnapshot) {
        let (store, questdb) = match &mut self.command {
            DataCommand::Import { store, questdb, .. } | DataCommand::Ls { store, questdb, .. } => {
                (store, questdb)
            }
        };
        store.resolve(environment);
        questdb.resolve(environment);
    }
}

pub(crate) fn run(args: &DataArgs) -> anyhow::Result<()> {
    match &args.command {
        DataCommand::Import {
            from,
            to,
            symbol,
            timeframe,
            adjust,
            skip_bad,
            max_bad,
            store,
            questdb,
        } => {
            if symbol.is_some() && from.len() > 1 {
                bail!(
                    "--symbol names the symbol of one file; {} files were given",
                    from.len()
                );
            }
            let options = CsvOptions {
                adjust: *adjust,
                symbol: *symbol,
            };
            if *to == Target::Questdb {
                return super::questdb::import(from, &options, *timeframe, questdb, timeframe_of);
            }
            let skip = skip_bad.then_some(*max_bad);
            import(from, *to, &options, *timeframe, skip, store)
        }
        DataCommand::Ls {
            source,
            store,
            questdb,
        } => list(*source, store, questdb),
    }
}

/// The timeframe given, or the one the bars' median spacing matches.
fn timeframe_of(
    path: &std::path::Path,
    candles: &[Candle],
    given: Option<Timeframe>,
) -> anyhow::Result<Timeframe> {
    if let Some(frame) = given {
        return Ok(frame);
    }
    let mut gaps: Vec<u64> = candles
        .windows(2)
        .filter_map(|pair| match pair {
            [a, b] => Some(b.ts().as_u64().saturating_sub(a.ts().as_u64())),
            _ => None,
        })
        .collect();
    if gaps.is_empty() {
        bail!(
            "{}: cannot tell the timeframe from one bar; give --timeframe",
            path.display()
        );
    }
    let middle = gaps.len() / 2;
    let (_, median, _) = gaps.select_nth_unstable(middle);
    Timeframe::from_spacing(*median).with_context(|| {
        format!(
            "{}: bars are {} s apart (median), not a common timeframe; give --timeframe",
            path.display(),
            *median / 1_000_000_000
        )
    })
}

fn import(
    files: &[PathBuf],
    to: Target,
    options: &CsvOptions,
    timeframe: Option<Timeframe>,
    skip_bad: Option<usize>,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    // One runtime for the whole import: a pool's connections live on the runtime that made them.
    block_on(async {
        let postgres = match to {
            Target::Postgres => {
                let url = args.postgres_url()?;
                let db = store::PgStore::connect(&url).await?;
                let status = store::Store::status(&db).await?;
                if !status.pending.is_empty() {
                    bail!(
                        "{} has pending migrations; run `airlock db migrate --database-url …` first",
                        store::redact_url(&url)
                    );
                }
                Some(db)
            }
            Target::Embedded | Target::Questdb => None,
        };
        let embedded = args.embedded();
        let mut total = CandleWrite::default();
        let mut total_skipped = 0;
        let started = Instant::now();
        for path in files {
            let (file, skipped) = match skip_bad {
                None => (read_csv(path, options)?, Vec::new()),
                Some(max_bad) => {
                    let lenient = read_csv_skipping(path, options, max_bad)?;
                    (lenient.file, lenient.skipped)
                }
            };
            for error in &skipped {
                eprintln!("warning: skipped {error}");
            }
            total_skipped += skipped.len();
            let frame = timeframe_of(path, &file.candles, timeframe)?;
            let began = Instant::now();
            let counts = match &postgres {
                Some(db) => {
                    store::Store::write_candles(db, &file.symbol, frame, &file.candles).await?
                }
                None => embedded.write(&file.symbol, frame, &file.candles)?,
            };
            let elapsed = began.elapsed().as_secs_f64();
            let rows = file.candles.len();
            let bad = if skipped.is_empty() {
                String::new()
            } else {
                format!(", {} bad rows skipped", skipped.len())
            };
            println!(
                "{} {frame}: {rows} rows valid{bad}; {} new, {} changed, {} unchanged; {:.0} rows/s into {}",
                file.symbol,
                counts.inserted,
                counts.updated,
                counts.unchanged,
                rows as f64 / elapsed.max(1e-9),
                to.name()
            );
            total.inserted += counts.inserted;
            total.updated += counts.updated;
            total.unchanged += counts.unchanged;
        }
        let rows = total.inserted + total.updated + total.unchanged;
        println!(
            "imported {} files, {rows} rows in {:.3} s ({} new, {} changed, {} unchanged{})",
            files.len(),
            started.elapsed().as_secs_f64(),
            total.inserted,
            total.updated,
            total.unchanged,
            if skip_bad.is_some() {
                format!("; {total_skipped} bad rows skipped")
            } else {
                String::new()
            }
        );
        if to == Target::Embedded {
            println!("store: {}", embedded.root().display());
        }
        Ok(())
    })?
}

fn list(source: Target, args: &StoreArgs, questdb: &QuestDbArgs) -> anyhow::Result<()> {
    let series: Vec<CandleSeriesInfo> = match source {
        Target::Embedded => {
            println!("store: {}", args.data_dir().display());
            args.embedded().series()?
        }
        Target::Postgres => {
            let url = args.postgres_url()?;
            println!("database: {}", store::redact_url(&url));
            block_on(async {
                let db = store::PgStore::connect(&url).await?;
                Ok::<_, anyhow::Error>(store::Store::candle_series(&db).await?)
            })??
        }
        Target::Questdb => super::questdb::series(questdb)?,
    };
    if series.is_empty() {
        println!("no candles stored; import some with `airlock data import`");
        return Ok(());
    }
    println!(
        "{:<10} {:>9} {:<20} {:<20} {:>10}",
        "symbol", "timeframe", "first", "last", "rows"
    );
    for one in series {
        println!(
            "{:<10} {:>9} {:<20} {:<20} {:>10}",
            one.symbol.as_str(),
            one.timeframe.to_string(),
            one.first.to_string(),
            one.last.to_string(),
            one.rows
        );
    }
    Ok(())
}
