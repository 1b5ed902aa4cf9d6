//! Fills: quantity that traded.

use serde::{Deserialize, Serialize};

use crate::ids::{ClientOrderId, Symbol};
use crate::num::{Money, Price, Quantity};
use crate::order::Side;
use crate::time::UnixNanos;

/// Whether a fill added liquidity (rested in the book) or took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liquidity {
    /// The order was resting and was hit.
    Maker,
    /// The order crossed the book or traded against market data on arrival.
    Taker,
}

/// One execution of (part of) an order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fill {
    /// Our id of the order that traded.
    pub client_order_id: ClientOrderId,
    /// The instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Price of this execution.
    pub price: Price,
    /// Quantity of this execution (positive).
    pub quantity: Quantity,
    /// Fee charged for this execution (non-negative).
    pub fee: Money,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// When it traded.
    pub at: UnixNanos,
}

impl Fill {
    /// The quantity with the sign of the side: positive for a buy, negative for a sell.
    pub fn signed_quantity(&self) -> Quantity {
        match self.side {
            Side::Buy => self.quantity,
            Side::Sell => self.quantity.checked_neg().unwrap_or(Quantity::ZERO),
        }
    }

    /// `price × quantity`, positive.
    pub fn notional(&self) -> Money {
        self.price.notional(self.quantity)
    }
}
