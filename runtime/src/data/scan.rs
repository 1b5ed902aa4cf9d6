//! Splitting rows into fields: a fast path for plain rows, a careful path for everything else.
//!
//! The fast path ([`scan_row`]) takes field ends from [`FieldEnds`], which finds every
//! separator and line feed 64 bytes at a time, and decodes plain numbers eight bytes at a time
//! (SWAR). A field it cannot decode exactly is left to core's exact parser; a row with the wrong
//! shape (field count, blank line) goes to the careful path, [`split_line`], whose result the
//! caller turns into the error. Both paths give identical values.

use memchr::memchr;

use super::layout::Columns;

/// The most fields any layout has (Alpha Vantage's nine).
pub(crate) const MAX_FIELDS: usize = 9;

/// One row's fields, with whatever the scan could already decode.
pub(crate) struct Fields<'t> {
    text: [&'t [u8]; MAX_FIELDS],
    /// The value of each numeric field in raw 10⁻⁹ units, when it is a plain decimal.
    fast: [Option<i64>; MAX_FIELDS],
}

impl<'t> Fields<'t> {
    /// Room for one row's fields.
    pub(crate) fn empty() -> Self {
        Fields {
            text: [&[]; MAX_FIELDS],
            fast: [None; MAX_FIELDS],
        }
    }

    /// The bytes of field `column`.
    pub(crate) fn text(&self, column: usize) -> &'t [u8] {
        self.text.get(column).copied().unwrap_or_default()
    }

    /// The value of field `column` if the scan decoded it.
    pub(crate) fn fast(&self, column: usize) -> Option<i64> {
        self.fast.get(column).copied().flatten()
    }

    fn set(&mut self, column: usize, text: &'t [u8], value: Option<i64>) {
        if let Some(slot) = self.text.get_mut(column) {
            *slot = text;
        }
        if let Some(slot) = self.fast.get_mut(column) {
            *slot = value;
        }
    }
}

/// The fast path: reads the row starting at `start` into `fields`, taking field ends from `ends`,
/// and returns where the next line starts; `None` when the row needs the careful path (wrong
/// field count, a blank line). The timestamp is left to the caller; numbers that are plain
/// decimals are decoded.
#[inline]
pub(crate) fn scan_row<'t>(
    text: &'t [u8],
    start: usize,
    columns: &Columns,
    ends: &mut FieldEnds<'t>,
    fields: &mut Fields<'t>,
) -> Option<usize> {
    let separator = columns.separator;
    let mut position = start;
    let last = columns.count.checked_sub(1)?;
    for column in 0..columns.count {
        let end = ends.next_end().unwrap_or(text.len());
        let ending = text.get(end).copied();
        let mut field = text.get(position..end)?;
        if column < last {
            if ending != Some(separator) {
                return None;
            }
        } else if ending == Some(b'\n') || ending.is_none() {
            field = field.strip_suffix(b"\r").unwrap_or(field);
        } else {
            return None;
        }
        let value = if column == columns.time {
            None
        } else {
            // Decoded straight from the text (eight bytes at a time, past the field's end) and
            // kept only when the decoder stopped exactly at the field's end.
            match scan_decimal(text.get(position..)?) {
                (Some(value), scanned) if scanned == field.len() => Some(value),
                _ => None,
            }
        };
        fields.set(column, field, value);
        position = end + 1;
    }
    Some(position.min(text.len()))
}

/// Positions of every separator and line feed in the text, in order: a 64-byte block at a time,
/// each block turned into a bit mask with word-wide (SWAR) comparisons.
///
/// Knowing where fields end before reading them keeps the row parser off a serial chain (each
/// field's start waiting on the previous field's digits), which is what makes it fast.
pub(crate) struct FieldEnds<'t> {
    text: &'t [u8],
    separators: u64,
    base: usize,
    mask: u64,
}

const LINE_FEEDS: u64 = 0x0A0A_0A0A_0A0A_0A0A;
const LOW_SEVEN: u64 = 0x7F7F_7F7F_7F7F_7F7F;

impl<'t> FieldEnds<'t> {
    /// Ends at or after `start`.
    pub(crate) fn new(text: &'t [u8], separator: u8, start: usize) -> Self {
        let mut ends = FieldEnds {
            text,
            separators: u64::from_le_bytes([separator; 8]),
            base: start,
            mask: 0,
        };
        ends.restart(start);
        ends
    }

    /// Forgets the pending ends and continues from `start` (after the careful path took a line).
    pub(crate) fn restart(&mut self, start: usize) {
        self.base = start;
        self.mask = self.block_mask(start);
    }

    /// The next end, or `None` past the end of the text.
    #[inline]
    pub(crate) fn next_end(&mut self) -> Option<usize> {
        while self.mask == 0 {
            let base = self.base + 64;
            if base >= self.text.len() {
                return None;
            }
            self.base = base;
            self.mask = self.block_mask(base);
        }
        let position = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(position)
    }

    /// Bit `i` set when byte `base + i` is the separator or a line feed.
    #[inline]
    fn block_mask(&self, base: usize) -> u64 {
        let block = self.text.get(base..).unwrap_or_default();
        let mut mask = 0;
        for word_index in 0..8 {
            let word = load_word(block.get(word_index * 8..).unwrap_or_default());
            let hits = zero_bytes(word ^ self.separators) | zero_bytes(word ^ LINE_FEEDS);
            // Gather the high bit of each byte into eight adjacent bits.
            let bits = ((hits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
            mask |= bits << (word_index * 8);
        }
        mask
    }
}

/// High bit set in exactly the bytes of `word` that are zero.
#[inline]
fn zero_bytes(word: u64) -> u64 {
    !(((word & LOW_SEVEN).wrapping_add(LOW_SEVEN)) | word | LOW_SEVEN)
}

/// The first eight bytes of `text` as a little-endian word, padded with zero bytes.
#[inline(always)]
fn load_word(text: &[u8]) -> u64 {
    match text.first_chunk::<8>() {
        Some(chunk) => u64::from_le_bytes(*chunk),
        None => load_short_word(text),
    }
}

/// [`load_word`] for the last few bytes of the text, kept out of the hot code.
#[cold]
#[inline(never)]
fn load_short_word(text: &[u8]) -> u64 {
    let mut chunk = [0_u8; 8];
    for (slot, byte) in chunk.iter_mut().zip(text) {
        *slot = *byte;
    }
    u64::from_le_bytes(chunk)
}

/// The careful path: splits one line (without its line ending) at every separator into
/// `fields`. Fails with the number of fields found when it is not `columns.count`.
pub(crate) fn split_line<'t>(
    line: &'t [u8],
    columns: &Columns,
    fields: &mut Fields<'t>,
) -> Result<(), usize> {
    let mut count = 0;
    let mut rest = line;
    loop {
        let (field, tail) = match memchr(columns.separator, rest) {
            Some(at) => (rest.get(..at).unwrap_or_default(), rest.get(at + 1..)),
            None => (rest, None),
        };
        fields.set(count, field, None);
        count += 1;
        match tail {
            Some(tail) => rest = tail,
            None => break,
        }
    }
    if count == columns.count {
        Ok(())
    } else {
        Err(count)
    }
}

/// Reads the plain decimal at the start of `text` (digits, then optionally `.` and digits) and
/// returns (its value in raw 10⁻⁹ units, bytes scanned). The value is `None` unless there are at
/// most nine digits on each side of the point and at least one digit; then it equals what core's
/// `parse_scaled` gives, which the caller falls back to otherwise (for a rounded value or the
/// error).
#[inline(always)]
pub(crate) fn scan_decimal(text: &[u8]) -> (Option<i64>, usize) {
    let (whole, whole_digits) = leading_digits(text);
    let mut scanned = whole_digits;
    let (mut fraction, mut fraction_digits) = (0, 0);
    if text.get(scanned) == Some(&b'.') {
        let after_point = text.get(scanned + 1..).unwrap_or_default();
        (fraction, fraction_digits) = leading_digits(after_point);
        scanned += 1 + fraction_digits;
    }
    if whole_digits > 9 || fraction_digits > 9 || whole_digits + fraction_digits == 0 {
        return (None, scanned);
    }
    let value = POWERS_OF_TEN
        .get(9 - fraction_digits)
        .and_then(|scale| i64::try_from(whole * 1_000_000_000 + fraction * scale).ok());
    (value, scanned)
}

/// The run of ASCII digits at the start of `text`: (its value, its length). Exact up to 16
/// digits; a longer run is reported as 17 digits with a value the caller must not use, and is
/// fully skipped so that the field still ends where it should.
#[inline(always)]
pub(crate) fn leading_digits(text: &[u8]) -> (u64, usize) {
    let (high, high_digits) = eight_digits(text);
    if high_digits < 8 {
        return (high, high_digits);
    }
    let (low, low_digits) = eight_digits(text.get(8..).unwrap_or_default());
    if low_digits < 8 {
        let scale = POWERS_OF_TEN.get(low_digits).copied().unwrap_or(1);
        return (high.wrapping_mul(scale).wrapping_add(low), 8 + low_digits);
    }
    let more = text
        .get(16..)
        .unwrap_or_default()
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    (0, 16 + more)
}

/// The value and length of the run of digits among the first eight bytes of `text`, read as
/// one little-endian word.
#[inline(always)]
pub(crate) fn eight_digits(text: &[u8]) -> (u64, usize) {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    // Near the end of the text the padding (zero bytes) reads as a non-digit.
    let word = load_word(text);
    // Digits become 0..=9; every other byte ends up with its high bit set below.
    let values = word ^ ZEROS;
    let non_digit = (((values & 0x7F7F_7F7F_7F7F_7F7F) + 0x7676_7676_7676_7676) | values)
        & 0x8080_8080_8080_8080;
    let count = non_digit.trailing_zeros() / 8;
    if count == 0 {
        return (0, 0);
    }
    // Keep the leading digits, moved to the most significant end, then fold pairs, quads and
    // octets (the little-endian eight-digit trick).
    let mut digits = values << (8 * (8 - count));
    digits = ((digits & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561)) >> 8;
    digits = ((digits & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601)) >> 16;
    digits = ((digits & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001)) >> 32;
    (digits, count as usize)
}

/// 10⁰ … 10⁹.
pub(crate) const POWERS_OF_TEN: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];
