//! Risk events: every state transition and every refusal, with its reason.
//!
//! The manager keeps them in memory until [`RiskManager::drain_events`](crate::RiskManager::drain_events)
//! takes them. That is the seam for persistence: the runtime drains and stores them in its audit
//! log; a backtest counts them.

use airlock_core::{ClientOrderId, Symbol, UnixNanos};
use serde::Serialize;

use crate::rule::Rule;
use crate::state::{TradingState, Trigger};

/// One thing the risk manager did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskEvent {
    /// When.
    pub at: UnixNanos,
    /// What.
    #[serde(flatten)]
    pub kind: RiskEventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RiskEventKind {
    /// The trading state changed (or an operator halt was repeated).
    Transition {
        /// Before.
        from: TradingState,
        /// After.
        to: TradingState,
        /// Why, by kind.
        trigger: Trigger,
        /// Why, in words, with the numbers.
        reason: String,
    },
    /// An order was refused.
    Refused {
        /// The order's id.
        client_order_id: ClientOrderId,
        /// Its symbol.
        symbol: Symbol,
        /// The strategy that asked.
        strategy: String,
        /// The rule that refused it.
        rule: Rule,
        /// The numbers that broke the rule.
        reason: String,
    },
    /// The blocked symbols list was replaced.
    BlockedSymbols {
        /// The new list.
        symbols: Vec<Symbol>,
    },
}
