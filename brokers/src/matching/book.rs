//! One symbol's book: two price ladders of resting limit orders, plus the time-priority list of
//! every working order that candles trade against.
//!
//! Deletion is lazy. A queue entry is live only while its order is still resting with the same
//! sequence number; a cancel or a replace just marks the order and decrements the level's live
//! count, and a level whose live count reaches zero leaves the ladder at once, so the best level
//! is always a live one. Dead entries are dropped when they reach the front of a queue or when a
//! queue holds many more dead entries than live ones. Emptied queues are recycled, so a steady
//! stream of adds and cancels does not allocate.

use std::collections::{BTreeMap, VecDeque};

use airlock_core::{Price, Quantity, Side};

use super::ledger::OrderSlot;
use super::slab::Slab;

/// A reference from a queue to an order, valid while the order's sequence number still matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) order: u32,
    pub(super) seq: u64,
}

/// All resting orders at one price, oldest first.
#[derive(Debug, Clone, Default)]
pub(super) struct Level {
    pub(super) queue: VecDeque<Entry>,
    pub(super) live: u32,
}

/// One side of a book. Keys are signed so that the best level is always the first one: the price
/// for asks (lowest first), the negated price for bids (highest first). Prices of resting orders
/// are positive, so negation never overflows.
#[derive(Debug, Clone)]
pub(super) struct Ladder {
    pub(super) levels: BTreeMap<i64, Level>,
    negate: bool,
    pool: Vec<VecDeque<Entry>>,
}

impl Ladder {
    fn new(side: Side) -> Self {
        Self {
            levels: BTreeMap::new(),
            negate: matches!(side, Side::Buy),
            pool: Vec::new(),
        }
    }

    /// The ordering key of `price` on this ladder.
    pub(super) fn key(&self, price: Price) -> i64 {
        if self.negate {
            price.raw().saturating_neg()
        } else {
            price.raw()
        }
    }

    /// The price of a key of this ladder.
    pub(super) fn price(&self, key: i64) -> Price {
        Price::from_raw(if self.negate {
            key.saturating_neg()
        } else {
            key
        })
    }

    /// Appends an order at the back of its price level.
    pub(super) fn insert(&mut self, price: Price, entry: Entry) {
        let key = self.key(price);
        let pool = &mut self.pool;
        let level = self.levels.entry(key).or_insert_with(|| Level {
            queue: pool.pop().unwrap_or_default(),
            live: 0,
        });
        level.queue.push_back(entry);
        level.live = level.live.saturating_add(1);
    }

    /// Forgets one live order at `price` (already marked as no longer resting). Removes the level
    /// when it was the last live one there.
    pub(super) fn remove(&mut self, price: Price, orders: &Slab<OrderSlot>) {
        let key = self.key(price);
        let Some(level) = self.levels.get_mut(&key) else {
            return;
        };
        level.live = level.live.saturating_sub(1);
        if level.live == 0 {
            self.drop_level(key);
        } else {
            compact(level, orders);
        }
    }

    /// Removes a level and recycles its queue.
    pub(super) fn drop_level(&mut self, key: i64) {
        if let Some(mut level) = self.levels.remove(&key) {
            level.queue.clear();
            self.pool.push(level.queue);
        }
    }

    /// Live orders on this ladder, best price first and oldest first within a price.
    #[cfg(test)]
    pub(super) fn live_orders<'a>(
        &'a self,
        orders: &'a Slab<OrderSlot>,
    ) -> impl Iterator<Item = u32> + 'a {
        self.levels
            .values()
            .flat_map(|level| level.queue.iter())
            .filter(|entry| is_live(orders, **entry))
            .map(|entry| entry.order)
    }
}

/// True when the queue entry still refers to a resting order at its place.
pub(super) fn is_live(orders: &Slab<OrderSlot>, entry: Entry) -> bool {
    orders
        .get(entry.order)
        .is_some_and(|slot| slot.resting && slot.book_seq == entry.seq)
}

/// Drops dead entries at the front, and all of them once they outnumber the live ones.
pub(super) fn compact(level: &mut Level, orders: &Slab<OrderSlot>) {
    while level
        .queue
        .front()
        .is_some_and(|entry| !is_live(orders, *entry))
    {
        level.queue.pop_front();
    }
    let live = level.live as usize;
    if level.queue.len() > 2 * live + 16 {
        level.queue.retain(|entry| is_live(orders, *entry));
    }
}

/// Everything the engine keeps per symbol.
#[derive(Debug, Clone)]
pub(super) struct Book {
    /// Resting buy limits.
    pub(super) bids: Ladder,
    /// Resting sell limits.
    pub(super) asks: Ladder,
    /// Every working order of the symbol in time priority (dead entries are skipped and compacted).
    pub(super) working: Vec<Entry>,
    /// Close of the last candle.
    pub(super) last_close: Option<Price>,
    /// Price of the last trade: a book match or the last candle's close, whichever came later.
    pub(super) last_price: Option<Price>,
    /// What the last candle can still fill under the participation cap.
    pub(super) budget: Quantity,
}

impl Book {
    pub(super) fn new() -> Self {
        Self {
            bids: Ladder::new(Side::Buy),
            asks: Ladder::new(Side::Sell),
            working: Vec::new(),
            last_close: None,
            last_price: None,
            budget: Quantity::ZERO,
        }
    }

    /// The ladder a resting order of `side` sits on.
    pub(super) fn ladder_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Appends an order to the time-priority list, compacting the list when dead entries
    /// dominate (a symbol that sees many cancels and few candles).
    pub(super) fn push_working(&mut self, entry: Entry, live: u32, orders: &Slab<OrderSlot>) {
        if self.working.len() > 2 * live as usize + 64 {
            self.working
                .retain(|entry| super::ledger::is_working(orders, *entry));
        }
        self.working.push(entry);
    }
}
