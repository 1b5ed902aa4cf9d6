//! Corporate-action adjustment: [`Adjust`] and the exact integer arithmetic behind it.
//!
//! Factors are held as `i128` fixed-point numbers at 10⁻¹⁸ ([`ONE`]); each adjusted price or
//! volume is computed from its raw value with one final rounding (half away from zero) to the
//! 10⁻⁹ scale of [`Price`] and [`Quantity`]. No `f64` is involved.

use std::fmt;
use std::str::FromStr;

use airlock_core::{Candle, CandleError, Price, Quantity};
use thiserror::Error;

/// Which corporate actions to fold into prices before a backtest sees them.
///
/// Only layouts that carry corporate-action data are affected:
/// - Alpha Vantage daily adjusted (raw prices): `Splits` divides every price before a split by
///   the product of all later split coefficients and multiplies volume by it, so the latest
///   prices stay as traded and a split is no longer a crash. `All` additionally back-adjusts for
///   cash dividends the CRSP/Yahoo way: on each ex-date every earlier price is multiplied by
///   `1 − dividend / previous close` (volume is adjusted for splits only). With `All`, GOOGL's
///   2014 class-C distribution (booked by Alpha Vantage as a 567.97 dividend) is adjusted away;
///   with `Splits` it shows as a −50 % day, because the file does not call it a split.
/// - Yahoo (OHLC already split-adjusted): `None` and `Splits` use the prices as given; `All`
///   scales open, high, low and close by `Adj Close / Close`.
/// - Plain, pandas and HistData files carry no adjustment data: every value is a no-op there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Adjust {
    /// Raw prices as the file has them.
    None,
    /// Back-adjust for splits (and reverse splits).
    Splits,
    /// Back-adjust for splits and cash dividends (total-return prices). The default.
    #[default]
    All,
}

impl Adjust {
    /// The name accepted by [`FromStr`]: `none`, `splits` or `all`.
    pub fn name(self) -> &'static str {
        match self {
            Adjust::None => "none",
            Adjust::Splits => "splits",
            Adjust::All => "all",
        }
    }
}

impl fmt::Display for Adjust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// An adjustment name that is not `none`, `splits` or `all`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown adjustment {0:?}: expected none, splits or all")]
pub struct ParseAdjustError(String);

impl FromStr for Adjust {
    type Err = ParseAdjustError;
    /// Reads `none`, `splits` or `all` (any case).
    fn from_str(text: &str) -> Result<Self, ParseAdjustError> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Ok(Adjust::None),
            "splits" => Ok(Adjust::Splits),
            "all" => Ok(Adjust::All),
            _ => Err(ParseAdjustError(text.to_owned())),
        }
    }
}

/// 1.0 at the factor scale of 10⁻¹⁸.
pub(crate) const ONE: i128 = 1_000_000_000_000_000_000;

/// Reads a non-negative decimal factor at 10⁻¹⁸, rounding half up past 18 decimals.
///
/// Alpha Vantage writes split coefficients such as `7.00000700001` and `0.166666666667`, with
/// more decimals than a [`Price`] holds; the factor keeps them all. `None` for anything but
/// digits with at most one decimal point, or a whole part above 10⁹.
pub(crate) fn parse_factor(text: &[u8]) -> Option<i128> {
    let (whole, fraction) = match text.iter().position(|byte| *byte == b'.') {
        Some(dot) => (text.get(..dot)?, text.get(dot + 1..)?),
        None => (text, &[][..]),
    };
    if (whole.is_empty() && fraction.is_empty()) || whole.len() > 9 {
        return None;
    }
    let mut value: i128 = 0;
    for byte in whole {
        value = value * 10 + i128::from(digit(*byte)?);
    }
    let mut scale = ONE;
    let mut round_up = false;
    for (position, byte) in fraction.iter().enumerate() {
        let digit = digit(*byte)?;
        if position < 18 {
            scale /= 10;
            value = value * 10 + i128::from(digit);
        } else if position == 18 {
            round_up = digit >= 5;
        }
    }
    Some(value * scale + i128::from(round_up))
}

fn digit(byte: u8) -> Option<u8> {
    byte.is_ascii_digit().then(|| byte - b'0')
}

/// A row with a corporate action: a split coefficient other than 1 or a dividend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Action {
    /// Index of the row (its ex-date) in the candle vector.
    pub(crate) index: usize,
    /// Split coefficient at 10⁻¹⁸ ([`ONE`] is no split, 2-for-1 is 2·[`ONE`]); always positive.
    pub(crate) split: i128,
    /// Cash dividend per share in raw 10⁻⁹ units; never negative.
    pub(crate) dividend: i64,
}

/// Why an adjustment failed, with the row and column at fault.
#[derive(Debug)]
pub(crate) struct AdjustFailure {
    pub(crate) index: usize,
    pub(crate) column: Column,
    pub(crate) reason: String,
}

/// The column an adjustment failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Open,
    High,
    Low,
    Close,
    Volume,
    Dividend,
    Split,
}

impl Column {
    pub(crate) fn of_candle_error(error: &CandleError) -> Column {
        match error {
            CandleError::NonPositivePrice { field, .. } => match *field {
                "open" => Column::Open,
                "high" => Column::High,
                "low" => Column::Low,
                _ => Column::Close,
            },
            CandleError::HighBelowBody { .. } => Column::High,
            CandleError::LowAboveBody { .. } => Column::Low,
            CandleError::NegativeVolume(_) => Column::Volume,
        }
    }
}

/// Back-adjusts raw Alpha Vantage candles in place for `actions` (ascending by index).
pub(crate) fn adjust_raw(
    candles: &mut [Candle],
    actions: &[Action],
    adjust: Adjust,
) -> Result<(), AdjustFailure> {
    if adjust == Adjust::None {
        return Ok(());
    }
    // Walk backwards: rows at or after an action keep the factors of later actions only.
    let mut split_product = ONE;
    let mut dividend_factor = ONE;
    let mut upper = candles.len();
    for action in actions.iter().rev() {
        let rows = candles.get_mut(action.index..upper).unwrap_or_default();
        scale_rows(rows, action.index, split_product, dividend_factor)?;
        upper = action.index;
        let overflow = || AdjustFailure {
            index: action.index,
            column: Column::Split,
            reason: "the cumulative split factor is out of range".into(),
        };
        split_product = mul_one(split_product, action.split).ok_or_else(overflow)?;
        if adjust == Adjust::All && action.dividend > 0 {
            let Some(previous) = action.index.checked_sub(1).and_then(|at| candles.get(at)) else {
                continue; // a dividend on the first row has no earlier price to adjust
            };
            let factor = dividend_step(action, previous.close())?;
            dividend_factor = mul_one(dividend_factor, factor).ok_or_else(overflow)?;
        }
    }
    let rows = candles.get_mut(..upper).unwrap_or_default();
    scale_rows(rows, 0, split_product, dividend_factor)
}

/// `1 − dividend / previous close` at 10⁻¹⁸. The dividend is per share after any split on the
/// same day, so it is scaled back by the split coefficient to the previous close's basis.
fn dividend_step(action: &Action, previous_close: Price) -> Result<i128, AdjustFailure> {
    let failure = |reason: String| AdjustFailure {
        index: action.index,
        column: Column::Dividend,
        reason,
    };
    // (10⁻⁹ × 10⁻¹⁸) / 10⁻⁹ leaves the ratio at 10⁻¹⁸.
    let ratio = i128::from(action.dividend)
        .checked_mul(action.split)
        .and_then(|product| round_div(product, i128::from(previous_close.raw())))
        .ok_or_else(|| failure("the dividend is out of range".into()))?;
    let factor = ONE - ratio;
    if factor <= 0 {
        return Err(failure(format!(
            "dividend {} is not below the previous close {previous_close}",
            Price::from_raw(action.dividend)
        )));
    }
    Ok(factor)
}

/// Multiplies prices by `dividend_factor / split_product` and volume by `split_product`.
fn scale_rows(
    rows: &mut [Candle],
    first_index: usize,
    split_product: i128,
    dividend_factor: i128,
) -> Result<(), AdjustFailure> {
    if split_product == ONE && dividend_factor == ONE {
        return Ok(());
    }
    for (offset, candle) in rows.iter_mut().enumerate() {
        let index = first_index + offset;
        let price = |value: Price, column: Column| -> Result<Price, AdjustFailure> {
            i128::from(value.raw())
                .checked_mul(dividend_factor)
                .and_then(|product| round_div(product, split_product))
                .and_then(|raw| i64::try_from(raw).ok())
                .map(Price::from_raw)
                .ok_or_else(|| out_of_range(index, column))
        };
        let volume = mul_one(i128::from(candle.volume().raw()), split_product)
            .and_then(|raw| i64::try_from(raw).ok())
            .map(Quantity::from_raw)
            .ok_or_else(|| out_of_range(index, Column::Volume))?;
        *candle = rebuild(
            candle,
            index,
            [
                price(candle.open(), Column::Open)?,
                price(candle.high(), Column::High)?,
                price(candle.low(), Column::Low)?,
                price(candle.close(), Column::Close)?,
            ],
            volume,
        )?;
    }
    Ok(())
}

/// Scales a Yahoo row's OHLC by `adj_close / close`, volume unchanged.
pub(crate) fn scale_by_adjusted_close(
    candle: &Candle,
    index: usize,
    adj_close: Price,
) -> Result<Candle, AdjustFailure> {
    let close = i128::from(candle.close().raw());
    let price = |value: Price, column: Column| -> Result<Price, AdjustFailure> {
        i128::from(value.raw())
            .checked_mul(i128::from(adj_close.raw()))
            .and_then(|product| round_div(product, close))
            .and_then(|raw| i64::try_from(raw).ok())
            .map(Price::from_raw)
            .ok_or_else(|| out_of_range(index, column))
    };
    rebuild(
        candle,
        index,
        [
            price(candle.open(), Column::Open)?,
            price(candle.high(), Column::High)?,
            price(candle.low(), Column::Low)?,
            price(candle.close(), Column::Close)?,
        ],
        candle.volume(),
    )
}

fn rebuild(
    candle: &Candle,
    index: usize,
    [open, high, low, close]: [Price; 4],
    volume: Quantity,
) -> Result<Candle, AdjustFailure> {
    Candle::new(candle.ts(), open, high, low, close, volume).map_err(|error| AdjustFailure {
        index,
        column: Column::of_candle_error(&error),
        reason: format!("after adjustment: {error}"),
    })
}

fn out_of_range(index: usize, column: Column) -> AdjustFailure {
    AdjustFailure {
        index,
        column,
        reason: "the adjusted value is out of range".into(),
    }
}

/// `value × factor / ONE`, rounded half away from zero, without overflowing on large factors.
fn mul_one(value: i128, factor: i128) -> Option<i128> {
    let whole = value.checked_mul(factor / ONE)?;
    let part = value.checked_mul(factor % ONE)?;
    whole.checked_add(round_div(part, ONE)?)
}

/// `numerator / denominator` rounded half away from zero; `None` for a non-positive
/// denominator.
pub(crate) fn round_div(numerator: i128, denominator: i128) -> Option<i128> {
    if denominator <= 0 {
        return None;
    }
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.unsigned_abs() >= denominator.unsigned_abs() - remainder.unsigned_abs() {
        Some(if numerator < 0 {
            quotient - 1
        } else {
            quotient + 1
        })
    } else {
        Some(quotient)
    }
}
