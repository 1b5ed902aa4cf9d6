//! Airlock's exact prices and quantities as QuestDB `DOUBLE`s, and back.
//!
//! Airlock holds every price and quantity as an integer count of 10⁻⁹ units; QuestDB's candle
//! columns are IEEE-754 doubles. Writing divides the raw count by 10⁹ in `f64` (one correctly
//! rounded division of an exactly represented integer); reading prints the double's exact binary
//! value rounded to nine decimals and parses that text with core's decimal parser, so no other
//! `f64` arithmetic is involved.
//!
//! A value survives the round trip exactly when its magnitude is below 2²³ = 8,388,608 units:
//! there the raw count is below 2⁵³ (so it is an exact double), a double's spacing is at most
//! 2⁻³⁰ ≈ 9.3·10⁻¹⁰, so the stored double lies within 4.7·10⁻¹⁰ of the exact value and rounding
//! it to nine decimals recovers it. Every listed share price and
//! most volumes are far below that bound; whole numbers are exact up to 2⁵³. Beyond the bound
//! the writer checks the round trip of that one value and refuses it if it would come back
//! different ([`exact_double`] returns `None`), so a value is never stored inexactly.

use std::io::Write as _;

use airlock_core::num::{NumError, SCALE, parse_scaled};

/// Below this many raw units (2²³ whole units) the round trip is exact by construction.
const EXACT_BELOW: u64 = (1 << 23) * SCALE.unsigned_abs();

/// The double a raw 10⁻⁹ count is stored as.
#[expect(
    clippy::cast_precision_loss,
    reason = "the division is the documented conversion; exact_double checks the round trip"
)]
pub fn to_double(raw: i64) -> f64 {
    raw as f64 / SCALE as f64
}

/// The double for `raw` if reading it back gives `raw` again, else `None`.
pub fn exact_double(raw: i64) -> Option<f64> {
    let double = to_double(raw);
    if raw.unsigned_abs() < EXACT_BELOW || from_double(double).ok() == Some(raw) {
        Some(double)
    } else {
        None
    }
}

/// Why a double read from QuestDB is not an Airlock value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoubleError {
    /// NaN or an infinity (QuestDB's NULL for a DOUBLE arrives as NaN or NULL).
    #[error("{0} is not a finite number")]
    NotFinite(String),
    /// Larger than the fixed-point range (±9.2·10⁹ units).
    #[error("{0} is outside the fixed-point range")]
    OutOfRange(String),
    /// The decimal text could not be parsed.
    #[error(transparent)]
    Parse(#[from] NumError),
}

/// The raw 10⁻⁹ count nearest to `double`: its exact value rounded to nine decimals.
///
/// # Errors
/// [`DoubleError`] for NaN, infinities and values outside ±9.2·10⁹.
pub fn from_double(double: f64) -> Result<i64, DoubleError> {
    if !double.is_finite() {
        return Err(DoubleError::NotFinite(double.to_string()));
    }
    if double.abs() >= 9.2e9 {
        return Err(DoubleError::OutOfRange(double.to_string()));
    }
    // At most "-9199999999.999999999": 21 bytes.
    let mut text = [0_u8; 32];
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    write!(cursor, "{double:.9}").map_err(|_| DoubleError::OutOfRange(double.to_string()))?;
    let written = usize::try_from(cursor.position()).unwrap_or(0);
    Ok(parse_scaled(&text[..written], false)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_below_the_bound_round_trip_exactly() {
        for raw in [
            1,
            -1,
            133_550_000_000,
            133_559_999_999,
            999_999_999,
            8_388_607_999_999_999,
            -8_388_607_999_999_999,
            1_234_567_891,
        ] {
            let double = exact_double(raw).unwrap();
            assert_eq!(from_double(double), Ok(raw), "{raw}");
        }
    }

    #[test]
    fn a_dense_sweep_of_nine_decimal_prices_round_trips() {
        // Every 7919th nano between 0 and 5,000 units, plus the last nanos below the bound.
        let mut raw: i64 = 0;
        while raw < 5_000 * SCALE {
            assert_eq!(from_double(to_double(raw)), Ok(raw), "{raw}");
            raw += 7_919_000_013;
        }
        for raw in (EXACT_BELOW.cast_signed() - 10_000)..EXACT_BELOW.cast_signed() {
            assert_eq!(from_double(to_double(raw)), Ok(raw), "{raw}");
        }
    }

    #[test]
    fn values_a_double_cannot_carry_are_refused_and_whole_numbers_are_not() {
        // 9,000,000.000000001: the doubles near 9e6 are 2^-29 ≈ 1.9e-9 apart; the nearest one
        // reads back as 9,000,000.000000002.
        assert_eq!(exact_double(9_000_000_000_000_001), None);
        assert_eq!(exact_double(9_000_000 * SCALE), Some(9_000_000.0));
    }

    #[test]
    fn non_finite_and_huge_doubles_are_errors() {
        assert!(matches!(
            from_double(f64::NAN),
            Err(DoubleError::NotFinite(_))
        ));
        assert!(matches!(
            from_double(f64::INFINITY),
            Err(DoubleError::NotFinite(_))
        ));
        assert!(matches!(from_double(1e10), Err(DoubleError::OutOfRange(_))));
        assert_eq!(from_double(-0.0), Ok(0));
    }
}
