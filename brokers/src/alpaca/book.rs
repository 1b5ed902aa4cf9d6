//! [`Book`]: our logical orders and the Alpaca orders ("legs") behind them, and the one place
//! that turns what Alpaca tells us into [`BrokerEvent`]s.
//!
//! Pure and synchronous: the stream reader and the catch-up feed it trade updates and order
//! snapshots, and it returns the events to emit. What it guarantees, per logical order:
//!
//! - the events form a legal path of our lifecycle (`accepted` before any fill, one terminal
//!   event, nothing after it), whatever order or mix of stream updates and REST snapshots arrives;
//! - every filled quantity is reported exactly once. Each leg remembers the cumulative quantity
//!   it has reported and the execution ids it has seen: a trade update whose cumulative
//!   `filled_qty` is not past what was reported is a duplicate, and a cumulative quantity past
//!   what the update's own `qty` explains (an update lost in a disconnect) is reported first as a
//!   *catch-up fill*;
//! - a catch-up fill (from a REST snapshot, or the gap before a stream update) is priced so that
//!   the leg's reported notional matches Alpaca's `filled_avg_price × filled_qty`: `(avg × cumulative −
//!   notional reported so far) ÷ missing quantity`, rounded half away from zero to 10⁻⁹, and its
//!   event carries the reason [`CATCH_UP_REASON`]. When the missed quantity was one execution the
//!   price is that execution's exactly (for Alpaca's exact averages);
//! - a replacement leg's events are reported under our id; the old leg's `replaced` becomes one
//!   event with the order's unchanged status (as the matching engine reports an amend).

use std::collections::{BTreeMap, VecDeque};

use airlock_core::{
    BrokerEvent, BrokerOrderId, ClientOrderId, OrderReport, OrderStatus, Price, Quantity, Side,
    Symbol, UnixNanos,
};

use super::convert::LegSnapshot;
use super::status::TradeEvent;

mod emit;

use emit::Out;

/// The reason on a fill that was not seen on the stream but inferred from Alpaca's cumulative
/// `filled_qty` and `filled_avg_price`.
pub const CATCH_UP_REASON: &str =
    "catch-up: fill missed by the stream, price derived from filled_avg_price";
/// The reason on the event that reports a replacement taking effect.
pub const REPLACED_REASON: &str = "replaced: a new Alpaca order now carries this order";

/// How many finished orders the book remembers (to ignore their late updates).
const FINISHED_KEPT: usize = 10_000;

/// One execution reported by a trade update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Execution {
    /// Alpaca's execution id, when given.
    pub(crate) id: Option<String>,
    /// This execution's price.
    pub(crate) price: Price,
    /// This execution's quantity.
    pub(crate) quantity: Quantity,
}

/// A trade update, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Update {
    /// What happened.
    pub(crate) event: TradeEvent,
    /// The order after it happened.
    pub(crate) snapshot: LegSnapshot,
    /// The execution, for fill events.
    pub(crate) execution: Option<Execution>,
    /// When it happened.
    pub(crate) at: UnixNanos,
}

#[derive(Debug, Clone)]
struct Leg {
    broker_order_id: BrokerOrderId,
    quantity: Quantity,
    /// Cumulative quantity reported in events.
    filled: Quantity,
    /// Σ price.raw × quantity.raw of the reported fills (10⁻¹⁸ units).
    notional: i128,
    executions: Vec<String>,
    replaced: bool,
    rejected: bool,
}

impl Leg {
    fn from_snapshot(snapshot: &LegSnapshot) -> Self {
        Self {
            broker_order_id: snapshot.broker_order_id.clone(),
            quantity: snapshot.quantity,
            filled: Quantity::ZERO,
            notional: 0,
            executions: Vec::new(),
            replaced: false,
            rejected: false,
        }
    }
}

#[derive(Debug, Clone)]
struct Tracked {
    symbol: Symbol,
    side: Side,
    status: OrderStatus,
    legs: BTreeMap<u32, Leg>,
    current: u32,
}

impl Tracked {
    fn filled(&self) -> Quantity {
        self.legs.values().fold(Quantity::ZERO, |sum, leg| {
            sum.checked_add(leg.filled).unwrap_or(sum)
        })
    }

    /// Filled on the legs before `leg`.
    fn filled_before(&self, leg: u32) -> Quantity {
        self.legs
            .range(..leg)
            .fold(Quantity::ZERO, |sum, (_, leg)| {
                sum.checked_add(leg.filled).unwrap_or(sum)
            })
    }

    /// The logical order's quantity: what the earlier legs filled plus the current leg's.
    fn quantity(&self) -> Quantity {
        let current = self
            .legs
            .get(&self.current)
            .map_or(Quantity::ZERO, |leg| leg.quantity);
        self.filled_before(self.current)
            .checked_add(current)
            .unwrap_or(current)
    }

    fn working_status(&self) -> OrderStatus {
        let filled = self.filled();
        if filled.is_positive() && filled >= self.quantity() {
            OrderStatus::Filled
        } else if filled.is_positive() {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::Accepted
        }
    }
}

/// Our orders at Alpaca. See the module docs.
#[derive(Debug, Default)]
pub(crate) struct Book {
    orders: BTreeMap<ClientOrderId, Tracked>,
    finished: VecDeque<ClientOrderId>,
}

impl Book {
    /// Records a leg we just created (submit or replace answer). A new order starts in `new`:
    /// its `accepted` event comes from the stream or the catch-up. A replacement leg becomes the
    /// order's current leg.
    pub(crate) fn register(&mut self, snapshot: &LegSnapshot) {
        let tracked = self.entry(snapshot);
        tracked
            .legs
            .entry(snapshot.leg)
            .or_insert_with(|| Leg::from_snapshot(snapshot));
        if snapshot.leg > tracked.current {
            tracked.current = snapshot.leg;
        }
    }

    /// Takes over an order found at Alpaca (after a restart) as it stands, reporting nothing:
    /// its fills so far count as reported, at Alpaca's average price.
    pub(crate) fn adopt(&mut self, snapshot: &LegSnapshot) {
        if self
            .orders
            .get(&snapshot.ours)
            .is_some_and(|tracked| tracked.legs.contains_key(&snapshot.leg))
        {
            return;
        }
        let tracked = self.entry(snapshot);
        let mut leg = Leg::from_snapshot(snapshot);
        leg.filled = snapshot.filled;
        leg.notional = snapshot.average_price.map_or(0, |price| {
            i128::from(price.raw()) * i128::from(snapshot.filled.raw())
        });
        tracked.legs.insert(snapshot.leg, leg);
        if snapshot.leg > tracked.current {
            tracked.current = snapshot.leg;
        }
        let status = snapshot.status();
        tracked.status = if status.is_terminal() {
            status
        } else {
            tracked.working_status()
        };
    }

    /// Records an earlier leg of a known order that this process never saw live (found after a
    /// restart): its fills count as reported, and a `replaced` status is history, not news.
    pub(crate) fn adopt_history(&mut self, snapshot: &LegSnapshot) {
        let Some(tracked) = self.orders.get_mut(&snapshot.ours) else {
            return;
        };
        if tracked.legs.contains_key(&snapshot.leg) {
            return;
        }
        let mut leg = Leg::from_snapshot(snapshot);
        leg.filled = snapshot.filled;
        leg.notional = snapshot.average_price.map_or(0, |price| {
            i128::from(price.raw()) * i128::from(snapshot.filled.raw())
        });
        leg.replaced = snapshot.alpaca_status == apca::api::v2::order::Status::Replaced;
        tracked.legs.insert(snapshot.leg, leg);
    }

    /// True for an earlier leg of a known order that the book has never seen.
    pub(crate) fn is_history(&self, snapshot: &LegSnapshot) -> bool {
        self.orders.get(&snapshot.ours).is_some_and(|tracked| {
            snapshot.leg < tracked.current && !tracked.legs.contains_key(&snapshot.leg)
        })
    }

    /// True when we know the order.
    pub(crate) fn contains(&self, ours: &ClientOrderId) -> bool {
        self.orders.contains_key(ours)
    }

    /// True when the order is known and finished.
    pub(crate) fn is_finished(&self, ours: &ClientOrderId) -> bool {
        self.orders
            .get(ours)
            .is_some_and(|tracked| tracked.status.is_terminal())
    }

    /// The current leg of a known order: its number and Alpaca id.
    pub(crate) fn current_leg(&self, ours: &ClientOrderId) -> Option<(u32, BrokerOrderId)> {
        let tracked = self.orders.get(ours)?;
        let leg = tracked.legs.get(&tracked.current)?;
        Some((tracked.current, leg.broker_order_id.clone()))
    }

    /// The highest leg number known for the order (a replacement's number is one more).
    pub(crate) fn last_leg(&self, ours: &ClientOrderId) -> Option<u32> {
        self.orders
            .get(ours)
            .and_then(|tracked| tracked.legs.keys().next_back().copied())
    }

    /// Quantity filled on the legs before `leg` (as reported so far).
    pub(crate) fn filled_before(&self, ours: &ClientOrderId, leg: u32) -> Quantity {
        self.orders
            .get(ours)
            .map_or(Quantity::ZERO, |tracked| tracked.filled_before(leg))
    }

    /// Every known order that is not finished, with its current leg's Alpaca id.
    pub(crate) fn open_legs(&self) -> Vec<(ClientOrderId, BrokerOrderId)> {
        self.orders
            .iter()
            .filter(|(_, tracked)| !tracked.status.is_terminal())
            .filter_map(|(ours, tracked)| {
                let leg = tracked.legs.get(&tracked.current)?;
                Some((ours.clone(), leg.broker_order_id.clone()))
            })
            .collect()
    }

    /// The logical order as a report: Alpaca's `snapshot` of its current leg, plus what earlier
    /// legs filled.
    pub(crate) fn report(&self, snapshot: &LegSnapshot) -> OrderReport {
        let before = self.filled_before(&snapshot.ours, snapshot.leg);
        let mut report = snapshot.report();
        report.quantity = before
            .checked_add(snapshot.quantity)
            .unwrap_or(report.quantity);
        report.filled = before.checked_add(snapshot.filled).unwrap_or(report.filled);
        if !report.status.is_terminal() && report.filled.is_positive() {
            report.status = OrderStatus::PartiallyFilled;
        }
        report
    }

    /// Applies a trade update; returns the events it causes.
    pub(crate) fn on_update(&mut self, update: &Update) -> Vec<BrokerEvent> {
        let mut events = Vec::new();
        let snapshot = &update.snapshot;
        if self.is_finished(&snapshot.ours) {
            return events;
        }
        if self.is_history(snapshot) {
            self.adopt_history(snapshot);
            return events;
        }
        self.register(snapshot);
        let Some(tracked) = self.orders.get_mut(&snapshot.ours) else {
            return events;
        };
        let mut out = Out {
            ours: &snapshot.ours,
            events: &mut events,
        };
        match update.event {
            TradeEvent::Acknowledged => {
                out.accept(tracked, update.at);
                out.reconcile(tracked, snapshot, update.at);
            }
            TradeEvent::Execution => match &update.execution {
                Some(execution) => out.execution(tracked, snapshot, execution, update.at),
                None => out.reconcile(tracked, snapshot, update.at),
            },
            TradeEvent::Canceled | TradeEvent::Expired | TradeEvent::Rejected => {
                out.reconcile(tracked, snapshot, update.at);
                out.close(tracked, snapshot, update.event, update.at);
            }
            TradeEvent::Replaced => {
                out.reconcile(tracked, snapshot, update.at);
                out.replaced(tracked, snapshot.leg, update.at);
            }
            TradeEvent::Informational => out.reconcile(tracked, snapshot, update.at),
        }
        self.retire(&snapshot.ours);
        events
    }

    /// Applies an order snapshot read over REST (the catch-up after a reconnect); returns the
    /// events missed.
    pub(crate) fn on_snapshot(&mut self, snapshot: &LegSnapshot) -> Vec<BrokerEvent> {
        use apca::api::v2::order::Status;
        let event = match snapshot.alpaca_status {
            Status::Canceled => TradeEvent::Canceled,
            Status::Expired => TradeEvent::Expired,
            Status::Rejected => TradeEvent::Rejected,
            Status::Replaced => TradeEvent::Replaced,
            _ => TradeEvent::Acknowledged,
        };
        let update = Update {
            event,
            snapshot: snapshot.clone(),
            execution: None,
            at: snapshot.at,
        };
        let mut events = Vec::new();
        if self.is_finished(&snapshot.ours) {
            return events;
        }
        if self.is_history(snapshot) {
            self.adopt_history(snapshot);
            return events;
        }
        self.register(snapshot);
        if let Some(tracked) = self.orders.get_mut(&snapshot.ours) {
            let mut out = Out {
                ours: &snapshot.ours,
                events: &mut events,
            };
            // A snapshot proves Alpaca has the order, whatever its status now.
            if event != TradeEvent::Rejected {
                out.accept(tracked, update.at);
            }
        }
        events.extend(self.on_update(&update));
        events
    }

    fn entry(&mut self, snapshot: &LegSnapshot) -> &mut Tracked {
        self.orders
            .entry(snapshot.ours.clone())
            .or_insert_with(|| Tracked {
                symbol: snapshot.symbol,
                side: snapshot.side,
                status: OrderStatus::New,
                legs: BTreeMap::new(),
                current: snapshot.leg,
            })
    }

    /// Remembers a finished order, forgetting the oldest past [`FINISHED_KEPT`].
    fn retire(&mut self, ours: &ClientOrderId) {
        if !self.is_finished(ours) || self.finished.contains(ours) {
            return;
        }
        self.finished.push_back(ours.clone());
        while self.finished.len() > FINISHED_KEPT {
            if let Some(oldest) = self.finished.pop_front() {
                self.orders.remove(&oldest);
            }
        }
    }
}

#[cfg(test)]
mod tests;
