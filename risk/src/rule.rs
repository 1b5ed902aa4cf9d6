//! The rules' names and the refusal they produce.

use std::fmt;

use serde::Serialize;

/// A pre-trade rule. Its name is stable: reports count refusals by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The trading state is Halted.
    TradingState,
    /// The state is Reducing (or the order is flagged reduce-only) and the order would not
    /// reduce the position.
    ReduceOnly,
    /// The symbol is on the blocked list.
    BlockedSymbol,
    /// Outside every allowed session.
    Session,
    /// Order quantity above `max_order_quantity` (or not positive).
    MaxOrderQuantity,
    /// No usable last price: missing, zero or negative.
    NoPrice,
    /// The last price is older than `max_price_age_ms`.
    StalePrice,
    /// The limit price is too far from the last price.
    PriceCollar,
    /// Order notional above `max_order_notional`.
    MaxOrderNotional,
    /// Position (with working orders) above `max_position`.
    MaxPosition,
    /// Gross exposure (with working orders) above `max_gross_exposure`.
    MaxGrossExposure,
    /// Net exposure (with working orders) above `max_net_exposure`.
    MaxNetExposure,
    /// Gross exposure above `max_leverage` × equity.
    MaxLeverage,
    /// The same order was approved within `duplicate_window_ms`.
    DuplicateOrder,
    /// Too many orders in the last second.
    OrdersPerSecond,
    /// Too many orders in the last minute.
    OrdersPerMinute,
    /// `max_daily_loss` is not configured, or no equity was reported to judge it.
    MaxDailyLoss,
    /// `max_drawdown_fraction` is not configured, or no equity was reported to judge it.
    MaxDrawdown,
}

impl Rule {
    /// Every rule, in the order the manager checks them.
    pub const ALL: [Rule; 18] = [
        Rule::TradingState,
        Rule::MaxDailyLoss,
        Rule::MaxDrawdown,
        Rule::ReduceOnly,
        Rule::BlockedSymbol,
        Rule::Session,
        Rule::MaxOrderQuantity,
        Rule::NoPrice,
        Rule::StalePrice,
        Rule::PriceCollar,
        Rule::MaxOrderNotional,
        Rule::MaxPosition,
        Rule::MaxGrossExposure,
        Rule::MaxNetExposure,
        Rule::MaxLeverage,
        Rule::DuplicateOrder,
        Rule::OrdersPerSecond,
        Rule::OrdersPerMinute,
    ];

    /// The rule's stable snake_case name (`max_order_notional`).
    pub const fn name(self) -> &'static str {
        match self {
            Rule::TradingState => "trading_state",
            Rule::ReduceOnly => "reduce_only",
            Rule::BlockedSymbol => "blocked_symbol",
            Rule::Session => "session",
            Rule::MaxOrderQuantity => "max_order_quantity",
            Rule::NoPrice => "no_price",
            Rule::StalePrice => "stale_price",
            Rule::PriceCollar => "price_collar",
            Rule::MaxOrderNotional => "max_order_notional",
            Rule::MaxPosition => "max_position",
            Rule::MaxGrossExposure => "max_gross_exposure",
            Rule::MaxNetExposure => "max_net_exposure",
            Rule::MaxLeverage => "max_leverage",
            Rule::DuplicateOrder => "duplicate_order",
            Rule::OrdersPerSecond => "orders_per_second",
            Rule::OrdersPerMinute => "orders_per_minute",
            Rule::MaxDailyLoss => "max_daily_loss",
            Rule::MaxDrawdown => "max_drawdown",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A refused order: the rule that refused it and the numbers that broke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The rule.
    pub rule: Rule,
    /// The numbers that broke it, or why it could not be judged.
    pub reason: String,
}

impl Refusal {
    pub(crate) fn new(rule: Rule, reason: impl Into<String>) -> Self {
        Self {
            rule,
            reason: reason.into(),
        }
    }

    /// The refusal of a rule whose limit is absent (fail closed).
    pub(crate) fn not_configured(rule: Rule, limit: &str) -> Self {
        Self::new(
            rule,
            format!("limit {limit} is not configured; an absent limit refuses every order"),
        )
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused by {}: {}", self.rule, self.reason)
    }
}

impl std::error::Error for Refusal {}
