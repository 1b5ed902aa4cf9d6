//! [`SimBroker`]: the matching engine behind the [`Broker`] trait, for the simulated modes.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use airlock_core::{
    AccountId, AccountSnapshot, Broker, BrokerError, BrokerEvent, Candle, ClientOrderId, Money,
    OrderReport, OrderRequest, Position, ReplaceRequest, Simulated, SubmitAck, Symbol, UnixNanos,
};
use futures_core::Stream;

use crate::matching::{EngineConfig, MatchingEngine};

/// A [`Broker`] for [`Backtest`](airlock_core::Backtest) and [`DryRun`](airlock_core::DryRun):
/// one account in an owned [`MatchingEngine`], with a clock the caller sets.
///
/// Only simulated modes can name it (`SimBroker<Paper>` does not compile), so a paper or live
/// runtime can never be handed the simulator by mistake. Every async method completes at once.
#[derive(Debug, Clone)]
pub struct SimBroker<M: Simulated> {
    engine: MatchingEngine,
    account: AccountId,
    now: UnixNanos,
    pending: VecDeque<BrokerEvent>,
    scratch: Vec<(AccountId, BrokerEvent)>,
    mode: PhantomData<fn() -> M>,
}

impl<M: Simulated> SimBroker<M> {
    /// A simulator with one account holding `cash`, its clock at the epoch.
    pub fn new(config: EngineConfig, cash: Money) -> Self {
        let mut engine = MatchingEngine::new(config);
        let account = engine.open_account(cash);
        Self {
            engine,
            account,
            now: UnixNanos::default(),
            pending: VecDeque::new(),
            scratch: Vec::new(),
            mode: PhantomData,
        }
    }

    /// The engine, for queries.
    pub fn engine(&self) -> &MatchingEngine {
        &self.engine
    }

    /// The engine, to open more accounts or trade for them directly. Events of other accounts
    /// are dropped by [`Broker::events`], which reports this broker's account only.
    pub fn engine_mut(&mut self) -> &mut MatchingEngine {
        &mut self.engine
    }

    /// This broker's account in the engine.
    pub fn account_id(&self) -> AccountId {
        self.account
    }

    /// Sets the clock that stamps submits, cancels and replaces.
    pub fn set_time(&mut self, now: UnixNanos) {
        self.now = now;
    }

    /// The clock.
    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// Feeds a candle of `symbol` to the engine (registering the symbol on first use). The clock
    /// is not moved: call [`SimBroker::set_time`] for that.
    pub fn on_candle(&mut self, symbol: Symbol, candle: &Candle) {
        let slot = self.engine.slot(symbol);
        self.engine.on_candle(slot, candle);
    }

    fn rejected(error: &impl std::fmt::Display) -> BrokerError {
        BrokerError::Rejected {
            reason: error.to_string(),
        }
    }
}

impl<M: Simulated> Broker<M> for SimBroker<M> {
    async fn submit(&mut self, order: OrderRequest) -> Result<SubmitAck, BrokerError> {
        let client_order_id = order.client_order_id().clone();
        let broker_order_id = self
            .engine
            .submit(self.account, order, self.now)
            .map_err(|error| Self::rejected(&error))?;
        let status = self
            .engine
            .order(self.account, &client_order_id)
            .map(airlock_core::Order::status)
            .ok_or_else(|| BrokerError::Fatal {
                reason: format!("client_order_id: accepted order {client_order_id} vanished"),
            })?;
        Ok(SubmitAck {
            client_order_id,
            broker_order_id,
            status,
        })
    }

    async fn cancel(&mut self, id: &ClientOrderId) -> Result<(), BrokerError> {
        self.engine
            .cancel(self.account, id, self.now)
            .map_err(|error| Self::rejected(&error))
    }

    async fn replace(
        &mut self,
        id: &ClientOrderId,
        change: ReplaceRequest,
    ) -> Result<OrderReport, BrokerError> {
        self.engine
            .replace(self.account, id, change, self.now)
            .map_err(|error| Self::rejected(&error))
    }

    async fn open_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
        Ok(self.engine.open_orders(self.account))
    }

    async fn positions(&mut self) -> Result<Vec<Position>, BrokerError> {
        Ok(self.engine.positions(self.account))
    }

    async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
        Ok(self.engine.snapshot(self.account, self.now))
    }

    fn events(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_ {
        self.engine.take_events(&mut self.scratch);
        let account = self.account;
        self.pending.extend(
            self.scratch
                .drain(..)
                .filter(|(owner, _)| *owner == account)
                .map(|(_, event)| event),
        );
        Drain {
            pending: &mut self.pending,
        }
    }
}

/// Yields the queued events, then ends. Events not yet yielded when the stream is dropped stay
/// queued for the next [`Broker::events`] call.
struct Drain<'a> {
    pending: &'a mut VecDeque<BrokerEvent>,
}

impl Stream for Drain<'_> {
    type Item = BrokerEvent;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<BrokerEvent>> {
        Poll::Ready(self.get_mut().pending.pop_front())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.pending.len(), Some(self.pending.len()))
    }
}

#[cfg(test)]
mod tests;
