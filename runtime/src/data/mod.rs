//! Candle data files: a fast, strict CSV [`CandleSource`].
//!
//! [`CsvSource`] reads one file per symbol, in any of the [`Layout`]s found in the wild (plain
//! `timestamp,open,…`, pandas exports, Yahoo downloads, Alpha Vantage daily adjusted, HistData
//! M1), plain or gzip-compressed. It refuses rather than repairs: the first bad row fails the
//! load with the file, the 1-based line, the column and the reason, for example
//! `AAPL.csv:37: column "high": high 10.5 is below max(open, close) 11`.
//!
//! Conventions an operator should know:
//! - **Time zone.** A timestamp without a zone is read as UTC; `Z` and `±HH:MM` offsets are
//!   honoured. Each candle is labelled with the time written in the file (usually the bar's
//!   open). HistData files are labelled in New York or EST time by their vendor: they load as if
//!   that were UTC.
//! - **Order.** Rows must be strictly ascending in time; a duplicate or backwards timestamp is an
//!   error, never silently sorted or dropped.
//! - **Exactness.** Prices and volumes are parsed exactly into core's 10⁻⁹ fixed-point types
//!   (more than nine decimals is an error), never through `f64`. Only Alpha Vantage's
//!   `adjusted_close` (10–12 decimals) is rounded, because it is merely checked, not used.
//! - **Adjustment.** [`Adjust`] back-adjusts for splits and dividends where the file carries them
//!   (Alpha Vantage, Yahoo); it is a no-op for the other layouts.
//!
//! [`read_csv`] streams a file through a small reused buffer (gzip is decompressed on the fly),
//! so memory holds the candles, never the file; a plain file over 4 MiB is parsed in two halves
//! on two cores, with exactly the candles and errors of a one-pass parse. Figures are in
//! `benches/csv.rs`.

mod adjust;
mod csv;
pub mod embedded;
mod error;
mod layout;
mod scan;
mod skip;
mod timestamp;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use airlock_core::{Candle, CandleSource, Symbol, TimeRange};

pub use adjust::{Adjust, ParseAdjustError};
pub use csv::{parse_csv, read_csv};
pub use error::CsvError;
pub use layout::Layout;
pub use skip::{Lenient, read_csv_skipping};

/// How to read candle files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Corporate-action adjustment (default [`Adjust::All`]).
    pub adjust: Adjust,
    /// The symbol to give the file instead of the one in its name. Meant for a single file: two
    /// files given the same symbol make [`CsvSource::open`] fail.
    pub symbol: Option<Symbol>,
}

/// One loaded candle file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    /// The path as given.
    pub path: PathBuf,
    /// The instrument, from the file name or [`CsvOptions::symbol`].
    pub symbol: Symbol,
    /// The layout detected from the header.
    pub layout: Layout,
    /// The candles, validated, adjusted and strictly ascending in time.
    pub candles: Vec<Candle>,
    /// The file's size on disk in bytes (compressed size for a gzip file).
    pub bytes: u64,
}

/// The ticker a candle file's name stands for.
///
/// Extensions `.gz`, then `.csv`, `.txt` or `.tsv`, are dropped, and known vendor names are
/// unwrapped:
/// - Alpha Vantage dumps `DA-<SYMBOL>-T-<date>`: `DA-AAPL-T-2021-04-21.csv.gz` is `AAPL`,
///   `DA-BRK.B-T-2021-04-21.csv.gz` is `BRK.B`;
/// - HistData `DAT_ASCII_<SYMBOL>_M1_<year>`: `DAT_ASCII_EURUSD_M1_2019.csv` is `EURUSD`;
/// - otherwise the name up to the first `-` or `_` followed by a digit: `nvda-1999-2014.txt` is
///   `NVDA`, `GOOG.csv` is `GOOG`.
///
/// Letters are upper-cased.
///
/// # Errors
/// [`CsvError::Symbol`] when the name is not valid UTF-8 or does not make a valid ticker.
pub fn symbol_from_path(path: &Path) -> Result<Symbol, CsvError> {
    let failure = |reason: String| CsvError::Symbol {
        path: path.to_path_buf(),
        reason,
    };
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| failure("it has no UTF-8 file name".into()))?;
    let mut stem = strip_suffix_ignore_case(file_name, ".gz");
    for extension in [".csv", ".txt", ".tsv"] {
        stem = strip_suffix_ignore_case(stem, extension);
    }
    let ticker = if let Some((ticker, _)) = stem
        .strip_prefix("DA-")
        .and_then(|rest| rest.split_once("-T-"))
    {
        ticker
    } else if let Some(rest) = stem.strip_prefix("DAT_ASCII_") {
        rest.split('_').next().unwrap_or(rest)
    } else {
        let bytes = stem.as_bytes();
        let cut = bytes
            .windows(2)
            .position(|pair| matches!(pair, [b'-' | b'_', digit] if digit.is_ascii_digit()));
        cut.and_then(|at| stem.get(..at)).unwrap_or(stem)
    };
    Symbol::parse(ticker).map_err(|error| failure(error.to_string()))
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> &'a str {
    let Some(start) = text.len().checked_sub(suffix.len()) else {
        return text;
    };
    match (text.get(..start), text.get(start..)) {
        (Some(head), Some(tail)) if tail.eq_ignore_ascii_case(suffix) => head,
        _ => text,
    }
}

/// Many candle files, one symbol each, held in memory: the CSV [`CandleSource`].
///
/// [`CandleSource::symbols`] lists the symbols in the order the files were given;
/// [`CandleSource::load`] returns the candles inside a [`TimeRange`] (a copy; the files are read
/// once, at [`CsvSource::open`]).
#[derive(Debug, Clone)]
pub struct CsvSource {
    files: Vec<CsvFile>,
}

impl CsvSource {
    /// Reads every file in `paths` with [`read_csv`].
    ///
    /// # Errors
    /// The first file's [`CsvError`], or [`CsvError::DuplicateSymbol`] naming both files when
    /// two of them hold the same symbol.
    pub fn open(paths: &[PathBuf], options: &CsvOptions) -> Result<Self, CsvError> {
        let files = paths
            .iter()
            .map(|path| read_csv(path, options))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_files(files)
    }

    /// A source over files already loaded (for example with [`parse_csv`]).
    ///
    /// # Errors
    /// [`CsvError::DuplicateSymbol`] when two files hold the same symbol.
    pub fn from_files(files: Vec<CsvFile>) -> Result<Self, CsvError> {
        for (position, file) in files.iter().enumerate() {
            if let Some(first) = files
                .iter()
                .take(position)
                .find(|earlier| earlier.symbol == file.symbol)
            {
                return Err(CsvError::DuplicateSymbol {
                    symbol: file.symbol,
                    first: first.path.clone(),
                    second: file.path.clone(),
                });
            }
        }
        Ok(Self { files })
    }

    /// The loaded files, in the order given.
    pub fn files(&self) -> &[CsvFile] {
        &self.files
    }
}

impl CandleSource for CsvSource {
    type Error = CsvError;

    fn symbols(&self) -> Vec<Symbol> {
        self.files.iter().map(|file| file.symbol).collect()
    }

    fn load(&mut self, symbol: &Symbol, range: TimeRange) -> Result<Vec<Candle>, CsvError> {
        let Some(file) = self.files.iter().find(|file| file.symbol == *symbol) else {
            let files: Vec<String> = self
                .files
                .iter()
                .map(|file| file.path.display().to_string())
                .collect();
            return Err(CsvError::UnknownSymbol {
                symbol: *symbol,
                files: files.join(", "),
            });
        };
        let candles = &file.candles;
        let start = range.start.map_or(0, |start| {
            candles.partition_point(|candle| candle.ts() < start)
        });
        let end = range.end.map_or(candles.len(), |end| {
            candles.partition_point(|candle| candle.ts() < end)
        });
        Ok(candles
            .get(start..end.max(start))
            .unwrap_or_default()
            .to_vec())
    }
}
