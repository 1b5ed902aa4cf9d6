//! The records a store keeps.

use std::fmt;
use std::str::FromStr;

use airlock_core::{
    ClientOrderId, Money, OrderKind, OrderStatus, Price, Quantity, Side, Symbol, TimeInForce,
    Timeframe, UnixNanos,
};
use airlock_risk::TradingState;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// A run's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The hash that identifies a strategy version: SHA-256, hex, over the strategy's name, its
/// parameters sorted by name, and the binary's version (each length-prefixed, so no two
/// different inputs share an encoding).
pub fn strategy_version(name: &str, params: &[(String, String)], binary_version: &str) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    let mut field = |text: &str| {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    };
    field(name);
    field(binary_version);
    for (key, value) in sorted {
        field(key);
        field(value);
    }
    crate::ChainHash(hasher.finalize().into()).to_hex()
}

/// How a run ended, or that it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Still going (or the process died: start-up turns these into `Interrupted`).
    Running,
    /// Ended normally.
    Completed,
    /// Ended with an error.
    Failed,
    /// The process stopped without ending the run; reconcile and resume it.
    Interrupted,
}

impl RunState {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Completed => "completed",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }
}

impl FromStr for RunState {
    type Err = StoreError;
    fn from_str(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "running" => RunState::Running,
            "completed" => RunState::Completed,
            "failed" => RunState::Failed,
            "interrupted" => RunState::Interrupted,
            other => {
                return Err(StoreError::Corrupt {
                    field: "runs.state",
                    reason: format!("unknown state {other:?}"),
                });
            }
        })
    }
}

/// A run to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// The mode it runs in.
    pub mode: airlock_core::ModeTag,
    /// The strategy version's hash (see [`strategy_version`]); must be registered.
    pub strategy_version: String,
    /// The binary's version.
    pub binary_version: String,
    /// When it started.
    pub started: UnixNanos,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// Its id.
    pub id: RunId,
    /// Its mode.
    pub mode: airlock_core::ModeTag,
    /// Its state.
    pub state: RunState,
    /// The strategy version's hash.
    pub strategy_version: String,
    /// The binary's version.
    pub binary_version: String,
    /// When it started.
    pub started: UnixNanos,
    /// When it ended.
    pub ended: Option<UnixNanos>,
    /// Why it failed or was interrupted.
    pub detail: Option<String>,
}

/// Where an order is in its life, as stored: written ahead (`PendingSubmit`) or one of the
/// lifecycle's statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum OrderState {
    /// Written ahead; not yet acknowledged by the broker.
    PendingSubmit,
    /// A lifecycle status.
    Status(OrderStatus),
}

impl OrderState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::PendingSubmit => "pending_submit",
            OrderState::Status(status) => status.as_str(),
        }
    }

    /// True once nothing more can happen to the order.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Status(
                OrderStatus::Filled
                    | OrderStatus::Cancelled
                    | OrderStatus::Rejected
                    | OrderStatus::Expired
            )
        )
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for a name this binary does not know.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "pending_submit" => OrderState::PendingSubmit,
            "new" => OrderState::Status(OrderStatus::New),
            "accepted" => OrderState::Status(OrderStatus::Accepted),
            "partially_filled" => OrderState::Status(OrderStatus::PartiallyFilled),
            "filled" => OrderState::Status(OrderStatus::Filled),
            "cancelled" => OrderState::Status(OrderStatus::Cancelled),
            "rejected" => OrderState::Status(OrderStatus::Rejected),
            "expired" => OrderState::Status(OrderStatus::Expired),
            other => {
                return Err(StoreError::Corrupt {
                    field: "orders.state",
                    reason: format!("unknown state {other:?}"),
                });
            }
        })
    }
}

/// An order about to leave the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderIntent {
    /// The run deciding it.
    pub run: RunId,
    /// Its deterministic client order id.
    pub client_order_id: ClientOrderId,
    /// What it trades.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Type and prices.
    pub kind: OrderKind,
    /// How long it works.
    pub time_in_force: TimeInForce,
    /// How much.
    pub quantity: Quantity,
    /// When it was decided.
    pub at: UnixNanos,
}

/// One entry of an order's state history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateChange {
    /// The state entered.
    pub state: OrderState,
    /// When.
    pub at: UnixNanos,
    /// Why (a rejection's reason, a cancel's origin).
    pub reason: Option<String>,
}

/// A stored order and its whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRecord {
    /// Database id.
    pub id: i64,
    /// The run that decided it.
    pub run: RunId,
    /// Client order id.
    pub client_order_id: ClientOrderId,
    /// The broker's id, once known.
    pub broker_order_id: Option<String>,
    /// What it trades.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Type and prices.
    pub kind: OrderKind,
    /// How long it works.
    pub time_in_force: TimeInForce,
    /// How much.
    pub quantity: Quantity,
    /// How much has filled.
    pub filled: Quantity,
    /// Current state.
    pub state: OrderState,
    /// Every state, oldest first (the first is `PendingSubmit`).
    pub history: Vec<StateChange>,
}

/// A fill to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFill {
    /// The broker's (or engine's) id for this execution: the idempotency key.
    pub broker_fill_id: String,
    /// Quantity filled.
    pub quantity: Quantity,
    /// Price.
    pub price: Price,
    /// Fee charged.
    pub fee: Money,
    /// When.
    pub at: UnixNanos,
}

/// A stored fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FillRecord {
    /// The broker's id for this execution.
    pub broker_fill_id: String,
    /// Quantity.
    pub quantity: Quantity,
    /// Price.
    pub price: Price,
    /// Fee.
    pub fee: Money,
    /// When.
    pub at: UnixNanos,
}

/// A position snapshot to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPosition {
    /// The run.
    pub run: RunId,
    /// The symbol.
    pub symbol: Symbol,
    /// Signed quantity (negative = short).
    pub quantity: Quantity,
    /// Average entry price.
    pub average_price: Price,
    /// True for the broker's view, false for ours.
    pub from_broker: bool,
    /// When.
    pub at: UnixNanos,
}

/// What a risk event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskEventKind {
    /// An order refused by a rule.
    Rejection,
    /// A trading-state change.
    Transition,
}

impl RiskEventKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskEventKind::Rejection => "rejection",
            RiskEventKind::Transition => "transition",
        }
    }
}

/// A risk event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRiskEvent {
    /// The run, if any.
    pub run: Option<RunId>,
    /// Rejection or transition.
    pub kind: RiskEventKind,
    /// The rule's name (or the transition, e.g. `active->halted`).
    pub rule: String,
    /// The numbers or reason, usually JSON.
    pub detail: String,
    /// When.
    pub at: UnixNanos,
}

/// An external signal to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignal {
    /// Who sent it.
    pub source: String,
    /// The sender's idempotency key.
    pub idempotency_key: String,
    /// The signal as received (JSON).
    pub payload: String,
    /// When.
    pub at: UnixNanos,
}

/// The outcome of recording a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalIntake {
    /// First time seen: stored under this id.
    New(i64),
    /// Seen before under this id: do not act on it again.
    Duplicate(i64),
}

/// A promotion to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromotion {
    /// The strategy version promoted.
    pub strategy_version: String,
    /// From which mode.
    pub from: airlock_core::ModeTag,
    /// To which mode.
    pub to: airlock_core::ModeTag,
    /// The operator who approved it.
    pub approved_by: String,
    /// The evidence (JSON: runs, statistics, gates passed).
    pub evidence: String,
    /// When.
    pub at: UnixNanos,
}

/// What a candle write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CandleWrite {
    /// New rows.
    pub inserted: u64,
    /// Rows whose values changed.
    pub updated: u64,
    /// Rows already stored with the same values.
    pub unchanged: u64,
}

/// One stored candle series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandleSeriesInfo {
    /// The symbol.
    pub symbol: Symbol,
    /// The bar length.
    pub timeframe: Timeframe,
    /// The first bar's time.
    pub first: UnixNanos,
    /// The last bar's time.
    pub last: UnixNanos,
    /// How many bars.
    pub rows: u64,
}

/// One applied migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Its version (the file name's number).
    pub version: i64,
    /// Its description (the file name's rest).
    pub description: String,
}

/// Where a database's schema stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    /// Applied migrations, oldest first.
    pub applied: Vec<Applied>,
    /// Migrations this binary has that the database has not applied yet.
    pub pending: Vec<Applied>,
    /// The environment tag, if the schema exists and the tag is set.
    pub environment_tag: Option<airlock_core::ModeTag>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_versions_ignore_parameter_order_but_not_values() {
        let a = strategy_version(
            "sma_cross",
            &[("fast".into(), "10".into()), ("slow".into(), "30".into())],
            "0.1.0",
        );
        let b = strategy_version(
            "sma_cross",
            &[("slow".into(), "30".into()), ("fast".into(), "10".into())],
            "0.1.0",
        );
        let c = strategy_version(
            "sma_cross",
            &[("fast".into(), "10".into()), ("slow".into(), "31".into())],
            "0.1.0",
        );
        let d = strategy_version(
            "sma_cross",
            &[("fast".into(), "10".into()), ("slow".into(), "30".into())],
            "0.1.1",
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn every_stored_order_state_round_trips() {
        for state in [
            OrderState::PendingSubmit,
            OrderState::Status(OrderStatus::New),
            OrderState::Status(OrderStatus::Accepted),
            OrderState::Status(OrderStatus::PartiallyFilled),
            OrderState::Status(OrderStatus::Filled),
            OrderState::Status(OrderStatus::Cancelled),
            OrderState::Status(OrderStatus::Rejected),
            OrderState::Status(OrderStatus::Expired),
        ] {
            assert_eq!(OrderState::parse(state.as_str()).unwrap(), state);
        }
        assert!(OrderState::parse("lost").is_err());
    }
}

/// The trading state (risk's [`TradingState`]) from its stored or broadcast name.
///
/// # Errors
/// [`StoreError::Corrupt`] for a name this binary does not know.
pub fn parse_trading_state(text: &str) -> Result<TradingState, StoreError> {
    [
        TradingState::Active,
        TradingState::Reducing,
        TradingState::Halted,
    ]
    .into_iter()
    .find(|state| state.as_str() == text)
    .ok_or_else(|| StoreError::Corrupt {
        field: "trading_state_changes.state",
        reason: format!("unknown trading state {text:?}"),
    })
}

/// One recorded trading-state change; the latest is the current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradingStateRecord {
    /// Increases with every change: a broadcast with a lower version is stale.
    pub version: i64,
    /// The state.
    pub state: TradingState,
    /// Why it changed.
    pub reason: String,
    /// Who changed it.
    pub actor: String,
    /// When.
    pub at: UnixNanos,
}
