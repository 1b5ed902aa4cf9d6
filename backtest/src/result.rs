//! What a backtest produces: orders, fills, equity, refusals, and the report built from them.

use std::collections::BTreeMap;

use airlock_analytics::{AnalyticsInput, Report, round_trips, statistics};
use airlock_core::{ClientOrderId, Fill, Money, Price, Quantity, Side, Symbol, UnixNanos};
use airlock_risk::RiskEvent;
use serde::Serialize;

/// One order the backtest decided on, with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRecord {
    /// Our id.
    pub client_order_id: ClientOrderId,
    /// The instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// `market`, `stop`, ….
    pub kind: &'static str,
    /// The stop price of a protective stop.
    pub stop: Option<Price>,
    /// Ordered quantity.
    pub quantity: Quantity,
    /// Filled quantity.
    pub filled: Quantity,
    /// When it was decided.
    pub decided_at: UnixNanos,
    /// Final state: an order status, or `refused` when a pre-trade check stopped it.
    pub status: &'static str,
    /// The strategy's reason, and the refusal or rejection reason if any.
    pub reason: String,
}

/// Everything a backtest produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacktestResult {
    /// The symbols replayed, in slot order.
    pub symbols: Vec<Symbol>,
    /// Cash at the start.
    pub initial_cash: Money,
    /// Every order decided, in decision order.
    pub orders: Vec<OrderRecord>,
    /// Every fill, in time order.
    pub fills: Vec<Fill>,
    /// Equity after each distinct timestamp.
    pub equity: Vec<(UnixNanos, Money)>,
    /// Aligned with `equity`: whether any position was open.
    pub in_market: Vec<bool>,
    /// Orders refused per risk rule: every rule of the risk manager, zero counts included.
    pub refusals: BTreeMap<&'static str, u64>,
    /// The risk manager's trading-state transitions (the start-up confirmation, and any move to
    /// Reducing or Halted on a loss limit), in time order.
    pub risk_transitions: Vec<RiskEvent>,
    /// Bars replayed (all symbols).
    pub bars: u64,
    /// Cash at the end.
    pub final_cash: Money,
    /// Fees paid.
    pub fees_paid: Money,
}

impl BacktestResult {
    /// The input the analytics crate needs.
    pub fn analytics_input(&self) -> AnalyticsInput<'_> {
        AnalyticsInput {
            initial_cash: self.initial_cash,
            fills: &self.fills,
            equity: &self.equity,
            in_market: &self.in_market,
            periods_per_year: None,
        }
    }

    /// The full report (statistics, round trips, equity), with the run's description in `meta`,
    /// the refusals per risk rule, and the risk manager's state transitions as the extra key
    /// `risk_transitions`; with `with_orders`, every order decided too.
    /// Consumes the result so the equity series moves into the report instead of being copied.
    pub fn into_report(self, meta: BTreeMap<String, String>, with_orders: bool) -> Report {
        let trades = round_trips(&self.fills);
        let stats = statistics(&self.analytics_input(), &trades);
        let mut extra = BTreeMap::new();
        extra.insert(
            "risk_transitions".to_owned(),
            serde_json::json!(self.risk_transitions),
        );
        if with_orders {
            extra.insert("orders".to_owned(), serde_json::json!(self.orders));
        }
        Report {
            meta,
            stats,
            trades,
            equity: self.equity,
            initial_cash: self.initial_cash,
            refusals: self
                .refusals
                .iter()
                .map(|(rule, count)| ((*rule).to_owned(), *count))
                .collect(),
            extra,
        }
    }
}
