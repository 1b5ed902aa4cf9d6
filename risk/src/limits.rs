//! The limits the risk manager enforces: [`RiskLimits`], read from the `[risk]` table of an
//! environment file.

use airlock_core::{Money, Price, Quantity, Rate, Symbol};
use serde::Deserialize;

use crate::exact;
use crate::session::Session;

/// Every limit of the pre-trade checks, one field per rule.
///
/// **Fail closed:** a limit that is absent (`None`) is not "unlimited"; the rule it belongs to
/// refuses every order with the reason `limit … is not configured`. So [`RiskLimits::default`]
/// refuses everything. Exact numbers are written as integers or as decimal strings (`"0.05"`);
/// floating-point numbers are refused so that a limit is exactly what was written. Unknown keys
/// are errors. The README of the `risk/` folder shows the `[risk]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskLimits {
    /// Largest quantity of one order, in units.
    #[serde(default, deserialize_with = "exact::option")]
    pub max_order_quantity: Option<Quantity>,
    /// Largest notional of one order (quantity × its limit or stop price, or the last price).
    #[serde(default, deserialize_with = "exact::option")]
    pub max_order_notional: Option<Money>,
    /// Largest absolute position per symbol in units, counting working orders.
    #[serde(default, deserialize_with = "exact::option")]
    pub max_position: Option<Quantity>,
    /// Largest gross exposure (Σ |position| × last price, working orders included).
    #[serde(default, deserialize_with = "exact::option")]
    pub max_gross_exposure: Option<Money>,
    /// Largest absolute net exposure (|Σ position × last price|, working orders included).
    #[serde(default, deserialize_with = "exact::option")]
    pub max_net_exposure: Option<Money>,
    /// Largest gross exposure as a multiple of equity (`"1"` is a cash account).
    #[serde(default, deserialize_with = "exact::option")]
    pub max_leverage: Option<Rate>,
    /// How far a limit price may be from the last price.
    #[serde(default)]
    pub price_collar: Option<PriceCollar>,
    /// Oldest last price an order may be judged on, in milliseconds. Older refuses the order.
    #[serde(default)]
    pub max_price_age_ms: Option<u64>,
    /// Orders approved per rolling second.
    #[serde(default)]
    pub orders_per_second: Option<Throttle>,
    /// Orders approved per rolling minute.
    #[serde(default)]
    pub orders_per_minute: Option<Throttle>,
    /// An order identical to one approved less than this many milliseconds ago (same symbol,
    /// side, quantity, type and prices) is refused as a duplicate. `0` refuses none.
    #[serde(default)]
    pub duplicate_window_ms: Option<u64>,
    /// Symbols no order may trade (case does not matter). `[]` blocks none. Reloadable at run
    /// time with [`RiskManager::set_blocked_symbols`](crate::RiskManager::set_blocked_symbols).
    #[serde(default)]
    pub blocked_symbols: Option<Vec<Symbol>>,
    /// When orders are allowed (UTC), e.g. `["mon-fri 13:30-20:00"]`.
    #[serde(default)]
    pub sessions: Option<Vec<Session>>,
    /// Loss since the start of the UTC day (equity at the day's start minus equity now) above
    /// which trading moves to Halted.
    #[serde(default, deserialize_with = "exact::option")]
    pub max_daily_loss: Option<Money>,
    /// Fall from the day's peak equity, as a fraction of that peak (`"0.03"` = 3 %), above which
    /// trading moves to Reducing.
    #[serde(default, deserialize_with = "exact::option")]
    pub max_drawdown_fraction: Option<Rate>,
}

/// A price collar. Either bound, or both, may be set; a limit price beyond any set bound is
/// refused. With neither set the collar counts as not configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceCollar {
    /// Largest distance from the last price as a fraction of it (`"0.05"` = 5 %).
    #[serde(default, deserialize_with = "exact::option")]
    pub max_fraction: Option<Rate>,
    /// Largest distance from the last price in ticks (needs `tick_size`).
    #[serde(default)]
    pub max_ticks: Option<u32>,
    /// The instrument's tick size, for `max_ticks`.
    #[serde(default, deserialize_with = "exact::option")]
    pub tick_size: Option<Price>,
}

/// A rate limit per strategy and per account; both must be set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throttle {
    /// Orders one strategy may have approved in the window.
    #[serde(default)]
    pub strategy: Option<u32>,
    /// Orders the whole account may have approved in the window.
    #[serde(default)]
    pub account: Option<u32>,
}

impl RiskLimits {
    /// The names of the limits that are not configured (each refuses every order).
    pub fn missing(&self) -> Vec<&'static str> {
        let collar_set = self.price_collar.is_some_and(|collar| {
            collar.max_fraction.is_some()
                || (collar.max_ticks.is_some() && collar.tick_size.is_some())
        });
        let throttle_set = |throttle: Option<Throttle>| {
            throttle.is_some_and(|one| one.strategy.is_some() && one.account.is_some())
        };
        [
            ("max_order_quantity", self.max_order_quantity.is_some()),
            ("max_order_notional", self.max_order_notional.is_some()),
            ("max_position", self.max_position.is_some()),
            ("max_gross_exposure", self.max_gross_exposure.is_some()),
            ("max_net_exposure", self.max_net_exposure.is_some()),
            ("max_leverage", self.max_leverage.is_some()),
            ("price_collar", collar_set),
            ("max_price_age_ms", self.max_price_age_ms.is_some()),
            ("orders_per_second", throttle_set(self.orders_per_second)),
            ("orders_per_minute", throttle_set(self.orders_per_minute)),
            ("duplicate_window_ms", self.duplicate_window_ms.is_some()),
            ("blocked_symbols", self.blocked_symbols.is_some()),
            ("sessions", self.sessions.is_some()),
            ("max_daily_loss", self.max_daily_loss.is_some()),
            (
                "max_drawdown_fraction",
                self.max_drawdown_fraction.is_some(),
            ),
        ]
        .into_iter()
        .filter(|(_, set)| !set)
        .map(|(name, _)| name)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `[risk]` table as documented in risk/README.md.
    const README_TABLE: &str = r#"
[risk]
max_order_quantity = 5000
max_order_notional = "250000"
max_position = 10000
max_gross_exposure = "1000000"
max_net_exposure = "500000"
max_leverage = "2"
price_collar = { max_fraction = "0.05", max_ticks = 200, tick_size = "0.01" }
max_price_age_ms = 5000
orders_per_second = { strategy = 5, account = 10 }
orders_per_minute = { strategy = 60, account = 120 }
duplicate_window_ms = 2000
blocked_symbols = ["gme", "AMC"]
sessions = ["mon-fri 13:30-20:00"]
max_daily_loss = "20000"
max_drawdown_fraction = "0.03"
"#;

    #[derive(Deserialize)]
    struct File {
        risk: RiskLimits,
    }

    #[test]
    fn the_documented_table_configures_every_limit_exactly() {
        let limits = toml::from_str::<File>(README_TABLE).unwrap().risk;
        assert_eq!(limits.missing(), Vec::<&str>::new());
        assert_eq!(limits.max_order_notional, Some(Money::from_units(250_000)));
        assert_eq!(
            limits.price_collar.unwrap().max_fraction,
            Some("0.05".parse().unwrap())
        );
        assert_eq!(
            limits.blocked_symbols.unwrap(),
            [Symbol::parse("GME").unwrap(), Symbol::parse("AMC").unwrap()]
        );
        assert_eq!(
            limits.sessions.unwrap()[0].to_string(),
            "mon-fri 13:30-20:00"
        );
    }

    #[test]
    fn absent_limits_are_listed_as_missing_not_unlimited() {
        let limits = toml::from_str::<File>("[risk]\nmax_order_quantity = 10\n")
            .unwrap()
            .risk;
        let missing = limits.missing();
        assert!(!missing.contains(&"max_order_quantity"));
        assert!(missing.contains(&"max_order_notional"));
        assert_eq!(missing.len(), 14);
        assert_eq!(RiskLimits::default().missing().len(), 15);
        // Half a throttle or a tick bound without a tick size is not configured either.
        let partial = RiskLimits {
            orders_per_second: Some(Throttle {
                strategy: Some(1),
                account: None,
            }),
            price_collar: Some(PriceCollar {
                max_fraction: None,
                max_ticks: Some(5),
                tick_size: None,
            }),
            ..RiskLimits::default()
        };
        assert!(partial.missing().contains(&"orders_per_second"));
        assert!(partial.missing().contains(&"price_collar"));
    }

    #[test]
    fn floats_typos_and_bad_numbers_are_refused() {
        let float = toml::from_str::<File>("[risk]\nmax_order_notional = 0.1\n");
        assert!(
            float.err().unwrap().to_string().contains("floating-point"),
            "floats must be refused"
        );
        let typo = toml::from_str::<File>("[risk]\nmax_order_notionl = \"1\"\n");
        assert!(typo.err().unwrap().to_string().contains("unknown field"));
        let too_precise = toml::from_str::<File>("[risk]\nmax_leverage = \"0.0000000001\"\n");
        assert!(too_precise.is_err());
        let bad_symbol = toml::from_str::<File>("[risk]\nblocked_symbols = [\"A B\"]\n");
        assert!(bad_symbol.is_err());
        let bad_session = toml::from_str::<File>("[risk]\nsessions = [\"mon 9-5\"]\n");
        assert!(bad_session.err().unwrap().to_string().contains("session"));
    }
}
