//! Where a run's candles come from: CSV files (the default), the embedded store, PostgreSQL or
//! QuestDB.

use std::path::PathBuf;

use airlock::data::embedded::{EmbeddedStore, default_data_dir};
use airlock::store::{self, CandleSeriesInfo, DATABASE_URL_VAR};
use airlock_core::{Candle, EnvSnapshot, Symbol, TimeRange, Timeframe};
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

/// A candle source for `backtest` and `sweep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SourceKind {
    /// The files given with --data.
    Csv,
    /// The embedded store in the data directory (filled by `airlock data import --to embedded`).
    Embedded,
    /// The `candles` table of the PostgreSQL database (filled by `airlock data import --to
    /// postgres`).
    Postgres,
    /// The `candles` table of QuestDB (filled by `airlock data import --to questdb`; needs
    /// --questdb-pg-url or $QUESTDB_PG_URL).
    Questdb,
}

/// Options naming the store candles are read from and written to.
#[derive(Debug, Clone, Args)]
pub(crate) struct StoreArgs {
    /// The embedded store's folder. Default: $AIRLOCK_DATA_DIR, else $XDG_DATA_HOME/airlock,
    /// else ~/.local/share/airlock.
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// The database: postgres://user@host:port/db or sqlite:///path/file.db. Default:
    /// $AIRLOCK_DATABASE_URL, else airlock.db in the data directory.
    #[arg(long, value_name = "URL")]
    pub(crate) database_url: Option<String>,
}

impl StoreArgs {
    /// Fills in the defaults that come from the environment.
    pub(crate) fn resolve(&mut self, environment: &EnvSnapshot) {
        let data_dir = self
            .data_dir
            .get_or_insert_with(|| default_data_dir(environment))
            .clone();
        if self.database_url.is_none() {
            self.database_url = Some(
                environment
                    .get(DATABASE_URL_VAR)
                    .filter(|url| !url.is_empty())
                    .map_or_else(|| store::default_sqlite_url(&data_dir), str::to_owned),
            );
        }
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(".airlock"))
    }

    pub(crate) fn embedded(&self) -> EmbeddedStore {
        EmbeddedStore::new(self.data_dir())
    }

    pub(crate) fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| store::default_sqlite_url(&self.data_dir()))
    }

    /// The database URL for candles in PostgreSQL: refuses the SQLite default.
    pub(crate) fn postgres_url(&self) -> anyhow::Result<String> {
        let url = self.database_url();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            bail!(
                "--database-url (or ${DATABASE_URL_VAR}) must be a postgres:// URL for PostgreSQL candles, got {}",
                store::redact_url(&url)
            );
        }
        Ok(url)
    }
}

/// Options choosing a run's candle source (besides --data for CSV files).
#[derive(Debug, Clone, Args)]
pub(crate) struct SourceArgs {
    /// Where candles come from: csv (the --data files), embedded, postgres or questdb
    /// (imported with `airlock data import`; name the symbols with --symbol).
    #[arg(long, value_enum, default_value = "csv", value_name = "SOURCE")]
    pub(crate) source: SourceKind,
    /// A symbol to read from the embedded or postgres source, repeatable.
    #[arg(long = "symbol", value_name = "SYMBOL")]
    pub(crate) symbols: Vec<Symbol>,
    /// The bar length to read (1m, 5m, 1h, 1d, …). Default: the one stored for the symbol, if
    /// there is exactly one.
    #[arg(long, value_name = "TIMEFRAME")]
    pub(crate) timeframe: Option<Timeframe>,
    /// QuestDB only: aggregate the stored bars into longer ones (5m, 15m, 1h, 4h, 1d) with
    /// SAMPLE BY, aligned to the UTC calendar.
    #[arg(long, value_name = "TIMEFRAME")]
    pub(crate) resample: Option<Timeframe>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) questdb: super::questdb::QuestDbArgs,
}

/// Runs `future` to completion on a single-threaded runtime.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(runtime.block_on(future))
}

/// The timeframe to read for `symbol`: the one asked for, or the only one stored.
fn pick_timeframe(
    symbol: &Symbol,
    asked: Option<Timeframe>,
    stored: &[CandleSeriesInfo],
    source: &str,
) -> anyhow::Result<Timeframe> {
    if let Some(frame) = asked {
        return Ok(frame);
    }
    let frames: Vec<Timeframe> = stored
        .iter()
        .filter(|series| series.symbol == *symbol)
        .map(|series| series.timeframe)
        .collect();
    match frames.as_slice() {
        [one] => Ok(*one),
        [] => bail!(
            "the {source} store holds no candles for {symbol}; import them with `airlock data import --to {source}`"
        ),
        many => {
            let names: Vec<String> = many.iter().map(ToString::to_string).collect();
            bail!(
                "the {source} store holds {symbol} in several timeframes ({}); choose one with --timeframe",
                names.join(", ")
            )
        }
    }
}

impl SourceArgs {
    /// Fills in the defaults that come from the environment.
    pub(crate) fn resolve(&mut self, environment: &EnvSnapshot) {
        self.store.resolve(environment);
        self.questdb.resolve(environment);
    }

    /// The candles of every --symbol within `range`, from the embedded store or PostgreSQL.
    pub(crate) fn load(&self, range: TimeRange) -> anyhow::Result<Vec<(Symbol, Vec<Candle>)>> {
        if self.symbols.is_empty() {
            bail!(
                "--source {} needs at least one --symbol",
                self.source_name()
            );
        }
        for (index, symbol) in self.symbols.iter().enumerate() {
            if self.symbols[..index].contains(symbol) {
                bail!("--symbol {symbol} is given twice");
            }
        }
        if self.resample.is_some() && self.source != SourceKind::Questdb {
            bail!("--resample needs --source questdb");
        }
        match self.source {
            SourceKind::Csv => bail!("CSV files are read from --data"),
            SourceKind::Embedded => {
                let store = self.store.embedded();
                let stored = store.series()?;
                self.symbols
                    .iter()
                    .map(|symbol| {
                        let frame = pick_timeframe(symbol, self.timeframe, &stored, "embedded")?;
                        Ok((*symbol, store.read(symbol, frame, range)?))
                    })
                    .collect()
            }
            SourceKind::Postgres => {
                let url = self.store.postgres_url()?;
                block_on(async {
                    let store = store::PgStore::connect(&url).await?;
                    let stored = airlock::store::Store::candle_series(&store).await?;
                    let mut out = Vec::with_capacity(self.symbols.len());
                    for symbol in &self.symbols {
                        let frame = pick_timeframe(symbol, self.timeframe, &stored, "postgres")?;
                        let candles =
                            airlock::store::Store::load_candles(&store, symbol, frame, range)
                                .await?;
                        out.push((*symbol, candles));
                    }
                    Ok::<_, anyhow::Error>(out)
                })?
            }
            SourceKind::Questdb => self.load_questdb(range),
        }
    }

    /// The candles of every --symbol from QuestDB, resampled with --resample.
    fn load_questdb(&self, range: TimeRange) -> anyhow::Result<Vec<(Symbol, Vec<Candle>)>> {
        use airlock::questdb::{QuestDbClient, QuestDbSource};
        use airlock_core::CandleSource as _;
        let settings = super::questdb::source_settings(&self.questdb)?;
        let url = settings.pg_url()?;
        let stored = block_on(async {
            let mut client = QuestDbClient::connect(url.value(), settings.table.clone()).await?;
            client.series().await
        })?
        .with_context(|| format!("QuestDB at {url}"))?;
        let mut out = Vec::with_capacity(self.symbols.len());
        for symbol in &self.symbols {
            let frame = pick_timeframe(symbol, self.timeframe, &stored, "questdb")?;
            let mut source = QuestDbSource::connect(
                url.value(),
                settings.table.clone(),
                vec![*symbol],
                frame,
                self.resample,
            )
            .with_context(|| format!("QuestDB at {url}"))?;
            out.push((*symbol, source.load(symbol, range)?));
        }
        Ok(out)
    }

    pub(crate) fn source_name(&self) -> &'static str {
        match self.source {
            SourceKind::Csv => "csv",
            SourceKind::Embedded => "embedded",
            SourceKind::Postgres => "postgres",
            SourceKind::Questdb => "questdb",
        }
    }
}
