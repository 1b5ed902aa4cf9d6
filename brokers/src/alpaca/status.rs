//! Alpaca's order statuses and trade-update events, mapped onto our lifecycle.
//!
//! The table (also in the module docs of [`crate::alpaca`]): Alpaca has 18 order statuses, we
//! have seven. An order Alpaca still holds and may yet fill is *working*: `accepted` when nothing
//! has filled, `partially_filled` otherwise. Only Alpaca's final statuses map to our terminal
//! ones, and a status we do not know is treated as working (never as final), so an unknown value
//! can delay a terminal event but never invent one.

use airlock_core::{OrderStatus, Quantity};
use apca::api::v2::order::Status;

/// Our status for an Alpaca order of `quantity` with `filled` filled and status `status`.
pub(crate) fn order_status(status: Status, filled: Quantity, quantity: Quantity) -> OrderStatus {
    let working = if filled.is_positive() {
        OrderStatus::PartiallyFilled
    } else {
        OrderStatus::Accepted
    };
    match status {
        Status::Filled => OrderStatus::Filled,
        Status::Canceled => OrderStatus::Cancelled,
        Status::Expired => OrderStatus::Expired,
        Status::Rejected => OrderStatus::Rejected,
        // `calculated`: done for the day with settlement pending; final only when fully filled.
        Status::Calculated if quantity.is_positive() && filled >= quantity => OrderStatus::Filled,
        Status::New
        | Status::Accepted
        | Status::PendingNew
        | Status::AcceptedForBidding
        | Status::PartiallyFilled
        | Status::DoneForDay
        | Status::PendingCancel
        | Status::PendingReplace
        | Status::Stopped
        | Status::Suspended
        | Status::Calculated
        | Status::Held
        | Status::Replaced => working,
        // `pending_review` and anything newer: apca reads them as `Unknown`.
        _ => working,
    }
}

/// What a trade update (`trade_updates` stream event) does to our order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TradeEvent {
    /// `new`, `pending_new`, `accepted`, `accepted_for_bidding`: Alpaca has the order.
    Acknowledged,
    /// `fill`, `partial_fill`: an execution with its own `price` and `qty`.
    Execution,
    /// `canceled`.
    Canceled,
    /// `expired`.
    Expired,
    /// `rejected`.
    Rejected,
    /// `replaced`: this leg was replaced by a newer one.
    Replaced,
    /// Every other event (`done_for_day`, `pending_cancel`, `pending_replace`, `stopped`,
    /// `suspended`, `calculated`, `held`, `restated`, `order_cancel_rejected`,
    /// `order_replace_rejected`, and names we do not know): no change of our status, though the
    /// order snapshot it carries is still checked for fills we have not seen.
    Informational,
}

impl TradeEvent {
    /// Classifies the `event` field of a trade update.
    pub(crate) fn parse(event: &str) -> Self {
        match event {
            "new" | "pending_new" | "accepted" | "accepted_for_bidding" => Self::Acknowledged,
            "fill" | "partial_fill" => Self::Execution,
            "canceled" => Self::Canceled,
            "expired" => Self::Expired,
            "rejected" => Self::Rejected,
            "replaced" => Self::Replaced,
            _ => Self::Informational,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(value: i64) -> Quantity {
        Quantity::from_units(value).unwrap()
    }

    /// Every Alpaca status as the JSON text Alpaca sends, read through apca.
    const ALL: [&str; 18] = [
        "new",
        "partially_filled",
        "filled",
        "done_for_day",
        "canceled",
        "expired",
        "replaced",
        "pending_cancel",
        "pending_replace",
        "pending_review",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "stopped",
        "rejected",
        "suspended",
        "calculated",
        "held",
    ];

    fn parse(text: &str) -> Status {
        serde_json::from_str(&format!("\"{text}\"")).unwrap()
    }

    #[test]
    fn every_alpaca_status_maps_with_and_without_fills() {
        let table: Vec<String> = ALL
            .iter()
            .map(|text| {
                let status = parse(text);
                let none = order_status(status, Quantity::ZERO, units(10));
                let some = order_status(status, units(4), units(10));
                let all = order_status(status, units(10), units(10));
                format!("{text:<21} {none:<16} {some:<16} {all}")
            })
            .collect();
        expect_test::expect![[r#"
            new                   accepted         partially_filled partially_filled
            partially_filled      accepted         partially_filled partially_filled
            filled                filled           filled           filled
            done_for_day          accepted         partially_filled partially_filled
            canceled              cancelled        cancelled        cancelled
            expired               expired          expired          expired
            replaced              accepted         partially_filled partially_filled
            pending_cancel        accepted         partially_filled partially_filled
            pending_replace       accepted         partially_filled partially_filled
            pending_review        accepted         partially_filled partially_filled
            accepted              accepted         partially_filled partially_filled
            pending_new           accepted         partially_filled partially_filled
            accepted_for_bidding  accepted         partially_filled partially_filled
            stopped               accepted         partially_filled partially_filled
            rejected              rejected         rejected         rejected
            suspended             accepted         partially_filled partially_filled
            calculated            accepted         partially_filled filled
            held                  accepted         partially_filled partially_filled"#]]
        .assert_eq(&table.join("\n"));
    }

    #[test]
    fn trade_events_classify() {
        let table: Vec<String> = [
            "new",
            "pending_new",
            "accepted",
            "fill",
            "partial_fill",
            "canceled",
            "expired",
            "rejected",
            "replaced",
            "done_for_day",
            "pending_cancel",
            "pending_replace",
            "stopped",
            "suspended",
            "calculated",
            "restated",
            "order_cancel_rejected",
            "order_replace_rejected",
            "something_new",
        ]
        .iter()
        .map(|event| format!("{event} {:?}", TradeEvent::parse(event)))
        .collect();
        expect_test::expect![[r#"
            new Acknowledged
            pending_new Acknowledged
            accepted Acknowledged
            fill Execution
            partial_fill Execution
            canceled Canceled
            expired Expired
            rejected Rejected
            replaced Replaced
            done_for_day Informational
            pending_cancel Informational
            pending_replace Informational
            stopped Informational
            suspended Informational
            calculated Informational
            restated Informational
            order_cancel_rejected Informational
            order_replace_rejected Informational
            something_new Informational"#]]
        .assert_eq(&table.join("\n"));
    }
}
