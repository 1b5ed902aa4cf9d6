//! Order requests: what a strategy, an operator or an external signal asks a broker to do.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{ClientOrderId, Symbol};
use crate::num::{Price, Quantity};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Buy: increases the position.
    Buy,
    /// Sell: decreases the position (or opens a short).
    Sell,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// `"buy"` or `"sell"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How long an order stays working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Until the end of the trading day it first becomes eligible on, then expires.
    Day,
    /// Until filled or cancelled.
    Gtc,
    /// Fill what is possible at once, cancel the rest.
    Ioc,
    /// Fill everything at once, or nothing.
    Fok,
}

impl fmt::Display for TimeInForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TimeInForce::Day => "day",
            TimeInForce::Gtc => "gtc",
            TimeInForce::Ioc => "ioc",
            TimeInForce::Fok => "fok",
        })
    }
}

/// The order type and its prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrderKind {
    /// At the best available price.
    Market,
    /// At `limit` or better.
    Limit {
        /// Worst acceptable price.
        limit: Price,
    },
    /// A market order once the price trades through `stop`.
    Stop {
        /// Trigger price.
        stop: Price,
    },
    /// A limit order at `limit` once the price trades through `stop`.
    StopLimit {
        /// Trigger price.
        stop: Price,
        /// Worst acceptable price once triggered.
        limit: Price,
    },
}

impl OrderKind {
    /// The limit price, if the order has one.
    pub const fn limit_price(&self) -> Option<Price> {
        match self {
            OrderKind::Limit { limit } | OrderKind::StopLimit { limit, .. } => Some(*limit),
            OrderKind::Market | OrderKind::Stop { .. } => None,
        }
    }

    /// The stop (trigger) price, if the order has one.
    pub const fn stop_price(&self) -> Option<Price> {
        match self {
            OrderKind::Stop { stop } | OrderKind::StopLimit { stop, .. } => Some(*stop),
            OrderKind::Market | OrderKind::Limit { .. } => None,
        }
    }

    /// `"market"`, `"limit"`, `"stop"` or `"stop_limit"`.
    pub const fn as_str(&self) -> &'static str {
        match self {
            OrderKind::Market => "market",
            OrderKind::Limit { .. } => "limit",
            OrderKind::Stop { .. } => "stop",
            OrderKind::StopLimit { .. } => "stop_limit",
        }
    }
}

/// Why an order request is malformed. Each variant names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    /// Quantity zero or negative.
    #[error("quantity must be positive, got {0}")]
    NonPositiveQuantity(Quantity),
    /// A price field zero or negative.
    #[error("{field} must be positive, got {value}")]
    NonPositivePrice {
        /// `limit` or `stop`.
        field: &'static str,
        /// The value given.
        value: Price,
    },
}

/// A request to open an order. Built only through [`OrderRequest::new`], which validates it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderRequest {
    client_order_id: ClientOrderId,
    symbol: Symbol,
    side: Side,
    kind: OrderKind,
    quantity: Quantity,
    time_in_force: TimeInForce,
    reduce_only: bool,
}

impl OrderRequest {
    /// A validated order request.
    ///
    /// # Errors
    /// [`OrderError`] when the quantity or a price is not positive.
    pub fn new(
        client_order_id: ClientOrderId,
        symbol: Symbol,
        side: Side,
        kind: OrderKind,
        quantity: Quantity,
        time_in_force: TimeInForce,
    ) -> Result<Self, OrderError> {
        if !quantity.is_positive() {
            return Err(OrderError::NonPositiveQuantity(quantity));
        }
        if let Some(limit) = kind.limit_price().filter(|price| !price.is_positive()) {
            return Err(OrderError::NonPositivePrice {
                field: "limit",
                value: limit,
            });
        }
        if let Some(stop) = kind.stop_price().filter(|price| !price.is_positive()) {
            return Err(OrderError::NonPositivePrice {
                field: "stop",
                value: stop,
            });
        }
        Ok(Self {
            client_order_id,
            symbol,
            side,
            kind,
            quantity,
            time_in_force,
            reduce_only: false,
        })
    }

    /// The same request, allowed only to reduce an existing position.
    pub fn reduce_only(mut self) -> Self {
        self.reduce_only = true;
        self
    }

    /// Our id.
    pub fn client_order_id(&self) -> &ClientOrderId {
        &self.client_order_id
    }
    /// The instrument.
    pub fn symbol(&self) -> Symbol {
        self.symbol
    }
    /// Buy or sell.
    pub fn side(&self) -> Side {
        self.side
    }
    /// Order type and prices.
    pub fn kind(&self) -> OrderKind {
        self.kind
    }
    /// Quantity (always positive).
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }
    /// Time in force.
    pub fn time_in_force(&self) -> TimeInForce {
        self.time_in_force
    }
    /// Whether the order may only reduce a position.
    pub fn is_reduce_only(&self) -> bool {
        self.reduce_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> ClientOrderId {
        ClientOrderId::parse("t-1").unwrap()
    }

    #[test]
    fn validation_names_the_field() {
        let symbol = Symbol::parse("AAPL").unwrap();
        let zero = OrderRequest::new(
            id(),
            symbol,
            Side::Buy,
            OrderKind::Market,
            Quantity::ZERO,
            TimeInForce::Day,
        );
        assert_eq!(zero, Err(OrderError::NonPositiveQuantity(Quantity::ZERO)));
        let bad_stop = OrderRequest::new(
            id(),
            symbol,
            Side::Sell,
            OrderKind::StopLimit {
                stop: Price::ZERO,
                limit: Price::ONE,
            },
            Quantity::ONE,
            TimeInForce::Gtc,
        );
        assert_eq!(
            bad_stop.unwrap_err().to_string(),
            "stop must be positive, got 0"
        );
        let ok = OrderRequest::new(
            id(),
            symbol,
            Side::Buy,
            OrderKind::Limit { limit: Price::ONE },
            Quantity::ONE,
            TimeInForce::Ioc,
        )
        .unwrap()
        .reduce_only();
        assert!(ok.is_reduce_only());
    }
}
