//! MT5's vocabulary in ours, exactly: decimal text to fixed-point, lots to units, the account's
//! trade mode to an account kind, return codes to broker errors.

use airlock_core::{
    AccountKind, BrokerError, Money, OrderKind, OrderStatus, Price, Quantity, Side,
};
use serde_json::Value;

use super::wire::{Account, OrderRow, SymbolSpec};

const SCALE: i128 = 1_000_000_000;

pub(crate) fn fatal(reason: impl Into<String>) -> BrokerError {
    BrokerError::Fatal {
        reason: reason.into(),
    }
}

pub(crate) fn rejected(reason: impl Into<String>) -> BrokerError {
    BrokerError::Rejected {
        reason: reason.into(),
    }
}

pub(crate) fn transient(reason: impl Into<String>) -> BrokerError {
    BrokerError::Transient {
        reason: reason.into(),
    }
}

/// Parses a decimal string the bridge sent; a malformed one is a protocol fault.
pub(crate) fn price(field: &str, text: &str) -> Result<Price, BrokerError> {
    text.parse()
        .map_err(|error| fatal(format!("bridge field {field} = {text:?}: {error}")))
}

pub(crate) fn quantity(field: &str, text: &str) -> Result<Quantity, BrokerError> {
    text.parse()
        .map_err(|error| fatal(format!("bridge field {field} = {text:?}: {error}")))
}

pub(crate) fn money(field: &str, text: &str) -> Result<Money, BrokerError> {
    text.parse()
        .map_err(|error| fatal(format!("bridge field {field} = {text:?}: {error}")))
}

/// A symbol's trading rules, exact. Volumes (`volume_*`) are in lots; one lot is
/// `contract_size` units of the instrument, and our [`Quantity`] counts units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) name: String,
    pub(crate) digits: u32,
    pub(crate) tick_size: Price,
    pub(crate) contract_size: Quantity,
    pub(crate) volume_min: Quantity,
    pub(crate) volume_max: Quantity,
    pub(crate) volume_step: Quantity,
    pub(crate) trade_mode: i64,
    pub(crate) exemode: i64,
    pub(crate) filling_mode: i64,
}

/// `SYMBOL_TRADE_EXECUTION_MARKET`: no `return` fill policy for market deals.
pub(crate) const EXECUTION_MARKET: i64 = 2;
const SYMBOL_FILLING_FOK: i64 = 1;
const SYMBOL_FILLING_IOC: i64 = 2;

impl Spec {
    pub(crate) fn from_wire(wire: &SymbolSpec) -> Result<Self, BrokerError> {
        let field = |name: &str| format!("symbol {}: {name}", wire.symbol);
        let spec = Self {
            name: wire.symbol.clone(),
            digits: wire.digits,
            tick_size: price(&field("trade_tick_size"), &wire.trade_tick_size)?,
            contract_size: quantity(&field("trade_contract_size"), &wire.trade_contract_size)?,
            volume_min: quantity(&field("volume_min"), &wire.volume_min)?,
            volume_max: quantity(&field("volume_max"), &wire.volume_max)?,
            volume_step: quantity(&field("volume_step"), &wire.volume_step)?,
            trade_mode: wire.trade_mode,
            exemode: wire.trade_exemode,
            filling_mode: wire.filling_mode,
        };
        for (name, value) in [
            ("trade_contract_size", spec.contract_size),
            ("volume_step", spec.volume_step),
            ("volume_min", spec.volume_min),
        ] {
            if !value.is_positive() {
                return Err(fatal(format!(
                    "{} is {value}; the symbol cannot be traded through this client",
                    field(name)
                )));
            }
        }
        if !spec.tick_size.is_positive() {
            return Err(fatal(format!(
                "{} is {}",
                field("trade_tick_size"),
                spec.tick_size
            )));
        }
        Ok(spec)
    }

    /// Lots for `units`, refused (never rounded) unless it is a whole number of volume steps
    /// within `[volume_min, volume_max]`.
    pub(crate) fn lots(&self, units: Quantity) -> Result<Quantity, BrokerError> {
        let step_units = self.units(self.volume_step).ok();
        let step_text = match step_units {
            Some(step) => format!("{} lots ({step} units)", self.volume_step),
            None => format!("{} lots", self.volume_step),
        };
        let numerator = i128::from(units.raw()) * SCALE;
        let contract = i128::from(self.contract_size.raw());
        let lots_raw = numerator / contract;
        let exact = numerator % contract == 0;
        let step = i128::from(self.volume_step.raw());
        if !exact || lots_raw % step != 0 {
            return Err(rejected(format!(
                "quantity {units} {} is not a whole number of volume steps: MT5 trades {} in \
                 steps of {step_text} (one lot is {} units); the quantity is never rounded",
                self.name, self.name, self.contract_size
            )));
        }
        let lots = i64::try_from(lots_raw)
            .map(Quantity::from_raw)
            .map_err(|_| rejected(format!("quantity {units} {} is too large", self.name)))?;
        if lots < self.volume_min || lots > self.volume_max {
            return Err(rejected(format!(
                "quantity {units} {} is {lots} lots, outside the symbol's volume range \
                 [{}, {}] lots (steps of {step_text})",
                self.name, self.volume_min, self.volume_max
            )));
        }
        Ok(lots)
    }

    /// Units in `lots`.
    pub(crate) fn units(&self, lots: Quantity) -> Result<Quantity, BrokerError> {
        let product = i128::from(lots.raw()) * i128::from(self.contract_size.raw());
        if product % SCALE != 0 {
            return Err(fatal(format!(
                "{lots} lots of {} (contract size {}) is not an exact quantity",
                self.name, self.contract_size
            )));
        }
        i64::try_from(product / SCALE)
            .map(Quantity::from_raw)
            .map_err(|_| fatal(format!("{lots} lots of {} overflows", self.name)))
    }

    /// Refuses a price that is not a whole number of ticks (MT5 answers 10015 to those).
    pub(crate) fn check_price(&self, field: &str, price: Price) -> Result<(), BrokerError> {
        if price.raw() % self.tick_size.raw() != 0 {
            return Err(rejected(format!(
                "{field} {price} is not a multiple of {}'s tick size {} ({} digits)",
                self.name, self.tick_size, self.digits
            )));
        }
        Ok(())
    }

    pub(crate) fn allows_fok(&self) -> bool {
        self.filling_mode & SYMBOL_FILLING_FOK != 0
    }

    pub(crate) fn allows_ioc(&self) -> bool {
        self.filling_mode & SYMBOL_FILLING_IOC != 0
    }

    /// The fill policies a market deal may use on this symbol, for messages.
    pub(crate) fn allowed_fillings(&self) -> String {
        let mut allowed = Vec::new();
        if self.allows_fok() {
            allowed.push("FOK");
        }
        if self.allows_ioc() {
            allowed.push("IOC");
        }
        if self.exemode != EXECUTION_MARKET {
            allowed.push("RETURN");
        }
        if allowed.is_empty() {
            "none".to_owned()
        } else {
            allowed.join(", ")
        }
    }
}

/// The account kind `account_info().trade_mode` stands for, with the name and value read.
///
/// `DEMO` (0) and `CONTEST` (1) are paper, `REAL` (2) is live. A missing, `null`, non-integer
/// or unknown value is refused: DEMO's value is 0, so a default would turn "unknown" into
/// "demo".
pub(crate) fn account_kind(account: &Account) -> Result<(AccountKind, &'static str, i64), String> {
    let refuse = |what: String| {
        format!(
            "account_info().trade_mode {what}; refusing rather than assuming an account kind \
             (DEMO is 0, so no default is safe)"
        )
    };
    match account.get("trade_mode") {
        None => Err(refuse("is missing from the bridge's answer".to_owned())),
        Some(Value::Null) => Err(refuse("is null".to_owned())),
        Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
            match number.as_i64() {
                Some(0) => Ok((AccountKind::Paper, "DEMO", 0)),
                Some(1) => Ok((AccountKind::Paper, "CONTEST", 1)),
                Some(2) => Ok((AccountKind::Live, "REAL", 2)),
                _ => Err(refuse(format!(
                    "is {number}, not DEMO (0), CONTEST (1) or REAL (2)"
                ))),
            }
        }
        Some(other) => Err(refuse(format!("is {other}, not an integer"))),
    }
}

/// How the account books positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginMode {
    /// One position per symbol (`ACCOUNT_MARGIN_MODE_RETAIL_NETTING` or `_EXCHANGE`).
    Netting,
    /// One position per opening deal, closed by ticket (`ACCOUNT_MARGIN_MODE_RETAIL_HEDGING`).
    Hedging,
}

pub(crate) fn margin_mode(account: &Account) -> Result<MarginMode, String> {
    match account.get("margin_mode").and_then(Value::as_i64) {
        Some(0 | 1) => Ok(MarginMode::Netting),
        Some(2) => Ok(MarginMode::Hedging),
        _ => Err(format!(
            "account_info().margin_mode is {}, not NETTING (0), EXCHANGE (1) or HEDGING (2)",
            account
                .get("margin_mode")
                .map_or("missing".to_owned(), Value::to_string)
        )),
    }
}

/// What a successful `order_send` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    /// 10008: a pending order was placed.
    Placed,
    /// 10009: executed.
    Executed,
    /// 10010: executed in part (the rest is cancelled for IOC).
    Partial,
}

/// Maps a trade-server return code: success, or the error class with MT5's own words.
pub(crate) fn retcode(code: i64, name: &str, comment: &str) -> Result<Done, BrokerError> {
    let reason = || {
        format!(
            "MT5 retcode {code} {} ({comment})",
            name.to_ascii_uppercase()
        )
    };
    match code {
        10008 => Ok(Done::Placed),
        10009 => Ok(Done::Executed),
        10010 => Ok(Done::Partial),
        // Requote, price changed, off quotes, too many requests, no connection, timeout,
        // locked for processing, order state changed, common error: not executed, try again.
        10004 | 10011 | 10012 | 10020 | 10021 | 10023 | 10024 | 10028 | 10031 => {
            Err(transient(reason()))
        }
        // Autotrading disabled by the server or in the terminal: an operator must act.
        10026 | 10027 => Err(fatal(reason())),
        _ => Err(rejected(reason())),
    }
}

/// What an `order_send` that returned `None` means, from `last_error()`: `None` when the
/// outcome is unknown (an IPC failure may come after the terminal acted).
pub(crate) fn none_result(code: i64, message: &str) -> Option<BrokerError> {
    let reason = format!("order_send returned None: last_error {code} {message}");
    match code {
        // RES_E_AUTH_FAILED, RES_E_AUTO_TRADING_DISABLED: nothing was sent; an operator must act.
        -6 | -8 => Some(fatal(reason)),
        // RES_E_INVALID_PARAMS, RES_E_UNSUPPORTED: the request never reached the server.
        -2 | -7 => Some(rejected(reason)),
        // RES_E_INTERNAL_FAIL_SEND, _INIT, _CONNECT: never left the terminal.
        -10001 | -10003 | -10004 => Some(transient(reason)),
        _ => None,
    }
}

/// Side and kind of an order row.
pub(crate) fn side_and_kind(row: &OrderRow) -> Result<(Side, OrderKind), BrokerError> {
    let open = || price("order.price_open", &row.price_open);
    let stoplimit = || price("order.price_stoplimit", &row.price_stoplimit);
    let (side, kind) = match row.order_type.as_str() {
        "buy" => (Side::Buy, OrderKind::Market),
        "sell" => (Side::Sell, OrderKind::Market),
        "buy_limit" => (Side::Buy, OrderKind::Limit { limit: open()? }),
        "sell_limit" => (Side::Sell, OrderKind::Limit { limit: open()? }),
        "buy_stop" => (Side::Buy, OrderKind::Stop { stop: open()? }),
        "sell_stop" => (Side::Sell, OrderKind::Stop { stop: open()? }),
        "buy_stop_limit" => (
            Side::Buy,
            OrderKind::StopLimit {
                stop: open()?,
                limit: stoplimit()?,
            },
        ),
        "sell_stop_limit" => (
            Side::Sell,
            OrderKind::StopLimit {
                stop: open()?,
                limit: stoplimit()?,
            },
        ),
        other => {
            return Err(fatal(format!(
                "order {} has type {other}, which this client does not trade",
                row.ticket
            )));
        }
    };
    Ok((side, kind))
}

/// Our status for an order's MT5 state.
pub(crate) fn status(row: &OrderRow) -> Result<OrderStatus, BrokerError> {
    Ok(match row.state.as_str() {
        "started" | "placed" | "request_add" | "request_modify" | "request_cancel" => {
            OrderStatus::Accepted
        }
        "partial" => OrderStatus::PartiallyFilled,
        "filled" => OrderStatus::Filled,
        "canceled" => OrderStatus::Cancelled,
        "expired" => OrderStatus::Expired,
        "rejected" => OrderStatus::Rejected,
        other => {
            return Err(fatal(format!(
                "order {} is in state {other}, which this client does not know",
                row.ticket
            )));
        }
    })
}

pub(crate) fn deal_side(deal_type: &str) -> Option<Side> {
    match deal_type {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn eurusd() -> Spec {
        Spec::from_wire(&SymbolSpec {
            symbol: "EURUSD".into(),
            digits: 5,
            trade_tick_size: "0.00001".into(),
            trade_contract_size: "100000".into(),
            volume_min: "0.01".into(),
            volume_max: "100.00".into(),
            volume_step: "0.01".into(),
            trade_mode: 4,
            trade_exemode: 1,
            filling_mode: 3,
        })
        .unwrap()
    }

    #[test]
    fn units_and_lots_convert_exactly_and_off_step_quantities_are_refused() {
        let spec = eurusd();
        let units: Quantity = "10000".parse().unwrap();
        let lots = spec.lots(units).unwrap();
        assert_eq!(lots.to_string(), "0.1");
        assert_eq!(spec.units(lots).unwrap(), units);
        let refused = spec.lots("1500".parse().unwrap()).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "rejected by broker: quantity 1500 EURUSD is not a whole number of volume steps: \
             MT5 trades EURUSD in steps of 0.01 lots (1000 units) (one lot is 100000 units); \
             the quantity is never rounded"
        );
        assert!(spec.lots("500".parse().unwrap()).is_err());
        assert!(spec.lots("10000100".parse().unwrap()).is_err());
        assert!(spec.lots("0.5".parse().unwrap()).is_err());
    }

    #[test]
    fn prices_must_be_whole_ticks() {
        let spec = eurusd();
        assert!(
            spec.check_price("limit", "1.09905".parse().unwrap())
                .is_ok()
        );
        let error = spec
            .check_price("limit", "1.099055".parse().unwrap())
            .unwrap_err();
        assert!(error.to_string().contains("tick size 0.00001"), "{error}");
    }

    #[test]
    fn trade_mode_never_defaults() {
        let kind = |value: Option<Value>| {
            let mut account = Account::new();
            if let Some(value) = value {
                account.insert("trade_mode".into(), value);
            }
            account_kind(&account).map(|(kind, name, _)| (kind, name))
        };
        assert_eq!(kind(Some(json!(0))), Ok((AccountKind::Paper, "DEMO")));
        assert_eq!(kind(Some(json!(1))), Ok((AccountKind::Paper, "CONTEST")));
        assert_eq!(kind(Some(json!(2))), Ok((AccountKind::Live, "REAL")));
        for garbage in [None, Some(json!(null)), Some(json!("0")), Some(json!(0.0))] {
            let error = kind(garbage.clone()).unwrap_err();
            assert!(error.contains("account_info().trade_mode"), "{error}");
            assert!(error.contains("no default"), "{error}");
        }
        assert!(kind(Some(json!(3))).unwrap_err().contains("is 3"));
        assert!(kind(Some(json!(-1))).is_err());
    }

    #[test]
    fn retcodes_map_to_what_to_do() {
        assert_eq!(retcode(10009, "done", "ok"), Ok(Done::Executed));
        assert_eq!(retcode(10008, "placed", "ok"), Ok(Done::Placed));
        assert_eq!(retcode(10010, "done_partial", "ok"), Ok(Done::Partial));
        for code in [10004, 10020, 10021, 10024, 10031, 10012] {
            assert!(
                retcode(code, "x", "y").unwrap_err().is_retryable(),
                "{code}"
            );
        }
        for code in [10019, 10014, 10015, 10018, 10030, 10006] {
            assert!(
                matches!(retcode(code, "x", "y"), Err(BrokerError::Rejected { .. })),
                "{code}"
            );
        }
        assert!(matches!(
            retcode(10027, "client_disables_at", "Autotrading disabled"),
            Err(BrokerError::Fatal { .. })
        ));
        assert_eq!(
            retcode(10019, "no_money", "No money")
                .unwrap_err()
                .to_string(),
            "rejected by broker: MT5 retcode 10019 NO_MONEY (No money)"
        );
    }

    #[test]
    fn a_none_result_is_unknown_unless_last_error_proves_otherwise() {
        assert!(none_result(-10005, "IPC timeout").is_none());
        assert!(none_result(-10002, "IPC receive failed").is_none());
        assert!(matches!(
            none_result(-8, "Auto-Trading disabled"),
            Some(BrokerError::Fatal { .. })
        ));
        assert!(matches!(
            none_result(-10004, "No IPC connection"),
            Some(BrokerError::Transient { .. })
        ));
    }
}
