//! Market data an order is judged on: a usable, fresh last price, and the price collar.

use airlock_core::{OrderKind, Price, Symbol, UnixNanos};

use crate::limits::PriceCollar;
use crate::rule::{Refusal, Rule};

const NANOS_PER_MS: u64 = 1_000_000;

/// A last trade or quote price and when it was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) price: Price,
    pub(crate) at: UnixNanos,
}

/// The last price must exist and be positive. It is never replaced by a default.
pub(crate) fn usable_price(symbol: Symbol, mark: Option<Mark>) -> Result<Mark, Refusal> {
    match mark {
        None => Err(Refusal::new(
            Rule::NoPrice,
            format!("no price for {symbol}"),
        )),
        Some(mark) if !mark.price.is_positive() => Err(Refusal::new(
            Rule::NoPrice,
            format!(
                "the last price of {symbol}, {}, is not positive",
                mark.price
            ),
        )),
        Some(mark) => Ok(mark),
    }
}

/// The last price must be at most `max_age_ms` old at `now`. A price stamped after `now` counts
/// as fresh.
pub(crate) fn fresh_price(
    max_age_ms: Option<u64>,
    symbol: Symbol,
    mark: Mark,
    now: UnixNanos,
) -> Result<(), Refusal> {
    let Some(max_age_ms) = max_age_ms else {
        return Err(Refusal::not_configured(
            Rule::StalePrice,
            "max_price_age_ms",
        ));
    };
    let age = now.as_u64().saturating_sub(mark.at.as_u64());
    if age > max_age_ms.saturating_mul(NANOS_PER_MS) {
        return Err(Refusal::new(
            Rule::StalePrice,
            format!(
                "the last price of {symbol} is {} ms old (from {}); the limit is {max_age_ms} ms",
                age / NANOS_PER_MS,
                mark.at
            ),
        ));
    }
    Ok(())
}

/// A limit price farther from the last price than any configured bound is refused. Orders
/// without a limit price pass (they are judged on the fresh last price instead).
pub(crate) fn price_collar(
    collar: Option<PriceCollar>,
    kind: OrderKind,
    last: Price,
) -> Result<(), Refusal> {
    let configured = collar.filter(|collar| {
        collar.max_fraction.is_some() || (collar.max_ticks.is_some() && collar.tick_size.is_some())
    });
    let Some(collar) = configured else {
        return Err(Refusal::not_configured(Rule::PriceCollar, "price_collar"));
    };
    let Some(limit) = kind.limit_price() else {
        return Ok(());
    };
    let distance = limit
        .checked_sub(last)
        .and_then(Price::checked_abs)
        .ok_or_else(|| Refusal::new(Rule::PriceCollar, format!("limit {limit} is out of range")))?;
    if let Some(fraction) = collar.max_fraction {
        let allowed = last.checked_mul_rate(fraction).unwrap_or(Price::ZERO);
        if distance > allowed {
            return Err(Refusal::new(
                Rule::PriceCollar,
                format!(
                    "limit {limit} is {distance} from the last price {last}; at most {allowed} \
                     ({fraction} of it) is allowed"
                ),
            ));
        }
    }
    if let (Some(ticks), Some(tick_size)) = (collar.max_ticks, collar.tick_size) {
        let allowed = tick_size
            .raw()
            .checked_mul(i64::from(ticks))
            .map_or(Price::MAX, Price::from_raw);
        if distance > allowed {
            return Err(Refusal::new(
                Rule::PriceCollar,
                format!(
                    "limit {limit} is {distance} from the last price {last}; at most {ticks} \
                     ticks of {tick_size} ({allowed}) are allowed"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(text: &str) -> Price {
        text.parse().unwrap()
    }

    fn symbol() -> Symbol {
        Symbol::parse("AAPL").unwrap()
    }

    fn at(seconds: u64) -> UnixNanos {
        UnixNanos::new(seconds * 1_000_000_000)
    }

    #[test]
    fn missing_zero_and_negative_prices_are_never_replaced() {
        assert_eq!(
            usable_price(symbol(), None).unwrap_err().to_string(),
            "refused by no_price: no price for AAPL"
        );
        for bad in ["0", "-1"] {
            let mark = Mark {
                price: px(bad),
                at: at(0),
            };
            assert_eq!(
                usable_price(symbol(), Some(mark)).unwrap_err().rule,
                Rule::NoPrice
            );
        }
        // Non-finite prices cannot exist: prices are exact integers and parsing refuses them.
        for text in ["NaN", "inf", "-inf", "1e3"] {
            assert!(text.parse::<Price>().is_err(), "{text} parsed");
        }
        let good = Mark {
            price: px("0.000000001"),
            at: at(0),
        };
        assert_eq!(usable_price(symbol(), Some(good)), Ok(good));
    }

    #[test]
    fn a_price_exactly_at_the_age_limit_passes_and_one_ms_older_is_stale() {
        let mark = Mark {
            price: px("10"),
            at: at(100),
        };
        let limit = Some(5_000);
        assert!(fresh_price(limit, symbol(), mark, at(105)).is_ok());
        let stale =
            fresh_price(limit, symbol(), mark, UnixNanos::new(105_001_000_000)).unwrap_err();
        assert_eq!(
            stale.reason,
            "the last price of AAPL is 5001 ms old (from 1970-01-01T00:01:40Z); the limit is 5000 ms"
        );
        // From the future (clock skew) counts as fresh; no limit fails closed.
        assert!(fresh_price(limit, symbol(), mark, at(50)).is_ok());
        assert!(fresh_price(None, symbol(), mark, at(100)).is_err());
    }

    #[test]
    fn collar_by_fraction_is_inclusive_at_the_bound() {
        let collar = Some(PriceCollar {
            max_fraction: Some("0.05".parse().unwrap()),
            max_ticks: None,
            tick_size: None,
        });
        let limit = |price: &str| OrderKind::Limit { limit: px(price) };
        assert!(price_collar(collar, limit("105"), px("100")).is_ok());
        assert!(price_collar(collar, limit("95"), px("100")).is_ok());
        let over = price_collar(collar, limit("105.01"), px("100")).unwrap_err();
        assert_eq!(
            over.reason,
            "limit 105.01 is 5.01 from the last price 100; at most 5 (0.05 of it) is allowed"
        );
        assert!(price_collar(collar, limit("94.99"), px("100")).is_err());
        // Market and stop orders have no limit price to collar.
        assert!(price_collar(collar, OrderKind::Market, px("100")).is_ok());
        assert!(price_collar(collar, OrderKind::Stop { stop: px("50") }, px("100")).is_ok());
    }

    #[test]
    fn collar_by_ticks_and_unconfigured_collars() {
        let collar = Some(PriceCollar {
            max_fraction: None,
            max_ticks: Some(10),
            tick_size: Some(px("0.01")),
        });
        let limit = |price: &str| OrderKind::Limit { limit: px(price) };
        assert!(price_collar(collar, limit("100.10"), px("100")).is_ok());
        let over = price_collar(collar, limit("100.11"), px("100")).unwrap_err();
        assert!(
            over.reason.contains("10 ticks of 0.01 (0.1)"),
            "{}",
            over.reason
        );
        let stop_limit = OrderKind::StopLimit {
            stop: px("100"),
            limit: px("90"),
        };
        assert!(price_collar(collar, stop_limit, px("100")).is_err());
        let ticks_without_size = Some(PriceCollar {
            max_fraction: None,
            max_ticks: Some(10),
            tick_size: None,
        });
        assert!(price_collar(ticks_without_size, OrderKind::Market, px("1")).is_err());
        assert!(price_collar(None, OrderKind::Market, px("1")).is_err());
    }
}
