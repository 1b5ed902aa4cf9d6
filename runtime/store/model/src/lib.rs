//! Airlock's store contract: the records the runtime keeps durably, the audit log's hash chain,
//! and the [`Store`] trait that the PostgreSQL and SQLite back-ends implement.
//!
//! Owns: record types (runs, orders written ahead, fills, position snapshots, risk events,
//! signals, promotions, audit entries, candles), the strategy-version hash, the audit hash chain
//! and its verification, and the error type every back-end returns.
//!
//! Must not: contain SQL or open connections. The SQL lives in `airlock-store-postgres` and
//! `airlock-store-sqlite` (one crate per database, so that sqlx checks every statement against
//! its own database at compile time); the runtime picks one through `airlock::store`.
#![warn(missing_docs)]

pub mod audit;
pub mod columns;
mod error;
mod records;

use async_trait::async_trait;

use airlock_core::{Candle, ClientOrderId, ModeTag, Symbol, TimeRange, Timeframe, UnixNanos};

pub use airlock_risk::TradingState;
pub use audit::{AuditEntry, AuditVerdict, ChainHash, NewAuditEntry, chain_hash};
pub use error::StoreError;
pub use records::{
    Applied, CandleSeriesInfo, CandleWrite, FillRecord, MigrationStatus, NewFill, NewPosition,
    NewPromotion, NewRiskEvent, NewRun, NewSignal, OrderIntent, OrderRecord, OrderState,
    RiskEventKind, RunId, RunRecord, RunState, SignalIntake, StateChange, TradingStateRecord,
    parse_trading_state, strategy_version,
};

/// Which database a store writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: required for paper and live.
    Postgres,
    /// SQLite: the embedded default for backtest and local dry-runs.
    Sqlite,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Backend::Postgres => "postgresql",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// Everything the runtime keeps durably. Both back-ends implement it with the same behaviour;
/// the integration suite runs the same scenarios against each.
///
/// Writes that a retry may repeat are idempotent: an order intent is keyed by its client order
/// id, a fill by (order, broker fill id), a signal by (source, idempotency key), a candle by
/// (symbol, timeframe, timestamp).
#[async_trait]
pub trait Store: Send + Sync {
    /// The database behind this store.
    fn backend(&self) -> Backend;

    /// Applies every pending migration (forward-only) and returns the versions it applied.
    async fn migrate(&self) -> Result<Vec<Applied>, StoreError>;

    /// Applied and pending migrations, and the environment tag if the schema exists.
    async fn status(&self) -> Result<MigrationStatus, StoreError>;

    /// The environment this database belongs to, once set.
    async fn environment_tag(&self) -> Result<Option<ModeTag>, StoreError>;

    /// Tags the database for `tag`. Setting the same tag again is a no-op; a different one is
    /// refused with [`StoreError::EnvironmentTagMismatch`] (the tag is set once).
    async fn set_environment_tag(&self, tag: ModeTag, at: UnixNanos) -> Result<(), StoreError>;

    /// Registers a strategy version (see [`strategy_version`]) and returns its hash.
    async fn register_strategy_version(
        &self,
        name: &str,
        params: &[(String, String)],
        binary_version: &str,
        at: UnixNanos,
    ) -> Result<String, StoreError>;

    /// Records a run in state `running`.
    async fn start_run(&self, run: &NewRun) -> Result<RunId, StoreError>;

    /// Ends a running run. Refused for a run that is not running.
    async fn finish_run(
        &self,
        run: RunId,
        state: RunState,
        detail: Option<&str>,
        at: UnixNanos,
    ) -> Result<(), StoreError>;

    /// Marks every run still `running` as `interrupted` (called at start-up, after a crash) and
    /// returns them, so they can be reconciled and resumed rather than silently cancelled.
    async fn interrupt_running(&self, at: UnixNanos) -> Result<Vec<RunId>, StoreError>;

    /// One run.
    async fn run(&self, run: RunId) -> Result<Option<RunRecord>, StoreError>;

    /// Writes an order intent ahead of submission, in state `pending_submit`. Writing the same
    /// intent again (a retry) returns the existing order's id; a different order under the same
    /// client order id is refused with [`StoreError::Conflict`].
    async fn record_order_intent(&self, intent: &OrderIntent) -> Result<i64, StoreError>;

    /// Appends a state to an order's history and makes it the current state.
    async fn record_order_state(
        &self,
        client_order_id: &ClientOrderId,
        change: &StateChange,
        broker_order_id: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Records a fill once: returns false when (order, broker fill id) was already recorded.
    async fn record_fill(
        &self,
        client_order_id: &ClientOrderId,
        fill: &NewFill,
    ) -> Result<bool, StoreError>;

    /// One order with its whole state history.
    async fn order(
        &self,
        client_order_id: &ClientOrderId,
    ) -> Result<Option<OrderRecord>, StoreError>;

    /// The fills of one order, oldest first.
    async fn fills(&self, client_order_id: &ClientOrderId) -> Result<Vec<FillRecord>, StoreError>;

    /// Orders of a run that are not in a terminal state (for reconciliation).
    async fn open_orders(&self, run: RunId) -> Result<Vec<OrderRecord>, StoreError>;

    /// Records a position snapshot (ours or the broker's).
    async fn record_position(&self, position: &NewPosition) -> Result<(), StoreError>;

    /// Records a risk rejection or trading-state transition.
    async fn record_risk_event(&self, event: &NewRiskEvent) -> Result<(), StoreError>;

    /// Records an external signal once per (source, idempotency key).
    async fn record_signal(&self, signal: &NewSignal) -> Result<SignalIntake, StoreError>;

    /// Records a promotion gate passed by a strategy version.
    async fn record_promotion(&self, promotion: &NewPromotion) -> Result<i64, StoreError>;

    /// Appends to the audit log, chaining the entry's hash to the previous one.
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<AuditEntry, StoreError>;

    /// Recomputes the audit chain from the first row and reports the first break, if any.
    async fn verify_audit(&self) -> Result<AuditVerdict, StoreError>;

    /// Writes candles; rows already stored with the same values are left untouched.
    async fn write_candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        candles: &[Candle],
    ) -> Result<CandleWrite, StoreError>;

    /// The stored candles of one series within `range`, ascending by time. Rows are read as a
    /// stream and converted one by one; only the returned candles are held in memory.
    async fn load_candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        range: TimeRange,
    ) -> Result<Vec<Candle>, StoreError>;

    /// Every stored candle series with its range and row count.
    async fn candle_series(&self) -> Result<Vec<CandleSeriesInfo>, StoreError>;

    /// Records a trading-state change durably and returns it with its version.
    async fn set_trading_state(
        &self,
        state: TradingState,
        reason: &str,
        actor: &str,
        at: UnixNanos,
    ) -> Result<TradingStateRecord, StoreError>;

    /// The current trading state: the latest change, or `None` when none was ever recorded (the
    /// runtime then starts halted).
    async fn trading_state(&self) -> Result<Option<TradingStateRecord>, StoreError>;
}
