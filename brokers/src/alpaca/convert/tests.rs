use super::*;
use crate::alpaca::test_data::order_json;

fn num(text: &str) -> Num {
    text.parse().unwrap()
}

fn request(kind: OrderKind, quantity: &str, time_in_force: TimeInForce) -> OrderRequest {
    OrderRequest::new(
        ClientOrderId::parse("sma_cross-r7-42").unwrap(),
        Symbol::parse("AAPL").unwrap(),
        Side::Sell,
        kind,
        quantity.parse().unwrap(),
        time_in_force,
    )
    .unwrap()
}

#[test]
fn decimals_convert_exactly_or_are_refused_naming_the_field() {
    assert_eq!(
        price(&num("187.25"), "limit_price").unwrap().to_string(),
        "187.25"
    );
    assert_eq!(
        price(&num("0.000000001"), "price").unwrap(),
        Price::from_raw(1)
    );
    assert_eq!(quantity(&num("-3"), "qty").unwrap().to_string(), "-3");
    assert_eq!(
        money(&num("100000.123456789"), "cash").unwrap().to_string(),
        "100000.123456789"
    );
    let error = price(&num("1.0000000001"), "filled_avg_price").unwrap_err();
    assert!(error.starts_with("filled_avg_price: "), "{error}");
    assert!(error.contains("more than 9 decimal places"), "{error}");
    let error = quantity(&num("99999999999"), "qty").unwrap_err();
    assert!(error.starts_with("qty: "), "{error}");
    // Out to apca: exact up to eight places (apca prints at most eight).
    let sent = price_num("187.12345678".parse().unwrap(), "limit_price").unwrap();
    assert_eq!(sent.to_string(), "187.12345678");
    let error = quantity_num("0.123456789".parse().unwrap(), "qty").unwrap_err();
    assert_eq!(
        error,
        "qty: 0.123456789 has 9 decimal places; the Alpaca client sends at most 8"
    );
}

#[test]
fn eastern_offsets_become_utc_nanoseconds() {
    // 09:30 New York daylight time is 13:30 UTC.
    let clock: apca::api::v2::clock::Clock = serde_json::from_str(
        r#"{"timestamp":"2025-06-24T16:05:01.123456789-04:00","is_open":true,
        "next_open":"2025-06-25T09:30:00-04:00","next_close":"2025-06-24T16:00:00-04:00"}"#,
    )
    .unwrap();
    let expected = UnixNanos::from_civil(2025, 6, 25, 13, 30, 0, 0).unwrap();
    assert_eq!(nanos(&clock.next_open, "next_open").unwrap(), expected);
    assert_eq!(
        nanos(&clock.current, "timestamp").unwrap(),
        UnixNanos::from_civil(2025, 6, 24, 20, 5, 1, 123_456_789).unwrap()
    );
    let market = crate::alpaca::broker::market_clock(&clock).unwrap();
    assert!(market.is_open);
    assert_eq!(
        market.next_close,
        UnixNanos::from_civil(2025, 6, 24, 20, 0, 0, 0).unwrap()
    );
}

#[test]
fn order_requests_become_apca_create_requests() {
    let cases = [
        (OrderKind::Market, TimeInForce::Day),
        (
            OrderKind::Limit {
                limit: "187.25".parse().unwrap(),
            },
            TimeInForce::Gtc,
        ),
        (
            OrderKind::Stop {
                stop: "180".parse().unwrap(),
            },
            TimeInForce::Ioc,
        ),
        (
            OrderKind::StopLimit {
                stop: "180".parse().unwrap(),
                limit: "179.5".parse().unwrap(),
            },
            TimeInForce::Fok,
        ),
    ];
    let bodies: Vec<String> = cases
        .into_iter()
        .map(|(kind, time_in_force)| {
            let create = create_request(&request(kind, "2.5", time_in_force)).unwrap();
            serde_json::to_string(&create).unwrap()
        })
        .collect();
    expect_test::expect![[r#"
        {"symbol":"AAPL","qty":"2.5","side":"sell","order_class":"simple","type":"market","time_in_force":"day","limit_price":null,"stop_price":null,"trail_price":null,"trail_percent":null,"take_profit":null,"stop_loss":null,"extended_hours":false,"client_order_id":"sma_cross-r7-42"}
        {"symbol":"AAPL","qty":"2.5","side":"sell","order_class":"simple","type":"limit","time_in_force":"gtc","limit_price":"187.25","stop_price":null,"trail_price":null,"trail_percent":null,"take_profit":null,"stop_loss":null,"extended_hours":false,"client_order_id":"sma_cross-r7-42"}
        {"symbol":"AAPL","qty":"2.5","side":"sell","order_class":"simple","type":"stop","time_in_force":"ioc","limit_price":null,"stop_price":"180","trail_price":null,"trail_percent":null,"take_profit":null,"stop_loss":null,"extended_hours":false,"client_order_id":"sma_cross-r7-42"}
        {"symbol":"AAPL","qty":"2.5","side":"sell","order_class":"simple","type":"stop_limit","time_in_force":"fok","limit_price":"179.5","stop_price":"180","trail_price":null,"trail_percent":null,"take_profit":null,"stop_loss":null,"extended_hours":false,"client_order_id":"sma_cross-r7-42"}"#]]
    .assert_eq(&bodies.join("\n"));
    let nine = create_request(&request(OrderKind::Market, "0.000000001", TimeInForce::Day));
    assert_eq!(
        nine.unwrap_err(),
        "qty: 0.000000001 has 9 decimal places; the Alpaca client sends at most 8"
    );
}

#[test]
fn alpaca_orders_read_back_into_our_types() {
    let order: order::Order = serde_json::from_str(&order_json(
        "o-1.r2",
        "partially_filled",
        "10",
        "4",
        Some("187.1"),
    ))
    .unwrap();
    let snapshot = LegSnapshot::from_apca(&order).unwrap().unwrap();
    assert_eq!(snapshot.ours.as_str(), "o-1");
    assert_eq!(snapshot.leg, 2);
    assert_eq!(snapshot.status(), OrderStatus::PartiallyFilled);
    assert_eq!(snapshot.average_price, Some("187.1".parse().unwrap()));
    assert_eq!(
        snapshot.kind,
        OrderKind::Limit {
            limit: "187.25".parse().unwrap()
        }
    );
    assert_eq!(
        snapshot.at,
        UnixNanos::from_civil(2024, 5, 1, 13, 30, 1, 500_000_000).unwrap()
    );
    let report = snapshot.report();
    assert_eq!(report.client_order_id.as_str(), "o-1");
    assert_eq!(report.quantity.to_string(), "10");
    assert_eq!(report.filled.to_string(), "4");
    assert_eq!(
        order_id(&report.broker_order_id).unwrap(),
        order.id,
        "the hyphenated id reads back"
    );
    let foreign: order::Order =
        serde_json::from_str(&order_json(&"z".repeat(49), "new", "1", "0", None)).unwrap();
    assert_eq!(LegSnapshot::from_apca(&foreign), Ok(None));
    let trailing: order::Order = serde_json::from_str(
        &order_json("o-3", "new", "1", "0", None)
            .replace(r#""type":"limit""#, r#""type":"trailing_stop""#),
    )
    .unwrap();
    assert_eq!(
        LegSnapshot::from_apca(&trailing),
        Err("type: trailing_stop orders are not supported".into())
    );
    assert!(order_id(&BrokerOrderId::new("sim-1")).is_err());
    let simple = BrokerOrderId::new(order.id.as_simple().to_string());
    assert_eq!(order_id(&simple).unwrap(), order.id);
}
