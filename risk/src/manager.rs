//! [`RiskManager`]: the one gate every order passes, in every mode.

use std::collections::BTreeSet;

use airlock_core::{ClientOrderId, Fill, Money, OrderRequest, Price, Quantity, Symbol, UnixNanos};

use crate::approved::Approved;
use crate::book::Book;
use crate::event::{RiskEvent, RiskEventKind};
use crate::limits::RiskLimits;
use crate::rule::Refusal;
use crate::rules::flow::{Duplicates, Fingerprint, Throttles};
use crate::rules::loss::{DayTracker, loss_limits_judgeable};
use crate::rules::{access, exposure, price, size};
use crate::state::{TradingState, TransitionError, Trigger, next_state};

/// Pre-trade checks, trading state and the account picture they are judged on.
///
/// One manager per account. It starts **Halted**: no order passes until the runtime (or the
/// backtest) has reported positions, prices and equity and called [`RiskManager::confirm_state`].
/// It learns the account from the caller: [`on_price`](Self::on_price),
/// [`on_equity`](Self::on_equity), [`on_fill`](Self::on_fill),
/// [`on_order_closed`](Self::on_order_closed). Orders it approves count as working (towards
/// position and exposure limits) until they fill or close.
///
/// Every transition and every refusal is recorded as a [`RiskEvent`]; take them with
/// [`drain_events`](Self::drain_events).
#[derive(Debug, Clone)]
pub struct RiskManager {
    limits: RiskLimits,
    blocked: Option<BTreeSet<Symbol>>,
    state: TradingState,
    confirmed: bool,
    book: Book,
    day: DayTracker,
    /// The state the loss limits were last judged in.
    judged_in: Option<TradingState>,
    throttles: Throttles,
    duplicates: Duplicates,
    events: Vec<RiskEvent>,
}

impl RiskManager {
    /// A manager enforcing `limits`, in state Halted. Absent limits refuse every order.
    pub fn new(limits: RiskLimits) -> Self {
        let blocked = limits
            .blocked_symbols
            .as_ref()
            .map(|symbols| symbols.iter().copied().collect());
        Self {
            limits,
            blocked,
            state: TradingState::Halted,
            confirmed: false,
            book: Book::default(),
            day: DayTracker::default(),
            judged_in: None,
            throttles: Throttles::default(),
            duplicates: Duplicates::default(),
            events: Vec::new(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// The trading state.
    pub fn state(&self) -> TradingState {
        self.state
    }

    /// The runtime has reconciled its orders, positions and equity: Halted → Active. Allowed
    /// once; later, only an operator resumes.
    ///
    /// # Errors
    /// [`TransitionError`] when already confirmed (or the state is not Halted).
    pub fn confirm_state(
        &mut self,
        at: UnixNanos,
        reason: &str,
    ) -> Result<TradingState, TransitionError> {
        if self.confirmed {
            return Err(TransitionError {
                from: self.state,
                trigger: Trigger::StateConfirmed,
            });
        }
        let state = self.command(Trigger::StateConfirmed, at, reason)?;
        self.confirmed = true;
        Ok(state)
    }

    /// An explicit transition by an operator or the kill switch (`OperatorResume`,
    /// `OperatorReduce`, `OperatorHalt`), or a limit trigger raised by the caller. Recorded with
    /// `reason`.
    ///
    /// # Errors
    /// [`TransitionError`] when the table has no such transition; the state is unchanged.
    pub fn command(
        &mut self,
        trigger: Trigger,
        at: UnixNanos,
        reason: &str,
    ) -> Result<TradingState, TransitionError> {
        if trigger == Trigger::StateConfirmed && self.confirmed {
            return Err(TransitionError {
                from: self.state,
                trigger,
            });
        }
        let to = next_state(self.state, trigger).ok_or(TransitionError {
            from: self.state,
            trigger,
        })?;
        self.transition(to, trigger, at, reason.to_owned());
        Ok(to)
    }

    fn transition(&mut self, to: TradingState, trigger: Trigger, at: UnixNanos, reason: String) {
        let from = self.state;
        self.state = to;
        self.events.push(RiskEvent {
            at,
            kind: RiskEventKind::Transition {
                from,
                to,
                trigger,
                reason,
            },
        });
    }

    /// Replaces the blocked symbols list at run time (case does not matter).
    pub fn set_blocked_symbols(
        &mut self,
        symbols: impl IntoIterator<Item = Symbol>,
        at: UnixNanos,
    ) {
        let list: BTreeSet<Symbol> = symbols.into_iter().collect();
        self.events.push(RiskEvent {
            at,
            kind: RiskEventKind::BlockedSymbols {
                symbols: list.iter().copied().collect(),
            },
        });
        self.blocked = Some(list);
    }

    /// The last trade or quote price of `symbol`. A zero or negative price is kept as given (it
    /// blocks orders in that symbol); it never falls back to an earlier or default price.
    pub fn on_price(&mut self, symbol: Symbol, price: Price, at: UnixNanos) {
        self.book.set_mark(symbol, price, at);
    }

    /// A dense slot for `symbol`, for [`on_price_at`](Self::on_price_at) on a hot path.
    pub fn symbol_slot(&mut self, symbol: Symbol) -> usize {
        self.book.slot(symbol)
    }

    /// [`on_price`](Self::on_price) by the slot [`symbol_slot`](Self::symbol_slot) gave; `false`
    /// (nothing recorded) for a slot it did not give.
    #[inline]
    pub fn on_price_at(&mut self, slot: usize, price: Price, at: UnixNanos) -> bool {
        self.book.set_mark_at(slot, price, at)
    }

    /// The account's equity now. Judges the daily loss and drawdown limits, which may move the
    /// state to Reducing or Halted.
    pub fn on_equity(&mut self, equity: Money, at: UnixNanos) {
        // Same day and equity, and no transition since the limits were last judged: nothing to do.
        if !self.day.update(equity, at) && self.judged_in == Some(self.state) {
            return;
        }
        if let Some(limit) = self.limits.max_daily_loss
            && let Some(reason) = self.day.daily_loss_breach(limit)
            && let Some(to) = next_state(self.state, Trigger::DailyLossLimit)
        {
            self.transition(to, Trigger::DailyLossLimit, at, reason);
        }
        if let Some(fraction) = self.limits.max_drawdown_fraction
            && let Some(reason) = self.day.drawdown_breach(fraction)
            && let Some(to) = next_state(self.state, Trigger::DrawdownLimit)
        {
            self.transition(to, Trigger::DrawdownLimit, at, reason);
        }
        self.judged_in = Some(self.state);
    }

    /// A position known from the broker (at start, or after reconciliation).
    pub fn set_position(&mut self, symbol: Symbol, position: Quantity) {
        self.book.set_position(symbol, position);
    }

    /// A fill: moves the position and shrinks the order's working quantity.
    pub fn on_fill(&mut self, fill: &Fill) {
        self.book
            .fill(&fill.client_order_id, fill.symbol, fill.side, fill.quantity);
    }

    /// An order that will not fill any more (filled, cancelled, expired or rejected): its
    /// remaining quantity stops counting as working.
    pub fn on_order_closed(&mut self, id: &ClientOrderId) {
        self.book.close(id);
    }

    /// The position of `symbol` as the manager knows it.
    pub fn position(&self, symbol: Symbol) -> Quantity {
        self.book.holding(symbol).position
    }

    /// Gross exposure with working orders, at the last prices; `None` if a symbol with exposure
    /// has no usable price.
    pub fn gross_exposure(&self) -> Option<Money> {
        self.book.gross_exposure()
    }

    /// Judges `request` for `strategy` at `now`: the approved order, or the first rule that
    /// refuses it with its numbers. An approved order counts as working until it fills or closes.
    ///
    /// # Errors
    /// [`Refusal`] naming the rule; it is also recorded as an event.
    pub fn check(
        &mut self,
        request: OrderRequest,
        strategy: &str,
        now: UnixNanos,
    ) -> Result<Approved<OrderRequest>, Refusal> {
        let fingerprint = Fingerprint {
            symbol: request.symbol(),
            side: request.side(),
            kind: request.kind(),
            quantity: request.quantity(),
        };
        match self.judge(&request, &fingerprint, strategy, now) {
            Ok(()) => {
                self.throttles.record(strategy, now);
                self.duplicates.record(fingerprint, now);
                self.book.add_working(
                    request.client_order_id().clone(),
                    request.symbol(),
                    request.side(),
                    request.quantity(),
                );
                Ok(Approved::new(request))
            }
            Err(refusal) => {
                self.events.push(RiskEvent {
                    at: now,
                    kind: RiskEventKind::Refused {
                        client_order_id: request.client_order_id().clone(),
                        symbol: request.symbol(),
                        strategy: strategy.to_owned(),
                        rule: refusal.rule,
                        reason: refusal.reason.clone(),
                    },
                });
                Err(refusal)
            }
        }
    }

    fn judge(
        &mut self,
        request: &OrderRequest,
        fingerprint: &Fingerprint,
        strategy: &str,
        now: UnixNanos,
    ) -> Result<(), Refusal> {
        let limits = &self.limits;
        let (symbol, side, quantity, kind) = (
            request.symbol(),
            request.side(),
            request.quantity(),
            request.kind(),
        );
        access::trading_state(self.state)?;
        loss_limits_judgeable(
            limits.max_daily_loss,
            limits.max_drawdown_fraction,
            &self.day,
        )?;
        let holding = self.book.holding(symbol);
        access::reduce_only(
            self.state,
            request.is_reduce_only(),
            side,
            quantity,
            &holding,
        )?;
        access::blocked_symbol(self.blocked.as_ref(), symbol)?;
        access::session(limits.sessions.as_deref(), now)?;
        size::max_order_quantity(limits.max_order_quantity, quantity)?;
        let mark = price::usable_price(symbol, self.book.mark(symbol))?;
        price::fresh_price(limits.max_price_age_ms, symbol, mark, now)?;
        price::price_collar(limits.price_collar, kind, mark.price)?;
        let order_price = kind
            .limit_price()
            .or(kind.stop_price())
            .unwrap_or(mark.price);
        size::max_order_notional(limits.max_order_notional, order_price, quantity)?;
        let after = holding.with_order(side, quantity).ok_or_else(|| {
            Refusal::new(crate::Rule::MaxPosition, "position arithmetic overflows")
        })?;
        exposure::max_position(limits.max_position, &holding, &after)?;
        let (before, after) = self.book.totals_with(symbol, &after, mark.price)?;
        exposure::max_gross_exposure(limits.max_gross_exposure, &before, &after)?;
        exposure::max_net_exposure(limits.max_net_exposure, &before, &after)?;
        exposure::max_leverage(limits.max_leverage, self.day.equity(), &before, &after)?;
        self.duplicates
            .check(limits.duplicate_window_ms, fingerprint, now)?;
        self.throttles.check(
            limits.orders_per_second,
            limits.orders_per_minute,
            strategy,
            now,
        )
    }

    /// The events recorded so far, oldest first.
    #[inline]
    pub fn events(&self) -> &[RiskEvent] {
        &self.events
    }

    /// Takes the events recorded so far (to persist or count them), leaving none.
    pub fn drain_events(&mut self) -> Vec<RiskEvent> {
        std::mem::take(&mut self.events)
    }
}

#[cfg(test)]
pub(crate) mod tests;
