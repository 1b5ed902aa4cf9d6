//! The order lifecycle as an explicit state machine.
//!
//! ```text
//! new ──accept──▶ accepted ──fill──▶ partially_filled ──fill──▶ filled
//!  │                 │  ▲ amend          │  ▲ fill, amend
//!  └──reject──▶ rejected                 │
//!                    ├──cancel──▶ cancelled ◀──cancel──┤
//!                    └──expire──▶ expired   ◀──expire──┘
//! ```
//! A fill that completes the quantity goes straight to `filled`. Every other transition is an
//! error naming the state and the event; terminal states accept nothing.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::num::{Money, Price, Quantity};
use crate::order::OrderRequest;
use crate::time::UnixNanos;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created, not yet acknowledged by the venue.
    New,
    /// Working at the venue, nothing filled.
    Accepted,
    /// Working, some quantity filled.
    PartiallyFilled,
    /// Completely filled (terminal).
    Filled,
    /// Cancelled, possibly after partial fills (terminal).
    Cancelled,
    /// Refused by the venue (terminal).
    Rejected,
    /// Time in force ran out (terminal).
    Expired,
}

impl OrderStatus {
    /// True for `filled`, `cancelled`, `rejected` and `expired`.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::Rejected
                | OrderStatus::Expired
        )
    }

    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Expired => "expired",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Something that happens to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum OrderEvent {
    /// The venue acknowledged the order.
    Accept,
    /// The venue refused the order.
    Reject {
        /// Why.
        reason: String,
    },
    /// Some quantity traded.
    Fill {
        /// How much traded.
        quantity: Quantity,
        /// At what price.
        price: Price,
    },
    /// The working quantity or prices were changed (a replace).
    Amend {
        /// The new total quantity (filled plus working).
        quantity: Quantity,
    },
    /// The order was cancelled.
    Cancel,
    /// The time in force ran out.
    Expire,
}

impl OrderEvent {
    /// The snake_case name of the event.
    pub const fn name(&self) -> &'static str {
        match self {
            OrderEvent::Accept => "accept",
            OrderEvent::Reject { .. } => "reject",
            OrderEvent::Fill { .. } => "fill",
            OrderEvent::Amend { .. } => "amend",
            OrderEvent::Cancel => "cancel",
            OrderEvent::Expire => "expire",
        }
    }
}

/// An illegal transition: the event is not allowed in the state, or its numbers are impossible.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The event is not allowed in this state.
    #[error("order in state {from} cannot take event {event}")]
    Illegal {
        /// The state the order was in.
        from: OrderStatus,
        /// The event's name.
        event: &'static str,
    },
    /// A fill larger than what is left, or not positive.
    #[error("fill of {fill} does not fit the {leaves} left on the order")]
    Overfill {
        /// The fill quantity.
        fill: Quantity,
        /// The quantity still working.
        leaves: Quantity,
    },
    /// An amend to a quantity not above what has filled already.
    #[error("amended quantity {quantity} must exceed the filled {filled}")]
    AmendBelowFilled {
        /// The requested total quantity.
        quantity: Quantity,
        /// Already filled.
        filled: Quantity,
    },
}

/// One recorded step of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// When it happened.
    pub at: UnixNanos,
    /// The state after the event.
    pub status: OrderStatus,
    /// The event.
    pub event: OrderEvent,
}

/// Stands in for the unused inline places of a [`History`]; never shown.
const PLACEHOLDER: Transition = Transition {
    at: UnixNanos::new(0),
    status: OrderStatus::New,
    event: OrderEvent::Accept,
};

/// How many transitions an order keeps without a heap allocation: most orders see two or three
/// (accept, maybe a partial fill, then a fill or a cancel).
const INLINE: usize = 3;

/// An order's transitions, oldest first: the first [`INLINE`] stored in place, longer histories
/// on the heap. Creating and finishing a typical order therefore allocates nothing. Serialises as
/// a plain sequence.
#[derive(Debug, Clone)]
enum History {
    Inline {
        items: [Transition; INLINE],
        len: u8,
    },
    Heap(Vec<Transition>),
}

impl History {
    const fn new() -> Self {
        History::Inline {
            items: [PLACEHOLDER; INLINE],
            len: 0,
        }
    }

    fn push(&mut self, transition: Transition) {
        match self {
            History::Inline { items, len } => {
                if let Some(place) = items.get_mut(usize::from(*len)) {
                    *place = transition;
                    *len += 1;
                } else {
                    let mut spilled = Vec::with_capacity(2 * INLINE + 2);
                    spilled.extend(
                        items
                            .iter_mut()
                            .map(|item| std::mem::replace(item, PLACEHOLDER)),
                    );
                    spilled.push(transition);
                    *self = History::Heap(spilled);
                }
            }
            History::Heap(spilled) => spilled.push(transition),
        }
    }

    fn as_slice(&self) -> &[Transition] {
        match self {
            History::Inline { items, len } => items.get(..usize::from(*len)).unwrap_or_default(),
            History::Heap(spilled) => spilled,
        }
    }
}

impl PartialEq for History {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for History {}

impl Serialize for History {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.as_slice())
    }
}

impl<'de> Deserialize<'de> for History {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let transitions = Vec::<Transition>::deserialize(deserializer)?;
        if transitions.len() > INLINE {
            return Ok(History::Heap(transitions));
        }
        let mut history = History::new();
        transitions
            .into_iter()
            .for_each(|transition| history.push(transition));
        Ok(history)
    }
}

/// An order and its full history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    request: OrderRequest,
    status: OrderStatus,
    quantity: Quantity,
    filled: Quantity,
    filled_notional: Money,
    created_at: UnixNanos,
    history: History,
}

impl Order {
    /// A new order in state `new`.
    pub fn new(request: OrderRequest, created_at: UnixNanos) -> Self {
        let quantity = request.quantity();
        Self {
            request,
            status: OrderStatus::New,
            quantity,
            filled: Quantity::ZERO,
            filled_notional: Money::ZERO,
            created_at,
            history: History::new(),
        }
    }

    /// Applies an event, or refuses it and leaves the order unchanged.
    ///
    /// # Errors
    /// [`TransitionError`] for an event the current state does not allow, a fill larger than the
    /// quantity left, or an amend below the filled quantity.
    pub fn apply(
        &mut self,
        event: OrderEvent,
        at: UnixNanos,
    ) -> Result<OrderStatus, TransitionError> {
        use OrderStatus as S;
        let illegal = TransitionError::Illegal {
            from: self.status,
            event: event.name(),
        };
        let next = match (&event, self.status) {
            (OrderEvent::Accept, S::New) => S::Accepted,
            (OrderEvent::Reject { .. }, S::New) => S::Rejected,
            (OrderEvent::Fill { quantity, .. }, S::Accepted | S::PartiallyFilled) => {
                let leaves = self.leaves();
                if !quantity.is_positive() || *quantity > leaves {
                    return Err(TransitionError::Overfill {
                        fill: *quantity,
                        leaves,
                    });
                }
                if *quantity == leaves {
                    S::Filled
                } else {
                    S::PartiallyFilled
                }
            }
            (OrderEvent::Amend { quantity }, S::Accepted | S::PartiallyFilled) => {
                if *quantity <= self.filled {
                    return Err(TransitionError::AmendBelowFilled {
                        quantity: *quantity,
                        filled: self.filled,
                    });
                }
                self.status
            }
            (OrderEvent::Cancel, S::New | S::Accepted | S::PartiallyFilled) => S::Cancelled,
            (OrderEvent::Expire, S::Accepted | S::PartiallyFilled) => S::Expired,
            _ => return Err(illegal),
        };
        match &event {
            OrderEvent::Fill { quantity, price } => {
                self.filled = self.filled.checked_add(*quantity).unwrap_or(self.quantity);
                self.filled_notional += price.notional(*quantity);
            }
            OrderEvent::Amend { quantity } => self.quantity = *quantity,
            _ => {}
        }
        self.status = next;
        self.history.push(Transition {
            at,
            status: next,
            event,
        });
        Ok(next)
    }

    /// The request this order was created from.
    pub fn request(&self) -> &OrderRequest {
        &self.request
    }
    /// Current state.
    pub fn status(&self) -> OrderStatus {
        self.status
    }
    /// Total quantity (after any amend).
    pub fn quantity(&self) -> Quantity {
        self.quantity
    }
    /// Quantity filled so far.
    pub fn filled(&self) -> Quantity {
        self.filled
    }
    /// Quantity still working.
    pub fn leaves(&self) -> Quantity {
        self.quantity
            .checked_sub(self.filled)
            .unwrap_or(Quantity::ZERO)
    }
    /// Total notional of the fills.
    pub fn filled_notional(&self) -> Money {
        self.filled_notional
    }
    /// When the order was created.
    pub fn created_at(&self) -> UnixNanos {
        self.created_at
    }
    /// Every transition, oldest first.
    pub fn history(&self) -> &[Transition] {
        self.history.as_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientOrderId, Symbol};
    use crate::order::{OrderKind, Side, TimeInForce};

    fn order(quantity: i64) -> Order {
        let request = OrderRequest::new(
            ClientOrderId::parse("o-1").unwrap(),
            Symbol::parse("AAPL").unwrap(),
            Side::Buy,
            OrderKind::Market,
            Quantity::from_units(quantity).unwrap(),
            TimeInForce::Day,
        )
        .unwrap();
        Order::new(request, UnixNanos::new(0))
    }

    fn fill(units: i64) -> OrderEvent {
        OrderEvent::Fill {
            quantity: Quantity::from_units(units).unwrap(),
            price: Price::ONE,
        }
    }

    fn run(order: &mut Order, events: Vec<OrderEvent>) -> String {
        events
            .into_iter()
            .map(|event| match order.apply(event, UnixNanos::new(1)) {
                Ok(status) => status.to_string(),
                Err(error) => format!("error: {error}"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn happy_path_through_partial_fills() {
        let mut order = order(10);
        let trace = run(
            &mut order,
            vec![OrderEvent::Accept, fill(4), fill(6), OrderEvent::Cancel],
        );
        expect_test::expect![[r#"
            accepted
            partially_filled
            filled
            error: order in state filled cannot take event cancel"#]]
        .assert_eq(&trace);
        assert_eq!(order.filled(), Quantity::from_units(10).unwrap());
        assert_eq!(order.history().len(), 3);
    }

    #[test]
    fn illegal_transitions_are_errors_and_change_nothing() {
        let mut order = order(10);
        let trace = run(
            &mut order,
            vec![
                fill(1),
                OrderEvent::Expire,
                OrderEvent::Accept,
                OrderEvent::Accept,
                OrderEvent::Reject {
                    reason: "late".into(),
                },
                fill(11),
                fill(3),
                OrderEvent::Amend {
                    quantity: Quantity::from_units(3).unwrap(),
                },
                OrderEvent::Amend {
                    quantity: Quantity::from_units(5).unwrap(),
                },
                OrderEvent::Expire,
                fill(1),
            ],
        );
        expect_test::expect![[r#"
            error: order in state new cannot take event fill
            error: order in state new cannot take event expire
            accepted
            error: order in state accepted cannot take event accept
            error: order in state accepted cannot take event reject
            error: fill of 11 does not fit the 10 left on the order
            partially_filled
            error: amended quantity 3 must exceed the filled 3
            partially_filled
            expired
            error: order in state expired cannot take event fill"#]]
        .assert_eq(&trace);
        assert_eq!(order.leaves(), Quantity::from_units(2).unwrap());
    }

    #[test]
    fn history_spills_past_three_transitions_and_serialises_as_a_sequence() {
        let mut short = order(10);
        short.apply(OrderEvent::Accept, UnixNanos::new(1)).unwrap();
        let mut full = short.clone();
        for units in [1, 2] {
            full.apply(fill(units), UnixNanos::new(2)).unwrap();
        }
        let mut long = full.clone();
        long.apply(fill(3), UnixNanos::new(3)).unwrap();
        long.apply(OrderEvent::Cancel, UnixNanos::new(4)).unwrap();
        assert_eq!(short.history().len(), 1);
        assert_eq!(full.history().len(), 3);
        assert_eq!(long.history().len(), 5);
        assert_eq!(long.history()[..3], *full.history());
        assert_eq!(long.history()[4].status, OrderStatus::Cancelled);
        for original in [short, full, long] {
            let json = serde_json::to_string(&original).unwrap();
            assert!(json.contains(r#""history":[{"#), "{json}");
            let back: Order = serde_json::from_str(&json).unwrap();
            assert_eq!(back, original);
            assert_eq!(back.history(), original.history());
        }
    }

    #[test]
    fn reject_only_from_new() {
        let mut order = order(1);
        assert_eq!(
            order.apply(
                OrderEvent::Reject {
                    reason: "no".into()
                },
                UnixNanos::new(0)
            ),
            Ok(OrderStatus::Rejected)
        );
        assert!(order.status().is_terminal());
    }
}
