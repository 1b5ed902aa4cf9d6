//! Pure price rules: at what price (if any) an order trades against a candle or a close, and how
//! slippage moves it. No state; every rule is a small function tested on its own.

use airlock_core::{Candle, Liquidity, OrderKind, Price, Rate, Side};

/// What one candle does to one working order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Outcome {
    /// The execution price and liquidity flag, if the order trades on this candle.
    pub(super) fill: Option<(Price, Liquidity)>,
    /// The order's stop traded through on this candle (it was not triggered before).
    pub(super) triggered_now: bool,
}

const NO_TRADE: Outcome = Outcome {
    fill: None,
    triggered_now: false,
};

/// Moves a market or stop fill price against the taker: buys up, sells down, by `slippage` of the
/// price (rounded half away from zero). A sell never slips to zero or below.
pub(super) fn slipped(price: Price, side: Side, slippage: Rate) -> Price {
    let delta = price.checked_mul_rate(slippage).unwrap_or(Price::ZERO);
    match side {
        Side::Buy => price.checked_add(delta).unwrap_or(Price::MAX),
        Side::Sell => price
            .checked_sub(delta)
            .filter(|slipped| slipped.is_positive())
            .unwrap_or(Price::from_raw(1)),
    }
}

/// True when `price` is at or better than `limit` for `side`.
pub(super) fn within(side: Side, price: Price, limit: Price) -> bool {
    match side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}

/// A limit order against a candle: the open if the market opened through the limit (the better
/// price, taker), else the limit itself if the bar traded through it (maker).
pub(super) fn limit_fill(side: Side, limit: Price, candle: &Candle) -> Option<(Price, Liquidity)> {
    let (open, extreme) = match side {
        Side::Buy => (candle.open(), candle.low()),
        Side::Sell => (candle.open(), candle.high()),
    };
    if within(side, open, limit) {
        Some((open, Liquidity::Taker))
    } else if within(side, extreme, limit) {
        Some((limit, Liquidity::Maker))
    } else {
        None
    }
}

/// The price at which a stop triggers on a candle: the open if the bar opened through the stop
/// (gap-through), else the stop itself if the bar traded through it.
pub(super) fn trigger_price(side: Side, stop: Price, candle: &Candle) -> Option<Price> {
    match side {
        Side::Buy if candle.open() >= stop => Some(candle.open()),
        Side::Buy if candle.high() >= stop => Some(stop),
        Side::Sell if candle.open() <= stop => Some(candle.open()),
        Side::Sell if candle.low() <= stop => Some(stop),
        Side::Buy | Side::Sell => None,
    }
}

/// Applies the next-open rules of one candle to one working order.
pub(super) fn on_candle(
    side: Side,
    kind: OrderKind,
    triggered: bool,
    candle: &Candle,
    slippage: Rate,
) -> Outcome {
    let taker = |price: Price| Some((slipped(price, side, slippage), Liquidity::Taker));
    match kind {
        OrderKind::Market | OrderKind::Stop { .. } if triggered || kind == OrderKind::Market => {
            Outcome {
                fill: taker(candle.open()),
                triggered_now: false,
            }
        }
        OrderKind::Limit { limit } | OrderKind::StopLimit { limit, .. }
            if triggered || matches!(kind, OrderKind::Limit { .. }) =>
        {
            Outcome {
                fill: limit_fill(side, limit, candle),
                triggered_now: false,
            }
        }
        OrderKind::Stop { stop } => match trigger_price(side, stop, candle) {
            Some(trigger) => Outcome {
                fill: taker(trigger),
                triggered_now: true,
            },
            None => NO_TRADE,
        },
        OrderKind::StopLimit { stop, limit } => match trigger_price(side, stop, candle) {
            Some(trigger) => Outcome {
                // A stop-limit fill is a limit fill: slipped, but never beyond the limit.
                fill: within(side, trigger, limit).then(|| {
                    let price = slipped(trigger, side, slippage);
                    let capped = if within(side, price, limit) {
                        price
                    } else {
                        limit
                    };
                    (capped, Liquidity::Taker)
                }),
                triggered_now: true,
            },
            None => NO_TRADE,
        },
        OrderKind::Market | OrderKind::Limit { .. } => NO_TRADE,
    }
}

/// The `close` fill model at submit time: a market order fills at the (slipped) close, a limit
/// marketable against the close fills at the close. Stops never fill here.
pub(super) fn at_close(
    side: Side,
    kind: OrderKind,
    close: Price,
    slippage: Rate,
) -> Option<(Price, Liquidity)> {
    match kind {
        OrderKind::Market => Some((slipped(close, side, slippage), Liquidity::Taker)),
        OrderKind::Limit { limit } => {
            within(side, close, limit).then_some((close, Liquidity::Taker))
        }
        OrderKind::Stop { .. } | OrderKind::StopLimit { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_core::{Quantity, UnixNanos};

    fn px(text: &str) -> Price {
        text.parse().unwrap()
    }
    fn bar(open: &str, high: &str, low: &str, close: &str) -> Candle {
        Candle::new(
            UnixNanos::new(0),
            px(open),
            px(high),
            px(low),
            px(close),
            Quantity::ONE,
        )
        .unwrap()
    }
    fn show(outcome: Outcome) -> String {
        let fill = match outcome.fill {
            Some((price, Liquidity::Maker)) => format!("{price} maker"),
            Some((price, Liquidity::Taker)) => format!("{price} taker"),
            None => "none".into(),
        };
        format!(
            "{fill}{}",
            if outcome.triggered_now {
                " triggered"
            } else {
                ""
            }
        )
    }

    #[test]
    fn limit_fills_at_open_on_gap_else_at_limit() {
        let candle = bar("100", "105", "95", "101");
        let cases = [
            (Side::Buy, "101", "100 taker"),
            (Side::Buy, "97", "97 maker"),
            (Side::Buy, "94", "none"),
            (Side::Sell, "99", "100 taker"),
            (Side::Sell, "104", "104 maker"),
            (Side::Sell, "106", "none"),
        ];
        for (side, limit, expected) in cases {
            let kind = OrderKind::Limit { limit: px(limit) };
            let outcome = on_candle(side, kind, false, &candle, "0.01".parse().unwrap());
            assert_eq!(show(outcome), expected, "{side} limit {limit}");
        }
    }

    #[test]
    fn stops_trigger_at_open_on_gap_else_at_stop_and_slip() {
        let candle = bar("100", "105", "95", "101");
        let slippage: Rate = "0.01".parse().unwrap();
        let cases = [
            (Side::Buy, "99", "101 taker triggered"),
            (Side::Buy, "104", "105.04 taker triggered"),
            (Side::Buy, "106", "none"),
            (Side::Sell, "101", "99 taker triggered"),
            (Side::Sell, "96", "95.04 taker triggered"),
            (Side::Sell, "94", "none"),
        ];
        for (side, stop, expected) in cases {
            let kind = OrderKind::Stop { stop: px(stop) };
            assert_eq!(
                show(on_candle(side, kind, false, &candle, slippage)),
                expected,
                "{side} stop {stop}"
            );
        }
        let triggered = OrderKind::Stop { stop: px("1") };
        assert_eq!(
            show(on_candle(Side::Buy, triggered, true, &candle, slippage)),
            "101 taker"
        );
    }

    #[test]
    fn stop_limit_fills_at_trigger_within_limit_else_only_triggers() {
        let candle = bar("100", "105", "95", "101");
        let slippage: Rate = "0.01".parse().unwrap();
        let kind = |stop: &str, limit: &str| OrderKind::StopLimit {
            stop: px(stop),
            limit: px(limit),
        };
        let cases = [
            // Trigger at 104 within limit 110: slipped to 105.04.
            (Side::Buy, kind("104", "110"), "105.04 taker triggered"),
            // Slippage would pass the limit: capped at the limit.
            (Side::Buy, kind("104", "104.5"), "104.5 taker triggered"),
            // Gap through the stop to an open above the limit: triggers, no fill.
            (Side::Buy, kind("99", "99.5"), "none triggered"),
            (Side::Sell, kind("96", "90"), "95.04 taker triggered"),
            (Side::Sell, kind("94", "90"), "none"),
        ];
        for (side, kind, expected) in cases {
            assert_eq!(
                show(on_candle(side, kind, false, &candle, slippage)),
                expected
            );
        }
        // Once triggered it is a plain limit.
        assert_eq!(
            show(on_candle(
                Side::Buy,
                kind("99", "99.5"),
                true,
                &candle,
                slippage
            )),
            "99.5 maker"
        );
    }

    #[test]
    fn market_slips_and_close_model_prices() {
        let candle = bar("100", "105", "95", "101");
        let slippage: Rate = "0.0005".parse().unwrap();
        assert_eq!(
            show(on_candle(
                Side::Sell,
                OrderKind::Market,
                false,
                &candle,
                slippage
            )),
            "99.95 taker"
        );
        assert_eq!(
            at_close(Side::Buy, OrderKind::Market, px("101"), slippage),
            Some((px("101.0505"), Liquidity::Taker))
        );
        let limit = OrderKind::Limit { limit: px("101") };
        assert_eq!(
            at_close(Side::Buy, limit, px("101"), slippage),
            Some((px("101"), Liquidity::Taker))
        );
        assert_eq!(at_close(Side::Sell, limit, px("100.9"), slippage), None);
        assert_eq!(
            slipped(Price::from_raw(1), Side::Sell, Rate::ONE),
            Price::from_raw(1)
        );
    }
}
