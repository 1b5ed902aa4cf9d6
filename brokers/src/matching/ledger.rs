//! Orders and accounts: every order's lifecycle record, every account's cash, fees and positions,
//! and the event queue. All state changes of an order go through core's `Order::apply`.

use airlock_core::{
    AccountId, BrokerEvent, BrokerOrderId, ClientOrderId, Fill, Liquidity, Money, Order,
    OrderEvent, OrderKind, OrderReport, OrderStatus, Position, Price, Quantity, Side, Symbol,
    TimeInForce, UnixNanos,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hasher};

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::book::Entry as QueueEntry;
use super::config::FeeSchedule;
use super::slab::Slab;

/// The engine's record of one order.
#[derive(Debug, Clone)]
pub(super) struct OrderSlot {
    /// Core lifecycle record with the full history.
    pub(super) order: Order,
    pub(super) account: u32,
    pub(super) book: u32,
    pub(super) side: Side,
    /// Current type and prices (a replace changes them; `order.request()` keeps the original).
    pub(super) kind: OrderKind,
    pub(super) time_in_force: TimeInForce,
    pub(super) reduce_only: bool,
    /// The stop price traded through (stop and stop-limit orders).
    pub(super) triggered: bool,
    /// Sits on a ladder of its book, where incoming orders can hit it.
    pub(super) resting: bool,
    /// Sequence number of its entry in the working list (time priority for candles).
    pub(super) priority: u64,
    /// Sequence number of its entry on the ladder.
    pub(super) book_seq: u64,
    /// UTC day (days since the epoch) of the first candle it was eligible on: DAY orders expire
    /// on the first candle of a later day.
    pub(super) day: Option<u64>,
}

impl OrderSlot {
    /// The price it rests at on a ladder, if it is a limit (or a triggered stop-limit).
    pub(super) fn resting_price(&self) -> Option<Price> {
        match self.kind {
            OrderKind::Limit { limit } => Some(limit),
            OrderKind::StopLimit { limit, .. } if self.triggered => Some(limit),
            _ => None,
        }
    }

    pub(super) fn is_terminal(&self) -> bool {
        self.order.status().is_terminal()
    }
}

/// True when the working-list entry still refers to a non-terminal order at its place.
pub(super) fn is_working(orders: &Slab<OrderSlot>, entry: QueueEntry) -> bool {
    orders
        .get(entry.order)
        .is_some_and(|slot| slot.priority == entry.seq && !slot.is_terminal())
}

/// An account's client order ids, keyed by a 32-bit hash of the text so that lookups touch no
/// string unless the hash matches; a hit is confirmed against the order's own id. Two ids with the
/// same key are kept, text and all, in `collided`. Every id ever used stays here: reuse is
/// refused, and finished orders can still be looked up.
///
/// The table only grows, so it soon outgrows the caches; what keeps it fast is locality. Ids that
/// end in a decimal number (core's `{strategy}-{run}-{sequence}`, and most venues' counters) get
/// the hash of everything before the number plus the number itself, so consecutive ids of a run
/// get consecutive keys, and [`SequentialKeys`] puts consecutive keys in neighbouring buckets: a
/// new id lands next to the previous one, and the recent orders that cancels usually name share a
/// few cache lines. Other ids are hashed as a whole and scatter as in any hash table.
#[derive(Debug, Clone, Default)]
pub(super) struct IdIndex {
    by_hash: HashMap<u32, u32, SequentialKeys>,
    collided: FxHashMap<ClientOrderId, u32>,
}

/// Hashing for [`IdIndex`] keys, which are hashes already: the key itself in the low bits (they
/// choose the bucket, so neighbouring keys share cache lines) and a multiplicative mix of it in
/// the top seven bits (the tag the table filters candidates with).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SequentialKeys;

impl BuildHasher for SequentialKeys {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

/// See [`SequentialKeys`].
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used for `u32` keys; a plain multiplicative hash keeps it correct for anything.
        for byte in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*byte)).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }

    fn write_u32(&mut self, key: u32) {
        let key = u64::from(key);
        let tag = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) & 0xFE00_0000_0000_0000;
        self.0 = key | tag;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl IdIndex {
    /// The table key of an id: for an id ending in digits, the hash of the rest (and of the
    /// number of digits, so `o01` and `o1` differ) plus the number; otherwise the hash of the text.
    pub(super) fn hash(id: &ClientOrderId) -> u32 {
        let text = id.as_str().as_bytes();
        let digits = text
            .iter()
            .rev()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        let (prefix, number) = text.split_at(text.len().saturating_sub(digits));
        let number = number.iter().fold(0u32, |value, digit| {
            value
                .wrapping_mul(10)
                .wrapping_add(u32::from(digit.wrapping_sub(b'0')))
        });
        let wide = FxBuildHasher.hash_one((prefix, digits));
        let folded = (wide ^ (wide >> 32)) & u64::from(u32::MAX);
        u32::try_from(folded)
            .unwrap_or_default()
            .wrapping_add(number)
    }

    /// The index of the order with this id, if the account used it.
    pub(super) fn get(&self, id: &ClientOrderId, orders: &Slab<OrderSlot>) -> Option<u32> {
        if let Some(&index) = self.by_hash.get(&Self::hash(id))
            && orders
                .get(index)
                .is_some_and(|slot| slot.order.request().client_order_id() == id)
        {
            return Some(index);
        }
        if self.collided.is_empty() {
            return None;
        }
        self.collided.get(id).copied()
    }

    /// Claims `id` for the order about to be stored at `index`, in one probe of the table.
    /// Returns false, changing nothing, when the account already used the id.
    pub(super) fn claim(
        &mut self,
        id: &ClientOrderId,
        index: u32,
        orders: &Slab<OrderSlot>,
    ) -> bool {
        match self.by_hash.entry(Self::hash(id)) {
            Entry::Vacant(vacant) => {
                vacant.insert(index);
                true
            }
            Entry::Occupied(occupied) => {
                let same = orders
                    .get(*occupied.get())
                    .is_some_and(|slot| slot.order.request().client_order_id() == id);
                if same || self.collided.contains_key(id) {
                    return false;
                }
                self.collided.insert(id.clone(), index);
                true
            }
        }
    }
}

/// One participant's ledger.
#[derive(Debug, Clone)]
pub(super) struct Account {
    pub(super) cash: Money,
    pub(super) fees_paid: Money,
    /// Indexed by book (symbol slot); grown on the first fill in a symbol.
    pub(super) positions: Vec<Position>,
    pub(super) ids: IdIndex,
    /// Every order of the account, in submission order.
    pub(super) orders: Vec<u32>,
}

impl Account {
    pub(super) fn new(cash: Money) -> Self {
        Self {
            cash,
            fees_paid: Money::ZERO,
            positions: Vec::new(),
            ids: IdIndex::default(),
            orders: Vec::new(),
        }
    }

    pub(super) fn position(&self, book: u32) -> Quantity {
        self.positions
            .get(book as usize)
            .map_or(Quantity::ZERO, Position::quantity)
    }
}

/// Orders, accounts, and the event queue.
#[derive(Debug, Clone)]
pub(super) struct Ledger {
    pub(super) orders: Slab<OrderSlot>,
    pub(super) accounts: Vec<Account>,
    pub(super) events: Vec<(AccountId, BrokerEvent)>,
    /// Symbol of each book, by slot.
    pub(super) symbols: Vec<Symbol>,
    /// Non-terminal orders per book: zero means a candle has nothing to trade against.
    pub(super) working: Vec<u32>,
    pub(super) fees: FeeSchedule,
    /// Source of priority and ladder sequence numbers (strictly increasing).
    pub(super) seq: u64,
}

impl Ledger {
    pub(super) fn next_seq(&mut self) -> u64 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    pub(super) fn account(&self, account: AccountId) -> Option<&Account> {
        self.accounts.get(account.0 as usize)
    }

    /// The most this order can still fill: its leaves, cut for a reduce-only order to what
    /// closes the account's position without flipping it.
    pub(super) fn capacity(&self, index: u32) -> Quantity {
        let Some(slot) = self.orders.get(index) else {
            return Quantity::ZERO;
        };
        let leaves = slot.order.leaves();
        if !slot.reduce_only {
            return leaves;
        }
        let position = self
            .accounts
            .get(slot.account as usize)
            .map_or(Quantity::ZERO, |account| account.position(slot.book));
        let reducible = match slot.side {
            Side::Buy if position.is_negative() => position.checked_abs().unwrap_or(Quantity::MAX),
            Side::Sell if position.is_positive() => position,
            Side::Buy | Side::Sell => Quantity::ZERO,
        };
        leaves.min_of(reducible)
    }

    /// Executes `quantity` of an order at `price`: the order's state machine, the fee, the cash,
    /// the position and the fill event. Returns the order's new status. A fill the order or the
    /// position cannot take changes nothing and returns the status unchanged.
    pub(super) fn fill(
        &mut self,
        index: u32,
        quantity: Quantity,
        price: Price,
        liquidity: Liquidity,
        at: UnixNanos,
    ) -> OrderStatus {
        let fee_rate = self.fees.rate;
        let minimum = self.fees.minimum_per_order;
        let Some(slot) = self.orders.get_mut(index) else {
            return OrderStatus::Rejected;
        };
        let Some(account) = self.accounts.get_mut(slot.account as usize) else {
            return slot.order.status();
        };
        let book = slot.book as usize;
        let symbol = self.symbols.get(book).copied();
        while account.positions.len() <= book {
            let next = self.symbols.get(account.positions.len()).copied();
            let Some(next) = next else { break };
            account.positions.push(Position::flat(next));
        }
        let (Some(position), Some(symbol)) = (account.positions.get_mut(book), symbol) else {
            return slot.order.status();
        };
        // Check the position first, so the order and the ledger move together or not at all.
        let mut updated = position.clone();
        if updated.apply_fill(slot.side, quantity, price).is_none() {
            return slot.order.status();
        }
        let Ok(status) = slot.order.apply(OrderEvent::Fill { quantity, price }, at) else {
            return slot.order.status();
        };
        *position = updated;
        let notional = price.notional(quantity);
        // A zero rate (the default) skips the 128-bit multiply and division.
        let mut fee = if fee_rate.is_zero() {
            Money::ZERO
        } else {
            notional
                .checked_mul_rate(fee_rate)
                .unwrap_or(Money::ZERO)
                .max_of(Money::ZERO)
        };
        if slot.order.filled() == quantity {
            // The order's first fill carries the top-up to the minimum.
            fee = fee.max_of(minimum);
        }
        account.fees_paid += fee;
        match slot.side {
            Side::Buy => account.cash -= notional + fee,
            Side::Sell => account.cash += notional - fee,
        }
        let client_order_id = slot.order.request().client_order_id().clone();
        let fill = Fill {
            client_order_id: client_order_id.clone(),
            symbol,
            side: slot.side,
            price,
            quantity,
            fee,
            liquidity,
            at,
        };
        let event = BrokerEvent {
            client_order_id,
            status,
            fill: Some(fill),
            reason: None,
            at,
        };
        self.events.push((AccountId(slot.account), event));
        if status.is_terminal() {
            self.retire(index);
        }
        status
    }

    /// Ends a working order with `event` (cancel or expire) and queues the event with `reason`.
    /// Returns false when the order was already finished.
    pub(super) fn end(
        &mut self,
        index: u32,
        event: OrderEvent,
        reason: &'static str,
        at: UnixNanos,
    ) -> bool {
        let Some(slot) = self.orders.get_mut(index) else {
            return false;
        };
        let Ok(status) = slot.order.apply(event, at) else {
            return false;
        };
        self.emit(index, status, Some(Cow::Borrowed(reason)), at);
        self.retire(index);
        true
    }

    /// Queues a non-fill event for an order.
    pub(super) fn emit(
        &mut self,
        index: u32,
        status: OrderStatus,
        reason: Option<Cow<'static, str>>,
        at: UnixNanos,
    ) {
        if let Some(slot) = self.orders.get(index) {
            let event = BrokerEvent {
                client_order_id: slot.order.request().client_order_id().clone(),
                status,
                fill: None,
                reason,
                at,
            };
            self.events.push((AccountId(slot.account), event));
        }
    }

    /// Bookkeeping for an order that just became terminal.
    fn retire(&mut self, index: u32) {
        if let Some(slot) = self.orders.get(index)
            && let Some(count) = self.working.get_mut(slot.book as usize)
        {
            *count = count.saturating_sub(1);
        }
    }

    /// The broker-side report of an order.
    pub(super) fn report(&self, index: u32) -> Option<OrderReport> {
        let slot = self.orders.get(index)?;
        let request = slot.order.request();
        Some(OrderReport {
            client_order_id: request.client_order_id().clone(),
            broker_order_id: broker_order_id(index),
            symbol: request.symbol(),
            side: slot.side,
            kind: slot.kind,
            time_in_force: slot.time_in_force,
            quantity: slot.order.quantity(),
            filled: slot.order.filled(),
            status: slot.order.status(),
        })
    }
}

/// The engine's id of an order as the venue reports it: `sim-` and the internal index.
pub(super) fn broker_order_id(index: u32) -> BrokerOrderId {
    // Written by hand into a stack buffer (`format!` costs more than the rest of a resting
    // submit); a short id is stored inline, so this allocates nothing.
    let mut text = *b"sim-0000000000";
    let mut rest = index;
    let mut start = text.len();
    while let Some(digit) = start.checked_sub(1).and_then(|at| text.get_mut(at)) {
        *digit = b'0' + u8::try_from(rest % 10).unwrap_or(0);
        start -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // Keep "sim-" and the digits written, dropping the unused zeros between them.
    text.copy_within(start.., 4);
    let len = text.len() - start + 4;
    let written = text.get(..len).unwrap_or_default();
    BrokerOrderId::copied(std::str::from_utf8(written).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::{IdIndex, broker_order_id};
    use crate::matching::{EngineConfig, MatchingEngine};
    use airlock_core::{
        ClientOrderId, Money, OrderKind, OrderRequest, Quantity, Side, Symbol, TimeInForce,
        UnixNanos,
    };
    use std::hash::BuildHasher;

    #[test]
    fn colliding_hashes_keep_both_ids_and_still_refuse_duplicates() {
        let mut engine = MatchingEngine::new(EngineConfig::default());
        let account = engine.open_account(Money::ZERO);
        let id = |text: &str| ClientOrderId::parse(text).unwrap();
        for text in ["a", "b"] {
            let request = OrderRequest::new(
                id(text),
                Symbol::parse("AAPL").unwrap(),
                Side::Buy,
                OrderKind::Market,
                Quantity::ONE,
                TimeInForce::Gtc,
            )
            .unwrap();
            engine.submit(account, request, UnixNanos::new(0)).unwrap();
        }
        let orders = &engine.ledger().orders;
        // Pretend "b" hashes like "a": its slot in the table already holds order 0 ("a").
        let mut index = IdIndex::default();
        index.by_hash.insert(IdIndex::hash(&id("b")), 0);
        assert!(index.claim(&id("b"), 1, orders));
        assert_eq!(index.get(&id("b"), orders), Some(1));
        assert!(
            !index.claim(&id("b"), 2, orders),
            "a duplicate in the collision map"
        );
        assert_eq!(index.get(&id("c"), orders), None);
    }

    #[test]
    fn consecutive_ids_get_consecutive_keys_and_leading_zeros_count() {
        let key = |text: &str| IdIndex::hash(&ClientOrderId::parse(text).unwrap());
        let base = key("sma_cross-r7-1000");
        for step in 1..100u32 {
            assert_eq!(
                key(&format!("sma_cross-r7-{}", 1000 + step)),
                base.wrapping_add(step)
            );
        }
        assert_ne!(key("o01"), key("o1"));
        assert_ne!(key("a-1"), key("b-1"));
        assert_ne!(key("alpha"), key("beta"));
        // Neighbouring keys land in neighbouring buckets; the tag bits still vary.
        let bucket = |key: u32| super::SequentialKeys.hash_one(key);
        assert_eq!(
            bucket(base.wrapping_add(1)) & 0xFFFF_FFFF,
            u64::from(base.wrapping_add(1))
        );
        assert!(
            (0..64u32)
                .map(|step| bucket(base.wrapping_add(step)) >> 57)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 16
        );
    }

    #[test]
    fn many_sequential_ids_are_claimed_once_and_found() {
        let mut engine = MatchingEngine::new(EngineConfig::default());
        let account = engine.open_account(Money::ZERO);
        let limit = OrderKind::Limit {
            limit: "1".parse().unwrap(),
        };
        for sequence in 0..5_000 {
            let request = OrderRequest::new(
                ClientOrderId::parse(&format!("s-r-{sequence}")).unwrap(),
                Symbol::parse("AAPL").unwrap(),
                Side::Buy,
                limit,
                Quantity::ONE,
                TimeInForce::Gtc,
            )
            .unwrap();
            engine
                .submit(account, request.clone(), UnixNanos::new(0))
                .unwrap();
            assert!(engine.submit(account, request, UnixNanos::new(0)).is_err());
        }
        for sequence in (0..5_000).step_by(7) {
            let id = ClientOrderId::parse(&format!("s-r-{sequence}")).unwrap();
            assert_eq!(
                engine
                    .order(account, &id)
                    .unwrap()
                    .request()
                    .client_order_id(),
                &id
            );
            let padded = ClientOrderId::parse(&format!("s-r-0{sequence}")).unwrap();
            assert!(engine.order(account, &padded).is_none());
        }
    }

    #[test]
    fn broker_order_ids_are_the_decimal_index() {
        for index in [0, 7, 10, 4_096, u32::MAX] {
            assert_eq!(broker_order_id(index).as_str(), format!("sim-{index}"));
        }
    }
}
