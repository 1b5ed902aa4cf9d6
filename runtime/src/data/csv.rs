//! The parser: bytes (plain or gzip) in, validated and adjusted candles out.
//!
//! One pass over the bytes: the scanner splits plain rows and reads their numbers eight bytes at
//! a time; anything unusual goes through the careful path (core's exact
//! [`airlock_core::num::parse_scaled`] and the full timestamp reader), which also
//! words the errors. No per-row allocation.

use std::io::Read;
use std::path::Path;

use airlock_core::num::parse_scaled;
use airlock_core::{Candle, Price, Quantity, UnixNanos};
use flate2::read::MultiGzDecoder;
use memchr::memchr;

use super::adjust::{self, Action, AdjustFailure, Column};
use super::layout::{self, Columns, Detected, Layout};
use super::scan::{self, FieldEnds, Fields};
use super::timestamp::TimestampReader;
use super::{Adjust, CsvError, CsvFile, CsvOptions, symbol_from_path};

/// gzip's magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// A zip archive's local-file magic bytes.
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// Reads one candle file from disk: plain or gzip-compressed (detected by its magic bytes), any
/// [`Layout`], adjusted as `options` ask.
///
/// The symbol comes from `options.symbol` or else from the file name ([`symbol_from_path`]).
/// Error messages name the path as given.
///
/// # Errors
/// [`CsvError::Io`] when the file cannot be read, [`CsvError::Symbol`] when no symbol can be
/// taken from its name, and every error of [`parse_csv`].
pub fn read_csv(path: &Path, options: &CsvOptions) -> Result<CsvFile, CsvError> {
    let symbol = match options.symbol {
        Some(symbol) => symbol,
        None => symbol_from_path(path)?,
    };
    let bytes = std::fs::read(path).map_err(|error| CsvError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let name = path.display().to_string();
    let (layout, candles) = parse_csv(&name, &bytes, options)?;
    Ok(CsvFile {
        path: path.to_path_buf(),
        symbol,
        layout,
        candles,
        bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
    })
}

/// Parses candle CSV bytes held in memory; `name` is the file name quoted in errors.
///
/// Gzip is detected by its magic bytes and decompressed first. The layout comes from the first
/// line ([`Layout`]); naive timestamps are read as UTC. Every row must be a valid candle (positive
/// prices, `low ≤ open, close ≤ high`, volume ≥ 0) strictly later than the row before it. The
/// first bad row fails the whole parse with its line number and column. `options.adjust` is then
/// applied ([`Adjust`]); `options.symbol` is not used here.
///
/// # Errors
/// [`CsvError::Gzip`], [`CsvError::Empty`], [`CsvError::NotCsv`], [`CsvError::Header`],
/// [`CsvError::NoRows`], [`CsvError::Row`] and [`CsvError::Field`], all naming `name`.
pub fn parse_csv(
    name: &str,
    bytes: &[u8],
    options: &CsvOptions,
) -> Result<(Layout, Vec<Candle>), CsvError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        let text = gunzip(name, bytes)?;
        parse_text(name, &text, options.adjust)
    } else {
        parse_text(name, bytes, options.adjust)
    }
}

fn gunzip(name: &str, bytes: &[u8]) -> Result<Vec<u8>, CsvError> {
    // The trailer's ISIZE is the uncompressed length modulo 2³²: a good capacity hint.
    let hint = bytes
        .len()
        .checked_sub(4)
        .and_then(|start| bytes.get(start..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .and_then(|tail| usize::try_from(u32::from_le_bytes(tail)).ok())
        .unwrap_or(0);
    let mut text = Vec::with_capacity(hint.min(bytes.len().saturating_mul(20)));
    MultiGzDecoder::new(bytes)
        .read_to_end(&mut text)
        .map_err(|error| CsvError::Gzip {
            file: name.to_owned(),
            reason: error.to_string(),
        })?;
    Ok(text)
}

/// Where a line starts and ends in the text (line ending excluded).
fn line_at(text: &[u8], start: usize) -> (&[u8], usize) {
    let rest = text.get(start..).unwrap_or_default();
    let (line, next) = match memchr(b'\n', rest) {
        Some(end) => (rest.get(..end).unwrap_or_default(), start + end + 1),
        None => (rest, text.len()),
    };
    (line.strip_suffix(b"\r").unwrap_or(line), next)
}

fn parse_text(name: &str, text: &[u8], adjust: Adjust) -> Result<(Layout, Vec<Candle>), CsvError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(CsvError::Empty {
            file: name.to_owned(),
        });
    }
    if text.starts_with(&ZIP_MAGIC) {
        return Err(CsvError::NotCsv {
            file: name.to_owned(),
            reason: "it is a zip archive; unzip it and pass the CSV inside".into(),
        });
    }
    let (first_line, after_header) = line_at(text, 0);
    let (columns, data_start, first_line_number) = match layout::detect(first_line) {
        Detected::Header(columns) => (columns, after_header, 2),
        Detected::Headerless(columns) => (columns, 0, 1),
        Detected::NotCsv(reason) => {
            return Err(CsvError::NotCsv {
                file: name.to_owned(),
                reason,
            });
        }
        Detected::BadHeader(reason) => {
            return Err(CsvError::Header {
                file: name.to_owned(),
                line: 1,
                reason,
            });
        }
    };
    let mut rows = Rows::new(name, &columns, adjust, text.len());
    let mut start = data_start;
    let mut line_number = first_line_number;
    let mut ends = FieldEnds::new(text, columns.separator, start);
    let mut fields = Fields::empty();
    while start < text.len() {
        if let Some(next) = scan::scan_row(text, start, &columns, &mut ends, &mut fields) {
            rows.push(&fields, line_number)?;
            start = next;
            line_number += 1;
            continue;
        }
        let (line, next) = line_at(text, start);
        if line.is_empty() {
            // Blank lines may only trail the data.
            if text
                .get(start..)
                .is_some_and(|rest| rest.iter().all(u8::is_ascii_whitespace))
            {
                break;
            }
            return Err(CsvError::Row {
                file: name.to_owned(),
                line: line_number,
                reason: "blank line between rows".into(),
            });
        }
        scan::split_line(line, &columns, &mut fields).map_err(|count| CsvError::Row {
            file: name.to_owned(),
            line: line_number,
            reason: format!("expected {} fields, found {count}", columns.count),
        })?;
        rows.push(&fields, line_number)?;
        start = next;
        ends.restart(start);
        line_number += 1;
    }
    rows.finish(first_line_number)
}

/// The row loop's state.
struct Rows<'a> {
    name: &'a str,
    columns: &'a Columns,
    adjust: Adjust,
    candles: Vec<Candle>,
    actions: Vec<Action>,
    times: TimestampReader,
    previous: Option<(UnixNanos, usize)>,
}

impl<'a> Rows<'a> {
    fn new(name: &'a str, columns: &'a Columns, adjust: Adjust, text_len: usize) -> Self {
        // Rows are rarely shorter than ~36 bytes; over-reserving a little beats regrowing.
        let capacity = text_len / 36 + 16;
        Self {
            name,
            columns,
            adjust,
            candles: Vec::with_capacity(capacity),
            actions: Vec::new(),
            times: TimestampReader::default(),
            previous: None,
        }
    }

    fn field_error(&self, line: usize, column: usize, reason: String) -> CsvError {
        CsvError::Field {
            file: self.name.to_owned(),
            line,
            column: self.columns.name(column).to_owned(),
            reason,
        }
    }

    /// The field at `column` as raw 10⁻⁹ units: exact, or rounded past nine decimals when
    /// `round` is set.
    fn number(
        &self,
        fields: &Fields<'_>,
        column: usize,
        line: usize,
        round: bool,
    ) -> Result<i64, CsvError> {
        if let Some(raw) = fields.fast(column) {
            return Ok(raw);
        }
        parse_scaled(fields.text(column), round)
            .map_err(|error| self.field_error(line, column, error.to_string()))
    }

    fn push(&mut self, fields: &Fields<'_>, line_number: usize) -> Result<(), CsvError> {
        let columns = self.columns;
        let ts = self
            .times
            .read(fields.text(columns.time))
            .map_err(|reason| self.field_error(line_number, columns.time, reason))?;
        if let Some((previous, previous_line)) = self.previous
            && ts <= previous
        {
            let reason = if ts == previous {
                format!("duplicate timestamp {ts} (also on line {previous_line})")
            } else {
                format!(
                    "{ts} is earlier than {previous} on line {previous_line}; rows must be in \
                     ascending time order"
                )
            };
            return Err(self.field_error(line_number, columns.time, reason));
        }
        self.previous = Some((ts, line_number));
        let open = Price::from_raw(self.number(fields, columns.open, line_number, false)?);
        let high = Price::from_raw(self.number(fields, columns.high, line_number, false)?);
        let low = Price::from_raw(self.number(fields, columns.low, line_number, false)?);
        let close = Price::from_raw(self.number(fields, columns.close, line_number, false)?);
        // Volumes written by pandas carry float noise ("218102.59507500002"): rounded past
        // nine decimals, far below any tradable size.
        let volume = Quantity::from_raw(self.number(fields, columns.volume, line_number, true)?);
        let candle = Candle::new(ts, open, high, low, close, volume).map_err(|error| {
            let column = self.column_index(Column::of_candle_error(&error));
            self.field_error(line_number, column, error.to_string())
        })?;
        let candle = match columns.layout {
            Layout::Yahoo => self.yahoo(fields, candle, line_number)?,
            Layout::AlphaVantage => {
                self.alpha_vantage(fields, line_number)?;
                candle
            }
            Layout::Plain | Layout::PandasIndex | Layout::HistData => candle,
        };
        self.candles.push(candle);
        Ok(())
    }

    /// Applies `Adj Close / Close` when asked for all adjustments.
    fn yahoo(
        &self,
        fields: &Fields<'_>,
        candle: Candle,
        line_number: usize,
    ) -> Result<Candle, CsvError> {
        let Some(column) = self.columns.adj_close else {
            return Ok(candle);
        };
        let adj_close = Price::from_raw(self.number(fields, column, line_number, false)?);
        if !adj_close.is_positive() {
            return Err(self.field_error(
                line_number,
                column,
                format!("adjusted close must be positive, got {adj_close}"),
            ));
        }
        if self.adjust != Adjust::All {
            return Ok(candle);
        }
        adjust::scale_by_adjusted_close(&candle, self.candles.len(), adj_close)
            .map_err(|failure| self.adjust_error(failure, line_number))
    }

    /// Reads the adjusted close (checked, not used: prices are adjusted from the actions) and
    /// records any split or dividend.
    fn alpha_vantage(&mut self, fields: &Fields<'_>, line_number: usize) -> Result<(), CsvError> {
        let (Some(adj_column), Some(dividend_column), Some(split_column)) = (
            self.columns.adj_close,
            self.columns.dividend,
            self.columns.split,
        ) else {
            return Ok(());
        };
        // Alpha Vantage writes 10 to 12 decimals here; rounding to 10⁻⁹ is harmless because the
        // value only ever serves as a cross-check of the derived factors.
        let adj_text = fields.text(adj_column);
        parse_scaled(adj_text, true)
            .map_err(|error| self.field_error(line_number, adj_column, error.to_string()))?;
        let dividend = self.number(fields, dividend_column, line_number, false)?;
        if dividend < 0 {
            return Err(self.field_error(
                line_number,
                dividend_column,
                format!(
                    "dividend must not be negative, got {}",
                    Price::from_raw(dividend)
                ),
            ));
        }
        // Checked (and its error worded) by the common parser, then read at full precision.
        let split_text = fields.text(split_column);
        let rounded = self.number(fields, split_column, line_number, true)?;
        let split = match adjust::parse_factor(split_text) {
            Some(split) if rounded > 0 && split > 0 => split,
            _ => {
                return Err(self.field_error(
                    line_number,
                    split_column,
                    format!(
                        "split coefficient must be a positive number below 10⁹, got {:?}",
                        String::from_utf8_lossy(split_text)
                    ),
                ));
            }
        };
        if dividend != 0 || split != adjust::ONE {
            self.actions.push(Action {
                index: self.candles.len(),
                split,
                dividend,
            });
        }
        Ok(())
    }

    fn column_index(&self, column: Column) -> usize {
        let columns = self.columns;
        match column {
            Column::Open => columns.open,
            Column::High => columns.high,
            Column::Low => columns.low,
            Column::Close => columns.close,
            Column::Volume => columns.volume,
            Column::Dividend => columns.dividend.unwrap_or(columns.close),
            Column::Split => columns.split.unwrap_or(columns.close),
        }
    }

    fn adjust_error(&self, failure: AdjustFailure, line_number: usize) -> CsvError {
        self.field_error(
            line_number,
            self.column_index(failure.column),
            failure.reason,
        )
    }

    fn finish(mut self, first_line_number: usize) -> Result<(Layout, Vec<Candle>), CsvError> {
        if self.candles.is_empty() {
            return Err(CsvError::NoRows {
                file: self.name.to_owned(),
            });
        }
        if self.columns.layout == Layout::AlphaVantage {
            let mut candles = std::mem::take(&mut self.candles);
            adjust::adjust_raw(&mut candles, &self.actions, self.adjust).map_err(|failure| {
                let line = first_line_number + failure.index;
                self.adjust_error(failure, line)
            })?;
            self.candles = candles;
        }
        Ok((self.columns.layout, self.candles))
    }
}
