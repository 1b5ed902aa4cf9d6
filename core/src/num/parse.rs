//! The one decimal parser behind every fixed-point type: bytes in, raw 10⁻⁹ units out.

use thiserror::Error;

/// Why a decimal could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NumError {
    /// The text was empty.
    #[error("empty number")]
    Empty,
    /// A character that is not a digit, a leading sign or one decimal point.
    #[error("not a plain decimal number: {0:?}")]
    Invalid(String),
    /// More than nine significant decimals, refused rather than rounded.
    #[error("more than 9 decimals: {0:?}")]
    TooPrecise(String),
    /// The value does not fit the type.
    #[error("out of range: {0:?}")]
    OutOfRange(String),
}

fn lossy(text: &[u8]) -> String {
    String::from_utf8_lossy(text).into_owned()
}

/// Parses a plain decimal (`-12.5`, `+3`, `.25`, `7.`) into raw 10⁻⁹ units.
///
/// With `round` false, digits past the ninth decimal must all be zeros; with `round` true they
/// are rounded half away from zero. Exponents, thousands separators, `NaN` and `inf` are refused.
///
/// # Errors
/// [`NumError`] naming the offending text.
pub fn parse_scaled(text: &[u8], round: bool) -> Result<i64, NumError> {
    let wide = parse_scaled_wide(text, round)?;
    i64::try_from(wide).map_err(|_| NumError::OutOfRange(lossy(text)))
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "every step is bounded by the digit checks"
)]
pub(crate) fn parse_scaled_wide(text: &[u8], round: bool) -> Result<i128, NumError> {
    let (negative, body) = match text.first() {
        None => return Err(NumError::Empty),
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        Some(_) => (false, text),
    };
    if body.is_empty() {
        return Err(NumError::Invalid(lossy(text)));
    }
    let mut whole: i128 = 0;
    let mut index = 0;
    let mut any_digit = false;
    while index < body.len() {
        let byte = body[index];
        if byte.is_ascii_digit() {
            // 30 integer digits still fit i128 scaled by 10⁹ (i128 holds ~1.7·10³⁸).
            if whole > 10_i128.pow(28) {
                return Err(NumError::OutOfRange(lossy(text)));
            }
            whole = whole * 10 + i128::from(byte - b'0');
            any_digit = true;
            index += 1;
        } else if byte == b'.' {
            break;
        } else {
            return Err(NumError::Invalid(lossy(text)));
        }
    }
    let mut fraction: i128 = 0;
    let mut fraction_digits = 0u32;
    let mut round_up = false;
    if index < body.len() {
        // body[index] == '.'
        index += 1;
        let mut extra_nonzero = false;
        let mut first_extra = true;
        while index < body.len() {
            let byte = body[index];
            if !byte.is_ascii_digit() {
                return Err(NumError::Invalid(lossy(text)));
            }
            any_digit = true;
            let digit = byte - b'0';
            if fraction_digits < 9 {
                fraction = fraction * 10 + i128::from(digit);
                fraction_digits += 1;
            } else {
                if first_extra {
                    round_up = digit >= 5;
                    first_extra = false;
                }
                extra_nonzero |= digit != 0;
            }
            index += 1;
        }
        if extra_nonzero && !round {
            return Err(NumError::TooPrecise(lossy(text)));
        }
    }
    if !any_digit {
        return Err(NumError::Invalid(lossy(text)));
    }
    fraction *= 10_i128.pow(9 - fraction_digits);
    let mut magnitude = whole * 1_000_000_000 + fraction;
    if round && round_up {
        magnitude += 1;
    }
    Ok(if negative { -magnitude } else { magnitude })
}
