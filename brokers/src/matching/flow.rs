//! How liquidity reaches orders: an arriving order against the resting book, the `close` fill
//! model at submit time, and a candle against the working orders of its symbol.
//!
//! Free functions over one [`Book`] and the [`Ledger`], so the borrows of a symbol's book and of
//! the accounts stay disjoint.

use std::ops::Bound;

use airlock_core::{
    Candle, Liquidity, OrderEvent, OrderKind, Price, Quantity, Rate, TimeInForce, UnixNanos,
};

use super::book::{Book, Entry, compact, is_live};
use super::config::{EngineConfig, FillModel};
use super::ledger::{Ledger, is_working};
use super::prices;

pub(super) const REASON_IOC: &str = "ioc: the remainder did not fill on its first eligible bar";
pub(super) const REASON_FOK: &str = "fok: could not fill completely on its first eligible bar";
pub(super) const REASON_REDUCE_ONLY: &str =
    "reduce_only: the remainder would increase or flip the position";
pub(super) const REASON_DAY: &str = "day: the trading day it was eligible on has ended";

/// Takes an order off its ladder (call before changing its prices or after it finished).
pub(super) fn unrest(book: &mut Book, ledger: &mut Ledger, index: u32) {
    let Some(slot) = ledger.orders.get_mut(index) else {
        return;
    };
    if !slot.resting {
        return;
    }
    slot.resting = false;
    let (side, price) = (slot.side, slot.resting_price());
    if let Some(price) = price {
        book.ladder_mut(side).remove(price, &ledger.orders);
    }
}

/// Puts a working limit (or triggered stop-limit) at the back of its price level.
fn rest(book: &mut Book, ledger: &mut Ledger, index: u32) {
    let seq = ledger.next_seq();
    let Some(slot) = ledger.orders.get_mut(index) else {
        return;
    };
    let Some(price) = slot.resting_price() else {
        return;
    };
    if slot.resting || slot.is_terminal() {
        return;
    }
    slot.resting = true;
    slot.book_seq = seq;
    let side = slot.side;
    book.ladder_mut(side)
        .insert(price, Entry { order: index, seq });
}

fn is_terminal(ledger: &Ledger, index: u32) -> bool {
    ledger
        .orders
        .get(index)
        .is_none_or(super::ledger::OrderSlot::is_terminal)
}

/// What resting orders of other accounts, without reduce-only ones, offer to an arriving order
/// within its limit; counting stops once `needed` is reached.
fn available(book: &Book, ledger: &Ledger, index: u32, needed: Quantity) -> Quantity {
    let Some(slot) = ledger.orders.get(index) else {
        return Quantity::ZERO;
    };
    let ladder = match slot.side {
        airlock_core::Side::Buy => &book.asks,
        airlock_core::Side::Sell => &book.bids,
    };
    let bound = slot.resting_price().map(|limit| ladder.key(limit));
    let mut total = Quantity::ZERO;
    for (key, level) in &ladder.levels {
        if bound.is_some_and(|bound| *key > bound) || total >= needed {
            break;
        }
        for entry in &level.queue {
            let Some(resting) = ledger.orders.get(entry.order) else {
                continue;
            };
            if is_live(&ledger.orders, *entry)
                && resting.account != slot.account
                && !resting.reduce_only
            {
                total = total
                    .checked_add(resting.order.leaves())
                    .unwrap_or(Quantity::MAX);
            }
        }
    }
    total
}

/// Trades an arriving order against the opposite ladder: best price first, oldest first within a
/// price, at the resting order's price. Resting orders of the same account are skipped and keep
/// their place (self-trade prevention). A resting reduce-only order that can no longer trade is
/// cancelled on the way.
pub(super) fn match_ladder(book: &mut Book, ledger: &mut Ledger, index: u32, at: UnixNanos) {
    let Some(slot) = ledger.orders.get(index) else {
        return;
    };
    let (side, account) = (slot.side, slot.account);
    let limit = slot.resting_price();
    if limit.is_none() && slot.kind != OrderKind::Market {
        return;
    }
    let mut last_trade = None;
    let ladder = book.ladder_mut(side.opposite());
    let bound = limit.map(|limit| ladder.key(limit));
    // The last level visited that stayed on the ladder (it still holds orders the arriving one
    // may not trade with). Every level visited after it was emptied and dropped, so the next
    // level to visit is the first one after it, or the best one when there is none.
    let mut kept: Option<i64> = None;
    while ledger.capacity(index).is_positive() {
        let next = match kept {
            None => ladder.levels.first_key_value(),
            Some(kept) => ladder
                .levels
                .range((Bound::Excluded(kept), Bound::Unbounded))
                .next(),
        };
        let Some(key) = next.map(|(key, _)| *key) else {
            break;
        };
        if bound.is_some_and(|bound| key > bound) {
            break;
        }
        let price = ladder.price(key);
        let Some(level) = ladder.levels.get_mut(&key) else {
            break;
        };
        let mut position = 0;
        while let Some(&entry) = level.queue.get(position) {
            let want = ledger.capacity(index);
            if want.is_zero() {
                break;
            }
            let Some(resting) = ledger.orders.get(entry.order) else {
                position += 1;
                continue;
            };
            if !is_live(&ledger.orders, entry) || resting.account == account {
                position += 1;
                continue;
            }
            let quantity = want.min_of(ledger.capacity(entry.order));
            if quantity.is_positive() {
                ledger.fill(entry.order, quantity, price, Liquidity::Maker, at);
                ledger.fill(index, quantity, price, Liquidity::Taker, at);
                last_trade = Some(price);
            }
            let finished = is_terminal(ledger, entry.order);
            if !finished && ledger.capacity(entry.order).is_positive() {
                position += 1;
                continue;
            }
            if !finished {
                ledger.end(entry.order, OrderEvent::Cancel, REASON_REDUCE_ONLY, at);
            }
            if let Some(resting) = ledger.orders.get_mut(entry.order) {
                resting.resting = false;
            }
            level.live = level.live.saturating_sub(1);
        }
        if level.live == 0 {
            ladder.drop_level(key);
        } else {
            compact(level, &ledger.orders);
            kept = Some(key);
        }
    }
    if last_trade.is_some() {
        book.last_price = last_trade;
    }
}

/// Fills as much of an order at `price` as its capacity and the candle's remaining budget allow;
/// a FOK order that cannot fill completely is cancelled instead.
fn take(
    book: &mut Book,
    ledger: &mut Ledger,
    index: u32,
    (price, liquidity): (Price, Liquidity),
    at: UnixNanos,
) {
    let Some(slot) = ledger.orders.get(index) else {
        return;
    };
    let (leaves, filled, fok) = (
        slot.order.leaves(),
        slot.order.filled(),
        slot.time_in_force == TimeInForce::Fok,
    );
    let quantity = ledger.capacity(index).min_of(book.budget);
    if fok && quantity < leaves {
        ledger.end(index, OrderEvent::Cancel, REASON_FOK, at);
        return;
    }
    if quantity.is_positive() {
        ledger.fill(index, quantity, price, liquidity, at);
        let now_filled = ledger
            .orders
            .get(index)
            .map_or(filled, |slot| slot.order.filled());
        let done = now_filled.checked_sub(filled).unwrap_or(Quantity::ZERO);
        book.budget = book.budget.checked_sub(done).unwrap_or(Quantity::ZERO);
    }
}

/// An accepted (or re-priced) order arrives: it trades against the resting book, then, under the
/// `close` fill model, against the last close, and whatever is left of a limit rests.
pub(super) fn arrive(
    book: &mut Book,
    ledger: &mut Ledger,
    config: &EngineConfig,
    index: u32,
    at: UnixNanos,
) {
    let Some(slot) = ledger.orders.get(index) else {
        return;
    };
    let (side, kind, time_in_force) = (slot.side, slot.kind, slot.time_in_force);
    let immediate = matches!(time_in_force, TimeInForce::Ioc | TimeInForce::Fok);
    let all_or_nothing = time_in_force == TimeInForce::Fok;
    let capacity = ledger.capacity(index);
    if !all_or_nothing || available(book, ledger, index, capacity) >= capacity {
        match_ladder(book, ledger, index, at);
    }
    if is_terminal(ledger, index) {
        return;
    }
    if config.fill_model == FillModel::Close
        && let Some(close) = book.last_close
        && matches!(kind, OrderKind::Market | OrderKind::Limit { .. })
    {
        if let Some(fill) = prices::at_close(side, kind, close, config.slippage) {
            take(book, ledger, index, fill, at);
            finish_reduce_only(ledger, index, at);
        }
        if immediate && !is_terminal(ledger, index) {
            let reason = if all_or_nothing {
                REASON_FOK
            } else {
                REASON_IOC
            };
            ledger.end(index, OrderEvent::Cancel, reason, at);
        }
    }
    if !immediate && !is_terminal(ledger, index) {
        rest(book, ledger, index);
    }
}

/// Cancels a reduce-only order whose remainder can no longer trade without growing the position.
fn finish_reduce_only(ledger: &mut Ledger, index: u32, at: UnixNanos) {
    let stuck = ledger.orders.get(index).is_some_and(|slot| {
        slot.reduce_only && !slot.is_terminal() && ledger.capacity(index).is_zero()
    });
    if stuck {
        ledger.end(index, OrderEvent::Cancel, REASON_REDUCE_ONLY, at);
    }
}

/// A candle against the working orders of its symbol: first DAY orders of an earlier day
/// expire, then every working order trades in time priority under the participation budget.
pub(super) fn trade_candle(book: &mut Book, ledger: &mut Ledger, slippage: Rate, candle: &Candle) {
    let at = candle.ts();
    let day = at.day_index();
    for position in 0..book.working.len() {
        let Some(&entry) = book.working.get(position) else {
            break;
        };
        if !is_working(&ledger.orders, entry) {
            continue;
        }
        let Some(slot) = ledger.orders.get_mut(entry.order) else {
            continue;
        };
        if slot.time_in_force != TimeInForce::Day {
            continue;
        }
        match slot.day {
            None => slot.day = Some(day),
            Some(first) if first < day => {
                unrest(book, ledger, entry.order);
                ledger.end(entry.order, OrderEvent::Expire, REASON_DAY, at);
            }
            Some(_) => {}
        }
    }
    for position in 0..book.working.len() {
        let Some(&entry) = book.working.get(position) else {
            break;
        };
        if is_working(&ledger.orders, entry) {
            trade_one(book, ledger, slippage, entry.order, candle);
        }
    }
    book.working
        .retain(|entry| is_working(&ledger.orders, *entry));
}

/// One candle against one working order.
fn trade_one(book: &mut Book, ledger: &mut Ledger, slippage: Rate, index: u32, candle: &Candle) {
    let at = candle.ts();
    let Some(slot) = ledger.orders.get_mut(index) else {
        return;
    };
    let (side, kind, time_in_force) = (slot.side, slot.kind, slot.time_in_force);
    let outcome = prices::on_candle(side, kind, slot.triggered, candle, slippage);
    if outcome.triggered_now {
        slot.triggered = true;
    }
    // IOC and FOK get one bar: their first one, or for stops the bar the stop triggers on.
    let window = matches!(time_in_force, TimeInForce::Ioc | TimeInForce::Fok)
        && (outcome.triggered_now || matches!(kind, OrderKind::Market | OrderKind::Limit { .. }));
    if let Some(fill) = outcome.fill {
        take(book, ledger, index, fill, at);
        finish_reduce_only(ledger, index, at);
    }
    if is_terminal(ledger, index) {
        unrest(book, ledger, index);
        return;
    }
    if window {
        let reason = if time_in_force == TimeInForce::Fok {
            REASON_FOK
        } else {
            REASON_IOC
        };
        ledger.end(index, OrderEvent::Cancel, reason, at);
        unrest(book, ledger, index);
        return;
    }
    if outcome.triggered_now && matches!(kind, OrderKind::StopLimit { .. }) {
        // Triggered: from now on a limit order, which trades with crossing resting orders of
        // other accounts and then rests in the book.
        match_ladder(book, ledger, index, at);
        if !is_terminal(ledger, index) {
            rest(book, ledger, index);
        }
    }
}
