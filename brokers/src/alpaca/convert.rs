//! Conversions at the Alpaca edge: apca's decimals (`num_decimal::Num`) to and from our exact
//! fixed-point types, Alpaca's timestamps to [`UnixNanos`], and our order request to apca's.
//!
//! Every conversion is exact or refuses: a decimal with more than nine places, or one that does
//! not fit, is an error naming the field, never a rounding.

use std::str::FromStr;

use airlock_core::{
    BrokerOrderId, ClientOrderId, Money, OrderKind, OrderReport, OrderRequest, OrderStatus, Price,
    Quantity, Side, Symbol, TimeInForce, UnixNanos,
};
use apca::api::v2::order;
use chrono::{DateTime, Utc};
use num_decimal::Num;

use super::ids::{leg_client_id, parse_leg};
use super::status::order_status;

/// Alpaca's decimal as our price, exactly.
pub(crate) fn price(num: &Num, field: &str) -> Result<Price, String> {
    Price::from_str(&exact_text(num, field)?).map_err(|error| format!("{field}: {error}"))
}

/// Alpaca's decimal as our quantity, exactly.
pub(crate) fn quantity(num: &Num, field: &str) -> Result<Quantity, String> {
    Quantity::from_str(&exact_text(num, field)?).map_err(|error| format!("{field}: {error}"))
}

/// Alpaca's decimal as our money, exactly.
pub(crate) fn money(num: &Num, field: &str) -> Result<Money, String> {
    Money::from_str(&exact_text(num, field)?).map_err(|error| format!("{field}: {error}"))
}

/// The decimal text of `num` with nine places, or an error if it has more.
fn exact_text(num: &Num, field: &str) -> Result<String, String> {
    if num.round_with(9) != *num {
        return Err(format!(
            "{field}: {num:.12}… has more than 9 decimal places, more than Airlock keeps"
        ));
    }
    Ok(format!("{num:.9}"))
}

/// Our fixed-point value as apca's decimal for a request. apca writes decimals with at most
/// eight places, so a value with a ninth is refused rather than rounded on the wire.
fn to_num(raw: i64, text: &dyn std::fmt::Display, field: &str) -> Result<Num, String> {
    if raw % 10 != 0 {
        return Err(format!(
            "{field}: {text} has 9 decimal places; the Alpaca client sends at most 8"
        ));
    }
    Ok(Num::new(raw, 1_000_000_000))
}

/// A price for a request.
pub(crate) fn price_num(value: Price, field: &str) -> Result<Num, String> {
    to_num(value.raw(), &value, field)
}

/// A quantity for a request.
pub(crate) fn quantity_num(value: Quantity, field: &str) -> Result<Num, String> {
    to_num(value.raw(), &value, field)
}

/// A UTC timestamp (apca has already applied Alpaca's offset, e.g. Eastern `-04:00`) as
/// nanoseconds since the epoch; instants before 1970 or past 2262 are refused.
pub(crate) fn nanos(time: &DateTime<Utc>, field: &str) -> Result<UnixNanos, String> {
    time.timestamp_nanos_opt()
        .and_then(|nanos| u64::try_from(nanos).ok())
        .map(UnixNanos::new)
        .ok_or_else(|| format!("{field}: {time} is outside 1970..2262"))
}

/// The best timestamp of an order snapshot: when it last changed.
pub(crate) fn order_time(order: &order::Order) -> UnixNanos {
    let candidates = [
        order.filled_at,
        order.canceled_at,
        order.expired_at,
        order.updated_at,
        order.submitted_at,
        Some(order.created_at),
    ];
    candidates
        .iter()
        .flatten()
        .max()
        .and_then(|time| nanos(time, "updated_at").ok())
        .unwrap_or_default()
}

/// apca's side.
pub(crate) fn side_to_apca(side: Side) -> order::Side {
    match side {
        Side::Buy => order::Side::Buy,
        Side::Sell => order::Side::Sell,
    }
}

/// Our side.
pub(crate) fn side_from_apca(side: order::Side) -> Side {
    match side {
        order::Side::Buy => Side::Buy,
        order::Side::Sell => Side::Sell,
    }
}

/// apca's time in force.
pub(crate) fn time_in_force_to_apca(time_in_force: TimeInForce) -> order::TimeInForce {
    match time_in_force {
        TimeInForce::Day => order::TimeInForce::Day,
        TimeInForce::Gtc => order::TimeInForce::UntilCanceled,
        TimeInForce::Ioc => order::TimeInForce::ImmediateOrCancel,
        TimeInForce::Fok => order::TimeInForce::FillOrKill,
    }
}

/// Our time in force; Alpaca's `opg` and `cls` (auction orders) have no equivalent.
pub(crate) fn time_in_force_from_apca(
    time_in_force: order::TimeInForce,
) -> Result<TimeInForce, String> {
    match time_in_force {
        order::TimeInForce::Day => Ok(TimeInForce::Day),
        order::TimeInForce::UntilCanceled => Ok(TimeInForce::Gtc),
        order::TimeInForce::ImmediateOrCancel => Ok(TimeInForce::Ioc),
        order::TimeInForce::FillOrKill => Ok(TimeInForce::Fok),
        order::TimeInForce::UntilMarketOpen => Err("time_in_force: opg is not supported".into()),
        order::TimeInForce::UntilMarketClose => Err("time_in_force: cls is not supported".into()),
        _ => Err("time_in_force: an unknown value is not supported".into()),
    }
}

/// apca's create request for our order: a simple order (no brackets), quantity not notional,
/// regular hours only, our id as `client_order_id`.
pub(crate) fn create_request(request: &OrderRequest) -> Result<order::CreateReq, String> {
    let kind = request.kind();
    let limit_price = kind
        .limit_price()
        .map(|limit| price_num(limit, "limit_price"))
        .transpose()?;
    let stop_price = kind
        .stop_price()
        .map(|stop| price_num(stop, "stop_price"))
        .transpose()?;
    let type_ = match kind {
        OrderKind::Market => order::Type::Market,
        OrderKind::Limit { .. } => order::Type::Limit,
        OrderKind::Stop { .. } => order::Type::Stop,
        OrderKind::StopLimit { .. } => order::Type::StopLimit,
    };
    let init = order::CreateReqInit {
        type_,
        time_in_force: time_in_force_to_apca(request.time_in_force()),
        limit_price,
        stop_price,
        client_order_id: Some(leg_client_id(request.client_order_id(), 0)?),
        ..order::CreateReqInit::default()
    };
    let amount = order::Amount::quantity(quantity_num(request.quantity(), "qty")?);
    Ok(init.init(
        request.symbol().as_str(),
        side_to_apca(request.side()),
        amount,
    ))
}

/// Our order kind from an Alpaca order's type and prices.
pub(crate) fn kind_from_apca(order: &order::Order) -> Result<OrderKind, String> {
    let limit = || {
        order
            .limit_price
            .as_ref()
            .ok_or_else(|| "limit_price: missing on a limit order".to_owned())
            .and_then(|num| price(num, "limit_price"))
    };
    let stop = || {
        order
            .stop_price
            .as_ref()
            .ok_or_else(|| "stop_price: missing on a stop order".to_owned())
            .and_then(|num| price(num, "stop_price"))
    };
    match order.type_ {
        order::Type::Market => Ok(OrderKind::Market),
        order::Type::Limit => Ok(OrderKind::Limit { limit: limit()? }),
        order::Type::Stop => Ok(OrderKind::Stop { stop: stop()? }),
        order::Type::StopLimit => Ok(OrderKind::StopLimit {
            stop: stop()?,
            limit: limit()?,
        }),
        order::Type::TrailingStop => Err("type: trailing_stop orders are not supported".into()),
        _ => Err("type: an unknown order type is not supported".into()),
    }
}

/// The quantity of an Alpaca order (`qty`; notional orders are not ours and refused).
pub(crate) fn order_quantity(order: &order::Order) -> Result<Quantity, String> {
    match &order.amount {
        order::Amount::Quantity { quantity: qty } => quantity(qty, "qty"),
        order::Amount::Notional { .. } => {
            Err("qty: notional (dollar) orders are not supported".into())
        }
    }
}

/// One Alpaca order (a single leg) as it stands, in our types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LegSnapshot {
    /// Our id.
    pub(crate) ours: ClientOrderId,
    /// Which leg: 0 the original, `n` the `n`-th replacement.
    pub(crate) leg: u32,
    /// Alpaca's id of this leg.
    pub(crate) broker_order_id: BrokerOrderId,
    /// Alpaca's status.
    pub(crate) alpaca_status: order::Status,
    /// The instrument.
    pub(crate) symbol: Symbol,
    /// Buy or sell.
    pub(crate) side: Side,
    /// Type and prices.
    pub(crate) kind: OrderKind,
    /// Time in force.
    pub(crate) time_in_force: TimeInForce,
    /// This leg's quantity.
    pub(crate) quantity: Quantity,
    /// Filled on this leg so far.
    pub(crate) filled: Quantity,
    /// Average price of this leg's fills.
    pub(crate) average_price: Option<Price>,
    /// When it last changed.
    pub(crate) at: UnixNanos,
}

impl LegSnapshot {
    /// Reads an apca order. `Ok(None)` for an order whose client id is not one of ours.
    pub(crate) fn from_apca(order: &order::Order) -> Result<Option<Self>, String> {
        let Some((ours, leg)) = parse_leg(&order.client_order_id) else {
            return Ok(None);
        };
        let symbol = Symbol::parse(&order.symbol).map_err(|error| format!("symbol: {error}"))?;
        let average_price = order
            .average_fill_price
            .as_ref()
            .map(|num| price(num, "filled_avg_price"))
            .transpose()?;
        Ok(Some(Self {
            ours,
            leg,
            broker_order_id: BrokerOrderId::new(order.id.as_hyphenated().to_string()),
            alpaca_status: order.status,
            symbol,
            side: side_from_apca(order.side),
            kind: kind_from_apca(order)?,
            time_in_force: time_in_force_from_apca(order.time_in_force)?,
            quantity: order_quantity(order)?,
            filled: quantity(&order.filled_quantity, "filled_qty")?,
            average_price,
            at: order_time(order),
        }))
    }

    /// This leg's status in our terms.
    pub(crate) fn status(&self) -> OrderStatus {
        order_status(self.alpaca_status, self.filled, self.quantity)
    }

    /// This leg alone as an order report under our id.
    pub(crate) fn report(&self) -> OrderReport {
        OrderReport {
            client_order_id: self.ours.clone(),
            broker_order_id: self.broker_order_id.clone(),
            symbol: self.symbol,
            side: self.side,
            kind: self.kind,
            time_in_force: self.time_in_force,
            quantity: self.quantity,
            filled: self.filled,
            status: self.status(),
        }
    }
}

/// apca's order id from our broker order id (Alpaca's UUID text, with or without hyphens).
pub(crate) fn order_id(id: &BrokerOrderId) -> Result<order::Id, String> {
    serde_json::from_value(serde_json::Value::String(id.as_str().to_owned()))
        .map_err(|_| format!("order id: {id} is not an Alpaca order id (a UUID)"))
}

#[cfg(test)]
mod tests;
