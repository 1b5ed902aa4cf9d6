//! [`CsvError`]: why a candle file could not be loaded, always naming the file.

use std::fmt;
use std::io;
use std::path::PathBuf;

use airlock_core::Symbol;
use thiserror::Error;

/// Why a candle file could not be read, parsed or adjusted.
///
/// Every variant names the file (as the caller spelled its path, or the name given to
/// [`parse_csv`](super::parse_csv)); row problems add the 1-based line number and, where one
/// column is at fault, its name as written in the header. The message is one line, suitable for
/// an operator's terminal: `AAPL.csv:37: column "high": high 10.5 is below max(open, close) 11`.
#[derive(Debug, Error)]
pub enum CsvError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {}", path.display(), IoReason(error))]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The operating system's error.
        error: io::Error,
    },
    /// The file starts with the gzip magic bytes but does not decompress.
    #[error("{file}: cannot decompress gzip: {reason}")]
    Gzip {
        /// The file.
        file: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// The file has no bytes, or only blank lines.
    #[error("{file}: file is empty")]
    Empty {
        /// The file.
        file: String,
    },
    /// The file is not a candle CSV at all (an API error body, an archive, free text).
    #[error("{file}: not a candle CSV file: {reason}")]
    NotCsv {
        /// The file.
        file: String,
        /// What was found instead.
        reason: String,
    },
    /// The header names unknown, missing or repeated columns.
    #[error("{file}:{line}: header: {reason}")]
    Header {
        /// The file.
        file: String,
        /// The header's line number (1).
        line: usize,
        /// Which columns are wrong and what was expected.
        reason: String,
    },
    /// A header and nothing else.
    #[error("{file}: header only, no candle rows")]
    NoRows {
        /// The file.
        file: String,
    },
    /// A row that is wrong as a whole (field count, blank line).
    #[error("{file}:{line}: {reason}")]
    Row {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// One field of a row is wrong: unparsable, out of order, or breaking a candle relation.
    #[error("{file}:{line}: column \"{column}\": {reason}")]
    Field {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The column's name as written in the header (`index` for pandas' unnamed column).
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// No symbol can be taken from the file name.
    #[error(
        "cannot take a symbol from the file name {}: {reason}; give the symbol explicitly",
        path.display()
    )]
    Symbol {
        /// The path as given.
        path: PathBuf,
        /// Why the name does not make a ticker.
        reason: String,
    },
    /// Two files of one source hold the same symbol.
    #[error("{} and {} both hold symbol {symbol}", first.display(), second.display())]
    DuplicateSymbol {
        /// The symbol.
        symbol: Symbol,
        /// The file listed first.
        first: PathBuf,
        /// The file listed later.
        second: PathBuf,
    },
    /// A symbol was asked for that no file of the source holds.
    #[error("no file holds symbol {symbol} (files: {files})")]
    UnknownSymbol {
        /// The symbol asked for.
        symbol: Symbol,
        /// The files of the source, comma-separated.
        files: String,
    },
}

/// An I/O error's description without the `(os error N)` suffix, which says nothing to an
/// operator that the text before it does not.
struct IoReason<'a>(&'a io::Error);

impl fmt::Display for IoReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        let trimmed = match text.rfind(" (os error ") {
            Some(start) if text.ends_with(')') => text.get(..start).unwrap_or(&text),
            _ => &text,
        };
        f.write_str(trimmed)
    }
}

impl CsvError {
    /// The line of a row-level error (a bad row or field), which `--skip-bad` may leave out.
    pub fn row_line(&self) -> Option<usize> {
        match self {
            CsvError::Row { line, .. } | CsvError::Field { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The same error, numbered with `line` (its line in the original file).
    #[must_use]
    pub fn with_row_line(self, line: usize) -> Self {
        match self {
            CsvError::Row { file, reason, .. } => CsvError::Row { file, line, reason },
            CsvError::Field {
                file,
                column,
                reason,
                ..
            } => CsvError::Field {
                file,
                line,
                column,
                reason,
            },
            other => other,
        }
    }
}
