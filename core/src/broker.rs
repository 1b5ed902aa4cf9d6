//! The broker contract: one trait, implemented per mode.
//!
//! `Broker<M>` is implemented by the matching engine's `SimBroker<M>` for simulated modes and by
//! account brokers (Alpaca, MetaTrader 5) for paper and live. A runtime of mode `M` accepts only
//! a `Broker<M>`, so a paper runtime cannot be handed a live broker.

use std::borrow::Cow;
use std::future::Future;

use futures_core::Stream;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fill::Fill;
use crate::ids::{BrokerOrderId, ClientOrderId, Symbol};
use crate::lifecycle::OrderStatus;
use crate::mode::Mode;
use crate::num::{Money, Price, Quantity};
use crate::order::{OrderKind, OrderRequest, Side, TimeInForce};
use crate::position::Position;
use crate::time::UnixNanos;

/// A broker failure, classified by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BrokerError {
    /// Try again later with the same client order id (timeouts, rate limits, 5xx).
    #[error("transient broker error: {reason}")]
    Transient {
        /// What happened.
        reason: String,
    },
    /// The broker refused this request; retrying it unchanged will not help.
    #[error("rejected by broker: {reason}")]
    Rejected {
        /// The broker's reason.
        reason: String,
    },
    /// The connection or account is unusable; stop trading.
    #[error("fatal broker error: {reason}")]
    Fatal {
        /// What happened.
        reason: String,
    },
}

impl BrokerError {
    /// True when the same request may be sent again (with the same client order id).
    pub const fn is_retryable(&self) -> bool {
        matches!(self, BrokerError::Transient { .. })
    }
}

/// The broker's acknowledgement of a submitted order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitAck {
    /// Our id, echoed.
    pub client_order_id: ClientOrderId,
    /// The broker's id.
    pub broker_order_id: BrokerOrderId,
    /// The order's state right after submission.
    pub status: OrderStatus,
}

/// A change to a working order. `None` fields keep their value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReplaceRequest {
    /// New total quantity.
    pub quantity: Option<Quantity>,
    /// New limit price (limit and stop-limit orders).
    pub limit: Option<Price>,
    /// New stop price (stop and stop-limit orders).
    pub stop: Option<Price>,
}

/// A working or finished order as the broker reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReport {
    /// Our id.
    pub client_order_id: ClientOrderId,
    /// The broker's id.
    pub broker_order_id: BrokerOrderId,
    /// The instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Type and prices.
    pub kind: OrderKind,
    /// Time in force.
    pub time_in_force: TimeInForce,
    /// Total quantity.
    pub quantity: Quantity,
    /// Quantity filled.
    pub filled: Quantity,
    /// Current state.
    pub status: OrderStatus,
}

/// Cash, equity and positions of the account at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// Cash balance (negative when borrowing).
    pub cash: Money,
    /// Cash plus the marked value of every position.
    pub equity: Money,
    /// Total fees paid.
    pub fees_paid: Money,
    /// Open positions.
    pub positions: Vec<Position>,
    /// When the snapshot was taken.
    pub at: UnixNanos,
}

/// Something the broker tells us about one of our orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerEvent {
    /// Our id of the order.
    pub client_order_id: ClientOrderId,
    /// The order's state after this event.
    pub status: OrderStatus,
    /// The execution, for fill events.
    pub fill: Option<Fill>,
    /// The broker's reason, for rejections, cancellations and expiries. Usually a fixed text
    /// (borrowed, so queuing an event allocates nothing); owned when built from a message.
    pub reason: Option<Cow<'static, str>>,
    /// When it happened.
    pub at: UnixNanos,
}

/// A venue that takes orders in mode `M`.
///
/// Implementations are bound to one mode by their type; see the crate docs. Every method resends
/// nothing on its own: retries are the caller's, always with the same [`ClientOrderId`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot trade in mode `{M}`",
    note = "a broker is bound to one mode; build it from credentials or a venue of mode `{M}`"
)]
pub trait Broker<M: Mode>: Send {
    /// Submits a new order.
    fn submit(
        &mut self,
        order: OrderRequest,
    ) -> impl Future<Output = Result<SubmitAck, BrokerError>> + Send;

    /// Cancels a working order.
    fn cancel(
        &mut self,
        id: &ClientOrderId,
    ) -> impl Future<Output = Result<(), BrokerError>> + Send;

    /// Changes a working order's quantity or prices.
    fn replace(
        &mut self,
        id: &ClientOrderId,
        change: ReplaceRequest,
    ) -> impl Future<Output = Result<OrderReport, BrokerError>> + Send;

    /// Every order that is still working.
    fn open_orders(&mut self)
    -> impl Future<Output = Result<Vec<OrderReport>, BrokerError>> + Send;

    /// Every non-flat position.
    fn positions(&mut self) -> impl Future<Output = Result<Vec<Position>, BrokerError>> + Send;

    /// Cash, equity and positions now.
    fn account(&mut self) -> impl Future<Output = Result<AccountSnapshot, BrokerError>> + Send;

    /// Order events (acceptances, fills, cancellations, rejections, expiries) in the order they
    /// happened. The stream yields what has happened so far and then waits for more; for a
    /// simulated broker, whose events happen only inside calls that need `&mut self`, it ends once
    /// the events so far are drained.
    fn events(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_;
}
