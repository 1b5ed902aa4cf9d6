//! How a [`Book`](super::Book) turns what Alpaca says about one order into events: the
//! lifecycle-preserving emission rules and the catch-up price.

use std::borrow::Cow;

use airlock_core::{
    BrokerEvent, ClientOrderId, Fill, Liquidity, Money, OrderStatus, Price, Quantity, UnixNanos,
};

use super::{CATCH_UP_REASON, Execution, REPLACED_REASON, Tracked};
use crate::alpaca::convert::LegSnapshot;
use crate::alpaca::status::TradeEvent;

/// Where the events of one order go.
pub(super) struct Out<'a> {
    pub(super) ours: &'a ClientOrderId,
    pub(super) events: &'a mut Vec<BrokerEvent>,
}

impl Out<'_> {
    fn push(
        &mut self,
        tracked: &mut Tracked,
        status: OrderStatus,
        fill: Option<Fill>,
        reason: Option<Cow<'static, str>>,
        at: UnixNanos,
    ) {
        tracked.status = status;
        self.events.push(BrokerEvent {
            client_order_id: self.ours.clone(),
            status,
            fill,
            reason,
            at,
        });
    }

    pub(super) fn accept(&mut self, tracked: &mut Tracked, at: UnixNanos) {
        if tracked.status == OrderStatus::New {
            self.push(tracked, OrderStatus::Accepted, None, None, at);
        }
    }

    /// Reports `quantity` at `price` on `leg`.
    fn fill(
        &mut self,
        tracked: &mut Tracked,
        leg: u32,
        quantity: Quantity,
        price: Price,
        reason: Option<Cow<'static, str>>,
        at: UnixNanos,
    ) {
        if !quantity.is_positive() || tracked.status.is_terminal() {
            return;
        }
        self.accept(tracked, at);
        let Some(state) = tracked.legs.get_mut(&leg) else {
            return;
        };
        state.filled = state.filled.checked_add(quantity).unwrap_or(state.filled);
        state.notional = state
            .notional
            .saturating_add(i128::from(price.raw()) * i128::from(quantity.raw()));
        let fill = Fill {
            client_order_id: self.ours.clone(),
            symbol: tracked.symbol,
            side: tracked.side,
            price,
            quantity,
            fee: Money::ZERO,
            liquidity: Liquidity::Taker,
            at,
        };
        let status = tracked.working_status();
        self.push(tracked, status, Some(fill), reason, at);
    }

    /// A stream execution: the gap before it (if updates were lost), then the execution itself.
    pub(super) fn execution(
        &mut self,
        tracked: &mut Tracked,
        snapshot: &LegSnapshot,
        execution: &Execution,
        at: UnixNanos,
    ) {
        let Some(state) = tracked.legs.get(&snapshot.leg) else {
            return;
        };
        if let Some(id) = &execution.id
            && state.executions.contains(id)
        {
            return;
        }
        let reported = state.filled;
        let reported_notional = state.notional;
        if let Some(id) = &execution.id
            && let Some(state) = tracked.legs.get_mut(&snapshot.leg)
        {
            state.executions.push(id.clone());
        }
        let Some(gap) = snapshot.filled.checked_sub(reported) else {
            return;
        };
        if !gap.is_positive() {
            // Already reported, by the catch-up or an earlier copy of this update.
            return;
        }
        let own = execution.quantity.min_of(gap);
        if let Some(missed) = gap.checked_sub(own).filter(|missed| missed.is_positive()) {
            let own_notional = i128::from(execution.price.raw()) * i128::from(own.raw());
            let price = derived_price(
                snapshot.average_price.unwrap_or(execution.price),
                snapshot.filled,
                reported_notional.saturating_add(own_notional),
                missed,
            );
            self.fill(
                tracked,
                snapshot.leg,
                missed,
                price,
                Some(Cow::Borrowed(CATCH_UP_REASON)),
                at,
            );
        }
        self.fill(tracked, snapshot.leg, own, execution.price, None, at);
    }

    /// Reports, as one catch-up fill, whatever `snapshot` shows filled beyond what was reported.
    pub(super) fn reconcile(
        &mut self,
        tracked: &mut Tracked,
        snapshot: &LegSnapshot,
        at: UnixNanos,
    ) {
        let Some(state) = tracked.legs.get(&snapshot.leg) else {
            return;
        };
        let Some(missed) = snapshot
            .filled
            .checked_sub(state.filled)
            .filter(|missed| missed.is_positive())
        else {
            return;
        };
        let Some(average) = snapshot.average_price else {
            tracing::warn!(
                client_order_id = %self.ours,
                "alpaca reports a fill without filled_avg_price; it is priced at zero"
            );
            self.fill(
                tracked,
                snapshot.leg,
                missed,
                Price::ZERO,
                Some(Cow::Borrowed(CATCH_UP_REASON)),
                at,
            );
            return;
        };
        let price = derived_price(average, snapshot.filled, state.notional, missed);
        self.fill(
            tracked,
            snapshot.leg,
            missed,
            price,
            Some(Cow::Borrowed(CATCH_UP_REASON)),
            at,
        );
    }

    /// `canceled`, `expired` or `rejected` of a leg.
    pub(super) fn close(
        &mut self,
        tracked: &mut Tracked,
        snapshot: &LegSnapshot,
        event: TradeEvent,
        at: UnixNanos,
    ) {
        if tracked.status.is_terminal() {
            return;
        }
        if event == TradeEvent::Rejected {
            if let Some(state) = tracked.legs.get_mut(&snapshot.leg) {
                state.rejected = true;
            }
            if snapshot.leg > 0 && snapshot.leg == tracked.current {
                // A replacement Alpaca refused: the previous leg carries the order again.
                let previous = tracked
                    .legs
                    .iter()
                    .rev()
                    .find(|(number, leg)| **number < snapshot.leg && !leg.rejected)
                    .map(|(number, _)| *number);
                if let Some(previous) = previous {
                    tracked.current = previous;
                }
                tracing::warn!(
                    client_order_id = %self.ours,
                    leg = snapshot.leg,
                    "alpaca rejected the replacement; the previous order stays in force"
                );
                return;
            }
        }
        if snapshot.leg != tracked.current {
            return;
        }
        let (status, reason) = match event {
            TradeEvent::Canceled => (OrderStatus::Cancelled, "canceled at Alpaca"),
            TradeEvent::Expired => (OrderStatus::Expired, "expired at Alpaca"),
            _ => (OrderStatus::Rejected, "rejected by Alpaca"),
        };
        if status == OrderStatus::Rejected && tracked.status != OrderStatus::New {
            // Our lifecycle rejects only from `new`; a working order Alpaca drops is cancelled.
            self.push(
                tracked,
                OrderStatus::Cancelled,
                None,
                Some(Cow::Borrowed("rejected by Alpaca after it was accepted")),
                at,
            );
            return;
        }
        self.push(tracked, status, None, Some(Cow::Borrowed(reason)), at);
    }

    /// `replaced` of a leg: one event with the order's unchanged status, once.
    pub(super) fn replaced(&mut self, tracked: &mut Tracked, leg: u32, at: UnixNanos) {
        let Some(state) = tracked.legs.get_mut(&leg) else {
            return;
        };
        if state.replaced {
            return;
        }
        state.replaced = true;
        if tracked.status.is_terminal() {
            return;
        }
        self.accept(tracked, at);
        let status = tracked.status;
        self.push(
            tracked,
            status,
            None,
            Some(Cow::Borrowed(REPLACED_REASON)),
            at,
        );
    }
}

/// The price of `missed` so that a leg's notional reaches `average × cumulative`, rounded half
/// away from zero to 10⁻⁹.
pub(super) fn derived_price(
    average: Price,
    cumulative: Quantity,
    reported: i128,
    missed: Quantity,
) -> Price {
    let total = i128::from(average.raw()) * i128::from(cumulative.raw());
    let rest = total.saturating_sub(reported);
    let divisor = i128::from(missed.raw());
    if divisor <= 0 {
        return average;
    }
    let quotient = rest / divisor;
    let remainder = rest % divisor;
    let rounded = if remainder.unsigned_abs() * 2 >= divisor.unsigned_abs() {
        if rest < 0 { quotient - 1 } else { quotient + 1 }
    } else {
        quotient
    };
    i64::try_from(rounded).map_or(average, Price::from_raw)
}
