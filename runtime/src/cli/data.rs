//! `airlock data`: import candle files into a store, list what is stored.

use std::path::PathBuf;
use std::time::Instant;

use airlock::data::{Adjust, CsvOptions, read_csv};
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
            import(from, *to, &options, *timeframe, store)
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
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let postgres = match to {
        Target::Postgres => {
            let url = args.postgres_url()?;
            Some(block_on(async {
                let db = store::PgStore::connect(&url).await?;
                let status = store::Store::status(&db).await?;
                if !status.pending.is_empty() {
                    bail!(
                        "{} has pending migrations; run `airlock db migrate --database-url …` first",
                        store::redact_url(&url)
                    );
                }
                Ok::<_, anyhow::Error>(db)
            })??)
        }
        Target::Embedded | Target::Questdb => None,
    };
    let embedded = args.embedded();
    let mut total = CandleWrite::default();
    let started = Instant::now();
    for path in files {
        let file = read_csv(path, options)?;
        let frame = timeframe_of(path, &file.candles, timeframe)?;
        let began = Instant::now();
        let counts = match &postgres {
            Some(db) => block_on(store::Store::write_candles(
                db,
                &file.symbol,
                frame,
                &file.candles,
            ))??,
            None => embedded.write(&file.symbol, frame, &file.candles)?,
        };
        let elapsed = began.elapsed().as_secs_f64();
        let rows = file.candles.len();
        println!(
            "{} {frame}: {rows} rows valid; {} new, {} changed, {} unchanged; {:.0} rows/s into {}",
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
        "imported {} files, {rows} rows in {:.3} s ({} new, {} changed, {} unchanged)",
        files.len(),
        started.elapsed().as_secs_f64(),
        total.inserted,
        total.updated,
        total.unchanged
    );
    if to == Target::Embedded {
        println!("store: {}", embedded.root().display());
    }
    Ok(())
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
