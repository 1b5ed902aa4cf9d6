//! The fast row path for the six-column layouts (plain, pandas, HistData): one row read straight
//! from the text, field after field, into a validated [`Candle`], with no per-field bookkeeping.
//!
//! It never words an error. Whenever a row is anything but plain (a sign, an exponent, a zone, a
//! missing field, a broken candle relation) it gives up and the row loop hands the row to the
//! careful path, which judges it and words the error. For the rows it accepts, it gives exactly
//! the candle the careful path would.

use airlock_core::num::parse_scaled;
use airlock_core::{Candle, Price, Quantity, UnixNanos};

use super::layout::Columns;
use super::scan::scan_decimal;
use super::timestamp::TimestampReader;

/// What one field of a six-column row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Time,
    /// Index into `[open, high, low, close, volume]`.
    Value(usize),
}

/// Where the six fields of a row sit, for layouts made of exactly the six candle columns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FastRow {
    slots: [Slot; 6],
    separator: u8,
}

/// Index of the volume among the values: the one field rounded past nine decimals.
const VOLUME: usize = 4;

impl FastRow {
    /// The plan for `columns`, or `None` when the layout carries more than the six candle
    /// columns (Yahoo, Alpha Vantage), which always take the general path.
    pub(crate) fn plan(columns: &Columns) -> Option<Self> {
        if columns.count != 6
            || columns.adj_close.is_some()
            || columns.dividend.is_some()
            || columns.split.is_some()
        {
            return None;
        }
        let mut slots = [Slot::Time; 6];
        let targets = [
            (columns.open, Slot::Value(0)),
            (columns.high, Slot::Value(1)),
            (columns.low, Slot::Value(2)),
            (columns.close, Slot::Value(3)),
            (columns.volume, Slot::Value(VOLUME)),
        ];
        for (position, slot) in targets {
            *slots.get_mut(position)? = slot;
        }
        // Every value slot filled once and the time column left: a permutation of the six.
        let times = slots.iter().filter(|slot| **slot == Slot::Time).count();
        (times == 1 && slots.get(columns.time) == Some(&Slot::Time)).then_some(Self {
            slots,
            separator: columns.separator,
        })
    }

    /// The row starting at `start` as a valid candle and where the next line starts, or `None`
    /// for the careful path.
    #[inline]
    pub(crate) fn read(
        &self,
        text: &[u8],
        start: usize,
        times: &mut TimestampReader,
    ) -> Option<(Candle, usize)> {
        let mut values = [0_i64; 5];
        let mut ts = UnixNanos::new(0);
        let mut position = start;
        let mut next_line = start;
        for (index, slot) in self.slots.iter().enumerate() {
            let rest = text.get(position..)?;
            let length = match *slot {
                Slot::Time => {
                    let (instant, length) = times.read_prefix(rest)?;
                    ts = instant;
                    length
                }
                Slot::Value(value_index) => {
                    let (value, length) = scan_decimal(rest);
                    let value = match value {
                        Some(value) => value,
                        // Long fields (more than nine digits on a side): the exact parser.
                        None => parse_scaled(rest.get(..length)?, value_index == VOLUME).ok()?,
                    };
                    *values.get_mut(value_index)? = value;
                    length
                }
            };
            let end = position + length;
            let ending = text.get(end).copied();
            if index < 5 {
                if ending != Some(self.separator) {
                    return None;
                }
                position = end + 1;
            } else {
                next_line = match ending {
                    None => end,
                    Some(b'\n') => end + 1,
                    Some(b'\r') => match text.get(end + 1) {
                        None => end + 1,
                        Some(b'\n') => end + 2,
                        Some(_) => return None,
                    },
                    Some(_) => return None,
                };
            }
        }
        let [open, high, low, close, volume] = values;
        let candle = Candle::new(
            ts,
            Price::from_raw(open),
            Price::from_raw(high),
            Price::from_raw(low),
            Price::from_raw(close),
            Quantity::from_raw(volume),
        )
        .ok()?;
        Some((candle, next_line))
    }
}
