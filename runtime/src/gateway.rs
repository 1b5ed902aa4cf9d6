//! [`OrderGateway`]: the broker-facing path. It owns the broker and sends only orders the risk
//! manager approved.
//!
//! The runtime's order manager (write-ahead, idempotent retries; a later issue) sits on top of
//! this gateway; nothing in the runtime holds a broker any other way. Because
//! [`OrderGateway::submit`] takes an [`Approved`] order and only `airlock-risk` can create one,
//! no strategy, external signal or operator command can reach a broker around the checks:
//!
//! ```compile_fail,E0308
//! use airlock::gateway::OrderGateway;
//! use airlock_brokers::SimBroker;
//! use airlock_core::{DryRun, OrderRequest};
//!
//! async fn bypass(gateway: &mut OrderGateway<DryRun, SimBroker<DryRun>>, order: OrderRequest) {
//!     let _ = gateway.submit(order).await; // expected `Approved<OrderRequest>`
//! }
//! ```
//!
//! Replacing a working order (new quantity or prices) is not offered: it would need its own risk
//! check and arrives with the order manager. Cancelling only lowers risk and is always allowed.

use std::marker::PhantomData;

use airlock_brokers::SimBroker;
use airlock_core::{
    AccountSnapshot, Broker, BrokerError, BrokerEvent, Candle, ClientOrderId, Mode, OrderReport,
    OrderRequest, Position, Simulated, SubmitAck, Symbol,
};
use airlock_risk::Approved;
use futures_core::Stream;

/// A broker of mode `M` that only takes approved orders.
#[derive(Debug)]
pub struct OrderGateway<M: Mode, B: Broker<M>> {
    broker: B,
    mode: PhantomData<fn() -> M>,
}

impl<M: Mode, B: Broker<M>> OrderGateway<M, B> {
    /// Takes the broker; from now on it is reached only through the gateway.
    pub fn new(broker: B) -> Self {
        Self {
            broker,
            mode: PhantomData,
        }
    }

    /// Sends an order the risk manager approved.
    ///
    /// # Errors
    /// The broker's [`BrokerError`].
    pub async fn submit(
        &mut self,
        order: Approved<OrderRequest>,
    ) -> Result<SubmitAck, BrokerError> {
        self.broker.submit(order.into_inner()).await
    }

    /// Cancels a working order.
    ///
    /// # Errors
    /// The broker's [`BrokerError`].
    pub async fn cancel(&mut self, id: &ClientOrderId) -> Result<(), BrokerError> {
        self.broker.cancel(id).await
    }

    /// Every order still working at the broker.
    ///
    /// # Errors
    /// The broker's [`BrokerError`].
    pub async fn open_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
        self.broker.open_orders().await
    }

    /// Every non-flat position at the broker.
    ///
    /// # Errors
    /// The broker's [`BrokerError`].
    pub async fn positions(&mut self) -> Result<Vec<Position>, BrokerError> {
        self.broker.positions().await
    }

    /// Cash, equity and positions at the broker.
    ///
    /// # Errors
    /// The broker's [`BrokerError`].
    pub async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
        self.broker.account().await
    }

    /// The broker's order events (to feed the risk manager's fills and closed orders).
    pub fn events(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_ {
        self.broker.events()
    }
}

impl<M: Simulated> OrderGateway<M, SimBroker<M>> {
    /// Drives the simulator with a bar of `symbol` (its clock moves to the bar's time). Market
    /// data only: it can fill working orders but not place any.
    pub fn on_candle(&mut self, symbol: Symbol, candle: &Candle) {
        self.broker.set_time(candle.ts());
        self.broker.on_candle(symbol, candle);
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use airlock_brokers::matching::EngineConfig;
    use airlock_core::{DryRun, Money, OrderKind, Price, Quantity, Side, TimeInForce, UnixNanos};
    use airlock_risk::{RiskLimits, RiskManager, Rule};

    use super::*;

    /// Runs a future of the simulated broker, which completes without waiting.
    fn now<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the simulated broker never waits"),
        }
    }

    fn events<M: Mode, B: Broker<M>>(gateway: &mut OrderGateway<M, B>) -> Vec<BrokerEvent> {
        let mut stream = pin!(gateway.events());
        let mut out = Vec::new();
        while let Poll::Ready(Some(event)) = stream
            .as_mut()
            .poll_next(&mut Context::from_waker(Waker::noop()))
        {
            out.push(event);
        }
        out
    }

    #[test]
    fn approved_orders_reach_the_broker_and_its_fills_reach_the_risk_manager() {
        let aapl = Symbol::parse("AAPL").unwrap();
        let price: Price = "100".parse().unwrap();
        let at = UnixNanos::new(1_618_963_200_000_000_000);
        let bar = |ts: UnixNanos| {
            Candle::new(
                ts,
                price,
                price,
                price,
                price,
                Quantity::from_units(1_000).unwrap(),
            )
            .unwrap()
        };
        let broker = SimBroker::<DryRun>::new(EngineConfig::default(), Money::from_units(10_000));
        let mut gateway = OrderGateway::<DryRun, _>::new(broker);
        gateway.on_candle(aapl, &bar(at));
        let mut risk = RiskManager::new(RiskLimits {
            max_position: Some(Quantity::from_units(10).unwrap()),
            ..airlock_backtest::backtest_limits(Money::from_units(10_000), "1".parse().unwrap())
        });
        risk.on_price(aapl, price, at);
        risk.on_equity(Money::from_units(10_000), at);
        risk.confirm_state(at, "reconciled with the simulator")
            .unwrap();
        let order = |id: &str, side: Side, units: i64| {
            OrderRequest::new(
                ClientOrderId::parse(id).unwrap(),
                aapl,
                side,
                OrderKind::Limit { limit: price },
                Quantity::from_units(units).unwrap(),
                TimeInForce::Gtc,
            )
            .unwrap()
        };
        let approved = risk.check(order("g-1", Side::Buy, 10), "test", at).unwrap();
        now(gateway.submit(approved)).unwrap();
        assert_eq!(now(gateway.open_orders()).unwrap().len(), 1);
        // Working at the broker: the next buy is refused before it gets there.
        let refusal = risk
            .check(order("g-2", Side::Buy, 1), "test", at)
            .unwrap_err();
        assert_eq!(refusal.rule, Rule::MaxPosition);
        // The next bar fills it; the broker's events move the risk manager's position.
        let later = UnixNanos::new(at.as_u64() + 60_000_000_000);
        gateway.on_candle(aapl, &bar(later));
        for event in events(&mut gateway) {
            if let Some(fill) = &event.fill {
                risk.on_fill(fill);
            }
            if event.status.is_terminal() {
                risk.on_order_closed(&event.client_order_id);
            }
        }
        assert!(now(gateway.open_orders()).unwrap().is_empty());
        assert_eq!(risk.position(aapl), Quantity::from_units(10).unwrap());
        assert_eq!(now(gateway.positions()).unwrap().len(), 1);
        assert!(
            risk.check(order("g-3", Side::Buy, 1), "test", later)
                .is_err()
        );
        let sell = risk
            .check(order("g-4", Side::Sell, 10), "test", later)
            .unwrap();
        now(gateway.submit(sell)).unwrap();
    }
}
