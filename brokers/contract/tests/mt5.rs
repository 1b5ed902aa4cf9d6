//! `Mt5Bridge<Paper>` against the real bridge program (`brokers/mt5/bridge/`) running its
//! terminal emulator on loopback: connect and the trade-mode guard, authentication, orders,
//! fills, positions, the no-double-send lookup and events across a bridge restart.
//!
//! Needs `python3` (3.10 or later) on PATH; without it every test fails, naming it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly by design"
)]

#[path = "mt5/harness.rs"]
mod harness;

use std::io::{Read, Write};
use std::time::Duration;

use airlock_brokers::AccountBroker;
use airlock_brokers::mt5::Mt5Bridge;
use airlock_core::{
    AccountKind, Broker, BrokerError, BrokerEvent, ClientOrderId, Liquidity, OrderKind,
    OrderRequest, OrderStatus, Paper, Price, Quantity, ReplaceRequest, Side, Symbol, TimeInForce,
};
use futures_util::StreamExt;
use harness::Bridge;
use serde_json::json;

fn id(text: &str) -> ClientOrderId {
    ClientOrderId::parse(text).unwrap()
}

fn units(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn px(text: &str) -> Price {
    text.parse().unwrap()
}

fn order(
    client: &str,
    symbol: &str,
    side: Side,
    kind: OrderKind,
    quantity: &str,
    time_in_force: TimeInForce,
) -> OrderRequest {
    OrderRequest::new(
        id(client),
        Symbol::parse(symbol).unwrap(),
        side,
        kind,
        units(quantity),
        time_in_force,
    )
    .unwrap()
}

fn market(client: &str, side: Side, quantity: &str) -> OrderRequest {
    order(
        client,
        "EURUSD",
        side,
        OrderKind::Market,
        quantity,
        TimeInForce::Day,
    )
}

fn buy_limit(client: &str, limit: &str, quantity: &str) -> OrderRequest {
    order(
        client,
        "EURUSD",
        Side::Buy,
        OrderKind::Limit { limit: px(limit) },
        quantity,
        TimeInForce::Gtc,
    )
}

/// Polls once and returns every event queued so far.
async fn drain(broker: &mut Mt5Bridge<Paper>) -> Vec<BrokerEvent> {
    broker.sync().await.unwrap();
    let mut events = Vec::new();
    let mut stream = broker.events();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(300), stream.next()).await
    {
        events.push(event);
    }
    events
}

fn summary(events: &[BrokerEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| match &event.fill {
            Some(fill) => format!(
                "{} {} {} {}@{} fee {}",
                event.client_order_id, event.status, fill.side, fill.quantity, fill.price, fill.fee
            ),
            None => format!(
                "{} {}{}",
                event.client_order_id,
                event.status,
                event
                    .reason
                    .as_ref()
                    .map(|reason| format!(" ({reason})"))
                    .unwrap_or_default()
            ),
        })
        .collect()
}

fn fatal_reason(result: Result<Mt5Bridge<Paper>, BrokerError>) -> String {
    match result {
        Err(BrokerError::Fatal { reason }) => reason,
        other => panic!("expected a fatal refusal, got {other:?}"),
    }
}

fn rejected_reason<T: std::fmt::Debug>(result: Result<T, BrokerError>) -> String {
    match result {
        Err(BrokerError::Rejected { reason }) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn demo_and_contest_accounts_connect_as_paper() {
    let bridge = Bridge::start();
    let broker = bridge.connect().await.unwrap();
    let report = broker.account_report();
    assert_eq!(report.venue, "mt5");
    assert_eq!(report.account_number, "5000001");
    assert_eq!(report.kind, AccountKind::Paper);
    assert!(
        report
            .evidence
            .starts_with("account_info().trade_mode = DEMO (0) via bridge at 127.0.0.1:"),
        "{}",
        report.evidence
    );
    bridge.call("/emulator/account", json!({"trade_mode": 1}));
    let contest =
        <Mt5Bridge<Paper> as AccountBroker<Paper>>::connect(bridge.secret(), bridge.endpoint())
            .await
            .unwrap();
    assert!(contest.account_report().evidence.contains("CONTEST (1)"));
    assert_eq!(contest.account_report().kind, AccountKind::Paper);
}

#[tokio::test(flavor = "current_thread")]
async fn real_missing_null_and_unparseable_trade_modes_are_refused() {
    let bridge = Bridge::start();
    let cases = [
        (
            json!(2),
            "is REAL (account_info().trade_mode = 2) but this runtime is paper",
        ),
        (
            json!("missing"),
            "trade_mode is missing from the bridge's answer",
        ),
        (json!(null), "trade_mode is null"),
        (json!("DEMO"), "trade_mode is \"DEMO\", not an integer"),
        (json!(0.0), "trade_mode is 0.0, not an integer"),
        (
            json!(7),
            "trade_mode is 7, not DEMO (0), CONTEST (1) or REAL (2)",
        ),
    ];
    for (trade_mode, expected) in cases {
        bridge.call("/emulator/account", json!({ "trade_mode": trade_mode }));
        let reason = fatal_reason(bridge.connect().await);
        assert!(reason.contains(expected), "{trade_mode}: {reason}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_secret_and_an_unsigned_answer_are_refused() {
    let bridge = Bridge::start();
    let wrong = harness::secret("a-different-secret-of-the-right-length-000");
    let reason =
        fatal_reason(Mt5Bridge::connect_with(wrong, bridge.endpoint(), harness::settings()).await);
    assert!(
        reason.contains("not signed with our shared secret"),
        "{reason}"
    );
    assert!(!reason.contains(&bridge.secret), "{reason}");

    // Something else listening where the bridge should be: answers 200 {} without a signature.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let impostor = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).unwrap();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            .unwrap();
    });
    let endpoint = airlock_brokers::Endpoint::check(
        airlock_brokers::EndpointKind::Mt5Bridge,
        &format!("http://{address}"),
        airlock_brokers::Loopback::AllowedForTests,
    )
    .unwrap();
    let reason =
        fatal_reason(Mt5Bridge::connect_with(bridge.secret(), endpoint, harness::settings()).await);
    assert!(reason.contains("not an Airlock MT5 bridge"), "{reason}");
    impostor.join().unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn the_bridge_is_reached_over_tls_with_the_operators_certificate() {
    let directory = tempfile::tempdir().unwrap();
    let certificate = directory.path().join("bridge.pem");
    let key = directory.path().join("bridge.key");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&certificate)
        .output()
        .expect("this test needs the openssl command to make a certificate");
    assert!(made.status.success(), "{made:?}");
    let bridge = Bridge::start_tls(&certificate, &key);
    assert!(
        bridge.url.starts_with("https://127.0.0.1:"),
        "{}",
        bridge.url
    );
    let trusting = airlock_brokers::mt5::Mt5Settings {
        root_certificate_pem: Some(std::fs::read(&certificate).unwrap()),
        ..harness::settings()
    };
    let broker = Mt5Bridge::connect_with(bridge.secret(), bridge.endpoint(), trusting)
        .await
        .unwrap();
    assert!(broker.account_report().evidence.contains("DEMO (0)"));
    // Without the operator's certificate the TLS handshake fails: no answer, nothing sent.
    let refused = Mt5Bridge::connect_with(bridge.secret(), bridge.endpoint(), harness::settings())
        .await
        .unwrap_err();
    assert!(refused.is_retryable(), "{refused}");
    assert!(
        refused.to_string().contains("no answer from the bridge"),
        "{refused}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_market_order_fills_at_the_ask_with_exact_price_quantity_and_fee() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    let ack = broker
        .submit(market("mkt-1", Side::Buy, "10000"))
        .await
        .unwrap();
    assert_eq!(ack.status, OrderStatus::Accepted);
    assert!(ack.broker_order_id.as_str().parse::<u64>().is_ok());
    let events = drain(&mut broker).await;
    assert_eq!(
        summary(&events),
        ["mkt-1 accepted", "mkt-1 filled buy 10000@1.1001 fee 0.35"]
    );
    let fill = events[1].fill.as_ref().unwrap();
    assert_eq!(fill.liquidity, Liquidity::Taker);
    let positions = broker.positions().await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].quantity(), units("10000"));
    assert_eq!(positions[0].average_price(), Some(px("1.1001")));
    let account = broker.account().await.unwrap();
    assert_eq!(account.cash.to_string(), "99999.65");
    assert_eq!(account.positions, positions);
    assert!(drain(&mut broker).await.is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn a_limit_order_works_until_a_bar_crosses_it() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    broker
        .submit(buy_limit("lmt-1", "1.0990", "20000"))
        .await
        .unwrap();
    let working = broker.open_orders().await.unwrap();
    assert_eq!(working.len(), 1);
    assert_eq!(working[0].client_order_id, id("lmt-1"));
    assert_eq!(working[0].kind, OrderKind::Limit { limit: px("1.099") });
    assert_eq!(working[0].quantity, units("20000"));
    assert_eq!(working[0].status, OrderStatus::Accepted);
    bridge.call(
        "/emulator/bar",
        json!({"symbol": "EURUSD", "open": "1.1000", "high": "1.1004", "low": "1.0995", "close": "1.1001"}),
    );
    assert_eq!(summary(&drain(&mut broker).await), ["lmt-1 accepted"]);
    bridge.call(
        "/emulator/bar",
        json!({"symbol": "EURUSD", "open": "1.1000", "high": "1.1005", "low": "1.0970", "close": "1.0980"}),
    );
    let events = drain(&mut broker).await;
    assert_eq!(summary(&events), ["lmt-1 filled buy 20000@1.099 fee 0.7"]);
    assert_eq!(events[0].fill.as_ref().unwrap().liquidity, Liquidity::Maker);
    assert!(broker.open_orders().await.unwrap().is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn partial_fills_from_thin_bars_and_an_ioc_remainder() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    broker
        .submit(buy_limit("part-1", "1.0990", "50000"))
        .await
        .unwrap();
    bridge.call(
        "/emulator/bar",
        json!({"symbol": "EURUSD", "open": "1.1000", "high": "1.1000", "low": "1.0980", "close": "1.0985", "volume": "0.2"}),
    );
    let events = drain(&mut broker).await;
    assert_eq!(
        summary(&events),
        [
            "part-1 accepted",
            "part-1 partially_filled buy 20000@1.099 fee 0.7"
        ]
    );
    let working = broker.open_orders().await.unwrap();
    assert_eq!(working[0].filled, units("20000"));
    assert_eq!(working[0].status, OrderStatus::PartiallyFilled);
    // The next bar opens through the limit: the rest fills at the ask then (1.0985 + spread),
    // better than the limit.
    bridge.call(
        "/emulator/bar",
        json!({"symbol": "EURUSD", "open": "1.0985", "high": "1.0990", "low": "1.0975", "close": "1.0980", "volume": "5"}),
    );
    assert_eq!(
        summary(&drain(&mut broker).await),
        ["part-1 filled buy 30000@1.0986 fee 1.05"]
    );

    bridge.call(
        "/emulator/symbol",
        json!({"symbol": "EURUSD", "liquidity": "0.3"}),
    );
    let ioc = order(
        "ioc-1",
        "EURUSD",
        Side::Sell,
        OrderKind::Market,
        "50000",
        TimeInForce::Ioc,
    );
    broker.submit(ioc).await.unwrap();
    assert_eq!(
        summary(&drain(&mut broker).await),
        [
            "ioc-1 accepted",
            "ioc-1 partially_filled sell 30000@1.098 fee 1.05",
            "ioc-1 cancelled (the unfilled rest of the market order was cancelled)"
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn cancel_removes_the_order_once() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    broker
        .submit(buy_limit("cxl-1", "1.0990", "10000"))
        .await
        .unwrap();
    broker.cancel(&id("cxl-1")).await.unwrap();
    assert!(broker.open_orders().await.unwrap().is_empty());
    assert_eq!(
        summary(&drain(&mut broker).await),
        ["cxl-1 accepted", "cxl-1 cancelled (cancelled on request)"]
    );
    let again = rejected_reason(broker.cancel(&id("cxl-1")).await);
    assert!(again.contains("already cancelled"), "{again}");
    let unknown = rejected_reason(broker.cancel(&id("never-sent")).await);
    assert!(unknown.contains("no working order never-sent"), "{unknown}");
}

#[tokio::test(flavor = "current_thread")]
async fn replace_moves_the_price_but_refuses_a_new_volume() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    broker
        .submit(buy_limit("rpl-1", "1.0990", "10000"))
        .await
        .unwrap();
    let report = broker
        .replace(
            &id("rpl-1"),
            ReplaceRequest {
                limit: Some(px("1.0980")),
                quantity: Some(units("10000")),
                ..ReplaceRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.kind, OrderKind::Limit { limit: px("1.098") });
    let at_bridge = bridge.call("/v1/orders", json!({}));
    assert_eq!(at_bridge["orders"][0]["price_open"], "1.09800");
    let refused = rejected_reason(
        broker
            .replace(
                &id("rpl-1"),
                ReplaceRequest {
                    quantity: Some(units("20000")),
                    ..ReplaceRequest::default()
                },
            )
            .await,
    );
    assert!(
        refused.contains("MT5 cannot change a pending order's volume"),
        "{refused}"
    );
    let off_tick = rejected_reason(
        broker
            .replace(
                &id("rpl-1"),
                ReplaceRequest {
                    limit: Some(px("1.098005")),
                    ..ReplaceRequest::default()
                },
            )
            .await,
    );
    assert!(off_tick.contains("tick size 0.00001"), "{off_tick}");
    assert_eq!(
        bridge.call("/v1/orders", json!({}))["orders"][0]["volume_current"],
        "0.10"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn volume_steps_fill_policies_and_no_money_are_refused() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    let step = rejected_reason(broker.submit(market("vol-1", Side::Buy, "1500")).await);
    assert!(step.contains("steps of 0.01 lots (1000 units)"), "{step}");
    let policy = order(
        "fill-1",
        "GBPUSD",
        Side::Buy,
        OrderKind::Market,
        "10000",
        TimeInForce::Ioc,
    );
    let policy = rejected_reason(broker.submit(policy).await);
    assert!(
        policy.contains("GBPUSD does not allow IOC fills (allowed: FOK)"),
        "{policy}"
    );
    assert_eq!(bridge.executed(), 0, "refused before sending");
    let money = rejected_reason(broker.submit(market("cash-1", Side::Buy, "10000000")).await);
    assert!(money.contains("MT5 retcode 10019 NO_MONEY"), "{money}");
    bridge.call(
        "/emulator/symbol",
        json!({"symbol": "EURUSD", "session_open": false}),
    );
    let closed = rejected_reason(broker.submit(market("closed-1", Side::Buy, "10000")).await);
    assert!(closed.contains("10018 MARKET_CLOSED"), "{closed}");
    assert!(broker.positions().await.unwrap().is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn a_netting_account_reverses_in_one_position() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    broker
        .submit(market("net-1", Side::Buy, "10000"))
        .await
        .unwrap();
    broker
        .submit(market("net-2", Side::Sell, "30000"))
        .await
        .unwrap();
    let positions = broker.positions().await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].quantity(), units("-20000"));
    assert_eq!(positions[0].average_price(), Some(px("1.1")));
    let deals = bridge.call(
        "/v1/deals",
        json!({"from_ms": 0, "to_ms": 9_999_999_999_999_i64}),
    );
    assert_eq!(deals["deals"][1]["entry"], "inout");
    let reduce = market("net-3", Side::Sell, "10000").reduce_only();
    let refused = rejected_reason(broker.submit(reduce).await);
    assert!(refused.contains("would not only reduce"), "{refused}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_hedging_account_keeps_tickets_and_closes_by_ticket() {
    let bridge = Bridge::start();
    bridge.call("/emulator/account", json!({"margin_mode": 2}));
    let mut broker = bridge.connect().await.unwrap();
    assert_eq!(
        broker.margin_mode(),
        airlock_brokers::mt5::MarginMode::Hedging
    );
    broker
        .submit(market("hdg-1", Side::Buy, "10000"))
        .await
        .unwrap();
    broker
        .submit(market("hdg-2", Side::Sell, "20000"))
        .await
        .unwrap();
    assert_eq!(
        bridge.call("/v1/positions", json!({}))["positions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let positions = broker.positions().await.unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].quantity(), units("-10000"));
    broker
        .submit(market("hdg-3", Side::Buy, "10000").reduce_only())
        .await
        .unwrap();
    let tickets = bridge.call("/v1/positions", json!({}));
    let volumes: Vec<_> = tickets["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| format!("{} {}", row["type"], row["volume"]))
        .collect();
    assert_eq!(volumes, ["\"buy\" \"0.10\"", "\"sell\" \"0.10\""]);
    assert!(broker.positions().await.unwrap().is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn a_lost_answer_is_resolved_by_tag_and_never_sent_twice() {
    let bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    bridge.call(
        "/emulator/drop_next_response",
        json!({"path": "/v1/order_send"}),
    );
    let first = broker
        .submit(market("lost-1", Side::Buy, "10000"))
        .await
        .unwrap();
    let again = broker
        .submit(market("lost-1", Side::Buy, "10000"))
        .await
        .unwrap();
    assert_eq!(first.broker_order_id, again.broker_order_id);
    assert_eq!(bridge.executed(), 1);
    // A fresh client (a restarted runtime) retrying the same id finds it too.
    let mut fresh = bridge.connect().await.unwrap();
    let third = fresh
        .submit(market("lost-1", Side::Buy, "10000"))
        .await
        .unwrap();
    assert_eq!(third.broker_order_id, first.broker_order_id);
    assert_eq!(bridge.executed(), 1);
    assert_eq!(
        summary(&drain(&mut broker).await),
        ["lost-1 accepted", "lost-1 filled buy 10000@1.1001 fee 0.35"]
    );
    assert_eq!(
        broker.positions().await.unwrap()[0].quantity(),
        units("10000")
    );

    // order_send returning None with an IPC timeout: unknown outcome, looked up, not found.
    bridge.call(
        "/emulator/fail_next",
        json!({"call": "order_send", "error": [-10005, "IPC timeout"]}),
    );
    let unknown = broker.submit(market("lost-2", Side::Buy, "10000")).await;
    match unknown {
        Err(BrokerError::Transient { reason }) => {
            assert!(reason.contains("was not placed"), "{reason}");
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
    broker
        .submit(market("lost-2", Side::Buy, "10000"))
        .await
        .unwrap();
    assert_eq!(bridge.executed(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn events_are_deduplicated_across_a_bridge_restart() {
    let mut bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    broker
        .submit(market("rst-1", Side::Buy, "10000"))
        .await
        .unwrap();
    broker
        .submit(buy_limit("rst-2", "1.0990", "10000"))
        .await
        .unwrap();
    assert_eq!(drain(&mut broker).await.len(), 3);
    bridge.restart();
    // The limit fills while nobody polls.
    bridge.call(
        "/emulator/bar",
        json!({"symbol": "EURUSD", "open": "1.1000", "high": "1.1001", "low": "1.0980", "close": "1.0985"}),
    );
    assert_eq!(
        summary(&drain(&mut broker).await),
        ["rst-2 filled buy 10000@1.099 fee 0.35"]
    );
    broker
        .submit(market("rst-3", Side::Sell, "10000"))
        .await
        .unwrap();
    assert_eq!(
        summary(&drain(&mut broker).await),
        ["rst-3 accepted", "rst-3 filled sell 10000@1.0985 fee 0.35"]
    );
    assert!(drain(&mut broker).await.is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn the_event_stream_polls_by_itself_and_keeps_waiting_through_a_bridge_outage() {
    let mut bridge = Bridge::start();
    let mut broker = bridge.connect().await.unwrap();
    broker
        .submit(buy_limit("str-1", "1.0990", "10000"))
        .await
        .unwrap();
    bridge.stop();
    // While the stream polls a dead bridge, bring it back and move the price through the limit.
    let revival = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(700));
        bridge.restart();
        bridge.call(
            "/emulator/tick",
            json!({"symbol": "EURUSD", "bid": "1.09880", "ask": "1.09890"}),
        );
        bridge
    });
    let mut seen = Vec::new();
    {
        let mut stream = broker.events();
        while seen.len() < 2 {
            let event = tokio::time::timeout(Duration::from_secs(15), stream.next())
                .await
                .expect("the stream delivers the fill by polling")
                .unwrap();
            seen.push(event);
        }
    }
    let bridge = revival.await.unwrap();
    assert_eq!(
        summary(&seen),
        ["str-1 accepted", "str-1 filled buy 10000@1.0989 fee 0.35"]
    );
    assert!(broker.last_poll_error().is_none());
    assert_eq!(
        bridge.executed(),
        0,
        "stats restart with the bridge; no order was resent"
    );
}
