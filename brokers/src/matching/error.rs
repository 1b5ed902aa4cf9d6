//! Why the engine refused a submit, a cancel or a replace. Each message names the field.

use airlock_core::{AccountId, ClientOrderId, OrderStatus, Price, Quantity, Side, TransitionError};
use thiserror::Error;

/// Why [`MatchingEngine::submit`](super::MatchingEngine::submit) refused an order.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubmitError {
    /// No account with this id was opened.
    #[error("account: no account {} in this engine", .0.0)]
    UnknownAccount(AccountId),
    /// The account already used this client order id, for a working or a finished order.
    #[error("client_order_id: {0} was already used by this account")]
    DuplicateClientOrderId(ClientOrderId),
    /// A reduce-only order that would increase the position or flip it to the other side.
    #[error("reduce_only: a {side} of {quantity} against a position of {position} would {effect}")]
    ReduceOnly {
        /// The order's side.
        side: Side,
        /// The order's quantity.
        quantity: Quantity,
        /// The account's signed position in the symbol at submit time.
        position: Quantity,
        /// `"increase it"` or `"flip it"`.
        effect: &'static str,
    },
    /// The engine holds the most orders its 32-bit internal ids can address.
    #[error("client_order_id: the engine cannot hold more than {0} orders")]
    TooManyOrders(u64),
}

/// Why [`MatchingEngine::cancel`](super::MatchingEngine::cancel) refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CancelError {
    /// No account with this id was opened.
    #[error("account: no account {} in this engine", .0.0)]
    UnknownAccount(AccountId),
    /// The account never submitted this client order id.
    #[error("client_order_id: no order {0} for this account")]
    UnknownOrder(ClientOrderId),
    /// The order already finished (filled, cancelled, rejected or expired).
    #[error("client_order_id: order {id} is already {status}")]
    Finished {
        /// The order.
        id: ClientOrderId,
        /// Its terminal state.
        status: OrderStatus,
    },
}

/// Why [`MatchingEngine::replace`](super::MatchingEngine::replace) refused. A refused replace
/// changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplaceError {
    /// No account with this id was opened.
    #[error("account: no account {} in this engine", .0.0)]
    UnknownAccount(AccountId),
    /// The account never submitted this client order id.
    #[error("client_order_id: no order {0} for this account")]
    UnknownOrder(ClientOrderId),
    /// The order already finished (filled, cancelled, rejected or expired).
    #[error("client_order_id: order {id} is already {status}")]
    Finished {
        /// The order.
        id: ClientOrderId,
        /// Its terminal state.
        status: OrderStatus,
    },
    /// The request changes no field.
    #[error("replace: the request changes neither quantity, limit nor stop")]
    Empty,
    /// A price field the order type does not have (a limit for a market order).
    #[error("{field}: a {kind} order has no {field} price")]
    NotApplicable {
        /// `limit` or `stop`.
        field: &'static str,
        /// The order type.
        kind: &'static str,
    },
    /// A new stop for an order whose stop already triggered.
    #[error("stop: the stop of this order already triggered")]
    StopTriggered,
    /// A price that is zero or negative.
    #[error("{field}: must be positive, got {value}")]
    NonPositivePrice {
        /// `limit` or `stop`.
        field: &'static str,
        /// The value given.
        value: Price,
    },
    /// A new quantity not above what has already filled.
    #[error("quantity: {quantity} must exceed the filled {filled}")]
    QuantityNotAboveFilled {
        /// The requested total quantity.
        quantity: Quantity,
        /// Already filled.
        filled: Quantity,
    },
    /// A reduce-only order whose new remaining quantity exceeds the position it reduces.
    #[error("reduce_only: {leaves} left to trade against a position of {position} would flip it")]
    ReduceOnly {
        /// The new remaining quantity.
        leaves: Quantity,
        /// The account's signed position.
        position: Quantity,
    },
    /// The order's state machine refused the amend (an engine bug if it ever shows).
    #[error("order: {0}")]
    Transition(#[from] TransitionError),
}
