//! The replay loop: candles → matching engine → strategy → sizing → risk → matching engine.

use std::collections::BTreeMap;

use airlock_brokers::matching::{MatchingEngine, SymbolSlot};
use airlock_core::{
    AccountId, BrokerEvent, Candle, ClientOrderId, Fill, IdError, Money, OrderKind, OrderRequest,
    OrderStatus, PortfolioView, Price, Quantity, Side, Signal, Strategy, Symbol, Target,
    TimeInForce, UnixNanos,
};
use airlock_risk::{Approved, RiskEvent, RiskEventKind, RiskManager, Rule};
use rustc_hash::FxHashMap;
use thiserror::Error;

use crate::config::BacktestConfig;
use crate::result::{BacktestResult, OrderRecord};
use crate::series::{Merge, Series};

/// Why a backtest could not run at all. (Refused or rejected orders are results, not errors.)
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BacktestError {
    /// No candles in any series.
    #[error("no candles to replay")]
    NoCandles,
    /// The same symbol given twice.
    #[error("symbol {0} is given more than once")]
    DuplicateSymbol(Symbol),
    /// A series that is not strictly ascending in time.
    #[error("{symbol}: candle at {ts} is not after the one before it")]
    NotAscending {
        /// The symbol.
        symbol: Symbol,
        /// The offending timestamp.
        ts: UnixNanos,
    },
    /// The run id cannot be part of a client order id.
    #[error("run id {run_id:?} cannot form client order ids: {source}")]
    RunId {
        /// The run id given.
        run_id: String,
        /// Why.
        source: IdError,
    },
}

/// Per-symbol state of the replay.
struct SlotState {
    symbol: Symbol,
    engine_slot: SymbolSlot,
    risk_slot: usize,
    position: Quantity,
    last_close: Option<Price>,
    entry_order: Option<ClientOrderId>,
    stop_order: Option<(ClientOrderId, Price, Quantity)>,
    wanted_stop: Option<Price>,
}

struct Replay<'a> {
    config: &'a BacktestConfig,
    engine: MatchingEngine,
    account: AccountId,
    slots: Vec<SlotState>,
    by_symbol: BTreeMap<Symbol, usize>,
    strategy_name: &'static str,
    sequence: u64,
    orders: Vec<OrderRecord>,
    order_index: FxHashMap<ClientOrderId, usize>,
    fills: Vec<Fill>,
    refusals: BTreeMap<&'static str, u64>,
    risk: RiskManager,
    risk_confirmed: bool,
    transitions: Vec<RiskEvent>,
    events: Vec<(AccountId, BrokerEvent)>,
    open_positions: usize,
}

/// Replays `series` through `strategy`, a [`RiskManager`] built from `config.risk` and the
/// matching engine. The manager starts Halted and is confirmed at the first bar (the account is
/// flat and holds its initial cash); it sees every close, fill and equity point, and only the
/// orders it approves reach the engine.
///
/// `progress`, if given, is called with (bars done, bars in total) every 65,536 bars and at the
/// end.
///
/// # Errors
/// [`BacktestError`] when there is nothing to replay, a symbol repeats, a series is not ascending,
/// or the run id cannot form client order ids.
pub fn run(
    series: &[Series],
    strategy: &mut dyn Strategy,
    config: &BacktestConfig,
    mut progress: Option<&mut dyn FnMut(u64, u64)>,
) -> Result<BacktestResult, BacktestError> {
    let total: u64 = series.iter().map(|one| one.candles.len() as u64).sum();
    if total == 0 {
        return Err(BacktestError::NoCandles);
    }
    ClientOrderId::derive(strategy.name(), &config.run_id, 0).map_err(|source| {
        BacktestError::RunId {
            run_id: config.run_id.clone(),
            source,
        }
    })?;
    let mut replay = Replay::new(series, strategy.name(), config)?;
    let mut merge = Merge::new(series);
    let mut signals: Vec<Signal> = Vec::new();
    let mut equity = Vec::with_capacity(
        series
            .iter()
            .map(|one| one.candles.len())
            .max()
            .unwrap_or(0),
    );
    let mut in_market = Vec::with_capacity(equity.capacity());
    let mut bars: u64 = 0;
    while let Some((slot, candle)) = merge.next_bar() {
        replay.on_bar(slot, candle, strategy, &mut signals);
        bars += 1;
        if merge.peek_ts() != Some(candle.ts()) {
            let now = replay.equity();
            replay.risk.on_equity(now, candle.ts());
            replay.collect_risk_events();
            equity.push((candle.ts(), now));
            in_market.push(replay.open_positions > 0);
        }
        if bars & 0xFFFF == 0
            && let Some(report) = progress.as_mut()
        {
            report(bars, total);
        }
    }
    if let Some(report) = progress.as_mut() {
        report(bars, total);
    }
    Ok(replay.finish(equity, in_market, bars))
}

impl<'a> Replay<'a> {
    fn new(
        series: &[Series],
        strategy_name: &'static str,
        config: &'a BacktestConfig,
    ) -> Result<Self, BacktestError> {
        let mut engine = MatchingEngine::new(config.engine);
        let mut risk = RiskManager::new(config.risk.clone());
        let account = engine.open_account(config.initial_cash);
        let mut slots = Vec::with_capacity(series.len());
        let mut by_symbol = BTreeMap::new();
        for (index, one) in series.iter().enumerate() {
            if by_symbol.insert(one.symbol, index).is_some() {
                return Err(BacktestError::DuplicateSymbol(one.symbol));
            }
            if let Some(pair) = one
                .candles
                .windows(2)
                .find(|pair| pair[1].ts() <= pair[0].ts())
            {
                return Err(BacktestError::NotAscending {
                    symbol: one.symbol,
                    ts: pair[1].ts(),
                });
            }
            slots.push(SlotState {
                symbol: one.symbol,
                engine_slot: engine.slot(one.symbol),
                risk_slot: risk.symbol_slot(one.symbol),
                position: Quantity::ZERO,
                last_close: None,
                entry_order: None,
                stop_order: None,
                wanted_stop: None,
            });
        }
        Ok(Self {
            config,
            engine,
            account,
            slots,
            by_symbol,
            strategy_name,
            sequence: 0,
            orders: Vec::new(),
            order_index: FxHashMap::default(),
            fills: Vec::new(),
            refusals: Rule::ALL.iter().map(|rule| (rule.name(), 0)).collect(),
            risk,
            risk_confirmed: false,
            transitions: Vec::new(),
            events: Vec::new(),
            open_positions: 0,
        })
    }

    #[inline]
    fn on_bar(
        &mut self,
        slot: usize,
        candle: &Candle,
        strategy: &mut dyn Strategy,
        signals: &mut Vec<Signal>,
    ) {
        let Some(state) = self.slots.get_mut(slot) else {
            return;
        };
        let symbol = state.symbol;
        self.engine.on_candle(state.engine_slot, candle);
        state.last_close = Some(candle.close());
        self.risk
            .on_price_at(state.risk_slot, candle.close(), candle.ts());
        if !self.risk_confirmed {
            // The account is flat and holds its initial cash: the state is known.
            self.risk_confirmed = true;
            self.risk.on_equity(self.config.initial_cash, candle.ts());
            let _ = self.risk.confirm_state(
                candle.ts(),
                "backtest start: flat account with its initial cash",
            );
            self.collect_risk_events();
        }
        if self.engine.has_events() {
            self.drain_events();
            self.maintain_stop(slot, candle.ts());
        }
        let position = self
            .slots
            .get(slot)
            .map_or(Quantity::ZERO, |state| state.position);
        let view = PortfolioView {
            position,
            cash: self.engine.cash(self.account),
            equity: self.equity(),
        };
        strategy.on_candle(slot, symbol, candle, &view, signals);
        if !signals.is_empty() {
            for signal in signals.drain(..) {
                let target_slot = self.by_symbol.get(&signal.symbol).copied().unwrap_or(slot);
                self.act_on(target_slot, &signal, candle.ts());
            }
            if self.engine.has_events() {
                self.drain_events();
            }
        }
    }

    /// Equity: cash plus every position marked at its symbol's last close.
    fn equity(&self) -> Money {
        let mut equity = self.engine.cash(self.account);
        if self.open_positions > 0 {
            for state in &self.slots {
                if let (false, Some(close)) = (state.position.is_zero(), state.last_close) {
                    equity += close.notional(state.position);
                }
            }
        }
        equity
    }

    /// Keeps the risk manager's state transitions (refusal events are already in the orders).
    #[inline]
    fn collect_risk_events(&mut self) {
        if self.risk.events().is_empty() {
            return;
        }
        for event in self.risk.drain_events() {
            if matches!(event.kind, RiskEventKind::Transition { .. }) {
                self.transitions.push(event);
            }
        }
    }

    fn drain_events(&mut self) {
        let mut events = std::mem::take(&mut self.events);
        self.engine.take_events(&mut events);
        for (_, event) in events.drain(..) {
            if let Some(&index) = self.order_index.get(&event.client_order_id)
                && let Some(record) = self.orders.get_mut(index)
            {
                record.status = event.status.as_str();
                if let Some(fill) = &event.fill {
                    record.filled = record
                        .filled
                        .checked_add(fill.quantity)
                        .unwrap_or(record.filled);
                }
                if let (Some(reason), OrderStatus::Rejected) = (&event.reason, event.status) {
                    record.reason = format!("{}; rejected: {reason}", record.reason);
                }
            }
            if let Some(fill) = event.fill {
                if let Some(&slot) = self.by_symbol.get(&fill.symbol)
                    && let Some(state) = self.slots.get_mut(slot)
                {
                    let was_open = !state.position.is_zero();
                    state.position = state
                        .position
                        .checked_add(fill.signed_quantity())
                        .unwrap_or(state.position);
                    let is_open = !state.position.is_zero();
                    match (was_open, is_open) {
                        (false, true) => self.open_positions += 1,
                        (true, false) => {
                            self.open_positions = self.open_positions.saturating_sub(1)
                        }
                        _ => {}
                    }
                }
                self.risk.on_fill(&fill);
                self.fills.push(fill);
            }
            if event.status.is_terminal() {
                self.risk.on_order_closed(&event.client_order_id);
                for state in &mut self.slots {
                    if state.entry_order.as_ref() == Some(&event.client_order_id) {
                        state.entry_order = None;
                    }
                    if state
                        .stop_order
                        .as_ref()
                        .is_some_and(|(id, _, _)| *id == event.client_order_id)
                    {
                        state.stop_order = None;
                    }
                }
            }
        }
        self.events = events;
    }

    fn next_id(&mut self) -> Option<ClientOrderId> {
        self.sequence += 1;
        ClientOrderId::derive(self.strategy_name, &self.config.run_id, self.sequence).ok()
    }

    fn act_on(&mut self, slot: usize, signal: &Signal, now: UnixNanos) {
        let Some(state) = self.slots.get(slot) else {
            return;
        };
        let Some(price) = state.last_close else {
            return;
        };
        let position = state.position;
        let fees = &self.config.engine.fees;
        let size = || {
            self.config
                .sizing
                .quantity(price, self.equity(), fees.rate, fees.minimum_per_order)
        };
        let desired = match signal.target {
            Target::Flat => Quantity::ZERO,
            Target::Long if position.is_positive() => position,
            Target::Short if position.is_negative() => position,
            Target::Long => size(),
            Target::Short => size().checked_neg().unwrap_or(Quantity::ZERO),
        };
        let entry_order = state.entry_order.clone();
        if let Some(state) = self.slots.get_mut(slot) {
            state.wanted_stop = if desired.is_zero() { None } else { signal.stop };
        }
        if let Some(id) = entry_order {
            // Already finished orders refuse the cancel; either way it no longer works.
            let _ = self.engine.cancel(self.account, &id, now);
            self.drain_events();
        }
        let position = self
            .slots
            .get(slot)
            .map_or(position, |state| state.position);
        if desired.is_zero()
            || position.is_zero()
            || desired.is_negative() != position.is_negative()
        {
            self.cancel_stop(slot, now);
        }
        let Some(delta) = desired.checked_sub(position) else {
            return;
        };
        if !delta.is_zero() {
            let side = if delta.is_positive() {
                Side::Buy
            } else {
                Side::Sell
            };
            let reduces = desired.is_zero()
                || (desired.is_negative() == position.is_negative()
                    && desired.checked_abs() < position.checked_abs());
            if let Some(id) = self.submit(
                slot,
                side,
                OrderKind::Market,
                delta,
                reduces,
                signal.reason,
                now,
            ) && let Some(state) = self.slots.get_mut(slot)
            {
                state.entry_order = Some(id);
            }
        }
        self.maintain_stop(slot, now);
    }

    fn cancel_stop(&mut self, slot: usize, now: UnixNanos) {
        if let Some((id, _, _)) = self
            .slots
            .get_mut(slot)
            .and_then(|state| state.stop_order.take())
        {
            let _ = self.engine.cancel(self.account, &id, now);
            self.drain_events();
        }
    }

    /// Keeps one protective stop order per symbol in line with the wanted stop and the position.
    fn maintain_stop(&mut self, slot: usize, now: UnixNanos) {
        let Some(state) = self.slots.get(slot) else {
            return;
        };
        let wanted = match (state.wanted_stop, state.position.checked_abs()) {
            (Some(stop), Some(size)) if size.is_positive() => Some((stop, size)),
            _ => None,
        };
        let current = state
            .stop_order
            .as_ref()
            .map(|(_, stop, size)| (*stop, *size));
        if wanted == current {
            return;
        }
        let side = if state.position.is_positive() {
            Side::Sell
        } else {
            Side::Buy
        };
        self.cancel_stop(slot, now);
        if let Some((stop, size)) = wanted {
            let kind = OrderKind::Stop { stop };
            if let Some(id) = self.submit(slot, side, kind, size, true, "protective stop", now)
                && let Some(state) = self.slots.get_mut(slot)
            {
                state.stop_order = Some((id, stop, size));
            }
        }
    }

    /// Checks one order with the risk manager and sends it if approved; returns its id if the
    /// engine accepted it.
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per order type; a struct adds nothing"
    )]
    fn submit(
        &mut self,
        slot: usize,
        side: Side,
        kind: OrderKind,
        quantity: Quantity,
        reduce_only: bool,
        reason: &'static str,
        now: UnixNanos,
    ) -> Option<ClientOrderId> {
        let state = self.slots.get(slot)?;
        let symbol = state.symbol;
        let quantity = quantity.checked_abs()?;
        let id = self.next_id()?;
        let time_in_force = if matches!(kind, OrderKind::Market) {
            TimeInForce::Day
        } else {
            TimeInForce::Gtc
        };
        let mut request =
            OrderRequest::new(id.clone(), symbol, side, kind, quantity, time_in_force).ok()?;
        if reduce_only {
            request = request.reduce_only();
        }
        let mut record = OrderRecord {
            client_order_id: id.clone(),
            symbol,
            side,
            kind: kind.as_str(),
            stop: kind.stop_price(),
            quantity,
            filled: Quantity::ZERO,
            decided_at: now,
            status: OrderStatus::New.as_str(),
            reason: reason.to_owned(),
        };
        let equity = self.equity();
        self.risk.on_equity(equity, now);
        let checked = self.risk.check(request, self.strategy_name, now);
        self.collect_risk_events();
        let approved = match checked {
            Ok(approved) => approved,
            Err(refusal) => {
                *self.refusals.entry(refusal.rule.name()).or_insert(0) += 1;
                record.status = "refused";
                record.reason = format!("{reason}; {refusal}");
                self.orders.push(record);
                return None;
            }
        };
        self.order_index.insert(id.clone(), self.orders.len());
        self.orders.push(record);
        match self.send(approved, now) {
            Ok(_) => {
                self.drain_events();
                Some(id)
            }
            Err(error) => {
                // Some refusals also queue a `rejected` event carrying the reason; record it once.
                self.drain_events();
                if let Some(record) = self.orders.last_mut()
                    && record.status != OrderStatus::Rejected.as_str()
                {
                    record.status = OrderStatus::Rejected.as_str();
                    record.reason = format!("{reason}; rejected: {error}");
                }
                None
            }
        }
    }

    /// The only way an order reaches the matching engine: it must carry the risk manager's
    /// approval.
    fn send(
        &mut self,
        order: Approved<OrderRequest>,
        now: UnixNanos,
    ) -> Result<airlock_core::BrokerOrderId, airlock_brokers::matching::SubmitError> {
        self.engine.submit(self.account, order.into_inner(), now)
    }

    fn finish(
        mut self,
        equity: Vec<(UnixNanos, Money)>,
        in_market: Vec<bool>,
        bars: u64,
    ) -> BacktestResult {
        self.drain_events();
        BacktestResult {
            symbols: self.slots.iter().map(|state| state.symbol).collect(),
            initial_cash: self.config.initial_cash,
            final_cash: self.engine.cash(self.account),
            fees_paid: self.engine.fees_paid(self.account),
            orders: self.orders,
            fills: self.fills,
            equity,
            in_market,
            refusals: self.refusals,
            risk_transitions: self.transitions,
            bars,
        }
    }
}

#[cfg(test)]
mod tests;
