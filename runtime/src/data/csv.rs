//! The parser: bytes (plain or gzip) in, validated and adjusted candles out.
//!
//! One pass over the bytes: the scanner splits plain rows and reads their numbers eight bytes at
//! a time; anything unusual goes through the careful path (core's exact
//! [`airlock_core::num::parse_scaled`] and the full timestamp reader), which also
//! words the errors. No per-row allocation.

use std::fs::File;
use std::io::{self, Read};
use std::io::{Seek, SeekFrom};
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

/// How much of a file is read at a time: the buffer is reused, so it stays in the CPU's caches
/// and a large file never costs a file-sized allocation.
const CHUNK: usize = 256 * 1024;

/// Reads one candle file from disk: plain or gzip-compressed (detected by its magic bytes), any
/// [`Layout`], adjusted as `options` ask.
///
/// The file is streamed through a small reused buffer (a gzip file is decompressed as it is
/// parsed), so memory use is the candles plus a fixed amount, whatever the file's size.
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
    let io = |error| CsvError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let name = path.display().to_string();
    let mut buffer = Vec::with_capacity(2 * CHUNK);
    let mut eof = fill(&mut file, &mut buffer).map_err(io)?;
    let (layout, candles) = if buffer.starts_with(&GZIP_MAGIC) {
        // Compressed files are small: hold the compressed bytes, stream the decompression.
        if !eof {
            file.read_to_end(&mut buffer).map_err(io)?;
        }
        let hint = gzip_size_hint(&buffer);
        let gzip = |error: io::Error| CsvError::Gzip {
            file: name.clone(),
            reason: error.to_string(),
        };
        let mut decoder = MultiGzDecoder::new(buffer.as_slice());
        let mut text = Vec::with_capacity(2 * CHUNK);
        eof = fill(&mut decoder, &mut text).map_err(gzip)?;
        parse_stream(&name, decoder, text, eof, hint, options.adjust, &gzip)?
    } else if !eof && size >= SPLIT_MIN && split_worth_it() {
        parse_split(&name, path, file, buffer, size, options.adjust, &io)?
    } else {
        let hint = usize::try_from(size).unwrap_or(usize::MAX);
        parse_stream(&name, file, buffer, eof, hint, options.adjust, &io)?
    };
    Ok(CsvFile {
        path: path.to_path_buf(),
        symbol,
        layout,
        candles,
        bytes: size,
    })
}

/// Parses candle CSV bytes held in memory; `name` is the file name quoted in errors.
///
/// Gzip is detected by its magic bytes and decompressed as it is parsed. The layout comes from
/// the first line ([`Layout`]); naive timestamps are read as UTC. Every row must be a valid candle
/// (positive prices, `low ≤ open, close ≤ high`, volume ≥ 0) strictly later than the row before
/// it. The first bad row fails the whole parse with its line number and column. `options.adjust`
/// is then applied ([`Adjust`]); `options.symbol` is not used here.
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
        let gzip = |error: io::Error| CsvError::Gzip {
            file: name.to_owned(),
            reason: error.to_string(),
        };
        let mut decoder = MultiGzDecoder::new(bytes);
        let mut text = Vec::with_capacity(2 * CHUNK);
        let eof = fill(&mut decoder, &mut text).map_err(gzip)?;
        parse_stream(
            name,
            decoder,
            text,
            eof,
            gzip_size_hint(bytes),
            options.adjust,
            &gzip,
        )
    } else {
        parse_text(name, bytes, options.adjust)
    }
}

/// Appends up to [`CHUNK`] more bytes from `reader` to `buffer`; true at the end of the input.
fn fill(reader: &mut impl Read, buffer: &mut Vec<u8>) -> io::Result<bool> {
    let wanted = CHUNK as u64;
    let read = reader.take(wanted).read_to_end(buffer)?;
    Ok((read as u64) < wanted)
}

/// The decompressed size a gzip member announces: its trailer's ISIZE is the uncompressed length
/// modulo 2³², a good capacity hint (capped against absurd values).
fn gzip_size_hint(bytes: &[u8]) -> usize {
    bytes
        .len()
        .checked_sub(4)
        .and_then(|start| bytes.get(start..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .and_then(|tail| usize::try_from(u32::from_le_bytes(tail)).ok())
        .unwrap_or(0)
        .min(bytes.len().saturating_mul(20))
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

/// What the first line says about the file: its columns, where the data starts and the line
/// number of the first data row; or the error that stops the parse.
fn preamble<'t>(name: &str, text: &'t [u8]) -> Result<(&'t [u8], Columns, usize, usize), CsvError> {
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
    match layout::detect(first_line) {
        Detected::Header(columns) => Ok((text, columns, after_header, 2)),
        Detected::Headerless(columns) => Ok((text, columns, 0, 1)),
        Detected::NotCsv(reason) => Err(CsvError::NotCsv {
            file: name.to_owned(),
            reason,
        }),
        Detected::BadHeader(reason) => Err(CsvError::Header {
            file: name.to_owned(),
            line: 1,
            reason,
        }),
    }
}

/// Parses a whole text held in memory.
fn parse_text(name: &str, text: &[u8], adjust: Adjust) -> Result<(Layout, Vec<Candle>), CsvError> {
    let (text, columns, data_start, first_line_number) = preamble(name, text)?;
    let mut body = Body::new(
        Rows::new(name, &columns, adjust, text.len()),
        first_line_number,
    );
    body.feed(text.get(data_start..).unwrap_or_default(), true)?;
    body.rows.finish(first_line_number)
}

/// Parses the text `reader` yields, of which `buffer` already holds the start (`eof` when it is
/// all of it), reusing `buffer` for every further read. `hint` is the expected text length;
/// `io` words a read error.
fn parse_stream(
    name: &str,
    mut reader: impl Read,
    mut buffer: Vec<u8>,
    mut eof: bool,
    hint: usize,
    adjust: Adjust,
    io: &Wording<'_>,
) -> Result<(Layout, Vec<Candle>), CsvError> {
    // The first line decides the layout; a file that opens with blank lines or holds no line
    // feed at all is rare and simply read whole.
    while !eof && memchr(b'\n', &buffer).is_none() {
        eof = fill(&mut reader, &mut buffer).map_err(io)?;
    }
    let (first_line, _) = line_at(&buffer, 0);
    if !eof && first_line.iter().all(u8::is_ascii_whitespace) {
        reader.read_to_end(&mut buffer).map_err(io)?;
        return parse_text(name, &buffer, adjust);
    }
    let (text, columns, data_start, first_line_number) = preamble(name, &buffer)?;
    let start = data_start + (buffer.len() - text.len());
    let mut body = Body::new(Rows::new(name, &columns, adjust, hint), first_line_number);
    stream_body(&mut body, reader, buffer, eof, start, io)?;
    body.rows.finish(first_line_number)
}

/// Turns a read error into the error the caller reports.
type Wording<'a> = dyn Fn(io::Error) -> CsvError + Sync + 'a;

/// Plain files at least this large are parsed in two halves at once.
const SPLIT_MIN: u64 = 4 * 1024 * 1024;

/// True when a second core is there to parse the second half of a file.
fn split_worth_it() -> bool {
    std::thread::available_parallelism().is_ok_and(|cores| cores.get() >= 2)
}

/// Bytes `start..end` of the file at `path`, through a handle of its own.
fn range(path: &Path, start: u64, end: u64) -> io::Result<io::Take<File>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    Ok(file.take(end.saturating_sub(start)))
}

/// Parses a large file in two halves, one per core: the first from the start (its `buffer`
/// holds the first bytes), the second from the first line that starts at or after the middle.
/// Layouts whose rows depend on earlier rows (adjustments) and anything unusual — an error in
/// either half, rows out of order across the cut, a blank line before it — are parsed again in
/// one pass from the start, so errors and results are exactly those of [`parse_stream`].
fn parse_split(
    name: &str,
    path: &Path,
    file: File,
    buffer: Vec<u8>,
    size: u64,
    adjust: Adjust,
    io: &Wording<'_>,
) -> Result<(Layout, Vec<Candle>), CsvError> {
    let whole = |buffer: Vec<u8>, file: File| {
        let rest = file.take(size);
        let hint = usize::try_from(size).unwrap_or(usize::MAX);
        parse_stream(name, rest, buffer, false, hint, adjust, io)
    };
    let Ok((_, columns, data_start, first_line_number)) = preamble(name, &buffer) else {
        return whole(buffer, file);
    };
    let plain = matches!(
        columns.layout,
        Layout::Plain | Layout::PandasIndex | Layout::HistData
    );
    // The cut: just after the first line feed at or after the middle.
    let middle = size / 2;
    let mut probe = Vec::with_capacity(CHUNK);
    fill(&mut range(path, middle, size).map_err(io)?, &mut probe).map_err(io)?;
    let cut = memchr(b'\n', &probe).map(|end| middle + end as u64 + 1);
    let Some(cut) = cut.filter(|cut| plain && *cut > buffer.len() as u64 && *cut < size) else {
        return whole(buffer, file);
    };
    let half = usize::try_from(size / 2).unwrap_or(usize::MAX);
    let second = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let reader = range(path, cut, size).ok()?;
            let mut body = Body::new(Rows::new(name, &columns, adjust, half), 1);
            stream_body(
                &mut body,
                reader,
                Vec::with_capacity(2 * CHUNK),
                false,
                0,
                io,
            )
            .ok()
            .map(|()| body)
        });
        let first = {
            let reader = file.take(cut - buffer.len() as u64);
            let bom = buffer.len()
                - buffer
                    .strip_prefix(b"\xEF\xBB\xBF")
                    .unwrap_or(&buffer)
                    .len();
            let mut body = Body::new(
                Rows::new(name, &columns, adjust, 2 * half),
                first_line_number,
            );
            stream_body(&mut body, reader, buffer, false, bom + data_start, io)
                .ok()
                .map(|()| body)
        };
        (first, second.join().ok().flatten())
    });
    let joined = match second {
        (Some(mut first), Some(second)) => {
            let in_order = match (first.rows.candles.last(), second.rows.candles.first()) {
                (Some(last), Some(next)) => last.ts() < next.ts(),
                _ => true,
            };
            let blank_before_rows = first.blank.is_some() && !second.rows.candles.is_empty();
            (in_order && !blank_before_rows).then(|| {
                first.rows.candles.extend_from_slice(&second.rows.candles);
                first
            })
        }
        _ => None,
    };
    match joined {
        Some(body) => body.rows.finish(first_line_number),
        None => {
            let mut again = Vec::with_capacity(2 * CHUNK);
            let mut reader = range(path, 0, size).map_err(io)?;
            let eof = fill(&mut reader, &mut again).map_err(io)?;
            let hint = usize::try_from(size).unwrap_or(usize::MAX);
            parse_stream(name, reader, again, eof, hint, adjust, io)
        }
    }
}

/// Feeds `body` everything `reader` yields after `buffer[start..]`, reusing `buffer`.
fn stream_body(
    body: &mut Body<'_>,
    mut reader: impl Read,
    mut buffer: Vec<u8>,
    mut eof: bool,
    mut start: usize,
    io: &Wording<'_>,
) -> Result<(), CsvError> {
    loop {
        let consumed = body.feed(buffer.get(start..).unwrap_or_default(), eof)?;
        if eof {
            return Ok(());
        }
        // Keep the unfinished last line, then read on after it.
        buffer.copy_within(start + consumed.., 0);
        buffer.truncate(buffer.len() - start - consumed);
        start = 0;
        eof = fill(&mut reader, &mut buffer).map_err(io)?;
    }
}

/// The rows after the header, fed in pieces that end on line boundaries.
struct Body<'a> {
    rows: Rows<'a>,
    /// The line number of the next line fed.
    line_number: usize,
    /// The first blank line seen: from there on only blank lines may follow.
    blank: Option<usize>,
}

impl<'a> Body<'a> {
    fn new(rows: Rows<'a>, first_line_number: usize) -> Self {
        Self {
            rows,
            line_number: first_line_number,
            blank: None,
        }
    }

    /// Parses every complete line of `text` (and with `eof` the unterminated last one too) and
    /// returns how many bytes it used.
    fn feed(&mut self, text: &[u8], eof: bool) -> Result<usize, CsvError> {
        let limit = if eof {
            text.len()
        } else {
            match memchr::memrchr(b'\n', text) {
                Some(end) => end + 1,
                None => return Ok(0),
            }
        };
        let text = text.get(..limit).unwrap_or_default();
        let columns = self.rows.columns;
        let mut start = 0;
        let mut ends = FieldEnds::new(text, columns.separator, start);
        let mut fields = Fields::empty();
        while start < text.len() {
            if self.blank.is_none()
                && let Some(next) = scan::scan_row(text, start, columns, &mut ends, &mut fields)
            {
                self.rows.push(&fields, self.line_number)?;
                start = next;
                self.line_number += 1;
                continue;
            }
            let (line, next) = line_at(text, start);
            if let Some(blank) = self.blank {
                // Blank lines may only trail the data.
                if !line.iter().all(u8::is_ascii_whitespace) {
                    return Err(CsvError::Row {
                        file: self.rows.name.to_owned(),
                        line: blank,
                        reason: "blank line between rows".into(),
                    });
                }
            } else if line.is_empty() {
                self.blank = Some(self.line_number);
            } else {
                scan::split_line(line, columns, &mut fields).map_err(|count| CsvError::Row {
                    file: self.rows.name.to_owned(),
                    line: self.line_number,
                    reason: format!("expected {} fields, found {count}", columns.count),
                })?;
                self.rows.push(&fields, self.line_number)?;
            }
            start = next;
            ends.restart(start);
            self.line_number += 1;
        }
        Ok(limit)
    }
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
