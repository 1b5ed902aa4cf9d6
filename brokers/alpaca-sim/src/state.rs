//! The simulated venue: the matching engine with one account, the Alpaca view of every order
//! (ids, client order ids, replace chains, timestamps), the assets, and the trade updates the
//! engine's events turn into.
//!
//! Every engine call is followed by [`SimState::drain`], which maps the engine's events to
//! Alpaca's order fields and broadcasts one trade update per event, in the order they happened.

use std::collections::HashMap;
use std::sync::Arc;

use airlock_brokers::matching::{EngineConfig, MatchingEngine};
use airlock_core::{
    AccountId, BrokerEvent, Candle, ClientOrderId, Money, OrderKind, OrderStatus, Price, Quantity,
    Side, Symbol, TimeInForce, UnixNanos,
};
use serde_json::json;
use tokio::sync::broadcast;

use crate::ids::{IdKind, Uuid, rfc3339};
use crate::wire::{OrderJson, US_EQUITY, average_price};

/// Alpaca's order statuses the simulator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Expired,
    Replaced,
    Rejected,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::PartiallyFilled => "partially_filled",
            Status::Filled => "filled",
            Status::Canceled => "canceled",
            Status::Expired => "expired",
            Status::Replaced => "replaced",
            Status::Rejected => "rejected",
        }
    }

    /// `open` in Alpaca's `GET /v2/orders?status=open`: still working.
    pub(crate) fn is_open(self) -> bool {
        matches!(self, Status::New | Status::PartiallyFilled)
    }
}

/// A tradable symbol.
#[derive(Debug, Clone)]
pub(crate) struct Asset {
    pub(crate) id: Uuid,
    pub(crate) symbol: Symbol,
    /// The last price (the last candle's close or a price set directly).
    pub(crate) last: Option<Price>,
    /// The close before the last one: Alpaca's `lastday_price`.
    pub(crate) previous: Option<Price>,
}

/// One Alpaca order. A replace creates a new one (new id) and ends the old one as `replaced`.
#[derive(Debug, Clone)]
pub(crate) struct SimOrder {
    pub(crate) id: Uuid,
    pub(crate) client_order_id: String,
    /// The id of the engine order behind it (`sim-N`, unique per server).
    pub(crate) engine_id: ClientOrderId,
    pub(crate) asset: usize,
    pub(crate) symbol: Symbol,
    pub(crate) side: Side,
    pub(crate) kind: OrderKind,
    pub(crate) time_in_force: TimeInForce,
    pub(crate) quantity: Quantity,
    pub(crate) filled: Quantity,
    pub(crate) filled_notional: Money,
    pub(crate) status: Status,
    pub(crate) position_intent: &'static str,
    pub(crate) created_at: UnixNanos,
    pub(crate) updated_at: UnixNanos,
    pub(crate) filled_at: Option<UnixNanos>,
    pub(crate) canceled_at: Option<UnixNanos>,
    pub(crate) expired_at: Option<UnixNanos>,
    pub(crate) failed_at: Option<UnixNanos>,
    pub(crate) replaced_at: Option<UnixNanos>,
    pub(crate) replaced_by: Option<Uuid>,
    pub(crate) replaces: Option<Uuid>,
}

impl SimOrder {
    /// Quantity still working.
    pub(crate) fn leaves(&self) -> Quantity {
        self.quantity
            .checked_sub(self.filled)
            .unwrap_or(Quantity::ZERO)
    }

    /// The order as Alpaca's JSON, with the asset's id.
    pub(crate) fn to_json(&self, asset_id: Uuid) -> OrderJson {
        let filled_avg_price = if self.filled.is_positive() {
            average_price(self.filled_notional, self.filled).map(|price| price.to_string())
        } else {
            None
        };
        let kind = self.kind.as_str();
        OrderJson {
            id: self.id.to_string(),
            client_order_id: self.client_order_id.clone(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            submitted_at: rfc3339(self.created_at),
            filled_at: self.filled_at.map(rfc3339),
            expired_at: self.expired_at.map(rfc3339),
            canceled_at: self.canceled_at.map(rfc3339),
            failed_at: self.failed_at.map(rfc3339),
            replaced_at: self.replaced_at.map(rfc3339),
            replaced_by: self.replaced_by.map(|id| id.to_string()),
            replaces: self.replaces.map(|id| id.to_string()),
            asset_id: asset_id.to_string(),
            symbol: self.symbol.as_str().to_owned(),
            asset_class: US_EQUITY,
            notional: None,
            qty: self.quantity.to_string(),
            filled_qty: self.filled.to_string(),
            filled_avg_price,
            order_class: "",
            order_type: kind,
            kind,
            side: self.side.as_str(),
            position_intent: self.position_intent,
            time_in_force: tif_name(self.time_in_force),
            limit_price: self.kind.limit_price().map(|price| price.to_string()),
            stop_price: self.kind.stop_price().map(|price| price.to_string()),
            status: self.status.as_str(),
            extended_hours: false,
            legs: None,
            trail_percent: None,
            trail_price: None,
            hwm: None,
            source: None,
            subtag: None,
        }
    }
}

/// Alpaca's lower-case name of a time in force.
pub(crate) fn tif_name(time_in_force: TimeInForce) -> &'static str {
    match time_in_force {
        TimeInForce::Day => "day",
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
    }
}

/// The venue's whole state, behind one mutex (never held across an `.await`).
#[derive(Debug)]
pub(crate) struct SimState {
    pub(crate) engine: MatchingEngine,
    pub(crate) account: AccountId,
    pub(crate) account_id: Uuid,
    pub(crate) account_number: String,
    pub(crate) initial_cash: Money,
    pub(crate) created_at: UnixNanos,
    pub(crate) assets: Vec<Asset>,
    asset_index: HashMap<Symbol, usize>,
    pub(crate) orders: Vec<SimOrder>,
    pub(crate) by_id: HashMap<Uuid, usize>,
    pub(crate) by_client_id: HashMap<String, usize>,
    by_engine_id: HashMap<ClientOrderId, usize>,
    next_engine_id: u64,
    next_execution: u64,
    pub(crate) next_client_id: u64,
    /// Running position per symbol as the trade updates report it (`position_qty`).
    positions: HashMap<Symbol, Quantity>,
    updates: broadcast::Sender<Arc<str>>,
    scratch: Vec<(AccountId, BrokerEvent)>,
}

impl SimState {
    pub(crate) fn new(
        engine: EngineConfig,
        cash: Money,
        account_number: String,
        updates: broadcast::Sender<Arc<str>>,
        now: UnixNanos,
    ) -> Self {
        let mut engine = MatchingEngine::new(engine);
        let account = engine.open_account(cash);
        Self {
            engine,
            account,
            account_id: Uuid::new(IdKind::Account, 1),
            account_number,
            initial_cash: cash,
            created_at: now,
            assets: Vec::new(),
            asset_index: HashMap::new(),
            orders: Vec::new(),
            by_id: HashMap::new(),
            by_client_id: HashMap::new(),
            by_engine_id: HashMap::new(),
            next_engine_id: 0,
            next_execution: 0,
            next_client_id: 0,
            positions: HashMap::new(),
            updates,
            scratch: Vec::new(),
        }
    }

    /// The asset of `symbol`, registering it (tradable, no price yet) on first use.
    pub(crate) fn asset_slot(&mut self, symbol: Symbol) -> usize {
        if let Some(&index) = self.asset_index.get(&symbol) {
            return index;
        }
        let index = self.assets.len();
        let counter = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        self.assets.push(Asset {
            id: Uuid::new(IdKind::Asset, counter),
            symbol,
            last: None,
            previous: None,
        });
        self.asset_index.insert(symbol, index);
        self.engine.slot(symbol);
        index
    }

    /// The asset named by a symbol (any case) or by its asset id.
    pub(crate) fn find_asset(&self, symbol_or_id: &str) -> Option<usize> {
        if let Some(id) = Uuid::parse(symbol_or_id) {
            return self.assets.iter().position(|asset| asset.id == id);
        }
        let symbol = Symbol::parse(symbol_or_id).ok()?;
        self.asset_index.get(&symbol).copied()
    }

    /// Sets the last price of `symbol` without trading a bar.
    pub(crate) fn set_last_price(&mut self, symbol: Symbol, price: Price) {
        let index = self.asset_slot(symbol);
        if let Some(asset) = self.assets.get_mut(index) {
            asset.previous = asset.last.or(Some(price));
            asset.last = Some(price);
        }
        let slot = self.engine.slot(symbol);
        self.engine.set_last_price(slot, price);
        self.drain();
    }

    /// Trades one candle against the working orders of `symbol` and records its close.
    pub(crate) fn feed_candle(&mut self, symbol: Symbol, candle: &Candle) {
        let index = self.asset_slot(symbol);
        if let Some(asset) = self.assets.get_mut(index) {
            asset.previous = asset.last.or(Some(candle.open()));
            asset.last = Some(candle.close());
        }
        let slot = self.engine.slot(symbol);
        self.engine.on_candle(slot, candle);
        self.drain();
    }

    /// A fresh engine order id.
    pub(crate) fn next_engine_id(&mut self) -> Option<ClientOrderId> {
        self.next_engine_id = self.next_engine_id.checked_add(1)?;
        ClientOrderId::parse(&format!("sim-{}", self.next_engine_id)).ok()
    }

    /// Stores a new order (status `new`, before the engine sees it) and returns its index.
    pub(crate) fn insert(&mut self, order: SimOrder) -> usize {
        let index = self.orders.len();
        self.by_id.insert(order.id, index);
        self.by_client_id
            .insert(order.client_order_id.clone(), index);
        self.by_engine_id.insert(order.engine_id.clone(), index);
        self.orders.push(order);
        index
    }

    /// The id the next order will get.
    pub(crate) fn next_order_id(&self) -> Uuid {
        let counter = u64::try_from(self.orders.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        Uuid::new(IdKind::Order, counter)
    }

    /// The order at `index` as JSON.
    pub(crate) fn order_json(&self, index: usize) -> Option<OrderJson> {
        let order = self.orders.get(index)?;
        let asset = self.assets.get(order.asset)?;
        Some(order.to_json(asset.id))
    }

    /// Applies the engine's queued events to the orders and broadcasts one trade update each.
    pub(crate) fn drain(&mut self) {
        let mut events = std::mem::take(&mut self.scratch);
        self.engine.take_events(&mut events);
        for (account, event) in events.drain(..) {
            if account == self.account {
                self.apply(event);
            }
        }
        self.scratch = events;
    }

    fn apply(&mut self, event: BrokerEvent) {
        let Some(&index) = self.by_engine_id.get(&event.client_order_id) else {
            return;
        };
        let mut extra = serde_json::Map::new();
        let Some(order) = self.orders.get_mut(index) else {
            return;
        };
        order.updated_at = event.at;
        let name = match (event.status, &event.fill) {
            (status, Some(fill)) => {
                order.filled = order
                    .filled
                    .checked_add(fill.quantity)
                    .unwrap_or(order.filled);
                order.filled_notional += fill.notional();
                let position = self.positions.entry(order.symbol).or_insert(Quantity::ZERO);
                *position = position
                    .checked_add(fill.signed_quantity())
                    .unwrap_or(*position);
                self.next_execution = self.next_execution.saturating_add(1);
                let execution = Uuid::new(IdKind::Execution, self.next_execution);
                extra.insert("execution_id".into(), json!(execution.to_string()));
                extra.insert("price".into(), json!(fill.price.to_string()));
                extra.insert("qty".into(), json!(fill.quantity.to_string()));
                extra.insert("position_qty".into(), json!(position.to_string()));
                if status == OrderStatus::Filled {
                    order.status = Status::Filled;
                    order.filled_at = Some(event.at);
                    "fill"
                } else {
                    order.status = Status::PartiallyFilled;
                    "partial_fill"
                }
            }
            (OrderStatus::Accepted, None) => {
                order.status = Status::New;
                "new"
            }
            (OrderStatus::Cancelled, None) if order.replaced_by.is_some() => {
                order.status = Status::Replaced;
                order.replaced_at = Some(event.at);
                "replaced"
            }
            (OrderStatus::Cancelled, None) => {
                order.status = Status::Canceled;
                order.canceled_at = Some(event.at);
                "canceled"
            }
            (OrderStatus::Expired, None) => {
                order.status = Status::Expired;
                order.expired_at = Some(event.at);
                "expired"
            }
            (OrderStatus::Rejected, None) => {
                order.status = Status::Rejected;
                order.failed_at = Some(event.at);
                "rejected"
            }
            // An amend (the engine's own replace, which the simulator does not use) or a
            // status without a fill: nothing Alpaca would report.
            (OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::Filled, None) => {
                return;
            }
        };
        let Some(json) = self.order_json(index) else {
            return;
        };
        let mut data = serde_json::Map::new();
        data.insert("event".into(), json!(name));
        data.insert("timestamp".into(), json!(rfc3339(event.at)));
        data.append(&mut extra);
        data.insert("order".into(), json!(json));
        let message = json!({ "stream": "trade_updates", "data": data }).to_string();
        // No listener is not an error: the update is simply not heard.
        let _ = self.updates.send(Arc::from(message));
    }

    /// Cash minus what open buy orders hold (their leaves at their limit, stop or last price).
    pub(crate) fn buying_power(&self, except: Option<usize>) -> Money {
        let held: Money = self
            .orders
            .iter()
            .enumerate()
            .filter(|(index, order)| {
                Some(*index) != except && order.status.is_open() && order.side == Side::Buy
            })
            .map(|(_, order)| {
                let price = self
                    .reference_price(order.asset, order.kind)
                    .unwrap_or(Price::ZERO);
                price.notional(order.leaves())
            })
            .sum();
        self.engine.cash(self.account) - held
    }

    /// Shares of `symbol` that open sell orders do not already hold.
    pub(crate) fn quantity_available(&self, symbol: Symbol, except: Option<usize>) -> Quantity {
        let held = self
            .orders
            .iter()
            .enumerate()
            .filter(|(index, order)| {
                Some(*index) != except
                    && order.status.is_open()
                    && order.side == Side::Sell
                    && order.symbol == symbol
            })
            .fold(Quantity::ZERO, |total, (_, order)| {
                total.checked_add(order.leaves()).unwrap_or(Quantity::MAX)
            });
        self.engine
            .position(self.account, symbol)
            .checked_sub(held)
            .unwrap_or(Quantity::ZERO)
    }

    /// The price an order's cost is judged at: its limit, else its stop, else the last price.
    pub(crate) fn reference_price(&self, asset: usize, kind: OrderKind) -> Option<Price> {
        kind.limit_price()
            .or(kind.stop_price())
            .or_else(|| self.assets.get(asset).and_then(|asset| asset.last))
    }

    /// Alpaca's `position_intent` for a new order of `side` in `symbol`.
    pub(crate) fn position_intent(&self, symbol: Symbol, side: Side) -> &'static str {
        let position = self.engine.position(self.account, symbol);
        match side {
            Side::Buy if position.is_negative() => "buy_to_close",
            Side::Buy => "buy_to_open",
            Side::Sell if position.is_positive() => "sell_to_close",
            Side::Sell => "sell_to_open",
        }
    }
}
