//! Placing, replacing and cancelling orders, with Alpaca's refusals: 422 for invalid input
//! (naming the field), 422 `client_order_id must be unique` for a reused id (even after the first
//! order ended), 403 for too little buying power or too few shares, 422 for an order that is no
//! longer open.

use airlock_core::{
    Money, OrderKind, OrderRequest, Price, Quantity, Rate, SCALE, Side, Symbol, TimeInForce,
    UnixNanos,
};

use crate::error::ApiError;
use crate::ids::{IdKind, Uuid};
use crate::state::{SimOrder, SimState, Status};
use crate::wire::{CancelResultJson, Fields, OrderJson};

/// The longest client order id Alpaca accepts.
const CLIENT_ORDER_ID_MAX: usize = 128;

/// A validated order, before it has ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewOrder {
    pub(crate) asset: usize,
    pub(crate) symbol: Symbol,
    pub(crate) side: Side,
    pub(crate) kind: OrderKind,
    pub(crate) time_in_force: TimeInForce,
    pub(crate) quantity: Quantity,
}

/// Fields of Alpaca's order request the simulator does not implement, and what they stand for.
const UNSUPPORTED: [(&str, &str); 7] = [
    ("notional", "a dollar amount (notional order)"),
    ("trail_price", "a trailing stop"),
    ("trail_percent", "a trailing stop"),
    ("take_profit", "a bracket order's take-profit leg"),
    ("stop_loss", "a bracket order's stop-loss leg"),
    ("legs", "a multi-leg order"),
    ("advanced_instructions", "advanced instructions"),
];

fn required<T>(value: Option<T>, field: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::invalid(format!("{field}: is required")))
}

fn positive_price(fields: &Fields, field: &str) -> Result<Option<Price>, ApiError> {
    let price = fields.decimal::<Price>(field)?;
    match price {
        Some(value) if !value.is_positive() => Err(ApiError::invalid(format!(
            "{field}: must be positive, got {value}"
        ))),
        _ => Ok(price),
    }
}

fn positive_quantity(fields: &Fields) -> Result<Option<Quantity>, ApiError> {
    match fields.decimal::<Quantity>("qty")? {
        Some(value) if !value.is_positive() => Err(ApiError::invalid(format!(
            "qty: must be positive, got {value}"
        ))),
        other => Ok(other),
    }
}

fn time_in_force(text: &str) -> Result<TimeInForce, ApiError> {
    match text {
        "day" => Ok(TimeInForce::Day),
        "gtc" => Ok(TimeInForce::Gtc),
        "ioc" => Ok(TimeInForce::Ioc),
        "fok" => Ok(TimeInForce::Fok),
        "opg" | "cls" => Err(ApiError::unsupported(
            "time_in_force",
            &format!("{text} (auction orders)"),
        )),
        other => Err(ApiError::invalid(format!(
            "time_in_force: must be one of day, gtc, ioc, fok; got {other:?}"
        ))),
    }
}

/// Alpaca lets fractional quantities trade only as DAY orders.
fn check_fractional(quantity: Quantity, time_in_force: TimeInForce) -> Result<(), ApiError> {
    if quantity.raw() % SCALE != 0 && time_in_force != TimeInForce::Day {
        return Err(ApiError::invalid(format!(
            "qty: fractional orders must be day orders, got {quantity} with time_in_force {}",
            crate::state::tif_name(time_in_force)
        )));
    }
    Ok(())
}

fn refuse_unsupported(fields: &Fields, names: &[(&str, &str)]) -> Result<(), ApiError> {
    for (field, what) in names {
        if fields.present(field) {
            return Err(ApiError::unsupported(field, what));
        }
    }
    Ok(())
}

impl SimState {
    /// `POST /v2/orders`.
    pub(crate) fn create_order(
        &mut self,
        fields: &Fields,
        now: UnixNanos,
    ) -> Result<OrderJson, ApiError> {
        let order = self.parse_new_order(fields)?;
        self.check_funds(order, None)?;
        let client_order_id = self.claim_client_order_id(fields.text("client_order_id")?)?;
        let id = self.next_order_id();
        let index = self.submit(order, id, client_order_id, None, now)?;
        self.order_json(index)
            .ok_or_else(|| ApiError::internal("the new order vanished"))
    }

    fn parse_new_order(&self, fields: &Fields) -> Result<NewOrder, ApiError> {
        refuse_unsupported(fields, &UNSUPPORTED)?;
        if fields.boolean("extended_hours")? == Some(true) {
            return Err(ApiError::unsupported(
                "extended_hours",
                "trading outside regular hours",
            ));
        }
        match fields.text("order_class")? {
            None | Some("" | "simple") => {}
            Some(other) => {
                return Err(ApiError::unsupported(
                    "order_class",
                    &format!("order class {other:?}"),
                ));
            }
        }
        match fields.text("position_intent")? {
            None | Some("buy_to_open" | "buy_to_close" | "sell_to_open" | "sell_to_close") => {}
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "position_intent: must be one of buy_to_open, buy_to_close, sell_to_open, sell_to_close; got {other:?}"
                )));
            }
        }
        let symbol_text = required(fields.text("symbol")?, "symbol")?;
        let asset = self
            .find_asset(symbol_text)
            .ok_or_else(|| ApiError::invalid(format!("symbol: asset {symbol_text:?} not found")))?;
        let symbol = self
            .assets
            .get(asset)
            .map(|asset| asset.symbol)
            .ok_or_else(|| ApiError::internal("asset index out of range"))?;
        let quantity = required(positive_quantity(fields)?, "qty")?;
        let side = match required(fields.text("side")?, "side")? {
            "buy" => Side::Buy,
            "sell" => Side::Sell,
            other => {
                return Err(ApiError::invalid(format!(
                    "side: must be buy or sell, got {other:?}"
                )));
            }
        };
        let time_in_force =
            time_in_force(required(fields.text("time_in_force")?, "time_in_force")?)?;
        let limit = positive_price(fields, "limit_price")?;
        let stop = positive_price(fields, "stop_price")?;
        let type_name = required(fields.text("type")?, "type")?;
        let kind = match type_name {
            "trailing_stop" => return Err(ApiError::unsupported("type", "trailing_stop")),
            "market" | "limit" | "stop" | "stop_limit" => order_kind(type_name, limit, stop)?,
            other => {
                return Err(ApiError::invalid(format!(
                    "type: must be one of market, limit, stop, stop_limit; got {other:?}"
                )));
            }
        };
        check_fractional(quantity, time_in_force)?;
        Ok(NewOrder {
            asset,
            symbol,
            side,
            kind,
            time_in_force,
            quantity,
        })
    }

    /// 403 when a buy costs more than the buying power or a sell exceeds the free shares
    /// (the simulator does not sell short). `except` is an order being replaced.
    fn check_funds(&self, order: NewOrder, except: Option<usize>) -> Result<(), ApiError> {
        match order.side {
            Side::Buy => {
                let price = self
                    .reference_price(order.asset, order.kind)
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "symbol: {} has no price yet (the simulator has seen no candle for it)",
                            order.symbol
                        ))
                    })?;
                if price.notional(order.quantity) > self.buying_power(except) {
                    return Err(ApiError::forbidden("insufficient buying power"));
                }
            }
            Side::Sell => {
                let available = self.quantity_available(order.symbol, except);
                if order.quantity > available {
                    return Err(ApiError::forbidden(format!(
                        "insufficient qty available for order (requested: {}, available: {})",
                        order.quantity,
                        available.max(Quantity::ZERO)
                    )));
                }
            }
        }
        Ok(())
    }

    /// The client order id for a new order: the one given (unique forever, at most 128
    /// characters) or a generated UUID.
    fn claim_client_order_id(&mut self, given: Option<&str>) -> Result<String, ApiError> {
        if let Some(id) = given {
            if id.is_empty() {
                return Err(ApiError::invalid("client_order_id: must not be empty"));
            }
            let length = id.chars().count();
            if length > CLIENT_ORDER_ID_MAX {
                return Err(ApiError::invalid(format!(
                    "client_order_id: must be at most {CLIENT_ORDER_ID_MAX} characters, got {length}"
                )));
            }
            if self.by_client_id.contains_key(id) {
                return Err(ApiError::invalid("client_order_id must be unique"));
            }
            return Ok(id.to_owned());
        }
        loop {
            self.next_client_id = self.next_client_id.saturating_add(1);
            let candidate = Uuid::new(IdKind::ClientOrder, self.next_client_id).to_string();
            if !self.by_client_id.contains_key(&candidate) {
                return Ok(candidate);
            }
        }
    }

    /// Hands a validated order to the engine and returns its index. An engine refusal (which
    /// the checks above make impossible) leaves the order `rejected`.
    fn submit(
        &mut self,
        order: NewOrder,
        id: Uuid,
        client_order_id: String,
        replaces: Option<Uuid>,
        now: UnixNanos,
    ) -> Result<usize, ApiError> {
        let engine_id = self
            .next_engine_id()
            .ok_or_else(|| ApiError::internal("the simulator ran out of order ids"))?;
        let request = OrderRequest::new(
            engine_id.clone(),
            order.symbol,
            order.side,
            order.kind,
            order.quantity,
            order.time_in_force,
        )
        .map_err(|error| ApiError::invalid(error.to_string()))?;
        let position_intent = self.position_intent(order.symbol, order.side);
        let index = self.insert(SimOrder {
            id,
            client_order_id,
            engine_id,
            asset: order.asset,
            symbol: order.symbol,
            side: order.side,
            kind: order.kind,
            time_in_force: order.time_in_force,
            quantity: order.quantity,
            filled: Quantity::ZERO,
            filled_notional: Money::ZERO,
            status: Status::New,
            position_intent,
            created_at: now,
            updated_at: now,
            filled_at: None,
            canceled_at: None,
            expired_at: None,
            failed_at: None,
            replaced_at: None,
            replaced_by: None,
            replaces,
        });
        let accepted = self.engine.submit(self.account, request, now).is_ok();
        self.drain();
        if !accepted && let Some(stored) = self.orders.get_mut(index) {
            stored.status = Status::Rejected;
            stored.failed_at = Some(now);
        }
        Ok(index)
    }

    /// `PATCH /v2/orders/{id}`: a new order (new id, `replaces` the old) takes the old one's
    /// place; the old one ends `replaced` with `replaced_by`. Fields not given keep the old
    /// order's values; `qty` defaults to what the old order has left to fill, and is the new
    /// order's whole quantity (its fills start from zero).
    pub(crate) fn replace_order(
        &mut self,
        index: usize,
        fields: &Fields,
        now: UnixNanos,
    ) -> Result<OrderJson, ApiError> {
        let old = self
            .orders
            .get(index)
            .cloned()
            .ok_or_else(|| ApiError::not_found("order not found"))?;
        if !old.status.is_open() {
            return Err(ApiError::unprocessable(format!(
                "order is not replaceable: it is {}",
                old.status.as_str()
            )));
        }
        refuse_unsupported(
            fields,
            &[
                ("notional", "a dollar amount (notional order)"),
                ("trail", "a trailing stop"),
                ("advanced_instructions", "advanced instructions"),
            ],
        )?;
        if fields.is_empty() {
            return Err(ApiError::invalid(
                "replace: give at least one of qty, limit_price, stop_price, time_in_force, client_order_id",
            ));
        }
        let quantity = positive_quantity(fields)?.unwrap_or(old.leaves());
        let time_in_force = match fields.text("time_in_force")? {
            Some(text) => time_in_force(text)?,
            None => old.time_in_force,
        };
        let limit = positive_price(fields, "limit_price")?;
        let stop = positive_price(fields, "stop_price")?;
        let kind = replaced_kind(old.kind, limit, stop)?;
        check_fractional(quantity, time_in_force)?;
        let order = NewOrder {
            asset: old.asset,
            symbol: old.symbol,
            side: old.side,
            kind,
            time_in_force,
            quantity,
        };
        self.check_funds(order, Some(index))?;
        let client_order_id = self.claim_client_order_id(fields.text("client_order_id")?)?;
        let id = self.next_order_id();
        if let Some(stored) = self.orders.get_mut(index) {
            stored.replaced_by = Some(id);
        }
        if self
            .engine
            .cancel(self.account, &old.engine_id, now)
            .is_err()
        {
            if let Some(stored) = self.orders.get_mut(index) {
                stored.replaced_by = None;
            }
            return Err(ApiError::unprocessable("order is not replaceable"));
        }
        self.drain();
        let new_index = self.submit(order, id, client_order_id, Some(old.id), now)?;
        self.order_json(new_index)
            .ok_or_else(|| ApiError::internal("the new order vanished"))
    }

    /// `DELETE /v2/orders/{id}`: 422 `order is not cancelable` once the order has ended.
    pub(crate) fn cancel_order(&mut self, index: usize, now: UnixNanos) -> Result<(), ApiError> {
        let order = self
            .orders
            .get(index)
            .ok_or_else(|| ApiError::not_found("order not found"))?;
        if !order.status.is_open() {
            return Err(ApiError::unprocessable("order is not cancelable"));
        }
        let engine_id = order.engine_id.clone();
        let result = self.engine.cancel(self.account, &engine_id, now);
        self.drain();
        result.map_err(|_| ApiError::unprocessable("order is not cancelable"))
    }

    /// `DELETE /v2/orders`: cancels every open order; one entry per order.
    pub(crate) fn cancel_all(&mut self, now: UnixNanos) -> Vec<CancelResultJson> {
        let open: Vec<usize> = (0..self.orders.len())
            .filter(|index| {
                self.orders
                    .get(*index)
                    .is_some_and(|order| order.status.is_open())
            })
            .collect();
        let mut results = Vec::with_capacity(open.len());
        for index in open {
            let status = match self.cancel_order(index, now) {
                Ok(()) => 200,
                Err(error) => error.status.as_u16(),
            };
            if let Some(body) = self.order_json(index) {
                results.push(CancelResultJson {
                    id: body.id.clone(),
                    status,
                    body,
                });
            }
        }
        results
    }

    /// `DELETE /v2/positions/{symbol}`: a market DAY order that closes `quantity`, or
    /// `percentage` (0 to 100), of the position (all of it by default); 404 when flat.
    pub(crate) fn close_position(
        &mut self,
        asset: usize,
        quantity: Option<Quantity>,
        percentage: Option<Rate>,
        now: UnixNanos,
    ) -> Result<OrderJson, ApiError> {
        let symbol = self
            .assets
            .get(asset)
            .map(|asset| asset.symbol)
            .ok_or_else(|| ApiError::not_found("asset not found"))?;
        let position = self.engine.position(self.account, symbol);
        if position.is_zero() {
            return Err(ApiError::not_found("position does not exist"));
        }
        let side = if position.is_positive() {
            Side::Sell
        } else {
            Side::Buy
        };
        let size = position.checked_abs().unwrap_or(Quantity::MAX);
        let quantity = match (quantity, percentage) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid("qty: cannot be combined with percentage"));
            }
            (Some(quantity), None) => quantity,
            (None, Some(percentage)) => {
                if !percentage.is_positive() || percentage > Rate::from_raw(100 * SCALE) {
                    return Err(ApiError::invalid(format!(
                        "percentage: must be above 0 and at most 100, got {percentage}"
                    )));
                }
                // size × percentage / 100, rounded down to 10⁻⁹.
                let raw = i128::from(size.raw())
                    .saturating_mul(i128::from(percentage.raw()))
                    .checked_div(100 * i128::from(SCALE))
                    .unwrap_or(0);
                Quantity::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))
            }
            (None, None) => size,
        };
        if !quantity.is_positive() || quantity > size {
            return Err(ApiError::forbidden(format!(
                "insufficient qty available for order (requested: {quantity}, available: {size})"
            )));
        }
        let order = NewOrder {
            asset,
            symbol,
            side,
            kind: OrderKind::Market,
            time_in_force: TimeInForce::Day,
            quantity,
        };
        self.check_funds(order, None)?;
        let client_order_id = self.claim_client_order_id(None)?;
        let id = self.next_order_id();
        let index = self.submit(order, id, client_order_id, None, now)?;
        self.order_json(index)
            .ok_or_else(|| ApiError::internal("the new order vanished"))
    }
}

/// The order type and prices after a replace, or the field that does not fit the type.
fn replaced_kind(
    kind: OrderKind,
    limit: Option<Price>,
    stop: Option<Price>,
) -> Result<OrderKind, ApiError> {
    let not_applicable = |field: &str, what: &str| {
        ApiError::invalid(format!(
            "{field}: a {} order has no {what} price",
            kind.as_str()
        ))
    };
    match kind {
        OrderKind::Market | OrderKind::Stop { .. } if limit.is_some() => {
            Err(not_applicable("limit_price", "limit"))
        }
        OrderKind::Market | OrderKind::Limit { .. } if stop.is_some() => {
            Err(not_applicable("stop_price", "stop"))
        }
        OrderKind::Market => Ok(OrderKind::Market),
        OrderKind::Limit { limit: old } => Ok(OrderKind::Limit {
            limit: limit.unwrap_or(old),
        }),
        OrderKind::Stop { stop: old } => Ok(OrderKind::Stop {
            stop: stop.unwrap_or(old),
        }),
        OrderKind::StopLimit {
            stop: old_stop,
            limit: old_limit,
        } => Ok(OrderKind::StopLimit {
            stop: stop.unwrap_or(old_stop),
            limit: limit.unwrap_or(old_limit),
        }),
    }
}

/// The order type from Alpaca's `type` and prices.
fn order_kind(
    type_name: &str,
    limit: Option<Price>,
    stop: Option<Price>,
) -> Result<OrderKind, ApiError> {
    let missing =
        |field: &str| ApiError::invalid(format!("{field}: is required for a {type_name} order"));
    let extra =
        |field: &str| ApiError::invalid(format!("{field}: a {type_name} order takes no {field}"));
    match type_name {
        "market" => match (limit, stop) {
            (Some(_), _) => Err(extra("limit_price")),
            (_, Some(_)) => Err(extra("stop_price")),
            (None, None) => Ok(OrderKind::Market),
        },
        "limit" => match (limit, stop) {
            (_, Some(_)) => Err(extra("stop_price")),
            (None, _) => Err(missing("limit_price")),
            (Some(limit), None) => Ok(OrderKind::Limit { limit }),
        },
        "stop" => match (limit, stop) {
            (Some(_), _) => Err(extra("limit_price")),
            (_, None) => Err(missing("stop_price")),
            (None, Some(stop)) => Ok(OrderKind::Stop { stop }),
        },
        _ => match (limit, stop) {
            (None, _) => Err(missing("limit_price")),
            (_, None) => Err(missing("stop_price")),
            (Some(limit), Some(stop)) => Ok(OrderKind::StopLimit { stop, limit }),
        },
    }
}
