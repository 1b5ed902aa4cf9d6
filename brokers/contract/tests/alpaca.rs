//! `Alpaca<Paper>` against the Alpaca loopback simulator (`airlock-alpaca-sim`), in process:
//! connect and the account report, market, limit with partial fills, cancel, replace, rejections,
//! a lost response, the rate limit, server errors, a stream outage with catch-up, cancel after a
//! long outage, and recovery after a restart. Loopback only: no test names a real Alpaca host.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly by design"
)]

use std::time::Duration;

use airlock_alpaca_sim::{SimConfig, SimHandle};
use airlock_brokers::alpaca::{
    Alpaca, AlpacaConfig, Backoff, CATCH_UP_REASON, OrderFilter, REPLACED_REASON, RetryPolicy,
    submit_with_retry,
};
use airlock_brokers::matching::EngineConfig;
use airlock_brokers::{AccountBroker, Credentials, Endpoint, EndpointKind, Loopback};
use airlock_core::{
    AccountKind, Broker, BrokerError, BrokerEvent, Candle, ClientOrderId, EnvSnapshot, Money,
    OrderKind, OrderRequest, OrderStatus, Paper, Price, Quantity, Rate, ReplaceRequest, Side,
    Symbol, TimeInForce, UnixNanos,
};
use futures_util::StreamExt as _;
use secrecy::SecretString;
use tokio::net::TcpListener;

const KEY_ID: &str = "PKSIMCONTRACTKEY0001";
const SECRET: &str = "sim-contract-secret-never-printed-42ab";

fn aapl() -> Symbol {
    Symbol::parse("AAPL").unwrap()
}

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn id(text: &str) -> ClientOrderId {
    ClientOrderId::parse(text).unwrap()
}

/// Short waits so the outage scenarios take well under a second each.
fn quick() -> AlpacaConfig {
    AlpacaConfig {
        request_timeout: Duration::from_secs(2),
        reconnect: Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
        },
        cancel_open_orders_after: None,
        stream_heartbeat: Duration::from_secs(2),
        ..AlpacaConfig::default()
    }
}

async fn simulator(engine: EngineConfig) -> SimHandle {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = SimConfig::new(KEY_ID, SecretString::from(SECRET));
    config.engine = engine;
    let sim = airlock_alpaca_sim::start(listener, config).await.unwrap();
    sim.set_last_price(&aapl(), px("100")).await;
    sim
}

fn close_fills() -> EngineConfig {
    SimConfig::new(KEY_ID, SecretString::from(SECRET)).engine
}

/// Fills at most half of each candle's volume.
fn half_of_each_candle() -> EngineConfig {
    EngineConfig {
        participation: Some("0.5".parse::<Rate>().unwrap()),
        ..close_fills()
    }
}

fn credentials() -> Credentials<Paper> {
    Credentials::<Paper>::from_env(&EnvSnapshot::from_pairs([
        ("AIRLOCK_PAPER__ALPACA__KEY_ID", KEY_ID),
        ("AIRLOCK_PAPER__ALPACA__SECRET_KEY", SECRET),
    ]))
    .unwrap()
}

async fn connect(sim: &SimHandle, config: AlpacaConfig) -> Alpaca<Paper> {
    let endpoint = Endpoint::<Paper>::check(
        EndpointKind::Trading,
        &sim.base_url(),
        Loopback::AllowedForTests,
    )
    .unwrap();
    Alpaca::connect_with(credentials(), endpoint, config)
        .await
        .unwrap()
}

fn order(name: &str, side: Side, kind: OrderKind, quantity: &str) -> OrderRequest {
    OrderRequest::new(
        id(name),
        aapl(),
        side,
        kind,
        qty(quantity),
        TimeInForce::Day,
    )
    .unwrap()
}

fn limit(price: &str) -> OrderKind {
    OrderKind::Limit { limit: px(price) }
}

fn candle(minute: u64, low: &str, high: &str, close: &str, volume: &str) -> Candle {
    let at = UnixNanos::from_civil(2024, 5, 1, 14, 0, 0, 0)
        .unwrap()
        .as_u64()
        + minute * 60_000_000_000;
    Candle::new(
        UnixNanos::new(at),
        px(close),
        px(high),
        px(low),
        px(close),
        qty(volume),
    )
    .unwrap()
}

/// The next `count` events, waiting up to five seconds for them.
async fn next_events(broker: &mut Alpaca<Paper>, count: usize) -> Vec<BrokerEvent> {
    let mut events = Vec::new();
    let mut stream = std::pin::pin!(broker.events());
    while events.len() < count {
        match tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
            Ok(Some(event)) => events.push(event),
            Ok(None) => panic!("the event stream ended after {events:?}"),
            Err(_) => panic!("waited 5 s for {count} events, got {}", show(&events)),
        }
    }
    events
}

/// Whatever arrives within `window`: used to prove that nothing more (no duplicate) comes.
async fn more_events(broker: &mut Alpaca<Paper>, window: Duration) -> Vec<BrokerEvent> {
    let mut events = Vec::new();
    let mut stream = std::pin::pin!(broker.events());
    while let Ok(Some(event)) = tokio::time::timeout(window, stream.next()).await {
        events.push(event);
    }
    events
}

fn show(events: &[BrokerEvent]) -> String {
    events
        .iter()
        .map(|event| {
            let fill = event
                .fill
                .as_ref()
                .map(|fill| format!(" {}@{}", fill.quantity, fill.price))
                .unwrap_or_default();
            let reason = match event.reason.as_deref() {
                Some(CATCH_UP_REASON) => " [catch-up]".to_owned(),
                Some(REPLACED_REASON) => " [replaced]".to_owned(),
                Some(_) | None => String::new(),
            };
            format!("{} {}{fill}{reason}", event.client_order_id, event.status)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn filled(events: &[BrokerEvent]) -> Quantity {
    events
        .iter()
        .filter_map(|event| event.fill.as_ref())
        .fold(Quantity::ZERO, |sum, fill| {
            sum.checked_add(fill.quantity).unwrap()
        })
}

#[tokio::test]
async fn connects_as_a_paper_account_and_reads_it_without_printing_the_key() {
    let sim = simulator(close_fills()).await;
    let mut broker = connect(&sim, quick()).await;
    let report = broker.account_report().clone();
    assert_eq!(report.venue, "alpaca");
    assert_eq!(report.account_number, "PA-SIM-0001");
    assert_eq!(report.kind, AccountKind::Paper);
    let address = sim.base_url().replace("http://", "");
    assert!(report.evidence.contains(&address), "{}", report.evidence);
    assert!(
        report.evidence.contains("test setting"),
        "{}",
        report.evidence
    );
    let shown = format!("{broker:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains(KEY_ID),
        "{shown}"
    );
    let account = broker.account().await.unwrap();
    assert_eq!(account.cash, Money::from_units(100_000));
    assert_eq!(account.equity, Money::from_units(100_000));
    assert!(account.positions.is_empty());
    assert!(broker.open_orders().await.unwrap().is_empty());
    let asset = broker.asset(&aapl()).await.unwrap();
    assert!(asset.tradable, "{asset:?}");
    assert!(
        broker
            .assets()
            .await
            .unwrap()
            .iter()
            .any(|asset| asset.symbol == aapl())
    );
    let clock = broker.clock().await.unwrap();
    assert!(
        clock.next_open.as_u64() > 0 && clock.next_close.as_u64() > 0,
        "{clock:?}"
    );
    broker.disconnect().await;
}

#[tokio::test]
async fn wrong_keys_are_fatal_and_name_the_variables_not_the_values() {
    let sim = simulator(close_fills()).await;
    let endpoint = Endpoint::<Paper>::check(
        EndpointKind::Trading,
        &sim.base_url(),
        Loopback::AllowedForTests,
    )
    .unwrap();
    let wrong = Credentials::<Paper>::from_env(&EnvSnapshot::from_pairs([
        ("AIRLOCK_PAPER__ALPACA__KEY_ID", KEY_ID),
        (
            "AIRLOCK_PAPER__ALPACA__SECRET_KEY",
            "not-the-secret-0000000000",
        ),
    ]))
    .unwrap();
    let error = Alpaca::connect_with(wrong, endpoint, quick())
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(matches!(error, BrokerError::Fatal { .. }), "{shown}");
    assert!(
        shown.contains("AIRLOCK_PAPER__ALPACA__SECRET_KEY"),
        "{shown}"
    );
    assert!(
        !shown.contains("not-the-secret") && !shown.contains(KEY_ID),
        "{shown}"
    );
}

#[tokio::test]
async fn a_market_order_fills_at_once_at_the_last_price() {
    let sim = simulator(close_fills()).await;
    sim.set_last_price(&aapl(), px("187.25")).await;
    let mut broker = connect(&sim, quick()).await;
    let ack = broker
        .submit(order("mkt-1", Side::Buy, OrderKind::Market, "10"))
        .await
        .unwrap();
    assert_eq!(ack.client_order_id, id("mkt-1"));
    let events = next_events(&mut broker, 2).await;
    assert_eq!(show(&events), "mkt-1 accepted\nmkt-1 filled 10@187.25");
    assert!(
        more_events(&mut broker, Duration::from_millis(200))
            .await
            .is_empty()
    );
    let positions = broker.positions().await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].quantity(), qty("10"));
    assert_eq!(positions[0].average_price(), Some(px("187.25")));
    let account = broker.account().await.unwrap();
    assert_eq!(
        account.cash,
        Money::from_units(100_000) - px("187.25").notional(qty("10"))
    );
    let report = broker.order_by_client_id(&id("mkt-1")).await.unwrap();
    assert_eq!(report.status, OrderStatus::Filled);
    assert_eq!(report.broker_order_id, ack.broker_order_id);
    assert_eq!(broker.order(&ack.broker_order_id).await.unwrap(), report);
}

#[tokio::test]
async fn a_limit_order_fills_partially_on_a_candle_then_fully() {
    let sim = simulator(half_of_each_candle()).await;
    let mut broker = connect(&sim, quick()).await;
    broker
        .submit(order("lim-1", Side::Buy, limit("99"), "10"))
        .await
        .unwrap();
    assert_eq!(show(&next_events(&mut broker, 1).await), "lim-1 accepted");
    let open = broker.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].quantity, open[0].filled),
        (qty("10"), Quantity::ZERO)
    );
    sim.feed_candle(&aapl(), &candle(1, "98", "100", "98.5", "8"))
        .await;
    let first = next_events(&mut broker, 1).await;
    assert_eq!(
        first[0].status,
        OrderStatus::PartiallyFilled,
        "{}",
        show(&first)
    );
    assert_eq!(filled(&first), qty("4"), "half of the candle's 8");
    let price = first[0].fill.as_ref().unwrap().price;
    assert!(
        price <= px("99"),
        "a buy limit fills at 99 or better, got {price}"
    );
    assert_eq!(broker.open_orders().await.unwrap()[0].filled, qty("4"));
    sim.feed_candle(&aapl(), &candle(2, "97", "99", "98", "100"))
        .await;
    let second = next_events(&mut broker, 1).await;
    assert_eq!(second[0].status, OrderStatus::Filled, "{}", show(&second));
    assert_eq!(filled(&second), qty("6"));
    assert!(
        second.iter().all(|event| event.reason.is_none()),
        "exact stream fills"
    );
    assert!(broker.open_orders().await.unwrap().is_empty());
    assert_eq!(broker.positions().await.unwrap()[0].quantity(), qty("10"));
}

#[tokio::test]
async fn cancel_by_our_id_and_a_second_cancel_is_rejected() {
    let sim = simulator(close_fills()).await;
    let mut broker = connect(&sim, quick()).await;
    broker
        .submit(order("can-1", Side::Buy, limit("50"), "5"))
        .await
        .unwrap();
    broker.cancel(&id("can-1")).await.unwrap();
    assert_eq!(
        show(&next_events(&mut broker, 2).await),
        "can-1 accepted\ncan-1 cancelled"
    );
    let again = broker.cancel(&id("can-1")).await.unwrap_err();
    assert!(matches!(again, BrokerError::Rejected { .. }), "{again}");
    let unknown = broker.cancel(&id("never-sent")).await.unwrap_err();
    assert!(matches!(unknown, BrokerError::Rejected { .. }), "{unknown}");
    assert!(unknown.to_string().contains("never-sent"), "{unknown}");
    assert!(broker.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_replacement_keeps_our_id_for_its_events_and_its_cancel() {
    let sim = simulator(half_of_each_candle()).await;
    let mut broker = connect(&sim, quick()).await;
    let first = broker
        .submit(order("rep-1", Side::Buy, limit("50"), "10"))
        .await
        .unwrap();
    assert_eq!(show(&next_events(&mut broker, 1).await), "rep-1 accepted");
    let change = ReplaceRequest {
        quantity: Some(qty("12")),
        limit: Some(px("99")),
        stop: None,
    };
    let report = broker.replace(&id("rep-1"), change).await.unwrap();
    assert_eq!(report.client_order_id, id("rep-1"));
    assert_ne!(
        report.broker_order_id, first.broker_order_id,
        "Alpaca made a new order"
    );
    assert_eq!(report.quantity, qty("12"));
    assert_eq!(report.kind, limit("99"));
    assert_eq!(
        show(&next_events(&mut broker, 1).await),
        "rep-1 accepted [replaced]"
    );
    let open = broker.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, id("rep-1"));
    assert_eq!(open[0].broker_order_id, report.broker_order_id);
    // The replacement trades under our id.
    sim.feed_candle(&aapl(), &candle(1, "98", "100", "98.5", "8"))
        .await;
    let fill = next_events(&mut broker, 1).await;
    assert_eq!(show(&fill), "rep-1 partially_filled 4@98.5");
    // A second replace, then cancel by our id cancels the newest leg.
    let change = ReplaceRequest {
        quantity: None,
        limit: Some(px("90")),
        stop: None,
    };
    let second = broker.replace(&id("rep-1"), change).await.unwrap();
    assert_eq!((second.quantity, second.filled), (qty("12"), qty("4")));
    assert_eq!(
        show(&next_events(&mut broker, 1).await),
        "rep-1 partially_filled [replaced]"
    );
    broker.cancel(&id("rep-1")).await.unwrap();
    assert_eq!(show(&next_events(&mut broker, 1).await), "rep-1 cancelled");
    let legs = broker.orders(OrderFilter::All).await.unwrap();
    assert_eq!(legs.len(), 3, "three Alpaca orders, all reported as rep-1");
    assert!(legs.iter().all(|leg| leg.client_order_id == id("rep-1")));
    assert!(broker.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn refusals_are_rejections_with_alpacas_reason() {
    let sim = simulator(close_fills()).await;
    let mut broker = connect(&sim, quick()).await;
    let too_big = broker
        .submit(order("big-1", Side::Buy, OrderKind::Market, "1000000"))
        .await
        .unwrap_err();
    assert!(matches!(too_big, BrokerError::Rejected { .. }), "{too_big}");
    assert!(too_big.to_string().contains("403"), "{too_big}");
    let fractional_gtc = OrderRequest::new(
        id("frac-1"),
        aapl(),
        Side::Buy,
        OrderKind::Market,
        qty("0.5"),
        TimeInForce::Gtc,
    )
    .unwrap();
    let invalid = broker.submit(fractional_gtc).await.unwrap_err();
    assert!(matches!(invalid, BrokerError::Rejected { .. }), "{invalid}");
    assert!(invalid.to_string().contains("422"), "{invalid}");
    let reserved = broker
        .submit(order("mine.r1", Side::Buy, OrderKind::Market, "1"))
        .await
        .unwrap_err();
    assert!(reserved.to_string().contains(".r<number>"), "{reserved}");
    for error in [&too_big, &invalid, &reserved] {
        assert!(!error.is_retryable());
        assert!(!error.to_string().contains(SECRET));
    }
}

#[tokio::test]
async fn a_lost_response_is_resolved_by_looking_the_order_up_and_retries_are_harmless() {
    let sim = simulator(close_fills()).await;
    let mut broker = connect(&sim, quick()).await;
    sim.lose_next_response().await;
    let request = order("lost-1", Side::Buy, OrderKind::Market, "3");
    let ack = broker.submit(request.clone()).await.unwrap();
    // The retry with the same id: Alpaca refuses the duplicate, the broker finds our order.
    let retry = broker.submit(request).await.unwrap();
    assert_eq!(retry.broker_order_id, ack.broker_order_id);
    let events = next_events(&mut broker, 2).await;
    assert_eq!(show(&events), "lost-1 accepted\nlost-1 filled 3@100");
    assert!(
        more_events(&mut broker, Duration::from_millis(200))
            .await
            .is_empty()
    );
    // The same id for a different order is a conflict, named.
    let conflict = broker
        .submit(order("lost-1", Side::Sell, OrderKind::Market, "3"))
        .await
        .unwrap_err();
    assert!(
        matches!(conflict, BrokerError::Rejected { .. }),
        "{conflict}"
    );
    assert!(
        conflict
            .to_string()
            .contains("side is buy there, sell here"),
        "{conflict}"
    );
    let legs = broker.orders(OrderFilter::All).await.unwrap();
    assert_eq!(legs.len(), 1, "one order at Alpaca");
    assert_eq!(broker.positions().await.unwrap()[0].quantity(), qty("3"));
}

#[tokio::test]
async fn a_lost_replace_response_is_resolved_the_same_way() {
    let sim = simulator(close_fills()).await;
    let mut broker = connect(&sim, quick()).await;
    broker
        .submit(order("lrp-1", Side::Buy, limit("50"), "2"))
        .await
        .unwrap();
    sim.lose_next_response().await;
    let change = ReplaceRequest {
        limit: Some(px("51")),
        ..ReplaceRequest::default()
    };
    let report = broker.replace(&id("lrp-1"), change).await.unwrap();
    assert_eq!(report.kind, limit("51"));
    assert_eq!(broker.open_orders().await.unwrap()[0].kind, limit("51"));
}

#[tokio::test]
async fn the_rate_limit_is_transient_and_slows_the_client_down() {
    let sim = simulator(close_fills()).await;
    let mut broker = connect(&sim, quick()).await;
    sim.set_rate_limit(2).await;
    broker.clock().await.unwrap();
    broker.clock().await.unwrap();
    let limited = broker.clock().await.unwrap_err();
    assert!(limited.is_retryable(), "{limited}");
    assert!(limited.to_string().contains("429"), "{limited}");
    // The client-side limiter now waits before the next request: its estimate is in the error.
    let submit = broker
        .submit(order("rl-1", Side::Buy, OrderKind::Market, "1"))
        .await
        .unwrap_err();
    assert!(submit.is_retryable(), "{submit}");
    let waits: Vec<u128> = [&limited, &submit]
        .iter()
        .filter_map(|error| {
            let text = error.to_string();
            let after = text.split("retry in ").nth(1)?;
            after.split(' ').next()?.parse().ok()
        })
        .collect();
    assert_eq!(waits.len(), 2, "{limited} / {submit}");
    assert!(waits.iter().all(|wait| *wait > 0), "{waits:?}");
}

#[tokio::test]
async fn server_errors_are_transient_and_a_bounded_retry_sends_the_same_id() {
    let sim = simulator(close_fills()).await;
    let mut broker = connect(&sim, quick()).await;
    sim.fail_next(1, 503).await;
    let error = broker.clock().await.unwrap_err();
    assert!(
        error.is_retryable() && error.to_string().contains("503"),
        "{error}"
    );
    sim.fail_next(1, 500).await;
    let error = broker
        .submit(order("srv-1", Side::Buy, OrderKind::Market, "1"))
        .await
        .unwrap_err();
    assert!(
        error.is_retryable() && error.to_string().contains("500"),
        "{error}"
    );
    sim.fail_next(2, 503).await;
    let policy = RetryPolicy {
        attempts: 4,
        backoff: Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(50),
        },
    };
    let ack = submit_with_retry(
        &mut broker,
        order("srv-1", Side::Buy, OrderKind::Market, "1"),
        policy,
    )
    .await
    .unwrap();
    assert_eq!(ack.client_order_id, id("srv-1"));
    assert_eq!(broker.orders(OrderFilter::All).await.unwrap().len(), 1);
    assert_eq!(
        show(&next_events(&mut broker, 2).await),
        "srv-1 accepted\nsrv-1 filled 1@100"
    );
}

#[tokio::test]
async fn fills_during_a_stream_outage_arrive_once_through_the_catch_up() {
    let sim = simulator(half_of_each_candle()).await;
    let mut broker = connect(&sim, quick()).await;
    broker
        .submit(order("out-1", Side::Buy, limit("99"), "10"))
        .await
        .unwrap();
    broker
        .submit(order("out-2", Side::Buy, limit("40"), "1"))
        .await
        .unwrap();
    assert_eq!(
        show(&next_events(&mut broker, 2).await),
        "out-1 accepted\nout-2 accepted"
    );
    sim.block_streams(true).await;
    sim.drop_streams().await;
    // `drop_streams` only signals the simulator's connection tasks; give them time to close so
    // the fill below cannot slip out on the old stream.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // While the stream is down: a partial fill of out-1, and out-2 cancelled by our call.
    sim.feed_candle(&aapl(), &candle(1, "98", "100", "99", "8"))
        .await;
    broker.cancel(&id("out-2")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    sim.block_streams(false).await;
    let caught_up = next_events(&mut broker, 2).await;
    assert_eq!(
        show(&caught_up),
        "out-1 partially_filled 4@99 [catch-up]\nout-2 cancelled"
    );
    // The stream is back: the next fill is exact, and nothing comes twice.
    sim.feed_candle(&aapl(), &candle(2, "98", "99", "98.5", "100"))
        .await;
    let rest = next_events(&mut broker, 1).await;
    assert_eq!(show(&rest), "out-1 filled 6@98.5");
    assert!(
        more_events(&mut broker, Duration::from_millis(300))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn open_orders_are_cancelled_once_after_a_long_outage() {
    let sim = simulator(close_fills()).await;
    let config = AlpacaConfig {
        cancel_open_orders_after: Some(Duration::from_millis(200)),
        ..quick()
    };
    let mut broker = connect(&sim, config).await;
    broker
        .submit(order("cod-1", Side::Buy, limit("50"), "2"))
        .await
        .unwrap();
    assert_eq!(show(&next_events(&mut broker, 1).await), "cod-1 accepted");
    sim.block_streams(true).await;
    sim.drop_streams().await;
    // The stream stays down; once 200 ms have passed the open order is cancelled over REST.
    assert_eq!(show(&next_events(&mut broker, 1).await), "cod-1 cancelled");
    assert!(broker.open_orders().await.unwrap().is_empty());
    sim.block_streams(false).await;
    assert!(
        more_events(&mut broker, Duration::from_millis(300))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_restarted_broker_recovers_our_orders_and_their_replacements() {
    let sim = simulator(close_fills()).await;
    let mut first = connect(&sim, quick()).await;
    first
        .submit(order("rst-1", Side::Buy, limit("50"), "4"))
        .await
        .unwrap();
    let change = ReplaceRequest {
        limit: Some(px("51")),
        ..ReplaceRequest::default()
    };
    let replaced = first.replace(&id("rst-1"), change).await.unwrap();
    first.disconnect().await;
    // A new process: nothing in memory, the ids alone lead to the current leg.
    let mut second = connect(&sim, quick()).await;
    let open = second.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].client_order_id, id("rst-1"));
    assert_eq!(open[0].broker_order_id, replaced.broker_order_id);
    second.cancel(&id("rst-1")).await.unwrap();
    assert_eq!(show(&next_events(&mut second, 1).await), "rst-1 cancelled");
}

#[tokio::test]
async fn a_broker_behind_on_replacements_follows_the_order_to_its_newest_leg() {
    let sim = simulator(close_fills()).await;
    let mut first = connect(&sim, quick()).await;
    first
        .submit(order("stl-1", Side::Buy, limit("50"), "3"))
        .await
        .unwrap();
    // Two brokers on one account with no stream between them: each learns of the other's
    // replacement only when Alpaca says its own leg was replaced.
    sim.block_streams(true).await;
    sim.drop_streams().await;
    let mut second = connect(&sim, quick()).await;
    let change = ReplaceRequest {
        limit: Some(px("51")),
        ..ReplaceRequest::default()
    };
    first.replace(&id("stl-1"), change).await.unwrap();
    let change = ReplaceRequest {
        limit: Some(px("52")),
        ..ReplaceRequest::default()
    };
    let report = second.replace(&id("stl-1"), change).await.unwrap();
    assert_eq!((report.kind, report.quantity), (limit("52"), qty("3")));
    let legs = second.orders(OrderFilter::All).await.unwrap();
    assert_eq!(
        legs.len(),
        3,
        "stl-1, stl-1.r1 by the first, stl-1.r2 by the second"
    );
    // The first broker still thinks stl-1.r1 is current: its cancel reaches stl-1.r2.
    first.cancel(&id("stl-1")).await.unwrap();
    assert!(second.open_orders().await.unwrap().is_empty());
}
