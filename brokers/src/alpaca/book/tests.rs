use super::emit::derived_price;
use super::*;
use crate::alpaca::test_data::order_json;

fn snapshot(
    client_id: &str,
    status: &str,
    qty: &str,
    filled: &str,
    average: Option<&str>,
) -> LegSnapshot {
    let order: apca::api::v2::order::Order =
        serde_json::from_str(&order_json(client_id, status, qty, filled, average)).unwrap();
    LegSnapshot::from_apca(&order).unwrap().unwrap()
}

fn update(event: &str, snapshot: LegSnapshot) -> Update {
    Update {
        event: TradeEvent::parse(event),
        snapshot,
        execution: None,
        at: UnixNanos::new(1),
    }
}

fn fill(snapshot: LegSnapshot, id: &str, qty: &str, price: &str) -> Update {
    Update {
        event: TradeEvent::Execution,
        snapshot,
        execution: Some(Execution {
            id: Some(id.to_owned()),
            price: price.parse().unwrap(),
            quantity: qty.parse().unwrap(),
        }),
        at: UnixNanos::new(2),
    }
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
                Some(other) => format!(" [{other}]"),
                None => String::new(),
            };
            format!("{} {}{fill}{reason}", event.client_order_id, event.status)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(book: &mut Book, updates: Vec<Update>) -> String {
    let events: Vec<BrokerEvent> = updates
        .iter()
        .flat_map(|update| book.on_update(update))
        .collect();
    show(&events)
}

#[test]
fn stream_fills_are_exact_and_duplicates_are_dropped() {
    let mut book = Book::default();
    book.register(&snapshot("o-1", "new", "10", "0", None));
    let partial = snapshot("o-1", "partially_filled", "10", "4", Some("187"));
    let full = snapshot("o-1", "filled", "10", "10", Some("187.3"));
    let trace = run(
        &mut book,
        vec![
            update(
                "pending_new",
                snapshot("o-1", "pending_new", "10", "0", None),
            ),
            update("new", snapshot("o-1", "new", "10", "0", None)),
            fill(partial.clone(), "e-1", "4", "187"),
            fill(partial, "e-1", "4", "187"),
            fill(full.clone(), "e-2", "6", "187.5"),
            fill(full.clone(), "e-2-copy", "6", "187.5"),
            update("canceled", full),
        ],
    );
    expect_test::expect![[r#"
        o-1 accepted
        o-1 partially_filled 4@187
        o-1 filled 6@187.5"#]]
    .assert_eq(&trace);
    assert!(book.is_finished(&ClientOrderId::parse("o-1").unwrap()));
    assert!(book.open_legs().is_empty());
}

#[test]
fn a_gap_before_a_stream_fill_is_reported_first_as_a_catch_up_fill() {
    let mut book = Book::default();
    let trace = run(
        &mut book,
        vec![
            // No `new` seen, and the 4 before this fill were missed.
            fill(
                snapshot("o-2", "filled", "10", "10", Some("187.7")),
                "e-7",
                "6",
                "188",
            ),
        ],
    );
    // 187.7 × 10 − 188 × 6 = 749 over the 4 missed: 187.25.
    expect_test::expect![[r#"
        o-2 accepted
        o-2 partially_filled 4@187.25 [catch-up]
        o-2 filled 6@188"#]]
    .assert_eq(&trace);
}

#[test]
fn catch_up_reports_what_the_stream_missed_exactly_once() {
    let mut book = Book::default();
    book.register(&snapshot("o-3", "new", "10", "0", None));
    book.register(&snapshot("o-4", "new", "5", "0", None));
    let mut trace = run(
        &mut book,
        vec![
            update("new", snapshot("o-3", "new", "10", "0", None)),
            fill(
                snapshot("o-3", "partially_filled", "10", "4", Some("187")),
                "e-1",
                "4",
                "187",
            ),
        ],
    );
    // The stream drops; meanwhile o-3 fills and o-4 is accepted then cancelled.
    let caught_up: Vec<BrokerEvent> = [
        snapshot("o-3", "filled", "10", "10", Some("187.6")),
        snapshot("o-4", "canceled", "5", "0", None),
    ]
    .iter()
    .flat_map(|snapshot| book.on_snapshot(snapshot))
    .collect();
    trace.push('\n');
    trace.push_str(&show(&caught_up));
    // The new stream repeats the last fill and the cancel: nothing more.
    let repeated = run(
        &mut book,
        vec![
            fill(
                snapshot("o-3", "filled", "10", "10", Some("187.6")),
                "e-2",
                "6",
                "188",
            ),
            update("canceled", snapshot("o-4", "canceled", "5", "0", None)),
        ],
    );
    assert_eq!(repeated, "");
    // A second catch-up changes nothing either.
    assert!(
        book.on_snapshot(&snapshot("o-3", "filled", "10", "10", Some("187.6")))
            .is_empty()
    );
    expect_test::expect![[r#"
        o-3 accepted
        o-3 partially_filled 4@187
        o-3 filled 6@188 [catch-up]
        o-4 accepted
        o-4 cancelled [canceled at Alpaca]"#]]
    .assert_eq(&trace);
}

#[test]
fn a_replacement_reports_under_our_id_and_carries_the_fills_of_both_legs() {
    let mut book = Book::default();
    let ours = ClientOrderId::parse("o-5").unwrap();
    book.register(&snapshot("o-5", "new", "10", "0", None));
    let mut trace = run(
        &mut book,
        vec![
            update("new", snapshot("o-5", "new", "10", "0", None)),
            fill(
                snapshot("o-5", "partially_filled", "10", "2", Some("10")),
                "e-1",
                "2",
                "10",
            ),
        ],
    );
    // replace(o-5, total 12): 10 left to fill on the replacement.
    book.register(&snapshot("o-5.r1", "pending_new", "10", "0", None));
    assert_eq!(book.current_leg(&ours).unwrap().0, 1);
    assert_eq!(book.filled_before(&ours, 1).to_string(), "2");
    assert_eq!(book.last_leg(&ours), Some(1));
    trace.push('\n');
    trace.push_str(&run(
        &mut book,
        vec![
            update(
                "replaced",
                snapshot("o-5", "replaced", "10", "2", Some("10")),
            ),
            update(
                "replaced",
                snapshot("o-5", "replaced", "10", "2", Some("10")),
            ),
            update("new", snapshot("o-5.r1", "new", "10", "0", None)),
            // A late cancel of the old leg means nothing.
            update(
                "canceled",
                snapshot("o-5", "canceled", "10", "2", Some("10")),
            ),
            fill(
                snapshot("o-5.r1", "partially_filled", "10", "4", Some("11")),
                "e-2",
                "4",
                "11",
            ),
            fill(
                snapshot("o-5.r1", "filled", "10", "10", Some("11")),
                "e-3",
                "6",
                "11",
            ),
        ],
    ));
    expect_test::expect![[r#"
        o-5 accepted
        o-5 partially_filled 2@10
        o-5 partially_filled [replaced]
        o-5 partially_filled 4@11
        o-5 filled 6@11"#]]
    .assert_eq(&trace);
    let report = book.report(&snapshot("o-5.r1", "filled", "10", "10", Some("11")));
    assert_eq!(report.client_order_id, ours);
    assert_eq!(report.quantity.to_string(), "12");
    assert_eq!(report.filled.to_string(), "12");
}

#[test]
fn terminal_events_follow_our_lifecycle() {
    let mut book = Book::default();
    let trace = run(
        &mut book,
        vec![
            update("rejected", snapshot("r-1", "rejected", "1", "0", None)),
            update("new", snapshot("r-2", "new", "1", "0", None)),
            update("rejected", snapshot("r-2", "rejected", "1", "0", None)),
            update("new", snapshot("c-1", "new", "5", "0", None)),
            update(
                "canceled",
                snapshot("c-1", "canceled", "5", "2", Some("9.5")),
            ),
            fill(
                snapshot("c-1", "canceled", "5", "3", Some("9.5")),
                "late",
                "1",
                "9.5",
            ),
            update("expired", snapshot("x-1", "expired", "5", "0", None)),
            update(
                "done_for_day",
                snapshot("d-1", "done_for_day", "5", "0", None),
            ),
        ],
    );
    expect_test::expect![[r#"
        r-1 rejected [rejected by Alpaca]
        r-2 accepted
        r-2 cancelled [rejected by Alpaca after it was accepted]
        c-1 accepted
        c-1 partially_filled 2@9.5 [catch-up]
        c-1 cancelled [canceled at Alpaca]
        x-1 expired [expired at Alpaca]"#]]
    .assert_eq(&trace);
}

#[test]
fn a_rejected_replacement_hands_the_order_back_to_the_previous_leg() {
    let mut book = Book::default();
    let ours = ClientOrderId::parse("o-6").unwrap();
    book.register(&snapshot("o-6", "new", "10", "0", None));
    book.register(&snapshot("o-6.r1", "pending_new", "8", "0", None));
    let trace = run(
        &mut book,
        vec![
            update("new", snapshot("o-6", "new", "10", "0", None)),
            update("rejected", snapshot("o-6.r1", "rejected", "8", "0", None)),
            update("canceled", snapshot("o-6", "canceled", "10", "0", None)),
        ],
    );
    expect_test::expect![[r#"
        o-6 accepted
        o-6 cancelled [canceled at Alpaca]"#]]
    .assert_eq(&trace);
    assert!(book.is_finished(&ours));
}

#[test]
fn adopted_orders_report_nothing_until_they_change() {
    let mut book = Book::default();
    let ours = ClientOrderId::parse("a-1").unwrap();
    let found = snapshot("a-1", "partially_filled", "10", "4", Some("50"));
    book.adopt(&found);
    book.adopt(&found);
    assert_eq!(book.open_legs().len(), 1);
    assert_eq!(book.report(&found).status, OrderStatus::PartiallyFilled);
    assert!(book.on_snapshot(&found).is_empty());
    let trace = run(
        &mut book,
        vec![fill(
            snapshot("a-1", "filled", "10", "10", Some("50.6")),
            "e-9",
            "6",
            "51",
        )],
    );
    assert_eq!(trace, "a-1 filled 6@51");
    assert!(book.is_finished(&ours));
    // After a restart only the open replacement is adopted; its replaced first leg, met later
    // in a catch-up or an update, is history: no event, but its fills count.
    let current = snapshot("h-1.r1", "new", "6", "0", None);
    book.adopt(&current);
    let first_leg = snapshot("h-1", "replaced", "10", "4", Some("20"));
    assert!(book.is_history(&first_leg));
    assert!(book.on_snapshot(&first_leg).is_empty());
    assert!(book.on_update(&update("replaced", first_leg)).is_empty());
    let report = book.report(&current);
    assert_eq!(
        (report.quantity.to_string(), report.filled.to_string()),
        ("10".into(), "4".into())
    );
    let done = ClientOrderId::parse("a-2").unwrap();
    book.adopt(&snapshot("a-2", "canceled", "1", "0", None));
    assert!(book.is_finished(&done));
}

#[test]
fn derived_prices_round_half_away_from_zero() {
    let price = |text: &str| text.parse::<Price>().unwrap();
    let quantity = |text: &str| text.parse::<Quantity>().unwrap();
    // 3 at an average of 10.000000001 with 1 reported at 10: the other 2 at 10.0000000015 → …02.
    let reported = i128::from(price("10").raw()) * i128::from(quantity("1").raw());
    assert_eq!(
        derived_price(
            price("10.000000001"),
            quantity("3"),
            reported,
            quantity("2")
        ),
        price("10.000000002")
    );
    assert_eq!(
        derived_price(price("7"), quantity("1"), 0, Quantity::ZERO),
        price("7")
    );
}
