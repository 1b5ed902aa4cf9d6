//! What the manager knows of the account: positions, working orders and last prices per symbol.

use rustc_hash::FxHashMap;

use airlock_core::{ClientOrderId, Price, Quantity, Side, Symbol, UnixNanos};

use crate::rule::{Refusal, Rule};
use crate::rules::exposure::{Holding, Totals};
use crate::rules::price::Mark;

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    holding: Holding,
    mark: Option<Mark>,
}

#[derive(Debug, Clone, Copy)]
struct Working {
    slot: usize,
    side: Side,
    remaining: Quantity,
}

/// Positions, working orders and marks, one dense slot per symbol.
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    index: FxHashMap<Symbol, usize>,
    entries: Vec<(Symbol, Entry)>,
    working: FxHashMap<ClientOrderId, Working>,
}

impl Book {
    /// The slot of `symbol`, added if new.
    pub(crate) fn slot(&mut self, symbol: Symbol) -> usize {
        if let Some(&slot) = self.index.get(&symbol) {
            return slot;
        }
        let slot = self.entries.len();
        self.entries.push((symbol, Entry::default()));
        self.index.insert(symbol, slot);
        slot
    }

    fn entry(&self, symbol: Symbol) -> Option<&Entry> {
        let slot = *self.index.get(&symbol)?;
        self.entries.get(slot).map(|(_, entry)| entry)
    }

    fn entry_mut(&mut self, symbol: Symbol) -> Option<&mut Entry> {
        let slot = self.slot(symbol);
        self.entries.get_mut(slot).map(|(_, entry)| entry)
    }

    pub(crate) fn holding(&self, symbol: Symbol) -> Holding {
        self.entry(symbol)
            .map_or_else(Holding::default, |entry| entry.holding)
    }

    pub(crate) fn mark(&self, symbol: Symbol) -> Option<Mark> {
        self.entry(symbol).and_then(|entry| entry.mark)
    }

    /// Sets the mark of the symbol in `slot`; `false` if there is no such slot.
    #[inline]
    pub(crate) fn set_mark_at(&mut self, slot: usize, price: Price, at: UnixNanos) -> bool {
        match self.entries.get_mut(slot) {
            Some((_, entry)) => {
                entry.mark = Some(Mark { price, at });
                true
            }
            None => false,
        }
    }

    pub(crate) fn set_mark(&mut self, symbol: Symbol, price: Price, at: UnixNanos) {
        let slot = self.slot(symbol);
        self.set_mark_at(slot, price, at);
    }

    pub(crate) fn set_position(&mut self, symbol: Symbol, position: Quantity) {
        if let Some(entry) = self.entry_mut(symbol) {
            entry.holding.position = position;
        }
    }

    /// Adds an approved order as working.
    pub(crate) fn add_working(
        &mut self,
        id: ClientOrderId,
        symbol: Symbol,
        side: Side,
        quantity: Quantity,
    ) {
        let slot = self.slot(symbol);
        let Some((_, entry)) = self.entries.get_mut(slot) else {
            return;
        };
        let holding = &mut entry.holding;
        let working = match side {
            Side::Buy => &mut holding.working_buy,
            Side::Sell => &mut holding.working_sell,
        };
        *working = working.checked_add(quantity).unwrap_or(Quantity::MAX);
        self.working.insert(
            id,
            Working {
                slot,
                side,
                remaining: quantity,
            },
        );
    }

    /// Removes `quantity` of a working order (filled or closed).
    fn release(&mut self, id: &ClientOrderId, quantity: Option<Quantity>) {
        let Some(working) = self.working.get_mut(id) else {
            return;
        };
        let released = quantity.map_or(working.remaining, |quantity| {
            quantity.min(working.remaining)
        });
        working.remaining = working
            .remaining
            .checked_sub(released)
            .unwrap_or(Quantity::ZERO);
        let (index, side, done) = (working.slot, working.side, !working.remaining.is_positive());
        if done {
            self.working.remove(id);
        }
        if let Some((_, entry)) = self.entries.get_mut(index) {
            let slot = match side {
                Side::Buy => &mut entry.holding.working_buy,
                Side::Sell => &mut entry.holding.working_sell,
            };
            *slot = slot
                .checked_sub(released)
                .unwrap_or(Quantity::ZERO)
                .max(Quantity::ZERO);
        }
    }

    /// A fill: the position moves and the order's working quantity shrinks.
    pub(crate) fn fill(
        &mut self,
        id: &ClientOrderId,
        symbol: Symbol,
        side: Side,
        quantity: Quantity,
    ) {
        let slot = match self.working.get(id) {
            Some(working) => working.slot,
            None => self.slot(symbol),
        };
        self.release(id, Some(quantity));
        let Some((_, entry)) = self.entries.get_mut(slot) else {
            return;
        };
        let signed = match side {
            Side::Buy => Some(quantity),
            Side::Sell => quantity.checked_neg(),
        };
        if let Some(position) = signed.and_then(|signed| entry.holding.position.checked_add(signed))
        {
            entry.holding.position = position;
        }
    }

    /// An order that will not fill any more (filled, cancelled, expired, rejected).
    pub(crate) fn close(&mut self, id: &ClientOrderId) {
        self.release(id, None);
    }

    /// Exposure totals now and with `symbol` holding `after` instead. Every symbol with exposure
    /// must have a usable price.
    pub(crate) fn totals_with(
        &self,
        symbol: Symbol,
        after: &Holding,
        order_mark: Price,
    ) -> Result<(Totals, Totals), Refusal> {
        let mut before_totals = Totals::default();
        let mut after_totals = Totals::default();
        let overflow = || Refusal::new(Rule::MaxGrossExposure, "exposure arithmetic overflows");
        for (each, entry) in &self.entries {
            if *each == symbol {
                continue;
            }
            if entry.holding == Holding::default() {
                continue;
            }
            let price = match entry.mark {
                Some(mark) if mark.price.is_positive() => mark.price,
                _ => {
                    return Err(Refusal::new(
                        Rule::NoPrice,
                        format!("no usable price for {each} to value its exposure"),
                    ));
                }
            };
            before_totals
                .add(&entry.holding, price)
                .ok_or_else(overflow)?;
            after_totals
                .add(&entry.holding, price)
                .ok_or_else(overflow)?;
        }
        before_totals
            .add(&self.holding(symbol), order_mark)
            .ok_or_else(overflow)?;
        after_totals.add(after, order_mark).ok_or_else(overflow)?;
        Ok((before_totals, after_totals))
    }

    /// Σ worst |position| × price over symbols with a usable price (for reports and tests).
    pub(crate) fn gross_exposure(&self) -> Option<airlock_core::Money> {
        let mut totals = Totals::default();
        for (_, entry) in &self.entries {
            if entry.holding == Holding::default() {
                continue;
            }
            let mark = entry.mark.filter(|mark| mark.price.is_positive())?;
            totals.add(&entry.holding, mark.price)?;
        }
        Some(totals.gross)
    }
}
