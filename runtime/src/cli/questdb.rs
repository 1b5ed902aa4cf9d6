//! The command line's QuestDB side: connection options, `data import --to questdb`,
//! `data ls --source questdb` and `--source questdb` for runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airlock::config::{self, EnvironmentName};
use airlock::data::{CsvOptions, read_csv};
use airlock::questdb::{CandleWriter, QuestDbClient, QuestDbError, QuestDbSettings, TableName};
use airlock::store::CandleSeriesInfo;
use airlock_core::{EnvSnapshot, Timeframe};
use anyhow::Context;
use clap::Args;

use super::source::block_on;

/// How long an import waits for QuestDB to apply its rows before reporting them.
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Where QuestDB is. Each setting comes from its flag, else its variable, else the `[questdb]`
/// table of the environment file named by --questdb-env.
#[derive(Debug, Clone, Args)]
pub(crate) struct QuestDbArgs {
    /// QuestDB's ILP/HTTP configuration string, e.g. 'http::addr=127.0.0.1:9000;' (optionally
    /// with auto_flush_rows=N and auto_flush_interval=MILLIS). Default: $QUESTDB_ILP.
    #[arg(long, value_name = "CONF")]
    questdb_ilp: Option<String>,
    /// QuestDB's PostgreSQL wire URL, e.g. postgres://admin:quest@127.0.0.1:8812/qdb.
    /// Default: $QUESTDB_PG_URL.
    #[arg(long, value_name = "URL")]
    questdb_pg_url: Option<String>,
    /// Take missing QuestDB settings from this environment's file ([questdb] ilp, pg_url).
    #[arg(long, value_name = "NAME")]
    questdb_env: Option<EnvironmentName>,
    /// The folder holding the environment files, for --questdb-env.
    #[arg(long, value_name = "DIR", default_value = "environments")]
    environments: PathBuf,
    /// The QuestDB table holding the candles.
    #[arg(long, value_name = "NAME", default_value = TableName::DEFAULT)]
    questdb_table: String,
    #[arg(skip)]
    resolved: Option<Result<QuestDbSettings, String>>,
}

impl QuestDbArgs {
    /// Resolves flag > variable > file. A file that cannot be read is reported when QuestDB is
    /// used, not before (other sources do not need it).
    pub(crate) fn resolve(&mut self, environment: &EnvSnapshot) {
        let table = match TableName::parse(&self.questdb_table) {
            Ok(table) => table,
            Err(reason) => {
                self.resolved = Some(Err(format!("--questdb-table: {reason}")));
                return;
            }
        };
        let file = match self.questdb_env {
            Some(name) => match config::load(&self.environments, name, environment) {
                Ok(loaded) => loaded.questdb,
                Err(error) => {
                    self.resolved = Some(Err(format!("--questdb-env {name}: {error}")));
                    return;
                }
            },
            None => None,
        };
        let mut settings = QuestDbSettings::resolve(
            self.questdb_ilp.as_deref(),
            self.questdb_pg_url.as_deref(),
            environment,
            file.as_ref(),
        );
        settings.table = table;
        self.resolved = Some(Ok(settings));
    }

    /// The resolved settings.
    pub(crate) fn settings(&self) -> anyhow::Result<QuestDbSettings> {
        match &self.resolved {
            Some(Ok(settings)) => Ok(settings.clone()),
            Some(Err(reason)) => anyhow::bail!("{reason}"),
            None => anyhow::bail!("QuestDB settings were not resolved"),
        }
    }
}

async fn client(settings: &QuestDbSettings) -> anyhow::Result<QuestDbClient> {
    let url = settings.pg_url()?;
    QuestDbClient::connect(url.value(), settings.table.clone())
        .await
        .with_context(|| format!("QuestDB at {url}"))
}

/// `airlock data import --to questdb`.
pub(crate) fn import(
    files: &[PathBuf],
    options: &CsvOptions,
    timeframe: Option<Timeframe>,
    args: &QuestDbArgs,
    timeframe_of: impl Fn(
        &Path,
        &[airlock_core::Candle],
        Option<Timeframe>,
    ) -> anyhow::Result<Timeframe>,
) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let ilp = settings.ilp()?;
    block_on(async {
        let mut client = client(&settings).await?;
        client.ensure_table().await?;
        let mut writer = CandleWriter::connect(&ilp, &settings.table)?;
        let started = Instant::now();
        let (mut rows_total, mut new_total) = (0_u64, 0_u64);
        for path in files {
            let file = read_csv(path, options)?;
            let frame = timeframe_of(path, &file.candles, timeframe)?;
            let before = client.count(&file.symbol, frame).await?;
            let sent_before = writer.summary();
            let began = Instant::now();
            writer
                .write(&file.symbol, frame, &file.candles)
                .map_err(|error| {
                    let inexact = matches!(error, QuestDbError::Value { .. });
                    let error = anyhow::Error::from(error);
                    if inexact {
                        error.context(format!(
                            "{}: QuestDB stores prices and volumes as DOUBLE, which cannot hold this value exactly; \
                             import with --adjust none (adjusted volumes can carry more digits than a DOUBLE) or into the embedded or postgres store",
                            path.display()
                        ))
                    } else {
                        error
                    }
                })?;
            writer.flush()?;
            let sending = began.elapsed().as_secs_f64();
            client.wait_visible(VISIBLE_TIMEOUT).await?;
            let after = client.count(&file.symbol, frame).await?;
            let sent = writer.summary();
            let rows = file.candles.len() as u64;
            let new = after.saturating_sub(before);
            println!(
                "{} {frame}: {rows} rows valid; sent in {} batches at {:.0} rows/s; {new} new, {} replaced stored rows (dedup upsert); {after} rows stored",
                file.symbol,
                sent.batches - sent_before.batches,
                rows as f64 / sending.max(1e-9),
                rows.saturating_sub(new),
            );
            rows_total += rows;
            new_total += new;
        }
        let summary = writer.finish()?;
        println!(
            "imported {} files, {rows_total} rows in {:.3} s ({new_total} new) into {} ({} batches)",
            files.len(),
            started.elapsed().as_secs_f64(),
            ilp.describe(),
            summary.batches,
        );
        Ok::<_, anyhow::Error>(())
    })?
}

/// `airlock data ls --source questdb`.
pub(crate) fn series(args: &QuestDbArgs) -> anyhow::Result<Vec<CandleSeriesInfo>> {
    let settings = args.settings()?;
    println!("questdb: {}", settings.pg_url()?);
    block_on(async {
        let mut client = client(&settings).await?;
        Ok::<_, anyhow::Error>(client.series().await?)
    })?
}

/// The connection for `--source questdb` runs.
pub(crate) fn source_settings(args: &QuestDbArgs) -> anyhow::Result<QuestDbSettings> {
    let settings = args.settings()?;
    settings.pg_url()?;
    Ok(settings)
}
