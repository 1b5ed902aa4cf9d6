//! The public face of the engine: accounts, symbols, submit, cancel, replace, candles, queries.

use airlock_core::{
    AccountId, AccountSnapshot, BrokerEvent, BrokerOrderId, Candle, ClientOrderId, Money, Order,
    OrderEvent, OrderKind, OrderReport, OrderRequest, OrderStatus, Position, Price, Quantity,
    ReplaceRequest, Side, Symbol, UnixNanos,
};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

use super::book::{Book, Entry};
use super::config::EngineConfig;
use super::error::{CancelError, ReplaceError, SubmitError};
use super::flow;
use super::ledger::{Account, Ledger, OrderSlot, broker_order_id};
use super::slab::Slab;

/// The dense index of a symbol inside one engine, handed out by [`MatchingEngine::slot`].
///
/// Feeding candles by slot skips the symbol lookup on the hot path. A slot is only meaningful for
/// the engine that issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolSlot(usize);

impl SymbolSlot {
    /// The index (0 for the first symbol registered, then 1, 2, …).
    pub const fn index(self) -> usize {
        self.0
    }
}

/// The internal matching engine: a price-time-priority book per symbol, per-account ledgers, and
/// candle-driven liquidity. Synchronous, deterministic, no I/O. See the [module
/// documentation](super) for the exact rules.
#[derive(Debug, Clone)]
pub struct MatchingEngine {
    config: EngineConfig,
    effective: EngineConfig,
    slots: FxHashMap<Symbol, usize>,
    /// The slot [`MatchingEngine::slot`] returned last: checked before hashing the symbol.
    recent: usize,
    books: Vec<Book>,
    ledger: Ledger,
}

impl MatchingEngine {
    /// An engine with no accounts and no symbols. Negative fee rates, minimum fees and slippage
    /// count as zero (see [`EngineConfig::validate`]).
    pub fn new(config: EngineConfig) -> Self {
        let effective = config.sanitized();
        Self {
            config,
            effective,
            slots: FxHashMap::default(),
            recent: 0,
            books: Vec::new(),
            ledger: Ledger {
                orders: Slab::new(),
                accounts: Vec::new(),
                events: Vec::new(),
                symbols: Vec::new(),
                working: Vec::new(),
                fees: effective.fees,
                seq: 0,
            },
        }
    }

    /// The configuration the engine was built with (as given).
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Opens an account with `cash` and returns its id (0, 1, 2, … in opening order).
    pub fn open_account(&mut self, cash: Money) -> AccountId {
        let id = AccountId(u32::try_from(self.ledger.accounts.len()).unwrap_or(u32::MAX));
        if id.0 != u32::MAX {
            self.ledger.accounts.push(Account::new(cash));
        }
        id
    }

    /// The slot of `symbol`, registering the symbol (with an empty book) on first use.
    pub fn slot(&mut self, symbol: Symbol) -> SymbolSlot {
        if self.ledger.symbols.get(self.recent) == Some(&symbol) {
            return SymbolSlot(self.recent);
        }
        if let Some(&index) = self.slots.get(&symbol) {
            self.recent = index;
            return SymbolSlot(index);
        }
        let index = self.books.len();
        self.books.push(Book::new());
        self.ledger.symbols.push(symbol);
        self.ledger.working.push(0);
        self.slots.insert(symbol, index);
        self.recent = index;
        SymbolSlot(index)
    }

    /// The slot of an already registered symbol, without registering it.
    pub fn find_slot(&self, symbol: Symbol) -> Option<SymbolSlot> {
        self.slots.get(&symbol).copied().map(SymbolSlot)
    }

    /// Submits an order for `account` at time `now`.
    ///
    /// Queues an `accepted` event, then trades the order at once against resting orders of other
    /// accounts, then (fill model `close`) against the symbol's last close; whatever is left of a
    /// limit rests in the book, and every working order waits for the symbol's next candle. A
    /// reduce-only order that would increase or flip the position is recorded as `rejected`,
    /// queues a `rejected` event and returns the error. An unknown account or a reused client
    /// order id returns the error without an event (there is no new order to report on).
    ///
    /// # Errors
    /// [`SubmitError`] naming the field: `account`, `client_order_id` or `reduce_only`.
    pub fn submit(
        &mut self,
        account: AccountId,
        request: OrderRequest,
        now: UnixNanos,
    ) -> Result<BrokerOrderId, SubmitError> {
        let too_many = SubmitError::TooManyOrders(u64::from(u32::MAX));
        let index = u32::try_from(self.ledger.orders.len()).map_err(|_| too_many.clone())?;
        if self.ledger.account(account).is_none() {
            return Err(SubmitError::UnknownAccount(account));
        }
        let slot = self.slot(request.symbol());
        let book = u32::try_from(slot.0).map_err(|_| too_many.clone())?;
        let Some(ledger_account) = self.ledger.accounts.get_mut(account.0 as usize) else {
            return Err(SubmitError::UnknownAccount(account));
        };
        if !ledger_account
            .ids
            .claim(request.client_order_id(), index, &self.ledger.orders)
        {
            return Err(SubmitError::DuplicateClientOrderId(
                request.client_order_id().clone(),
            ));
        }
        ledger_account.orders.push(index);
        let (side, kind, time_in_force) = (request.side(), request.kind(), request.time_in_force());
        let reduce_only = request.is_reduce_only();
        let position = self
            .ledger
            .account(account)
            .map_or(Quantity::ZERO, |account| account.position(book));
        let refusal = reduce_only
            .then(|| reduce_only_refusal(side, request.quantity(), position))
            .flatten();
        let mut order = Order::new(request, now);
        let event = match &refusal {
            Some(error) => OrderEvent::Reject {
                reason: error.to_string(),
            },
            None => OrderEvent::Accept,
        };
        let status = order.apply(event, now).unwrap_or(OrderStatus::Rejected);
        let pushed = self.ledger.orders.push(OrderSlot {
            order,
            account: account.0,
            book,
            side,
            kind,
            time_in_force,
            reduce_only,
            triggered: false,
            resting: false,
            priority: 0,
            book_seq: 0,
            day: None,
        });
        if pushed != Some(index) {
            return Err(too_many);
        }
        self.ledger.emit(
            index,
            status,
            refusal.as_ref().map(|error| Cow::Owned(error.to_string())),
            now,
        );
        if let Some(error) = refusal {
            return Err(error);
        }
        self.enqueue(index);
        if let Some(book) = self.books.get_mut(slot.0) {
            flow::arrive(book, &mut self.ledger, &self.effective, index, now);
        }
        Ok(broker_order_id(index))
    }

    /// Puts an order at the back of its symbol's time-priority list.
    fn enqueue(&mut self, index: u32) {
        let seq = self.ledger.next_seq();
        let Some(slot) = self.ledger.orders.get_mut(index) else {
            return;
        };
        let was_working = slot.priority != 0;
        slot.priority = seq;
        let book_index = slot.book as usize;
        if !was_working && let Some(count) = self.ledger.working.get_mut(book_index) {
            *count = count.saturating_add(1);
        }
        let live = self.ledger.working.get(book_index).copied().unwrap_or(0);
        if let Some(book) = self.books.get_mut(book_index) {
            book.push_working(Entry { order: index, seq }, live, &self.ledger.orders);
        }
    }

    /// The account's order `id` and its index, if it is still working.
    fn working_order(
        &self,
        account: AccountId,
        id: &ClientOrderId,
    ) -> Result<u32, (bool, Option<OrderStatus>)> {
        let ledger_account = self.ledger.account(account).ok_or((false, None))?;
        let index = ledger_account
            .ids
            .get(id, &self.ledger.orders)
            .ok_or((true, None))?;
        let status = self
            .ledger
            .orders
            .get(index)
            .map_or(OrderStatus::Rejected, |slot| slot.order.status());
        if status.is_terminal() {
            return Err((true, Some(status)));
        }
        Ok(index)
    }

    /// Cancels a working order; queues a `cancelled` event.
    ///
    /// # Errors
    /// [`CancelError`] for an unknown account or order, or an order that already finished.
    pub fn cancel(
        &mut self,
        account: AccountId,
        id: &ClientOrderId,
        now: UnixNanos,
    ) -> Result<(), CancelError> {
        let index = self
            .working_order(account, id)
            .map_err(|error| match error {
                (false, _) => CancelError::UnknownAccount(account),
                (true, None) => CancelError::UnknownOrder(id.clone()),
                (true, Some(status)) => CancelError::Finished {
                    id: id.clone(),
                    status,
                },
            })?;
        let book_index = self
            .ledger
            .orders
            .get(index)
            .map_or(0, |slot| slot.book as usize);
        if let Some(book) = self.books.get_mut(book_index) {
            flow::unrest(book, &mut self.ledger, index);
        }
        self.ledger
            .end(index, OrderEvent::Cancel, "cancelled by request", now);
        Ok(())
    }

    /// Changes the quantity, limit and/or stop of a working order and returns its new report.
    ///
    /// Lowering the quantity keeps the order's time priority. A price change or a higher
    /// quantity sends it to the back of the queue, and a re-priced limit then trades like a new
    /// arrival (against crossing resting orders, and under `close` against the last close).
    /// Queues an event with the unchanged status and the reason `replaced`. The core `Order`
    /// records the change as an `amend` of the quantity; its `request()` keeps the prices as
    /// first submitted, while [`OrderReport::kind`] shows the current ones.
    ///
    /// # Errors
    /// [`ReplaceError`] naming the field; a refused replace changes nothing.
    pub fn replace(
        &mut self,
        account: AccountId,
        id: &ClientOrderId,
        change: ReplaceRequest,
        now: UnixNanos,
    ) -> Result<OrderReport, ReplaceError> {
        let index = self
            .working_order(account, id)
            .map_err(|error| match error {
                (false, _) => ReplaceError::UnknownAccount(account),
                (true, None) => ReplaceError::UnknownOrder(id.clone()),
                (true, Some(status)) => ReplaceError::Finished {
                    id: id.clone(),
                    status,
                },
            })?;
        let Some(slot) = self.ledger.orders.get(index) else {
            return Err(ReplaceError::UnknownOrder(id.clone()));
        };
        let kind = replaced_kind(slot, change)?;
        let quantity = change.quantity.unwrap_or(slot.order.quantity());
        let filled = slot.order.filled();
        if quantity <= filled {
            return Err(ReplaceError::QuantityNotAboveFilled { quantity, filled });
        }
        let leaves = quantity.checked_sub(filled).unwrap_or(Quantity::ZERO);
        if slot.reduce_only {
            let position = self
                .ledger
                .account(account)
                .map_or(Quantity::ZERO, |account| account.position(slot.book));
            if reduce_only_refusal(slot.side, leaves, position).is_some() {
                return Err(ReplaceError::ReduceOnly { leaves, position });
            }
        }
        let loses_priority = kind != slot.kind || quantity > slot.order.quantity();
        let book_index = slot.book as usize;
        if loses_priority && let Some(book) = self.books.get_mut(book_index) {
            flow::unrest(book, &mut self.ledger, index);
        }
        let Some(slot) = self.ledger.orders.get_mut(index) else {
            return Err(ReplaceError::UnknownOrder(id.clone()));
        };
        let status = slot.order.apply(OrderEvent::Amend { quantity }, now)?;
        slot.kind = kind;
        self.ledger
            .emit(index, status, Some(Cow::Borrowed("replaced")), now);
        if loses_priority {
            self.enqueue(index);
            if let Some(book) = self.books.get_mut(book_index) {
                flow::arrive(book, &mut self.ledger, &self.effective, index, now);
            }
        }
        self.ledger
            .report(index)
            .ok_or_else(|| ReplaceError::UnknownOrder(id.clone()))
    }

    /// Feeds one candle of the symbol in `slot`. First DAY orders of an earlier trading day
    /// expire, then the candle trades against every working order of the symbol in time
    /// priority. With no working orders this only records the close (a few nanoseconds).
    #[inline]
    pub fn on_candle(&mut self, slot: SymbolSlot, candle: &Candle) {
        let Some(book) = self.books.get_mut(slot.0) else {
            return;
        };
        book.last_close = Some(candle.close());
        book.budget = self.effective.candle_budget(candle.volume());
        if self
            .ledger
            .working
            .get(slot.0)
            .is_some_and(|count| *count > 0)
        {
            flow::trade_candle(book, &mut self.ledger, self.effective.slippage, candle);
        }
        book.last_price = Some(candle.close());
    }

    /// Records `price` as the symbol's last close and last trade price without trading a bar, as
    /// a quote would: nothing fills, nothing expires, no event is queued. Under
    /// [`FillModel::Close`](super::FillModel::Close) a market order (or a limit marketable at
    /// `price`) submitted afterwards fills at once at `price`, in full: a price alone carries no
    /// volume, so the participation cap (which limits candle volume) does not apply to it. The
    /// next candle replaces the price and its budget. Working orders are evaluated only against
    /// later candles.
    pub fn set_last_price(&mut self, slot: SymbolSlot, price: Price) {
        if let Some(book) = self.books.get_mut(slot.0) {
            book.last_close = Some(price);
            book.last_price = Some(price);
            book.budget = Quantity::MAX;
        }
    }

    /// Appends every queued event, oldest first, to `out` and empties the queue.
    pub fn take_events(&mut self, out: &mut Vec<(AccountId, BrokerEvent)>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.ledger.events);
        } else {
            out.append(&mut self.ledger.events);
        }
    }

    /// True when events are waiting in the queue.
    pub fn has_events(&self) -> bool {
        !self.ledger.events.is_empty()
    }

    /// The account's cash (zero for an unknown account). Cash may be negative: the engine
    /// enforces no buying power; the backtest's pre-trade checks do.
    pub fn cash(&self, account: AccountId) -> Money {
        self.ledger
            .account(account)
            .map_or(Money::ZERO, |account| account.cash)
    }

    /// Total fees the account paid.
    pub fn fees_paid(&self, account: AccountId) -> Money {
        self.ledger
            .account(account)
            .map_or(Money::ZERO, |account| account.fees_paid)
    }

    /// The account's signed position in `symbol` (positive long, negative short).
    pub fn position(&self, account: AccountId, symbol: Symbol) -> Quantity {
        match (self.ledger.account(account), self.slots.get(&symbol)) {
            (Some(account), Some(&book)) => {
                account.position(u32::try_from(book).unwrap_or(u32::MAX))
            }
            _ => Quantity::ZERO,
        }
    }

    /// The account's non-flat positions with average price and realised P&L (before fees), in
    /// symbol registration order.
    pub fn positions(&self, account: AccountId) -> Vec<Position> {
        self.ledger
            .account(account)
            .map_or_else(Vec::new, |account| {
                account
                    .positions
                    .iter()
                    .filter(|position| !position.is_flat())
                    .cloned()
                    .collect()
            })
    }

    /// The account's working orders, in submission order.
    pub fn open_orders(&self, account: AccountId) -> Vec<OrderReport> {
        let Some(account) = self.ledger.account(account) else {
            return Vec::new();
        };
        account
            .orders
            .iter()
            .filter(|index| {
                self.ledger
                    .orders
                    .get(**index)
                    .is_some_and(|slot| !slot.is_terminal())
            })
            .filter_map(|index| self.ledger.report(*index))
            .collect()
    }

    /// The core lifecycle record (with its full history) of the account's order `id`, working
    /// or finished.
    pub fn order(&self, account: AccountId, id: &ClientOrderId) -> Option<&Order> {
        let index = self
            .ledger
            .account(account)?
            .ids
            .get(id, &self.ledger.orders)?;
        self.ledger.orders.get(index).map(|slot| &slot.order)
    }

    /// The broker-side report of the account's order `id` (current prices after replaces).
    pub fn report(&self, account: AccountId, id: &ClientOrderId) -> Option<OrderReport> {
        let index = self
            .ledger
            .account(account)?
            .ids
            .get(id, &self.ledger.orders)?;
        self.ledger.report(index)
    }

    /// The symbol's last trade price: the last book match or the last candle's close, whichever
    /// came later.
    pub fn last_price(&self, symbol: Symbol) -> Option<Price> {
        let book = self.books.get(*self.slots.get(&symbol)?)?;
        book.last_price
    }

    /// Cash plus every position marked at its symbol's last price.
    pub fn equity(&self, account: AccountId) -> Money {
        let Some(ledger_account) = self.ledger.account(account) else {
            return Money::ZERO;
        };
        let marked: Money = ledger_account
            .positions
            .iter()
            .zip(&self.books)
            .filter(|(position, _)| !position.is_flat())
            .map(|(position, book)| match book.last_price {
                Some(price) => price.notional(position.quantity()),
                None => position.cost(),
            })
            .sum();
        ledger_account.cash + marked
    }

    /// Cash, equity, fees and open positions of the account, stamped `now`.
    pub fn snapshot(&self, account: AccountId, now: UnixNanos) -> AccountSnapshot {
        AccountSnapshot {
            cash: self.cash(account),
            equity: self.equity(account),
            fees_paid: self.fees_paid(account),
            positions: self.positions(account),
            at: now,
        }
    }

    #[cfg(test)]
    pub(super) fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    #[cfg(test)]
    pub(super) fn books(&self) -> &[Book] {
        &self.books
    }
}

/// The error for a reduce-only order of `side` and `quantity` against `position`, if it would
/// increase or flip it.
fn reduce_only_refusal(side: Side, quantity: Quantity, position: Quantity) -> Option<SubmitError> {
    let reducible = match side {
        Side::Buy if position.is_negative() => position.checked_abs().unwrap_or(Quantity::MAX),
        Side::Sell if position.is_positive() => position,
        Side::Buy | Side::Sell => Quantity::ZERO,
    };
    let effect = if reducible.is_zero() {
        "increase it"
    } else if quantity > reducible {
        "flip it"
    } else {
        return None;
    };
    Some(SubmitError::ReduceOnly {
        side,
        quantity,
        position,
        effect,
    })
}

/// The order type after a replace, or why the change does not fit it.
fn replaced_kind(slot: &OrderSlot, change: ReplaceRequest) -> Result<OrderKind, ReplaceError> {
    if change == ReplaceRequest::default() {
        return Err(ReplaceError::Empty);
    }
    let not_applicable = |field| ReplaceError::NotApplicable {
        field,
        kind: slot.kind.as_str(),
    };
    for (field, value) in [("limit", change.limit), ("stop", change.stop)] {
        if let Some(value) = value.filter(|price| !price.is_positive()) {
            return Err(ReplaceError::NonPositivePrice { field, value });
        }
    }
    if change.stop.is_some() && slot.triggered {
        return Err(ReplaceError::StopTriggered);
    }
    match slot.kind {
        OrderKind::Market if change.limit.is_some() => Err(not_applicable("limit")),
        OrderKind::Market | OrderKind::Limit { .. } if change.stop.is_some() => {
            Err(not_applicable("stop"))
        }
        OrderKind::Stop { .. } if change.limit.is_some() => Err(not_applicable("limit")),
        OrderKind::Market => Ok(OrderKind::Market),
        OrderKind::Limit { limit } => Ok(OrderKind::Limit {
            limit: change.limit.unwrap_or(limit),
        }),
        OrderKind::Stop { stop } => Ok(OrderKind::Stop {
            stop: change.stop.unwrap_or(stop),
        }),
        OrderKind::StopLimit { stop, limit } => Ok(OrderKind::StopLimit {
            stop: change.stop.unwrap_or(stop),
            limit: change.limit.unwrap_or(limit),
        }),
    }
}
