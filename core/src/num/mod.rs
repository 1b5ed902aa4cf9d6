//! Exact fixed-point numbers: [`Price`], [`Quantity`], [`Money`] and [`Rate`].
//!
//! Every value is an integer count of 10⁻⁹ units ([`SCALE`]). Prices and quantities are `i64`
//! (±9.2·10⁹ units), money is `i128` so that `price × quantity` can never overflow. Parsing never
//! goes through `f64`: text with more than nine significant decimals is refused, not rounded,
//! unless the caller asks for rounding by name ([`Price::parse_rounded`]).
#![deny(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

mod parse;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use parse::parse_scaled_wide;
pub use parse::{NumError, parse_scaled};

/// Number of raw units in one whole unit: values are stored as multiples of 10⁻⁹.
pub const SCALE: i64 = 1_000_000_000;
const SCALE_I128: i128 = 1_000_000_000;

/// Divides `numerator` by `SCALE`, rounding half away from zero. Never overflows.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "the quotient is far from i128's bounds"
)]
fn div_scale_round(numerator: i128) -> i128 {
    let quotient = numerator / SCALE_I128;
    let remainder = numerator % SCALE_I128;
    // |remainder| < SCALE, so doubling cannot overflow.
    if remainder.unsigned_abs() * 2 >= SCALE_I128.unsigned_abs() {
        if numerator < 0 {
            quotient - 1
        } else {
            quotient + 1
        }
    } else {
        quotient
    }
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "division by a non-zero constant"
)]
/// Writes `raw / 10⁹` as a decimal with trailing zeros removed ("12.5", "-0.000000001", "7").
fn fmt_scaled(raw: i128, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let sign = if raw < 0 { "-" } else { "" };
    let magnitude = raw.unsigned_abs();
    let whole = magnitude / SCALE_I128.unsigned_abs();
    let fraction = magnitude % SCALE_I128.unsigned_abs();
    if fraction == 0 {
        return f.pad_integral(true, "", &format!("{sign}{whole}"));
    }
    let digits = format!("{fraction:09}");
    let digits = digits.trim_end_matches('0');
    f.pad(&format!("{sign}{whole}.{digits}"))
}

macro_rules! fixed_i64 {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(i64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);
            /// One whole unit.
            pub const ONE: Self = Self(SCALE);
            /// The largest representable value.
            pub const MAX: Self = Self(i64::MAX);

            /// Builds a value from its raw count of 10⁻⁹ units. Every `i64` is valid.
            pub const fn from_raw(raw: i64) -> Self {
                Self(raw)
            }

            /// The raw count of 10⁻⁹ units.
            pub const fn raw(self) -> i64 {
                self.0
            }

            /// A whole number of units, or `None` if it does not fit.
            pub const fn from_units(units: i64) -> Option<Self> {
                match units.checked_mul(SCALE) {
                    Some(raw) => Some(Self(raw)),
                    None => None,
                }
            }

            #[doc = concat!("Parses a decimal ", $what, ", rounding half away from zero past nine decimals.")]
            ///
            /// Use only where the source is known to carry noise digits (an adjusted close with
            /// twelve decimals); [`FromStr`] refuses such text instead.
            ///
            /// # Errors
            /// [`NumError`] when the text is not a plain decimal or is out of range.
            pub fn parse_rounded(text: &str) -> Result<Self, NumError> {
                parse_scaled(text.as_bytes(), true).map(Self)
            }

            /// `self + other`, or `None` on overflow.
            pub const fn checked_add(self, other: Self) -> Option<Self> {
                match self.0.checked_add(other.0) {
                    Some(raw) => Some(Self(raw)),
                    None => None,
                }
            }

            /// `self - other`, or `None` on overflow.
            pub const fn checked_sub(self, other: Self) -> Option<Self> {
                match self.0.checked_sub(other.0) {
                    Some(raw) => Some(Self(raw)),
                    None => None,
                }
            }

            /// `self × rate`, rounded half away from zero, or `None` if it does not fit.
            pub fn checked_mul_rate(self, rate: Rate) -> Option<Self> {
                let product = i128::from(self.0).checked_mul(i128::from(rate.0))?;
                i64::try_from(div_scale_round(product)).ok().map(Self)
            }

            /// The absolute value, or `None` for the minimum value.
            pub const fn checked_abs(self) -> Option<Self> {
                match self.0.checked_abs() {
                    Some(raw) => Some(Self(raw)),
                    None => None,
                }
            }

            /// `-self`, or `None` for the minimum value.
            pub const fn checked_neg(self) -> Option<Self> {
                match self.0.checked_neg() {
                    Some(raw) => Some(Self(raw)),
                    None => None,
                }
            }

            /// The smaller of the two.
            pub fn min_of(self, other: Self) -> Self {
                std::cmp::min(self, other)
            }

            /// True when strictly above zero.
            pub const fn is_positive(self) -> bool {
                self.0 > 0
            }

            /// True when strictly below zero.
            pub const fn is_negative(self) -> bool {
                self.0 < 0
            }

            /// True when zero.
            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }

            /// The value rounded toward zero to a whole number of units.
            pub const fn trunc_units(self) -> Self {
                // `self.0 % SCALE` has the sign of `self.0` and a smaller magnitude: no overflow.
                #[expect(clippy::arithmetic_side_effects, reason = "remainder is smaller in magnitude")]
                Self(self.0 - self.0 % SCALE)
            }

            /// Lossy conversion for statistics and charts only (never for orders or ledgers).
            #[expect(clippy::cast_precision_loss, reason = "documented lossy conversion for statistics")]
            pub fn to_f64(self) -> f64 {
                self.0 as f64 / SCALE as f64
            }
        }

        impl FromStr for $name {
            type Err = NumError;
            /// Parses a plain decimal such as `"187.25"` or `"-3"`. More than nine significant
            /// decimals is an error, never silently rounded.
            fn from_str(text: &str) -> Result<Self, NumError> {
                parse_scaled(text.as_bytes(), false).map(Self)
            }
        }

        impl TryFrom<rust_decimal::Decimal> for $name {
            type Error = NumError;
            fn try_from(value: rust_decimal::Decimal) -> Result<Self, NumError> {
                value.to_string().parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_scaled(i128::from(self.0), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fixed_i64!(
    /// A price, exact to 10⁻⁹. Tick sizes are enforced where orders are validated, not here.
    Price,
    "price"
);
fixed_i64!(
    /// A quantity of an instrument, exact to 10⁻⁹ units. Signed: positions can be short.
    Quantity,
    "quantity"
);
fixed_i64!(
    /// A dimensionless ratio, exact to 10⁻⁹: fee rates, slippage, participation, sizing fractions.
    Rate,
    "rate"
);

impl Price {
    /// `price × quantity` as money, exact to 10⁻⁹ (rounded half away from zero past that).
    /// Cannot overflow: the product of two `i64` fits in `i128`.
    #[inline]
    pub fn notional(self, quantity: Quantity) -> Money {
        // Whole-unit quantities (the common case) need no 128-bit division: the price's scale is
        // the money's scale. |i64 × i64| < 2¹²⁶ fits in i128 either way.
        #[expect(
            clippy::arithmetic_side_effects,
            reason = "i64 × i64 always fits in i128"
        )]
        if quantity.0 % SCALE == 0 {
            Money(i128::from(self.0) * i128::from(quantity.0 / SCALE))
        } else {
            Money(div_scale_round(i128::from(self.0) * i128::from(quantity.0)))
        }
    }
}

impl Rate {
    /// A rate given in basis points (1 bp = 0.0001), or `None` if it does not fit.
    #[expect(
        clippy::arithmetic_side_effects,
        reason = "division of a widened i64 by a constant"
    )]
    pub fn from_bps(bps: Rate) -> Option<Rate> {
        // 1 bp = 10⁻⁴, so bps × 10⁻⁴ = raw / 10⁴, rounded half away from zero.
        let raw = i128::from(bps.0);
        let quotient = raw / 10_000;
        let remainder = raw % 10_000;
        let rounded = if remainder.unsigned_abs() * 2 >= 10_000 {
            if raw < 0 { quotient - 1 } else { quotient + 1 }
        } else {
            quotient
        };
        i64::try_from(rounded).ok().map(Rate)
    }
}

impl Quantity {
    /// The same magnitude with the sign given by `side_sign` (+1 or -1); `None` on overflow.
    pub fn with_sign(self, negative: bool) -> Option<Quantity> {
        if negative {
            self.checked_neg()
        } else {
            Some(self)
        }
    }
}

/// An amount of money in the account currency, exact to 10⁻⁹.
///
/// Held in `i128`: ±1.7·10²⁰ currency units, far beyond any ledger Airlock keeps, so `+`, `-`
/// and unary `-` are implemented as operators.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i128);

impl Money {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// Builds money from its raw count of 10⁻⁹ units.
    pub const fn from_raw(raw: i128) -> Self {
        Self(raw)
    }

    /// The raw count of 10⁻⁹ units.
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// A whole number of currency units.
    pub fn from_units(units: i64) -> Self {
        #[expect(
            clippy::arithmetic_side_effects,
            reason = "i64 × 10⁹ always fits in i128"
        )]
        Self(i128::from(units) * SCALE_I128)
    }

    /// `self × rate`, rounded half away from zero, or `None` if it does not fit.
    pub fn checked_mul_rate(self, rate: Rate) -> Option<Money> {
        let product = self.0.checked_mul(i128::from(rate.0))?;
        Some(Money(div_scale_round(product)))
    }

    /// How many units at `price` this money buys, rounded down to a whole number of units.
    /// `None` when the price is not positive or the result does not fit a [`Quantity`].
    pub fn whole_units_at(self, price: Price) -> Option<Quantity> {
        if price.0 <= 0 || self.0 <= 0 {
            return (price.0 > 0).then_some(Quantity::ZERO);
        }
        // units = money / price, both at 10⁻⁹: the scales cancel.
        let units = self.0.checked_div(i128::from(price.0))?;
        let units = i64::try_from(units).ok()?;
        Quantity::from_units(units)
    }

    /// The larger of the two.
    pub fn max_of(self, other: Self) -> Self {
        std::cmp::max(self, other)
    }

    /// True when strictly below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// True when strictly above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(raw) => Some(Self(raw)),
            None => None,
        }
    }

    /// Lossy conversion for statistics and charts only (never for ledgers).
    ///
    /// Amounts that fit in 64 bits (about ±9.2 billion) convert through `i64`, a single
    /// instruction instead of a 128-bit software routine; both conversions round to nearest, so
    /// the result is the same.
    #[expect(
        clippy::cast_precision_loss,
        reason = "documented lossy conversion for statistics"
    )]
    pub fn to_f64(self) -> f64 {
        match i64::try_from(self.0) {
            Ok(raw) => raw as f64 / SCALE as f64,
            Err(_) => self.0 as f64 / SCALE as f64,
        }
    }
}

#[expect(
    clippy::arithmetic_side_effects,
    reason = "i128 money: see the type's documentation"
)]
mod money_ops {
    use super::Money;
    use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

    impl Add for Money {
        type Output = Money;
        fn add(self, other: Money) -> Money {
            Money(self.0 + other.0)
        }
    }
    impl Sub for Money {
        type Output = Money;
        fn sub(self, other: Money) -> Money {
            Money(self.0 - other.0)
        }
    }
    impl Neg for Money {
        type Output = Money;
        fn neg(self) -> Money {
            Money(-self.0)
        }
    }
    impl AddAssign for Money {
        fn add_assign(&mut self, other: Money) {
            self.0 += other.0;
        }
    }
    impl SubAssign for Money {
        fn sub_assign(&mut self, other: Money) {
            self.0 -= other.0;
        }
    }
    impl std::iter::Sum for Money {
        fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
            iter.fold(Money(0), |total, item| total + item)
        }
    }
}

impl FromStr for Money {
    type Err = NumError;
    fn from_str(text: &str) -> Result<Self, NumError> {
        parse_scaled_wide(text.as_bytes(), false).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_scaled(self.0, f)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
