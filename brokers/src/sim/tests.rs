use std::pin::pin;

use airlock_core::{
    Backtest, Broker, BrokerError, BrokerEvent, Candle, ClientOrderId, DryRun, Money, OrderKind,
    OrderRequest, OrderStatus, Price, Quantity, ReplaceRequest, Side, Symbol, TimeInForce,
    UnixNanos,
};
use futures_core::Stream;

use super::SimBroker;
use crate::matching::EngineConfig;

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

fn request(id: &str, side: Side, kind: OrderKind, units: i64) -> OrderRequest {
    OrderRequest::new(
        ClientOrderId::parse(id).unwrap(),
        Symbol::parse("AAPL").unwrap(),
        side,
        kind,
        Quantity::from_units(units).unwrap(),
        TimeInForce::Gtc,
    )
    .unwrap()
}

fn candle(ts: u64, price: &str) -> Candle {
    Candle::new(
        UnixNanos::new(ts),
        px(price),
        px(price),
        px(price),
        px(price),
        Quantity::ONE,
    )
    .unwrap()
}

async fn drain<M: airlock_core::Simulated>(broker: &mut SimBroker<M>) -> Vec<BrokerEvent>
where
    SimBroker<M>: Broker<M>,
{
    let mut stream = pin!(Broker::<M>::events(broker));
    let mut out = Vec::new();
    while let Some(event) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        out.push(event);
    }
    out
}

fn summary(events: &[BrokerEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let fill = event
                .fill
                .as_ref()
                .map(|fill| format!(" {}@{}", fill.quantity, fill.price))
                .unwrap_or_default();
            format!(
                "{} {}{fill} at {}",
                event.client_order_id,
                event.status,
                event.at.as_u64()
            )
        })
        .collect()
}

#[tokio::test]
async fn backtest_broker_submits_fills_on_candles_and_streams_its_events() {
    let mut broker = SimBroker::<Backtest>::new(EngineConfig::default(), Money::from_units(1000));
    broker.set_time(UnixNanos::new(7));
    assert_eq!(broker.now(), UnixNanos::new(7));
    let ack = broker
        .submit(request("a", Side::Buy, OrderKind::Market, 2))
        .await
        .unwrap();
    assert_eq!(ack.status, OrderStatus::Accepted);
    assert_eq!(ack.broker_order_id.as_str(), "sim-0");
    let limit = OrderKind::Limit { limit: px("5") };
    broker
        .submit(request("b", Side::Buy, limit, 1))
        .await
        .unwrap();
    broker.on_candle(Symbol::parse("AAPL").unwrap(), &candle(10, "10"));
    assert_eq!(
        summary(&drain(&mut broker).await),
        ["a accepted at 7", "b accepted at 7", "a filled 2@10 at 10"]
    );
    assert!(
        drain(&mut broker).await.is_empty(),
        "the stream ends once drained"
    );
    let open = broker.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id.as_str(), "b");
    let positions = broker.positions().await.unwrap();
    assert_eq!(positions[0].quantity(), Quantity::from_units(2).unwrap());
    let account = broker.account().await.unwrap();
    assert_eq!(account.cash, Money::from_units(980));
    assert_eq!(account.equity, Money::from_units(1000));
    assert_eq!(account.at, UnixNanos::new(7));
}

#[tokio::test]
async fn dry_run_broker_cancels_replaces_and_maps_refusals_to_rejected() {
    let mut broker = SimBroker::<DryRun>::new(EngineConfig::default(), Money::from_units(1000));
    let limit = OrderKind::Limit { limit: px("5") };
    broker
        .submit(request("a", Side::Buy, limit, 3))
        .await
        .unwrap();
    let duplicate = broker.submit(request("a", Side::Buy, limit, 3)).await;
    assert_eq!(
        duplicate,
        Err(BrokerError::Rejected {
            reason: "client_order_id: a was already used by this account".into()
        })
    );
    let id = ClientOrderId::parse("a").unwrap();
    let change = ReplaceRequest {
        quantity: Some(Quantity::from_units(2).unwrap()),
        ..ReplaceRequest::default()
    };
    let report = broker.replace(&id, change).await.unwrap();
    assert_eq!(report.quantity, Quantity::from_units(2).unwrap());
    broker.cancel(&id).await.unwrap();
    let again = broker.cancel(&id).await.unwrap_err();
    assert!(!again.is_retryable());
    assert_eq!(
        again.to_string(),
        "rejected by broker: client_order_id: order a is already cancelled"
    );
    let statuses: Vec<_> = drain(&mut broker)
        .await
        .iter()
        .map(|event| event.status)
        .collect();
    assert_eq!(
        statuses,
        [
            OrderStatus::Accepted,
            OrderStatus::Accepted,
            OrderStatus::Cancelled
        ]
    );
}

#[tokio::test]
async fn events_of_other_accounts_in_the_engine_are_not_reported() {
    let mut broker = SimBroker::<Backtest>::new(EngineConfig::default(), Money::from_units(1000));
    let other = broker.engine_mut().open_account(Money::from_units(1000));
    let sell = OrderKind::Limit { limit: px("10") };
    broker
        .engine_mut()
        .submit(other, request("x", Side::Sell, sell, 1), UnixNanos::new(1))
        .unwrap();
    let ack = broker
        .submit(request("y", Side::Buy, OrderKind::Market, 1))
        .await
        .unwrap();
    assert_eq!(
        ack.status,
        OrderStatus::Filled,
        "filled against the other account at once"
    );
    assert_eq!(
        summary(&drain(&mut broker).await),
        ["y accepted at 0", "y filled 1@10 at 0"]
    );
    assert_eq!(
        broker.engine().cash(broker.account_id()),
        Money::from_units(990)
    );
}
