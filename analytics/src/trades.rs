//! Round-trip trades: fills matched first-in, first-out into closed positions.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use airlock_core::{ClientOrderId, Fill, Money, Price, Quantity, SCALE, Side, Symbol, UnixNanos};
use serde::{Serialize, Serializer};

/// One closed trade: a quantity opened by one entry order and closed by one exit order.
///
/// Fills are matched first-in, first-out per symbol. Consecutive fills of the same entry order
/// form one *lot*; the fills of one exit order that close (part of) a lot form one round trip, so
/// prices are volume-weighted over those fills. A partial close splits the lot: the closed part
/// becomes a round trip and the rest stays open for the next exit. A fill larger than the open
/// position closes it and opens a new lot on the other side with the remainder.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundTrip {
    /// The instrument.
    pub symbol: Symbol,
    /// Side of the entry: [`Side::Buy`] for a long trade, [`Side::Sell`] for a short one.
    pub side: Side,
    /// Quantity opened and closed (positive).
    pub quantity: Quantity,
    /// Time of the first fill of the entry lot.
    pub entry_at: UnixNanos,
    /// Time of the last exit fill that closed part of this trade.
    pub exit_at: UnixNanos,
    /// Volume-weighted entry price of the closed quantity.
    pub entry_price: Price,
    /// Volume-weighted exit price of the closed quantity.
    pub exit_price: Price,
    /// Profit and loss after fees: `(exit − entry) × quantity − fees` for a long,
    /// `(entry − exit) × quantity − fees` for a short, exact.
    pub pnl: Money,
    /// `pnl / (entry_price × quantity) × 100`: the return on the capital the entry committed
    /// (0 when that notional is zero).
    pub return_pct: f64,
    /// Fees of the entry and exit fills, prorated by quantity to the part this trade closed.
    pub fees: Money,
    /// `exit_at − entry_at`.
    pub holding: Duration,
}

impl RoundTrip {
    /// True for a long trade (entered with a buy).
    pub fn is_long(&self) -> bool {
        self.side == Side::Buy
    }

    /// Holding time in (fractional) calendar days.
    pub fn holding_days(&self) -> f64 {
        self.holding.as_secs_f64() / 86_400.0
    }
}

/// The JSON shape of a round trip: numbers for quants, RFC 3339 strings for times.
#[derive(Serialize)]
struct RoundTripRow {
    symbol: String,
    side: &'static str,
    quantity: f64,
    entry_at: String,
    exit_at: String,
    entry_price: f64,
    exit_price: f64,
    pnl: f64,
    return_pct: f64,
    fees: f64,
    holding_days: f64,
}

impl Serialize for RoundTrip {
    /// Serialized as an object with `side` as `"long"` or `"short"`, quantities, prices and money
    /// as JSON numbers, times as RFC 3339 UTC strings, and `holding_days`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RoundTripRow {
            symbol: self.symbol.as_str().to_owned(),
            side: if self.is_long() { "long" } else { "short" },
            quantity: self.quantity.to_f64(),
            entry_at: self.entry_at.to_string(),
            exit_at: self.exit_at.to_string(),
            entry_price: self.entry_price.to_f64(),
            exit_price: self.exit_price.to_f64(),
            pnl: self.pnl.to_f64(),
            return_pct: self.return_pct,
            fees: self.fees.to_f64(),
            holding_days: self.holding_days(),
        }
        .serialize(serializer)
    }
}

/// Matches fills into round trips, FIFO per symbol, long and short.
///
/// `fills` must be in time order. Rules:
/// - a fill on the side of the open lots (or on a flat symbol) opens a lot, or grows the newest
///   lot when it belongs to the same order;
/// - a fill on the other side closes lots oldest first; a lot closed in part keeps the rest,
///   with its cost and entry fee prorated by quantity;
/// - a fill larger than the open quantity closes everything and opens a lot on its own side
///   with the remainder (a reversal), its fee split by quantity between the two parts;
/// - consecutive fills of one exit order against the same lot extend one round trip;
/// - fills with a non-positive quantity are ignored; lots still open at the end are not trades.
///
/// Trades come out in the order they started closing. Money is exact: proration truncates and
/// leaves the remainder with the open part, so the fees of all trades plus those of the open lots
/// add up to the fees of the fills.
pub fn round_trips(fills: &[Fill]) -> Vec<RoundTrip> {
    let mut books: BTreeMap<Symbol, VecDeque<Lot>> = BTreeMap::new();
    let mut trips: Vec<Building> = Vec::new();
    for fill in fills {
        if !fill.quantity.is_positive() {
            continue;
        }
        let book = books.entry(fill.symbol).or_default();
        let mut remaining = fill.quantity.raw();
        let mut value = fill.notional();
        let mut fee = fill.fee;
        while remaining > 0 {
            let Some(lot) = book.front_mut() else { break };
            if lot.side == fill.side {
                break;
            }
            let take = remaining.min(lot.quantity);
            let entry_cost = lot.take_cost(take);
            let entry_fee = lot.take_fee(take);
            lot.quantity -= take;
            let exit_value = prorate(value, take, remaining);
            let exit_fee = prorate(fee, take, remaining);
            value -= exit_value;
            fee -= exit_fee;
            remaining -= take;
            let same_exit = lot
                .trip
                .and_then(|index| trips.get(index))
                .is_some_and(|trip| trip.exit_order.as_ref() == Some(&fill.client_order_id));
            let index = match lot.trip {
                Some(index) if same_exit => index,
                _ => {
                    let mut trip = Building::new(fill.symbol, lot.side, lot.opened_at);
                    trip.exit_order = Some(fill.client_order_id.clone());
                    trips.push(trip);
                    lot.trip = Some(trips.len() - 1);
                    trips.len() - 1
                }
            };
            if let Some(trip) = trips.get_mut(index) {
                trip.quantity = trip.quantity.saturating_add(take);
                trip.entry_cost += entry_cost;
                trip.exit_value += exit_value;
                trip.fees += entry_fee + exit_fee;
                trip.exit_at = fill.at;
            }
            if lot.quantity == 0 {
                book.pop_front();
            }
        }
        if remaining > 0 {
            match book.back_mut() {
                Some(lot) if lot.order == fill.client_order_id && lot.side == fill.side => {
                    lot.quantity = lot.quantity.saturating_add(remaining);
                    lot.cost += value;
                    lot.fee += fee;
                }
                _ => {
                    book.push_back(Lot {
                        trip: None,
                        order: fill.client_order_id.clone(),
                        side: fill.side,
                        opened_at: fill.at,
                        quantity: remaining,
                        cost: value,
                        fee,
                    });
                }
            }
        }
    }
    trips.into_iter().map(Building::finish).collect()
}

/// An open lot: what one entry order opened and is not yet closed.
struct Lot {
    /// The round trip the last exit order that touched this lot is building.
    trip: Option<usize>,
    order: ClientOrderId,
    side: Side,
    opened_at: UnixNanos,
    /// Open quantity, raw units, positive.
    quantity: i64,
    /// Notional of the open quantity at its entry prices.
    cost: Money,
    /// Entry fees not yet attributed to a trade.
    fee: Money,
}

impl Lot {
    fn take_cost(&mut self, take: i64) -> Money {
        let part = prorate(self.cost, take, self.quantity);
        self.cost -= part;
        part
    }

    fn take_fee(&mut self, take: i64) -> Money {
        let part = prorate(self.fee, take, self.quantity);
        self.fee -= part;
        part
    }
}

/// A round trip being accumulated.
struct Building {
    /// The exit order whose fills this trip collects.
    exit_order: Option<ClientOrderId>,
    symbol: Symbol,
    side: Side,
    entry_at: UnixNanos,
    exit_at: UnixNanos,
    quantity: i64,
    entry_cost: Money,
    exit_value: Money,
    fees: Money,
}

impl Building {
    fn new(symbol: Symbol, side: Side, entry_at: UnixNanos) -> Self {
        Self {
            exit_order: None,
            symbol,
            side,
            entry_at,
            exit_at: entry_at,
            quantity: 0,
            entry_cost: Money::ZERO,
            exit_value: Money::ZERO,
            fees: Money::ZERO,
        }
    }

    fn finish(self) -> RoundTrip {
        let gross = match self.side {
            Side::Buy => self.exit_value - self.entry_cost,
            Side::Sell => self.entry_cost - self.exit_value,
        };
        let pnl = gross - self.fees;
        let cost = self.entry_cost.to_f64().abs();
        let return_pct = if cost > 0.0 {
            pnl.to_f64() / cost * 100.0
        } else {
            0.0
        };
        let nanos = self.exit_at.as_u64().saturating_sub(self.entry_at.as_u64());
        RoundTrip {
            symbol: self.symbol,
            side: self.side,
            quantity: Quantity::from_raw(self.quantity),
            entry_at: self.entry_at,
            exit_at: self.exit_at,
            entry_price: average_price(self.entry_cost, self.quantity),
            exit_price: average_price(self.exit_value, self.quantity),
            pnl,
            return_pct,
            fees: self.fees,
            holding: Duration::from_nanos(nanos),
        }
    }
}

/// `amount × part / whole`, truncated toward zero, for `0 < part ≤ whole`. Never overflows: the
/// product is formed as `(amount / whole) × part + (amount % whole) × part / whole`.
fn prorate(amount: Money, part: i64, whole: i64) -> Money {
    if part >= whole || whole <= 0 {
        return amount;
    }
    Money::from_raw(mul_div(amount.raw(), i128::from(part), i128::from(whole)))
}

/// `value × numerator / denominator` without forming the full product, for a positive
/// denominator and `|numerator| ≤ max(denominator, 10⁹)`.
fn mul_div(value: i128, numerator: i128, denominator: i128) -> i128 {
    let whole = (value / denominator).saturating_mul(numerator);
    let rest = (value % denominator).saturating_mul(numerator) / denominator;
    whole.saturating_add(rest)
}

/// Volume-weighted price: `notional / quantity`, truncated toward zero past 10⁻⁹.
fn average_price(notional: Money, quantity: i64) -> Price {
    if quantity <= 0 {
        return Price::ZERO;
    }
    let raw = mul_div(notional.raw(), i128::from(SCALE), i128::from(quantity));
    Price::from_raw(i64::try_from(raw).unwrap_or(if raw < 0 { i64::MIN } else { i64::MAX }))
}

#[cfg(test)]
mod tests;
