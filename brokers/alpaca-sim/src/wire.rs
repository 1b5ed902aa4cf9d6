//! The JSON Alpaca speaks: response objects with Alpaca's field names (decimals as strings,
//! timestamps as RFC 3339, enums in lower case), and a reader for request bodies that names the
//! field in every refusal.

use airlock_core::{Money, Price, Quantity, SCALE};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// An order as `GET /v2/orders/{id}` returns it (and as the `order` of a trade update).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OrderJson {
    pub(crate) id: String,
    pub(crate) client_order_id: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) submitted_at: String,
    pub(crate) filled_at: Option<String>,
    pub(crate) expired_at: Option<String>,
    pub(crate) canceled_at: Option<String>,
    pub(crate) failed_at: Option<String>,
    pub(crate) replaced_at: Option<String>,
    pub(crate) replaced_by: Option<String>,
    pub(crate) replaces: Option<String>,
    pub(crate) asset_id: String,
    pub(crate) symbol: String,
    pub(crate) asset_class: &'static str,
    pub(crate) notional: Option<String>,
    pub(crate) qty: String,
    pub(crate) filled_qty: String,
    pub(crate) filled_avg_price: Option<String>,
    pub(crate) order_class: &'static str,
    pub(crate) order_type: &'static str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) side: &'static str,
    pub(crate) position_intent: &'static str,
    pub(crate) time_in_force: &'static str,
    pub(crate) limit_price: Option<String>,
    pub(crate) stop_price: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) extended_hours: bool,
    pub(crate) legs: Option<Vec<OrderJson>>,
    pub(crate) trail_percent: Option<String>,
    pub(crate) trail_price: Option<String>,
    pub(crate) hwm: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) subtag: Option<String>,
}

/// `GET /v2/account`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AccountJson {
    pub(crate) id: String,
    pub(crate) account_number: String,
    pub(crate) status: &'static str,
    pub(crate) crypto_status: &'static str,
    pub(crate) currency: &'static str,
    pub(crate) cash: String,
    pub(crate) buying_power: String,
    pub(crate) regt_buying_power: String,
    pub(crate) daytrading_buying_power: String,
    pub(crate) effective_buying_power: String,
    pub(crate) non_marginable_buying_power: String,
    pub(crate) options_buying_power: String,
    pub(crate) accrued_fees: String,
    pub(crate) pending_transfer_in: String,
    pub(crate) pending_transfer_out: String,
    pub(crate) portfolio_value: String,
    pub(crate) equity: String,
    pub(crate) last_equity: String,
    pub(crate) long_market_value: String,
    pub(crate) short_market_value: String,
    pub(crate) position_market_value: String,
    pub(crate) initial_margin: String,
    pub(crate) maintenance_margin: String,
    pub(crate) last_maintenance_margin: String,
    pub(crate) sma: String,
    pub(crate) multiplier: String,
    pub(crate) pattern_day_trader: bool,
    pub(crate) daytrade_count: u32,
    pub(crate) trading_blocked: bool,
    pub(crate) transfers_blocked: bool,
    pub(crate) account_blocked: bool,
    pub(crate) trade_suspended_by_user: bool,
    pub(crate) shorting_enabled: bool,
    pub(crate) options_approved_level: u32,
    pub(crate) options_trading_level: u32,
    pub(crate) created_at: String,
}

/// `GET /v2/clock`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClockJson {
    pub(crate) timestamp: String,
    pub(crate) is_open: bool,
    pub(crate) next_open: String,
    pub(crate) next_close: String,
}

/// `GET /v2/assets/{symbol}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AssetJson {
    pub(crate) id: String,
    pub(crate) class: &'static str,
    pub(crate) exchange: &'static str,
    pub(crate) symbol: String,
    pub(crate) name: String,
    pub(crate) status: &'static str,
    pub(crate) tradable: bool,
    pub(crate) marginable: bool,
    pub(crate) shortable: bool,
    pub(crate) easy_to_borrow: bool,
    pub(crate) fractionable: bool,
    pub(crate) attributes: Vec<String>,
}

/// `GET /v2/positions/{symbol}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PositionJson {
    pub(crate) asset_id: String,
    pub(crate) symbol: String,
    pub(crate) exchange: &'static str,
    pub(crate) asset_class: &'static str,
    pub(crate) asset_marginable: bool,
    pub(crate) avg_entry_price: String,
    pub(crate) qty: String,
    pub(crate) qty_available: String,
    pub(crate) side: &'static str,
    pub(crate) market_value: String,
    pub(crate) cost_basis: String,
    pub(crate) unrealized_pl: String,
    pub(crate) unrealized_plpc: String,
    pub(crate) unrealized_intraday_pl: String,
    pub(crate) unrealized_intraday_plpc: String,
    pub(crate) current_price: String,
    pub(crate) lastday_price: String,
    pub(crate) change_today: String,
}

/// One entry of the `207 Multi-Status` answer of `DELETE /v2/orders`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CancelResultJson {
    pub(crate) id: String,
    pub(crate) status: u16,
    pub(crate) body: OrderJson,
}

/// One entry of the `207 Multi-Status` answer of `DELETE /v2/positions`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CloseResultJson {
    pub(crate) symbol: String,
    pub(crate) status: u16,
    pub(crate) body: Value,
}

/// The exchange every simulated asset is listed on: one of the values Alpaca's clients know.
pub(crate) const EXCHANGE: &str = "NASDAQ";
/// The only asset class the simulator trades.
pub(crate) const US_EQUITY: &str = "us_equity";

/// `numerator / denominator` (both at 10⁻⁹ scale) as a decimal string rounded half away from
/// zero to nine decimals; `"0"` when the denominator is zero or the value does not fit.
pub(crate) fn ratio(numerator: Money, denominator: Money) -> String {
    match scaled_div(numerator.raw(), denominator.raw()) {
        Some(raw) => Money::from_raw(raw).to_string(),
        None => "0".into(),
    }
}

/// The average price of `notional` over `quantity`, rounded half away from zero to 10⁻⁹.
pub(crate) fn average_price(notional: Money, quantity: Quantity) -> Option<Price> {
    let raw = scaled_div(notional.raw(), i128::from(quantity.raw()))?;
    i64::try_from(raw).ok().map(Price::from_raw)
}

/// `a × 10⁹ / b`, rounded half away from zero; `None` for `b = 0` or on overflow.
fn scaled_div(numerator: i128, denominator: i128) -> Option<i128> {
    if denominator == 0 {
        return None;
    }
    let scaled = numerator.checked_mul(i128::from(SCALE))?;
    let quotient = scaled.checked_div(denominator)?;
    let remainder = scaled.checked_rem(denominator)?;
    let twice = remainder.unsigned_abs().checked_mul(2)?;
    if twice >= denominator.unsigned_abs() {
        let negative = (scaled < 0) != (denominator < 0);
        if negative {
            quotient.checked_sub(1)
        } else {
            quotient.checked_add(1)
        }
    } else {
        Some(quotient)
    }
}

/// A request body: a JSON object read field by field, so every refusal names its field.
#[derive(Debug, Default)]
pub(crate) struct Fields(Map<String, Value>);

impl Fields {
    /// Parses a body; an empty body is an empty object.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::bad_request(
                "request body format is invalid: expected a JSON object",
            )),
            Err(error) => Err(ApiError::bad_request(format!(
                "request body format is invalid: {error}"
            ))),
        }
    }

    /// True when the field is there and not `null`.
    pub(crate) fn present(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|value| !value.is_null())
    }

    /// True when no field is there or every one is `null`.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.values().all(Value::is_null)
    }

    /// A string field; `None` when absent or `null`.
    pub(crate) fn text(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(ApiError::invalid(format!(
                "{name}: expected a string, got {other}"
            ))),
        }
    }

    /// A boolean field; `None` when absent or `null`.
    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(ApiError::invalid(format!(
                "{name}: expected true or false, got {other}"
            ))),
        }
    }

    /// A decimal sent as a JSON string (Alpaca's form) or a JSON number (alpaca-py sends
    /// floats); the number's shortest round-trip text is parsed exactly, never through
    /// arithmetic on `f64`. More than nine decimals is refused.
    pub(crate) fn decimal<T>(&self, name: &str) -> Result<Option<T>, ApiError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let text = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(text)) => text.trim().to_owned(),
            Some(Value::Number(number)) => number.to_string(),
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "{name}: expected a decimal string, got {other}"
                )));
            }
        };
        text.parse::<T>().map(Some).map_err(|error| {
            ApiError::invalid(format!("{name}: {text:?} is not a valid decimal ({error})"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_averages_round_half_away_from_zero_at_nine_decimals() {
        let money = |text: &str| text.parse::<Money>().unwrap();
        assert_eq!(ratio(money("1"), money("3")), "0.333333333");
        assert_eq!(ratio(money("2"), money("3")), "0.666666667");
        assert_eq!(ratio(money("-2"), money("3")), "-0.666666667");
        assert_eq!(ratio(money("5"), Money::ZERO), "0");
        let quantity = Quantity::from_units(3).unwrap();
        assert_eq!(
            average_price(money("301"), quantity),
            Some("100.333333333".parse().unwrap())
        );
        assert_eq!(
            average_price(money("300.5"), Quantity::from_units(2).unwrap()),
            Some("150.25".parse().unwrap())
        );
    }

    #[test]
    fn fields_name_the_field_in_every_refusal() {
        let fields = Fields::parse(br#"{"qty": 1.5, "limit_price": "10.25", "side": 3, "notional": null, "x": "1.0000000001"}"#)
            .unwrap();
        assert_eq!(
            fields.decimal::<Quantity>("qty").unwrap(),
            Some("1.5".parse().unwrap())
        );
        assert_eq!(
            fields.decimal::<Price>("limit_price").unwrap(),
            Some("10.25".parse().unwrap())
        );
        assert!(!fields.present("notional"));
        assert!(fields.present("qty"));
        let error = fields.text("side").unwrap_err();
        assert_eq!(error.message, "side: expected a string, got 3");
        let error = fields.decimal::<Quantity>("x").unwrap_err();
        assert!(
            error
                .message
                .starts_with("x: \"1.0000000001\" is not a valid decimal")
        );
        assert_eq!(
            Fields::parse(b"[1]").unwrap_err().status,
            axum::http::StatusCode::BAD_REQUEST
        );
        assert!(Fields::parse(b"  ").unwrap().is_empty());
    }
}
