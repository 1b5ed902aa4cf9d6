//! Read-only answers: the account, the clock, assets, positions and order lists.

use airlock_core::{Money, Price, Quantity, Side, Symbol, UnixNanos};

use crate::error::ApiError;
use crate::ids::{parse_instant, rfc3339};
use crate::state::{SimState, Status};
use crate::wire::{
    AccountJson, AssetJson, ClockJson, EXCHANGE, OrderJson, PositionJson, US_EQUITY, ratio,
};

/// Nanoseconds in a day.
const DAY: u64 = 86_400_000_000_000;

/// The query of `GET /v2/orders`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub(crate) status: Option<String>,
    pub(crate) limit: Option<String>,
    pub(crate) after: Option<String>,
    pub(crate) until: Option<String>,
    pub(crate) direction: Option<String>,
    pub(crate) symbols: Option<String>,
    pub(crate) side: Option<String>,
}

/// `GET /v2/clock`. The simulator is always open: `next_close` is the next UTC midnight and
/// `next_open` the same instant (it reopens at once).
pub(crate) fn clock(now: UnixNanos) -> ClockJson {
    let midnight = now
        .as_u64()
        .checked_div(DAY)
        .and_then(|days| days.checked_add(1))
        .and_then(|days| days.checked_mul(DAY))
        .unwrap_or(u64::MAX);
    let next = rfc3339(UnixNanos::new(midnight));
    ClockJson {
        timestamp: rfc3339(now),
        is_open: true,
        next_open: next.clone(),
        next_close: next,
    }
}

impl SimState {
    /// `GET /v2/account`: a cash account (multiplier 1); buying power is cash minus what open
    /// buy orders hold.
    pub(crate) fn account_json(&self) -> AccountJson {
        let cash = self.engine.cash(self.account);
        let equity = self.engine.equity(self.account);
        let long: Money = self
            .engine
            .positions(self.account)
            .iter()
            .filter(|position| position.quantity().is_positive())
            .map(|position| {
                self.market_value(position.symbol(), position.quantity(), position.cost())
            })
            .sum();
        let short = equity - cash - long;
        let buying_power = self.buying_power(None).max_of(Money::ZERO).to_string();
        AccountJson {
            id: self.account_id.to_string(),
            account_number: self.account_number.clone(),
            status: "ACTIVE",
            crypto_status: "INACTIVE",
            currency: "USD",
            cash: cash.to_string(),
            buying_power: buying_power.clone(),
            regt_buying_power: buying_power.clone(),
            daytrading_buying_power: "0".into(),
            effective_buying_power: buying_power.clone(),
            non_marginable_buying_power: buying_power,
            options_buying_power: "0".into(),
            accrued_fees: "0".into(),
            pending_transfer_in: "0".into(),
            pending_transfer_out: "0".into(),
            portfolio_value: equity.to_string(),
            equity: equity.to_string(),
            last_equity: self.initial_cash.to_string(),
            long_market_value: long.to_string(),
            short_market_value: short.to_string(),
            position_market_value: (long + short).to_string(),
            initial_margin: "0".into(),
            maintenance_margin: "0".into(),
            last_maintenance_margin: "0".into(),
            sma: "0".into(),
            multiplier: "1".into(),
            pattern_day_trader: false,
            daytrade_count: 0,
            trading_blocked: false,
            transfers_blocked: false,
            account_blocked: false,
            trade_suspended_by_user: false,
            shorting_enabled: false,
            options_approved_level: 0,
            options_trading_level: 0,
            created_at: rfc3339(self.created_at),
        }
    }

    /// `quantity` marked at the symbol's last price, or its cost without one.
    fn market_value(&self, symbol: Symbol, quantity: Quantity, cost: Money) -> Money {
        match self.engine.last_price(symbol) {
            Some(price) => price.notional(quantity),
            None => cost,
        }
    }

    /// One asset as JSON.
    pub(crate) fn asset_json(&self, index: usize) -> Option<AssetJson> {
        let asset = self.assets.get(index)?;
        Some(AssetJson {
            id: asset.id.to_string(),
            class: US_EQUITY,
            exchange: EXCHANGE,
            symbol: asset.symbol.as_str().to_owned(),
            name: format!("{} (simulated)", asset.symbol),
            status: "active",
            tradable: true,
            marginable: false,
            shortable: false,
            easy_to_borrow: false,
            fractionable: true,
            attributes: Vec::new(),
        })
    }

    /// `GET /v2/assets`: every asset, in the order they were registered. Only `us_equity`
    /// assets exist; other classes and inactive assets list nothing.
    pub(crate) fn assets_json(
        &self,
        status: Option<&str>,
        class: Option<&str>,
    ) -> Result<Vec<AssetJson>, ApiError> {
        let status_matches = match status {
            None | Some("active") => true,
            Some("inactive") => false,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "status: must be active or inactive, got {other:?}"
                )));
            }
        };
        let class_matches = match class {
            None | Some("us_equity") => true,
            Some(_) => false,
        };
        if !(status_matches && class_matches) {
            return Ok(Vec::new());
        }
        Ok((0..self.assets.len())
            .filter_map(|index| self.asset_json(index))
            .collect())
    }

    /// The open position in one asset, or `None` when flat.
    pub(crate) fn position_json(&self, asset_index: usize) -> Option<PositionJson> {
        let asset = self.assets.get(asset_index)?;
        let position = self
            .engine
            .positions(self.account)
            .into_iter()
            .find(|position| position.symbol() == asset.symbol)?;
        let quantity = position.quantity();
        let cost = position.cost();
        let current = self
            .engine
            .last_price(asset.symbol)
            .or(asset.last)
            .or(position.average_price())
            .unwrap_or(Price::ZERO);
        let previous = asset.previous.unwrap_or(current);
        let market_value = current.notional(quantity);
        let unrealized = market_value - cost;
        let intraday = market_value - previous.notional(quantity);
        let previous_value = previous.notional(quantity);
        let available = if quantity.is_positive() {
            self.quantity_available(asset.symbol, None)
        } else {
            quantity.checked_abs().unwrap_or(Quantity::ZERO)
        };
        let change = Money::from_raw(i128::from(current.raw()) - i128::from(previous.raw()));
        Some(PositionJson {
            asset_id: asset.id.to_string(),
            symbol: asset.symbol.as_str().to_owned(),
            exchange: EXCHANGE,
            asset_class: US_EQUITY,
            asset_marginable: false,
            avg_entry_price: position
                .average_price()
                .map_or_else(|| "0".into(), |price| price.to_string()),
            qty: quantity.to_string(),
            qty_available: available.max(Quantity::ZERO).to_string(),
            side: if quantity.is_negative() {
                "short"
            } else {
                "long"
            },
            market_value: market_value.to_string(),
            cost_basis: cost.to_string(),
            unrealized_pl: unrealized.to_string(),
            unrealized_plpc: ratio(unrealized, cost),
            unrealized_intraday_pl: intraday.to_string(),
            unrealized_intraday_plpc: ratio(intraday, previous_value),
            current_price: current.to_string(),
            lastday_price: previous.to_string(),
            change_today: ratio(change, Money::from_raw(i128::from(previous.raw()))),
        })
    }

    /// `GET /v2/positions`: every open position, in the order the symbols were registered.
    pub(crate) fn positions_json(&self) -> Vec<PositionJson> {
        (0..self.assets.len())
            .filter_map(|index| self.position_json(index))
            .collect()
    }

    /// `GET /v2/orders` with Alpaca's filters: `status` (open, closed, all; default open),
    /// `limit` (1–500, default 50), `after`/`until` (submission time, exclusive), `direction`
    /// (asc, desc; default desc), `symbols` (comma-separated), `side`.
    pub(crate) fn list_orders(&self, query: &ListQuery) -> Result<Vec<OrderJson>, ApiError> {
        let wanted: fn(Status) -> bool = match query.status.as_deref() {
            None | Some("open") => Status::is_open,
            Some("closed") => |status| !status.is_open(),
            Some("all") => |_| true,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "status: must be open, closed or all; got {other:?}"
                )));
            }
        };
        let limit = match query.limit.as_deref() {
            None => 50,
            Some(text) => match text.parse::<usize>() {
                Ok(limit) if (1..=500).contains(&limit) => limit,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "limit: must be a whole number from 1 to 500, got {text:?}"
                    )));
                }
            },
        };
        let instant = |field: &str, text: Option<&str>| -> Result<Option<UnixNanos>, ApiError> {
            text.map(|text| {
                parse_instant(text).ok_or_else(|| {
                    ApiError::invalid(format!(
                        "{field}: {text:?} is not an RFC 3339 timestamp or a YYYY-MM-DD date"
                    ))
                })
            })
            .transpose()
        };
        let after = instant("after", query.after.as_deref())?;
        let until = instant("until", query.until.as_deref())?;
        let ascending = match query.direction.as_deref() {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "direction: must be asc or desc, got {other:?}"
                )));
            }
        };
        let side = match query.side.as_deref() {
            None | Some("") => None,
            Some("buy") => Some(Side::Buy),
            Some("sell") => Some(Side::Sell),
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "side: must be buy or sell, got {other:?}"
                )));
            }
        };
        let symbols: Option<Vec<Symbol>> = match query.symbols.as_deref() {
            None | Some("") => None,
            Some(list) => Some(
                list.split(',')
                    .filter(|name| !name.trim().is_empty())
                    .map(|name| {
                        Symbol::parse(name.trim()).map_err(|error| {
                            ApiError::invalid(format!(
                                "symbols: {name:?} is not a symbol ({error})"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let selected = self.orders.iter().enumerate().filter(|(_, order)| {
            wanted(order.status)
                && after.is_none_or(|after| order.created_at > after)
                && until.is_none_or(|until| order.created_at < until)
                && side.is_none_or(|side| order.side == side)
                && symbols
                    .as_ref()
                    .is_none_or(|symbols| symbols.contains(&order.symbol))
        });
        let indices: Vec<usize> = if ascending {
            selected.map(|(index, _)| index).take(limit).collect()
        } else {
            selected.rev().map(|(index, _)| index).take(limit).collect()
        };
        Ok(indices
            .into_iter()
            .filter_map(|index| self.order_json(index))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_open_and_rolls_at_the_next_utc_midnight() {
        let now = UnixNanos::new(1_702_420_284_668_464_435);
        let clock = clock(now);
        assert!(clock.is_open);
        assert_eq!(clock.timestamp, "2023-12-12T22:31:24.668464435Z");
        assert_eq!(clock.next_close, "2023-12-13T00:00:00.000000000Z");
        assert_eq!(clock.next_open, clock.next_close);
    }
}
