//! Reading candles back over QuestDB's PostgreSQL wire port (8812) with sqlx.

use std::time::{Duration, Instant};

use airlock_core::{
    Candle, CandleSource, Price, Quantity, Symbol, TimeRange, Timeframe, UnixNanos,
};
use airlock_store::CandleSeriesInfo;
use futures_util::TryStreamExt as _;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{Connection as _, Row as _};

use super::double::from_double;
use super::{QuestDbError, TableName, sql};

/// One table's WAL progress, from `wal_tables()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalStatus {
    /// Applying is stopped after an error.
    pub suspended: bool,
    /// The last transaction applied to the table (visible to queries).
    pub writer_txn: i64,
    /// The last transaction committed to the table's WAL.
    pub sequencer_txn: i64,
}

impl WalStatus {
    /// Every committed transaction is applied.
    pub fn caught_up(&self) -> bool {
        self.writer_txn >= self.sequencer_txn
    }
}

/// One connection to QuestDB's PG wire port and the candle table it works on.
#[derive(Debug)]
pub struct QuestDbClient {
    connection: PgConnection,
    table: TableName,
}

fn sql_error(during: &'static str) -> impl FnOnce(sqlx::Error) -> QuestDbError {
    move |error| QuestDbError::Sql {
        during,
        reason: error.to_string(),
    }
}

impl QuestDbClient {
    /// Connects to `url` (`postgres://user:password@host:8812/qdb`).
    ///
    /// # Errors
    /// [`QuestDbError::Sql`] when the server cannot be reached or refuses the login.
    pub async fn connect(url: &str, table: TableName) -> Result<Self, QuestDbError> {
        let connection = PgConnection::connect(url)
            .await
            .map_err(sql_error("connecting"))?;
        Ok(Self { connection, table })
    }

    /// The candle table's name.
    pub fn table(&self) -> &TableName {
        &self.table
    }

    /// Creates the candle table if it is missing ([`sql::create_table`]).
    ///
    /// # Errors
    /// [`QuestDbError::Sql`].
    pub async fn ensure_table(&mut self) -> Result<(), QuestDbError> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql::create_table(&self.table)))
            .execute(&mut self.connection)
            .await
            .map_err(sql_error("creating the candle table"))?;
        Ok(())
    }

    /// Drops the candle table.
    ///
    /// # Errors
    /// [`QuestDbError::Sql`].
    pub async fn drop_table(&mut self) -> Result<(), QuestDbError> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql::drop_table(&self.table)))
            .execute(&mut self.connection)
            .await
            .map_err(sql_error("dropping the candle table"))?;
        Ok(())
    }

    /// The table's WAL progress, `None` if `wal_tables()` does not list it.
    ///
    /// # Errors
    /// [`QuestDbError::Sql`].
    pub async fn wal_status(&mut self) -> Result<Option<WalStatus>, QuestDbError> {
        let row = sqlx::query(sql::WAL_QUERY)
            .bind(self.table.as_str())
            .fetch_optional(&mut self.connection)
            .await
            .map_err(sql_error("reading wal_tables()"))?;
        row.map(|row| {
            Ok(WalStatus {
                suspended: row.try_get("suspended")?,
                writer_txn: row.try_get("writerTxn")?,
                sequencer_txn: row.try_get("sequencerTxn")?,
            })
        })
        .transpose()
        .map_err(sql_error("reading wal_tables()"))
    }

    /// Waits until every transaction committed to the table's WAL is applied, so that rows
    /// written before the call are visible to queries. QuestDB answers an ILP/HTTP request once
    /// its rows are committed to the WAL (`sequencerTxn`); a background job then applies them
    /// (`writerTxn`). Polls `wal_tables()` every 50 ms.
    ///
    /// # Errors
    /// [`QuestDbError::NotVisible`] after `timeout`, [`QuestDbError::Suspended`] if QuestDB
    /// stopped applying, [`QuestDbError::NotWal`] if the table is not a WAL table.
    pub async fn wait_visible(&mut self, timeout: Duration) -> Result<(), QuestDbError> {
        let started = Instant::now();
        loop {
            let status = self
                .wal_status()
                .await?
                .ok_or_else(|| QuestDbError::NotWal {
                    table: self.table.to_string(),
                })?;
            if status.suspended {
                return Err(QuestDbError::Suspended {
                    table: self.table.to_string(),
                });
            }
            if status.caught_up() {
                return Ok(());
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(QuestDbError::NotVisible {
                    table: self.table.to_string(),
                    waited,
                    writer_txn: status.writer_txn,
                    sequencer_txn: status.sequencer_txn,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Calls `each` with every stored bar of one series within `range`, ascending, as the rows
    /// arrive from the server (nothing else is held in memory). With `resample`, the bars are
    /// aggregated by QuestDB into that timeframe first ([`sql::sample_query`]).
    ///
    /// Returns the number of bars.
    ///
    /// # Errors
    /// [`QuestDbError::Row`] for a value that is not a valid candle or a timestamp that does not
    /// increase; [`QuestDbError::Resample`]; [`QuestDbError::Sql`].
    pub async fn for_each_candle(
        &mut self,
        symbol: &Symbol,
        timeframe: Timeframe,
        resample: Option<Timeframe>,
        range: TimeRange,
        mut each: impl FnMut(Candle),
    ) -> Result<u64, QuestDbError> {
        let text = match resample {
            Some(target) => sql::sample_query(&self.table, timeframe, target, range)?,
            None => sql::range_query(&self.table, range),
        };
        let shown_frame = resample.unwrap_or(timeframe).to_string();
        let frame = timeframe.to_string();
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(text))
            .bind(symbol.as_str())
            .bind(frame.as_str())
            .fetch(&mut self.connection);
        let mut count: u64 = 0;
        let mut previous: Option<UnixNanos> = None;
        while let Some(row) = rows
            .try_next()
            .await
            .map_err(sql_error("reading candles"))?
        {
            count += 1;
            let bad = |reason: String| QuestDbError::Row {
                symbol: symbol.to_string(),
                timeframe: shown_frame.clone(),
                row: count,
                reason,
            };
            let candle = decode(&row).map_err(bad)?;
            if previous.is_some_and(|before| candle.ts() <= before) {
                return Err(bad(format!(
                    "bar at {} does not come after the previous one",
                    candle.ts()
                )));
            }
            previous = Some(candle.ts());
            each(candle);
        }
        Ok(count)
    }

    /// The bars of one series within `range`, ascending (see [`QuestDbClient::for_each_candle`]).
    ///
    /// # Errors
    /// As [`QuestDbClient::for_each_candle`].
    pub async fn candles(
        &mut self,
        symbol: &Symbol,
        timeframe: Timeframe,
        resample: Option<Timeframe>,
        range: TimeRange,
    ) -> Result<Vec<Candle>, QuestDbError> {
        let mut candles = Vec::new();
        self.for_each_candle(symbol, timeframe, resample, range, |candle| {
            candles.push(candle);
        })
        .await?;
        Ok(candles)
    }

    /// How many bars of one series are stored.
    ///
    /// # Errors
    /// [`QuestDbError::Sql`].
    pub async fn count(
        &mut self,
        symbol: &Symbol,
        timeframe: Timeframe,
    ) -> Result<u64, QuestDbError> {
        let rows: i64 = sqlx::query(sqlx::AssertSqlSafe(sql::count_query(&self.table)))
            .bind(symbol.as_str())
            .bind(timeframe.to_string())
            .fetch_one(&mut self.connection)
            .await
            .and_then(|row| row.try_get("row_count"))
            .map_err(sql_error("counting candles"))?;
        Ok(u64::try_from(rows).unwrap_or(0))
    }

    /// Every stored series, by symbol then timeframe.
    ///
    /// # Errors
    /// [`QuestDbError::Sql`]; [`QuestDbError::Row`] for a symbol or timeframe Airlock cannot read.
    pub async fn series(&mut self) -> Result<Vec<CandleSeriesInfo>, QuestDbError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql::series_query(&self.table)))
            .fetch_all(&mut self.connection)
            .await
            .map_err(sql_error("listing candle series"))?;
        rows.iter()
            .map(|row| {
                let text = |name: &str| -> Result<String, QuestDbError> {
                    row.try_get::<String, _>(name)
                        .map_err(sql_error("listing candle series"))
                };
                let long = |name: &str| -> Result<i64, QuestDbError> {
                    row.try_get::<i64, _>(name)
                        .map_err(sql_error("listing candle series"))
                };
                let symbol_text = text("symbol")?;
                let frame_text = text("timeframe")?;
                let bad = |reason: String| QuestDbError::Row {
                    symbol: symbol_text.clone(),
                    timeframe: frame_text.clone(),
                    row: 0,
                    reason,
                };
                Ok(CandleSeriesInfo {
                    symbol: Symbol::parse(&symbol_text).map_err(|error| bad(error.to_string()))?,
                    timeframe: frame_text
                        .parse()
                        .map_err(|error: airlock_core::TimeframeError| bad(error.to_string()))?,
                    first: micros_to_nanos(long("first_us")?).map_err(bad)?,
                    last: micros_to_nanos(long("last_us")?).map_err(bad)?,
                    rows: u64::try_from(long("row_count")?).unwrap_or(0),
                })
            })
            .collect()
    }
}

fn micros_to_nanos(micros: i64) -> Result<UnixNanos, String> {
    u64::try_from(micros)
        .ok()
        .and_then(|micros| micros.checked_mul(1_000))
        .map(UnixNanos::new)
        .ok_or_else(|| format!("timestamp {micros} µs is before 1970 or too large"))
}

/// One result row (`ts_us, open, high, low, close, volume`) as a validated candle.
fn decode(row: &PgRow) -> Result<Candle, String> {
    let ts_us: i64 = row.try_get("ts_us").map_err(|error| error.to_string())?;
    let ts = micros_to_nanos(ts_us)?;
    let mut raw = [0_i64; 5];
    for (slot, name) in raw
        .iter_mut()
        .zip(["open", "high", "low", "close", "volume"])
    {
        let value: Option<f64> = row.try_get(name).map_err(|error| error.to_string())?;
        let value = value.ok_or_else(|| format!("{name} is NULL"))?;
        *slot = from_double(value).map_err(|error| format!("{name}: {error}"))?;
    }
    let [open, high, low, close, volume] = raw;
    Candle::new(
        ts,
        Price::from_raw(open),
        Price::from_raw(high),
        Price::from_raw(low),
        Price::from_raw(close),
        Quantity::from_raw(volume),
    )
    .map_err(|error| format!("bar at {ts}: {error}"))
}

/// A synchronous [`CandleSource`] over QuestDB: each `load` runs one query on a
/// single-threaded async runtime owned by the source.
#[derive(Debug)]
pub struct QuestDbSource {
    runtime: tokio::runtime::Runtime,
    client: QuestDbClient,
    symbols: Vec<Symbol>,
    timeframe: Timeframe,
    resample: Option<Timeframe>,
}

impl QuestDbSource {
    /// Reads `symbols` stored at `timeframe`, aggregated to `resample` when given.
    ///
    /// # Errors
    /// [`QuestDbError::Runtime`], the connection's error, or [`QuestDbError::Resample`] for an
    /// impossible resampling (checked here, before any load).
    pub fn connect(
        url: &str,
        table: TableName,
        symbols: Vec<Symbol>,
        timeframe: Timeframe,
        resample: Option<Timeframe>,
    ) -> Result<Self, QuestDbError> {
        if let Some(target) = resample {
            sql::sample_query(&table, timeframe, target, TimeRange::ALL)?;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(QuestDbError::Runtime)?;
        let client = runtime.block_on(QuestDbClient::connect(url, table))?;
        Ok(Self {
            runtime,
            client,
            symbols,
            timeframe,
            resample,
        })
    }
}

impl CandleSource for QuestDbSource {
    type Error = QuestDbError;

    fn symbols(&self) -> Vec<Symbol> {
        self.symbols.clone()
    }

    fn load(&mut self, symbol: &Symbol, range: TimeRange) -> Result<Vec<Candle>, QuestDbError> {
        self.runtime.block_on(
            self.client
                .candles(symbol, self.timeframe, self.resample, range),
        )
    }
}
