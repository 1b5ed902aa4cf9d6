//! QuestDB candles: written with ILP over HTTP, read over QuestDB's PostgreSQL wire port.
//!
//! - [`CandleWriter`] sends candles through `questdb-rs` in batches ([`FlushPolicy`]: by rows
//!   and by time) into one table, by default `candles` ([`sql::create_table`] creates it up
//!   front, with `DEDUP UPSERT KEYS(ts, symbol, timeframe)` so a re-import never duplicates).
//! - [`QuestDbClient`] runs the SQL ([`sql`]) over the PG wire port (8812) with sqlx: the table
//!   DDL, the WAL visibility check, listing, and candle reads streamed row by row, optionally
//!   resampled with `SAMPLE BY … ALIGN TO CALENDAR`.
//! - [`QuestDbSource`] is the synchronous [`airlock_core::CandleSource`] over that client.
//! - [`QuestDbSettings`] resolves `QUESTDB_ILP` and `QUESTDB_PG_URL` from flags, variables and
//!   an environment file's `[questdb]` table.
//!
//! Prices are exact 10⁻⁹ fixed-point in Airlock and `DOUBLE` in QuestDB; [`double`] converts
//! and documents when that is exact. QuestDB applies ILP rows asynchronously (WAL tables):
//! [`QuestDbClient::wait_visible`] waits until a write can be read back.

pub mod double;
mod ilp;
mod read;
mod settings;
pub mod sql;

use std::fmt;
use std::time::Duration;

pub use ilp::{CandleWriter, FlushPolicy, IlpSettings, WriteSummary, encode_candle};
pub use read::{QuestDbClient, QuestDbSource, WalStatus};
pub use settings::{ILP_VAR, PG_URL_VAR, QuestDbSection, QuestDbSettings, Setting};
pub use sql::{ResampleError, TableName};

/// Why a batch was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlushCause {
    /// The server answered with an error for the batch (HTTP 4xx, or 5xx after the client's
    /// retries): the reason carries QuestDB's message, e.g. the bad line.
    Rejected,
    /// HTTP 401/403: the configuration string's credentials were refused.
    Unauthorized,
    /// HTTP 404: the address is not a QuestDB HTTP endpoint with ILP enabled.
    NotIlpEndpoint,
    /// The server could not be reached, or the connection broke or timed out.
    Network,
    /// Any other `questdb-rs` error code.
    Other(String),
}

impl FlushCause {
    fn of(code: questdb::ErrorCode) -> Self {
        use questdb::ErrorCode;
        match code {
            ErrorCode::ServerFlushError => FlushCause::Rejected,
            ErrorCode::AuthError => FlushCause::Unauthorized,
            ErrorCode::HttpNotSupported => FlushCause::NotIlpEndpoint,
            ErrorCode::SocketError | ErrorCode::CouldNotResolveAddr | ErrorCode::TlsError => {
                FlushCause::Network
            }
            other => FlushCause::Other(format!("{other:?}")),
        }
    }
}

impl fmt::Display for FlushCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlushCause::Rejected => f.write_str("rejected by the server"),
            FlushCause::Unauthorized => f.write_str("credentials refused"),
            FlushCause::NotIlpEndpoint => f.write_str("not an ILP/HTTP endpoint"),
            FlushCause::Network => f.write_str("network error"),
            FlushCause::Other(code) => write!(f, "{code}"),
        }
    }
}

/// Everything that can go wrong talking to QuestDB.
#[derive(Debug, thiserror::Error)]
pub enum QuestDbError {
    /// A setting is missing or invalid; names the flag and variable.
    #[error("{setting}: {reason}")]
    Setting {
        /// The flag and variable (and file key) that set it.
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `questdb-rs` refused the configuration or a row, or could not connect.
    #[error("ILP {during} failed ({code}): {reason}")]
    Ilp {
        /// What was being done.
        during: &'static str,
        /// The `questdb-rs` error code.
        code: String,
        /// Its message.
        reason: String,
    },
    /// A batch was not accepted; its rows were not written.
    #[error("QuestDB did not accept a batch of {rows} rows ({cause}): {reason}")]
    Flush {
        /// Rows in the batch.
        rows: usize,
        /// Why.
        cause: FlushCause,
        /// The server's or client's message.
        reason: String,
    },
    /// A candle value QuestDB's columns cannot hold exactly.
    #[error("{field}: {reason}")]
    Value {
        /// The column.
        field: &'static str,
        /// Which bar and why.
        reason: String,
    },
    /// A statement over the PG wire failed.
    #[error("QuestDB {during}: {reason}")]
    Sql {
        /// What was being done.
        during: &'static str,
        /// The driver's or server's message.
        reason: String,
    },
    /// A row read back is not a valid candle or breaks the ordering contract.
    #[error("{symbol} {timeframe} row {row}: {reason}")]
    Row {
        /// The series.
        symbol: String,
        /// Its timeframe (the resampled one when resampling).
        timeframe: String,
        /// 1-based position in the result.
        row: u64,
        /// What is wrong.
        reason: String,
    },
    /// Written rows did not become visible in time.
    #[error(
        "rows written to {table} were not visible after {waited:?} (writerTxn {writer_txn} < sequencerTxn {sequencer_txn}); QuestDB may be overloaded"
    )]
    NotVisible {
        /// The table.
        table: String,
        /// How long we waited.
        waited: Duration,
        /// Transactions applied.
        writer_txn: i64,
        /// Transactions committed.
        sequencer_txn: i64,
    },
    /// The WAL table stopped applying transactions.
    #[error(
        "WAL table {table} is suspended: QuestDB stopped applying its writes; see its log, then ALTER TABLE {table} RESUME WAL"
    )]
    Suspended {
        /// The table.
        table: String,
    },
    /// `wal_tables()` does not list the table.
    #[error("{table} is not a WAL table known to QuestDB (wal_tables() has no row for it)")]
    NotWal {
        /// The table.
        table: String,
    },
    /// The resampling asked for is not possible.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// The async runtime for a synchronous call could not start.
    #[error("starting the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
