use airlock_core::{
    ClientOrderId, Fill, Liquidity, Money, Price, Quantity, Side, Symbol, UnixNanos,
};
use expect_test::expect;

use super::*;

const SECOND: u64 = 1_000_000_000;

fn fill(
    symbol: &str,
    order: &str,
    side: Side,
    price: &str,
    quantity: &str,
    fee: &str,
    at: u64,
) -> Fill {
    Fill {
        client_order_id: ClientOrderId::parse(order).unwrap(),
        symbol: Symbol::parse(symbol).unwrap(),
        side,
        price: price.parse().unwrap(),
        quantity: quantity.parse().unwrap(),
        fee: fee.parse().unwrap(),
        liquidity: Liquidity::Taker,
        at: UnixNanos::new(at * SECOND),
    }
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

fn quantity(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn a_long_round_trip_nets_both_fees() {
    let fills = [
        fill("AAPL", "a", Side::Buy, "100", "10", "1", 0),
        fill("AAPL", "b", Side::Sell, "110", "10", "1", 3_600),
    ];
    let trips = round_trips(&fills);
    assert_eq!(trips.len(), 1);
    let trip = &trips[0];
    assert!(trip.is_long());
    assert_eq!(trip.quantity, quantity("10"));
    assert_eq!(
        (trip.entry_price, trip.exit_price),
        (price("100"), price("110"))
    );
    // (110 − 100) × 10 − (1 + 1) = 98, on a 1,000 entry notional: 9.8 %.
    assert_eq!(trip.pnl, money("98"));
    assert_eq!(trip.fees, money("2"));
    assert!(close(trip.return_pct, 9.8));
    assert_eq!(trip.holding, Duration::from_secs(3_600));
    assert_eq!(trip.entry_at, UnixNanos::new(0));
    assert_eq!(trip.exit_at, UnixNanos::new(3_600 * SECOND));
}

#[test]
fn partial_closes_split_the_lot_and_its_entry_fee() {
    let fills = [
        fill("AAPL", "a", Side::Buy, "100", "10", "1", 0),
        fill("AAPL", "b", Side::Sell, "110", "4", "0.4", 1),
        fill("AAPL", "c", Side::Sell, "90", "6", "0.6", 2),
    ];
    let trips = round_trips(&fills);
    assert_eq!(trips.len(), 2);
    // First close: 4 × (110 − 100) = 40, fees 4/10 of the entry fee (0.4) + 0.4 = 0.8.
    assert_eq!(trips[0].quantity, quantity("4"));
    assert_eq!(trips[0].fees, money("0.8"));
    assert_eq!(trips[0].pnl, money("39.2"));
    // Second close: 6 × (90 − 100) = −60, fees 0.6 + 0.6 = 1.2.
    assert_eq!(trips[1].quantity, quantity("6"));
    assert_eq!(trips[1].fees, money("1.2"));
    assert_eq!(trips[1].pnl, money("-61.2"));
    assert_eq!(trips[1].entry_at, UnixNanos::new(0));
    let total_fees: Money = trips.iter().map(|trip| trip.fees).sum();
    assert_eq!(total_fees, money("2"));
}

#[test]
fn lots_close_first_in_first_out() {
    let fills = [
        fill("AAPL", "a", Side::Buy, "100", "5", "0", 0),
        fill("AAPL", "b", Side::Buy, "120", "5", "0", 1),
        fill("AAPL", "c", Side::Sell, "130", "7", "0", 2),
        fill("AAPL", "d", Side::Sell, "110", "3", "0", 3),
    ];
    let trips = round_trips(&fills);
    let summary: Vec<(String, String, String, String)> = trips
        .iter()
        .map(|trip| {
            (
                trip.quantity.to_string(),
                trip.entry_price.to_string(),
                trip.exit_price.to_string(),
                trip.pnl.to_string(),
            )
        })
        .collect();
    // The sell of 7 closes all of lot a (5 × 30) and 2 of lot b (2 × 10); the sell of 3 closes
    // the rest of lot b (3 × −10).
    let expected = [
        ("5", "100", "130", "150"),
        ("2", "120", "130", "20"),
        ("3", "120", "110", "-30"),
    ];
    let expected: Vec<(String, String, String, String)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(summary, expected);
    assert_eq!(trips[1].entry_at, UnixNanos::new(SECOND));
}

#[test]
fn a_reversal_closes_the_long_then_opens_a_short_with_the_rest() {
    let fills = [
        fill("AAPL", "a", Side::Buy, "100", "10", "0", 0),
        fill("AAPL", "b", Side::Sell, "110", "15", "1.5", 1),
        fill("AAPL", "c", Side::Buy, "100", "5", "0.5", 2),
    ];
    let trips = round_trips(&fills);
    assert_eq!(trips.len(), 2);
    // Long 10: 10 × 10 − 10/15 of the 1.5 fee = 100 − 1 = 99.
    assert!(trips[0].is_long());
    assert_eq!(trips[0].pnl, money("99"));
    assert_eq!(trips[0].fees, money("1"));
    // Short 5 opened at 110 by the same fill: 5 × 10 − (0.5 + 0.5) = 49.
    assert_eq!(trips[1].side, Side::Sell);
    assert_eq!(trips[1].quantity, quantity("5"));
    assert_eq!(trips[1].entry_price, price("110"));
    assert_eq!(trips[1].entry_at, UnixNanos::new(SECOND));
    assert_eq!(trips[1].pnl, money("49"));
}

#[test]
fn a_losing_short_has_a_negative_return_on_its_entry_notional() {
    let fills = [
        fill("BTC/USD", "a", Side::Sell, "50", "10", "0", 0),
        fill("BTC/USD", "b", Side::Buy, "55", "10", "0", 1),
    ];
    let trips = round_trips(&fills);
    assert_eq!(trips.len(), 1);
    assert!(!trips[0].is_long());
    assert_eq!(trips[0].pnl, money("-50"));
    assert!(close(trips[0].return_pct, -10.0));
}

#[test]
fn symbols_are_matched_separately() {
    let fills = [
        fill("AAPL", "a1", Side::Buy, "100", "1", "0", 0),
        fill("MSFT", "m1", Side::Sell, "300", "2", "0", 1),
        fill("AAPL", "a2", Side::Sell, "105", "1", "0", 2),
        fill("MSFT", "m2", Side::Buy, "290", "2", "0", 3),
    ];
    let trips = round_trips(&fills);
    let summary: Vec<(&str, bool, String)> = trips
        .iter()
        .map(|trip| (trip.symbol.as_str(), trip.is_long(), trip.pnl.to_string()))
        .collect();
    assert_eq!(
        summary,
        [
            ("AAPL", true, "5".to_owned()),
            ("MSFT", false, "20".to_owned())
        ]
    );
}

#[test]
fn fills_of_one_order_merge_into_volume_weighted_prices() {
    let fills = [
        fill("AAPL", "a", Side::Buy, "100", "3", "0.3", 0),
        fill("AAPL", "a", Side::Buy, "101", "7", "0.7", 1),
        fill("AAPL", "b", Side::Sell, "110", "4", "0.4", 2),
        fill("AAPL", "b", Side::Sell, "112", "6", "0.6", 3),
    ];
    let trips = round_trips(&fills);
    assert_eq!(trips.len(), 1);
    let trip = &trips[0];
    // Entry (3 × 100 + 7 × 101) / 10 = 100.7; exit (4 × 110 + 6 × 112) / 10 = 111.2.
    assert_eq!(trip.entry_price, price("100.7"));
    assert_eq!(trip.exit_price, price("111.2"));
    assert_eq!(trip.entry_at, UnixNanos::new(0));
    assert_eq!(trip.exit_at, UnixNanos::new(3 * SECOND));
    // 1,112 − 1,007 − 2 = 103.
    assert_eq!(trip.pnl, money("103"));
}

#[test]
fn open_lots_and_empty_input_make_no_trades() {
    assert!(round_trips(&[]).is_empty());
    let fills = [
        fill("AAPL", "a", Side::Buy, "100", "10", "0", 0),
        fill("AAPL", "b", Side::Buy, "101", "10", "0", 1),
        fill("AAPL", "c", Side::Sell, "101", "0", "0", 2),
    ];
    assert!(round_trips(&fills).is_empty());
}

#[test]
fn fractional_quantities_prorate_fees_without_losing_a_unit() {
    let fills = [
        fill("ETH/USD", "a", Side::Buy, "3000", "1", "0.000000010", 0),
        fill("ETH/USD", "b", Side::Sell, "3100", "0.333333333", "0", 1),
        fill("ETH/USD", "c", Side::Sell, "3100", "0.333333333", "0", 2),
        fill("ETH/USD", "d", Side::Sell, "3100", "0.333333334", "0", 3),
    ];
    let trips = round_trips(&fills);
    assert_eq!(trips.len(), 3);
    let fees: Money = trips.iter().map(|trip| trip.fees).sum();
    assert_eq!(fees, money("0.00000001"));
    let pnl: Money = trips.iter().map(|trip| trip.pnl).sum();
    assert_eq!(pnl, money("99.99999999"));
}

#[test]
fn a_round_trip_serializes_as_numbers_and_rfc3339_times() {
    let fills = [
        fill("AAPL", "a", Side::Sell, "100.5", "10", "1", 0),
        fill("AAPL", "b", Side::Buy, "99.5", "10", "1", 86_400 * 2),
    ];
    let trips = round_trips(&fills);
    let json = serde_json::to_string(&trips[0]).unwrap();
    expect![[r#"{"symbol":"AAPL","side":"short","quantity":10.0,"entry_at":"1970-01-01T00:00:00Z","exit_at":"1970-01-03T00:00:00Z","entry_price":100.5,"exit_price":99.5,"pnl":8.0,"return_pct":0.7960199004975124,"fees":2.0,"holding_days":2.0}"#]]
        .assert_eq(&json);
}
