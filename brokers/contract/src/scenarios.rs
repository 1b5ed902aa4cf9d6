//! The scenarios every broker must pass. Each takes a fresh venue built with
//! [`Setup::STANDARD`](crate::harness::Setup::STANDARD) (100,000 cash, participation 0.5, no fees,
//! no slippage, no spread) and starts by trading a flat bar at 100.
//!
//! Use [`contract_suite!`](crate::contract_suite) to run them all against a venue; each scenario
//! is one test, named after it.

use airlock_core::{
    Broker, BrokerError, OrderKind, OrderStatus, Position, ReplaceRequest, Side, TimeInForce,
};

use crate::harness::{Harness, IdenticalResend, Setup, Venue, money, price, quantity};

async fn start<V: Venue>(harness: &mut Harness<V>) {
    harness.flat(100).await;
}

fn position_of<V: Venue>(harness: &Harness<V>, positions: &[Position]) -> Option<Position> {
    let symbol = harness.symbol();
    positions
        .iter()
        .find(|position| position.symbol() == symbol && !position.is_flat())
        .cloned()
}

async fn positions<V: Venue>(harness: &mut Harness<V>) -> Vec<Position> {
    let name = harness.name();
    match harness.broker().positions().await {
        Ok(positions) => positions,
        Err(error) => panic!("{name}: positions: {error}"),
    }
}

async fn open_orders<V: Venue>(harness: &mut Harness<V>) -> Vec<airlock_core::OrderReport> {
    let name = harness.name();
    match harness.broker().open_orders().await {
        Ok(orders) => orders,
        Err(error) => panic!("{name}: open orders: {error}"),
    }
}

async fn account<V: Venue>(harness: &mut Harness<V>) -> airlock_core::AccountSnapshot {
    let name = harness.name();
    match harness.broker().account().await {
        Ok(account) => account,
        Err(error) => panic!("{name}: account: {error}"),
    }
}

/// A market buy fills completely, at once, at the last price; the position and the account show
/// it.
pub async fn market_order_fills_at_the_last_price<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let order = harness.order(
        "ct-market-1",
        Side::Buy,
        OrderKind::Market,
        10,
        TimeInForce::Day,
    );
    harness.submit_ok(order).await;
    harness.wait_for("ct-market-1", OrderStatus::Filled).await;
    harness.settle().await;
    assert_eq!(harness.filled_of("ct-market-1"), quantity(10), "{name}");
    for fill in harness.fills_of("ct-market-1") {
        assert_eq!(fill.price, price(100), "{name}: {fill:?}");
        assert_eq!(fill.side, Side::Buy, "{name}");
    }
    let positions = positions(harness).await;
    let position = position_of(harness, &positions);
    let Some(position) = position else {
        panic!("{name}: no position after the fill: {positions:?}");
    };
    assert_eq!(position.quantity(), quantity(10), "{name}");
    assert_eq!(position.average_price(), Some(price(100)), "{name}");
    let account = account(harness).await;
    assert_eq!(
        account.equity,
        money(Setup::STANDARD.cash),
        "{name}: {account:?}"
    );
    if harness.differences().cash_pays_for_positions {
        assert_eq!(account.cash, money(Setup::STANDARD.cash - 1_000), "{name}");
    } else {
        assert_eq!(
            account.cash,
            money(Setup::STANDARD.cash),
            "{name}: margin balance"
        );
    }
    assert!(open_orders(harness).await.is_empty(), "{name}");
    harness.assert_log_consistent();
}

/// A buy limit below the market works (listed as open, nothing filled) until a bar trades down
/// through it, then fills at the limit or better, never below the bar's low.
pub async fn limit_order_rests_until_a_bar_crosses_it<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let limit = OrderKind::Limit { limit: price(95) };
    let order = harness.order("ct-limit-1", Side::Buy, limit, 5, TimeInForce::Gtc);
    let ack = harness.submit_ok(order).await;
    assert!(!ack.status.is_terminal(), "{name}: {ack:?}");
    let open = open_orders(harness).await;
    let Some(report) = open
        .iter()
        .find(|report| report.client_order_id.as_str() == "ct-limit-1")
    else {
        panic!("{name}: the working limit is not listed: {open:?}");
    };
    assert_eq!(report.filled, quantity(0), "{name}");
    assert_eq!(report.quantity, quantity(5), "{name}");
    assert_eq!(report.kind, limit, "{name}");
    assert_eq!(report.side, Side::Buy, "{name}");
    assert_eq!(report.broker_order_id, ack.broker_order_id, "{name}");
    assert!(harness.filled_of("ct-limit-1").is_zero(), "{name}");

    harness.bar(99, 100, 94, 96, 1_000_000).await;
    harness.wait_for("ct-limit-1", OrderStatus::Filled).await;
    harness.settle().await;
    assert_eq!(harness.filled_of("ct-limit-1"), quantity(5), "{name}");
    for fill in harness.fills_of("ct-limit-1") {
        assert!(
            fill.price <= price(95) && fill.price >= price(94),
            "{name}: {fill:?}"
        );
    }
    assert!(open_orders(harness).await.is_empty(), "{name}");
    harness.assert_log_consistent();
}

/// With the participation cap, a bar of volume 10 fills 5 of a 10-share limit: the order is
/// partially filled (and still listed, with what filled), and the next bar fills the rest.
pub async fn partial_fill_then_the_rest<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let limit = OrderKind::Limit { limit: price(99) };
    let order = harness.order("ct-partial-1", Side::Buy, limit, 10, TimeInForce::Gtc);
    harness.submit_ok(order).await;
    harness.bar(100, 100, 98, 99, 10).await;
    harness
        .wait_for("ct-partial-1", OrderStatus::PartiallyFilled)
        .await;
    harness.settle().await;
    assert_eq!(harness.filled_of("ct-partial-1"), quantity(5), "{name}");
    let open = open_orders(harness).await;
    let Some(report) = open
        .iter()
        .find(|report| report.client_order_id.as_str() == "ct-partial-1")
    else {
        panic!("{name}: the partially filled order is not listed: {open:?}");
    };
    assert_eq!(report.status, OrderStatus::PartiallyFilled, "{name}");
    assert_eq!(report.filled, quantity(5), "{name}");
    assert_eq!(report.quantity, quantity(10), "{name}");

    harness.bar(100, 100, 98, 99, 10).await;
    harness.wait_for("ct-partial-1", OrderStatus::Filled).await;
    harness.settle().await;
    assert_eq!(harness.filled_of("ct-partial-1"), quantity(10), "{name}");
    for fill in harness.fills_of("ct-partial-1") {
        assert!(fill.price <= price(99), "{name}: {fill:?}");
    }
    harness.assert_log_consistent();
}

/// A buy stop above the market does nothing until a bar trades through it, then fills at the
/// stop or worse, within the bar.
pub async fn stop_order_triggers_when_a_bar_trades_through_it<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let stop = OrderKind::Stop { stop: price(105) };
    let order = harness.order("ct-stop-1", Side::Buy, stop, 4, TimeInForce::Gtc);
    harness.submit_ok(order).await;
    harness.bar(100, 103, 99, 102, 1_000_000).await;
    harness.settle().await;
    assert!(
        harness.filled_of("ct-stop-1").is_zero(),
        "{name}: a stop at 105 filled on a bar that topped at 103"
    );
    harness.bar(102, 107, 101, 106, 1_000_000).await;
    harness.wait_for("ct-stop-1", OrderStatus::Filled).await;
    harness.settle().await;
    assert_eq!(harness.filled_of("ct-stop-1"), quantity(4), "{name}");
    for fill in harness.fills_of("ct-stop-1") {
        assert!(
            fill.price >= price(105) && fill.price <= price(107),
            "{name}: {fill:?}"
        );
    }
    harness.assert_log_consistent();
}

/// A working order cancels (event `cancelled`, no longer listed); cancelling it again is
/// refused as `Rejected`.
pub async fn cancel_of_a_working_order_then_again<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let limit = OrderKind::Limit { limit: price(50) };
    let order = harness.order("ct-cancel-1", Side::Buy, limit, 5, TimeInForce::Gtc);
    harness.submit_ok(order).await;
    let id = crate::harness::client_id("ct-cancel-1");
    if let Err(error) = harness.broker().cancel(&id).await {
        panic!("{name}: cancel of a working order: {error}");
    }
    harness
        .wait_for("ct-cancel-1", OrderStatus::Cancelled)
        .await;
    let open = open_orders(harness).await;
    assert!(
        open.iter().all(|report| report.client_order_id != id),
        "{name}: still listed after the cancel: {open:?}"
    );
    let again = harness.broker().cancel(&id).await;
    assert!(
        matches!(again, Err(BrokerError::Rejected { .. })),
        "{name}: a second cancel gave {again:?}"
    );
    harness.settle().await;
    assert!(harness.filled_of("ct-cancel-1").is_zero(), "{name}");
    harness.assert_log_consistent();
}

/// Cancelling an id the venue never saw is `Rejected`, not transient and not fatal.
pub async fn cancel_of_an_unknown_order_is_rejected<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let id = crate::harness::client_id("ct-never-sent-1");
    let outcome = harness.broker().cancel(&id).await;
    assert!(
        matches!(outcome, Err(BrokerError::Rejected { .. })),
        "{name}: cancel of an unknown order gave {outcome:?}"
    );
}

/// Replacing a working limit's price keeps our client order id; the old price no longer
/// trades, the new one does, and the fills are reported under our id.
pub async fn replace_moves_the_limit_and_keeps_our_id<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let order = harness.order(
        "ct-replace-1",
        Side::Buy,
        OrderKind::Limit { limit: price(90) },
        5,
        TimeInForce::Gtc,
    );
    harness.submit_ok(order).await;
    let id = crate::harness::client_id("ct-replace-1");
    let change = ReplaceRequest {
        limit: Some(price(95)),
        ..ReplaceRequest::default()
    };
    let report = match harness.broker().replace(&id, change).await {
        Ok(report) => report,
        Err(error) => panic!("{name}: replace: {error}"),
    };
    assert_eq!(report.client_order_id, id, "{name}");
    assert_eq!(report.kind, OrderKind::Limit { limit: price(95) }, "{name}");
    assert_eq!(report.quantity, quantity(5), "{name}");
    let open = open_orders(harness).await;
    let listed: Vec<_> = open
        .iter()
        .filter(|report| report.client_order_id == id)
        .collect();
    assert_eq!(listed.len(), 1, "{name}: {open:?}");
    assert_eq!(
        listed[0].kind,
        OrderKind::Limit { limit: price(95) },
        "{name}"
    );
    assert_eq!(
        open.len(),
        1,
        "{name}: the replaced order is still listed: {open:?}"
    );

    // Low 94: trades through 95 but not through the old 90.
    harness.bar(99, 100, 94, 96, 1_000_000).await;
    harness.wait_for("ct-replace-1", OrderStatus::Filled).await;
    harness.settle().await;
    assert_eq!(harness.filled_of("ct-replace-1"), quantity(5), "{name}");
    for fill in harness.fills_of("ct-replace-1") {
        assert!(fill.price <= price(95), "{name}: {fill:?}");
    }
    harness.assert_log_consistent();
}

/// A client order id names one order forever: a different order under a used id is refused,
/// and resending the identical order never creates a second one.
pub async fn reused_client_order_id<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let first = harness.order(
        "ct-reuse-1",
        Side::Buy,
        OrderKind::Limit { limit: price(50) },
        5,
        TimeInForce::Gtc,
    );
    let ack = harness.submit_ok(first.clone()).await;

    let different = harness.order(
        "ct-reuse-1",
        Side::Sell,
        OrderKind::Limit { limit: price(200) },
        3,
        TimeInForce::Gtc,
    );
    let outcome = harness.submit(different).await;
    assert!(
        matches!(outcome, Err(BrokerError::Rejected { .. })),
        "{name}: a different order under a used id gave {outcome:?}"
    );

    let resend = harness.submit(first).await;
    match harness.differences().identical_resend {
        IdenticalResend::Acknowledged => match resend {
            Ok(again) => assert_eq!(again.broker_order_id, ack.broker_order_id, "{name}"),
            Err(error) => panic!("{name}: the identical resend was refused: {error}"),
        },
        IdenticalResend::Rejected => assert!(
            matches!(resend, Err(BrokerError::Rejected { .. })),
            "{name}: the identical resend gave {resend:?}"
        ),
    }
    let open = open_orders(harness).await;
    assert_eq!(open.len(), 1, "{name}: {open:?}");
    assert_eq!(open[0].client_order_id.as_str(), "ct-reuse-1", "{name}");
    assert_eq!(open[0].side, Side::Buy, "{name}");
    assert_eq!(open[0].quantity, quantity(5), "{name}");
    harness.assert_log_consistent();
}

/// A buy of a million shares at 100 costs a thousand times the cash. A venue that checks buying
/// power refuses it (`Rejected`) and nothing trades; the matching engine accepts it (its risk
/// manager refuses such orders before they reach it).
pub async fn order_beyond_buying_power<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let order = harness.order(
        "ct-afford-1",
        Side::Buy,
        OrderKind::Limit { limit: price(100) },
        1_000_000,
        TimeInForce::Gtc,
    );
    let outcome = harness.submit(order).await;
    if harness.differences().checks_buying_power {
        assert!(
            matches!(outcome, Err(BrokerError::Rejected { .. })),
            "{name}: an order beyond buying power gave {outcome:?}"
        );
        harness.settle().await;
        assert!(harness.filled_of("ct-afford-1").is_zero(), "{name}");
        assert!(open_orders(harness).await.is_empty(), "{name}");
        let positions = positions(harness).await;
        assert!(position_of(harness, &positions).is_none(), "{name}");
    } else {
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
    }
    harness.assert_log_consistent();
}

/// Buy 10 at 100, the market moves to 110, sell 4: a long of 6 at an average of 100, and equity
/// up by the 100 gained (60 open, 40 realised).
pub async fn round_trip_positions_and_equity_agree<V: Venue>(harness: &mut Harness<V>) {
    start(harness).await;
    let name = harness.name();
    let buy = harness.order(
        "ct-trip-buy",
        Side::Buy,
        OrderKind::Market,
        10,
        TimeInForce::Day,
    );
    harness.submit_ok(buy).await;
    harness.wait_for("ct-trip-buy", OrderStatus::Filled).await;
    harness.flat(110).await;
    let sell = harness.order(
        "ct-trip-sell",
        Side::Sell,
        OrderKind::Market,
        4,
        TimeInForce::Day,
    );
    harness.submit_ok(sell).await;
    harness.wait_for("ct-trip-sell", OrderStatus::Filled).await;
    harness.settle().await;
    assert_eq!(harness.filled_of("ct-trip-sell"), quantity(4), "{name}");
    for fill in harness.fills_of("ct-trip-sell") {
        assert_eq!(fill.price, price(110), "{name}: {fill:?}");
        assert_eq!(fill.side, Side::Sell, "{name}");
    }
    let positions = positions(harness).await;
    let Some(position) = position_of(harness, &positions) else {
        panic!("{name}: no position: {positions:?}");
    };
    assert_eq!(position.quantity(), quantity(6), "{name}");
    assert_eq!(position.average_price(), Some(price(100)), "{name}");
    let account = account(harness).await;
    assert_eq!(
        account.equity,
        money(Setup::STANDARD.cash + 100),
        "{name}: {account:?}"
    );
    if harness.differences().cash_pays_for_positions {
        assert_eq!(
            account.cash,
            money(Setup::STANDARD.cash - 1_000 + 440),
            "{name}"
        );
    } else {
        assert_eq!(account.cash, money(Setup::STANDARD.cash + 40), "{name}");
    }
    harness.assert_log_consistent();
}

/// Runs every scenario of this module as its own test against a fresh venue from `$make` (an async
/// function returning the venue).
#[macro_export]
macro_rules! contract_suite {
    ($make:path) => {
        $crate::contract_suite!(@each $make;
            market_order_fills_at_the_last_price,
            limit_order_rests_until_a_bar_crosses_it,
            partial_fill_then_the_rest,
            stop_order_triggers_when_a_bar_trades_through_it,
            cancel_of_a_working_order_then_again,
            cancel_of_an_unknown_order_is_rejected,
            replace_moves_the_limit_and_keeps_our_id,
            reused_client_order_id,
            order_beyond_buying_power,
            round_trip_positions_and_equity_agree
        );
    };
    (@each $make:path; $($scenario:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                let mut harness = $crate::Harness::new($make().await);
                $crate::scenarios::$scenario(&mut harness).await;
            }
        )+
    };
}
