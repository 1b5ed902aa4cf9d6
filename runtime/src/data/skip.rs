//! `--skip-bad`: reading a candle file while leaving out the rows the strict parser refuses.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::{CsvError, CsvFile, CsvOptions, parse_csv, symbol_from_path};

/// The result of a lenient read: the file without its bad rows, and why each was left out.
#[derive(Debug)]
pub struct Lenient {
    /// The candles of every good row.
    pub file: CsvFile,
    /// The rows left out, each with its line number in the original file and its reason, in
    /// file order.
    pub skipped: Vec<CsvError>,
}

/// Reads `path` like [`read_csv`](super::read_csv) but leaves out each row the strict parser
/// refuses (bad number, broken candle relation, wrong field count, out of order or duplicate
/// timestamp, blank line between rows), up to `max_bad` of them, and reports them.
///
/// The strict parser stays the only judge: after each refusal the offending line is removed and
/// the text parsed again, so the result is exactly what the strict parser accepts. That costs one
/// parse per bad row, which is why `max_bad` bounds it: `--skip-bad` is for files with a few bad
/// rows, not for repairing junk.
///
/// # Errors
/// Any error that is not about one row (the file cannot be read, is not a candle CSV, has a bad
/// header or no good rows), or [`CsvError::Row`] once more than `max_bad` rows were refused.
pub fn read_csv_skipping(
    path: &Path,
    options: &CsvOptions,
    max_bad: usize,
) -> Result<Lenient, CsvError> {
    let io = |error| CsvError::Io {
        path: path.to_path_buf(),
        error,
    };
    let name = path.display().to_string();
    let mut raw = Vec::new();
    File::open(path)
        .and_then(|mut file| file.read_to_end(&mut raw))
        .map_err(io)?;
    let bytes = raw.len() as u64;
    let mut text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut text)
            .map_err(|error| CsvError::Gzip {
                file: name.clone(),
                reason: error.to_string(),
            })?;
        text
    } else {
        raw
    };
    let symbol = match options.symbol {
        Some(symbol) => symbol,
        None => symbol_from_path(path)?,
    };
    // Original line numbers of the removed lines, ascending.
    let mut removed: Vec<usize> = Vec::new();
    let mut skipped = Vec::new();
    loop {
        match parse_csv(&name, &text, options) {
            Ok((layout, candles)) => {
                let file = CsvFile {
                    path: path.to_path_buf(),
                    symbol,
                    layout,
                    candles,
                    bytes,
                };
                return Ok(Lenient { file, skipped });
            }
            Err(error) => {
                let Some(line) = error.row_line() else {
                    return Err(error);
                };
                let original = removed
                    .iter()
                    .fold(line, |at, &gone| if gone <= at { at + 1 } else { at });
                if skipped.len() >= max_bad {
                    return Err(CsvError::Row {
                        file: name,
                        line: original,
                        reason: format!(
                            "more than {max_bad} bad rows; this one: {}",
                            error.with_row_line(original)
                        ),
                    });
                }
                remove_line(&mut text, line);
                let at = removed.partition_point(|&gone| gone < original);
                removed.insert(at, original);
                skipped.push(error.with_row_line(original));
            }
        }
    }
}

/// Removes 1-based line `line` (with its line ending) from `text`.
fn remove_line(text: &mut Vec<u8>, line: usize) {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', text.get(start..).unwrap_or_default()) {
            Some(end) => start += end + 1,
            None => return,
        }
    }
    let end = memchr::memchr(b'\n', text.get(start..).unwrap_or_default())
        .map_or(text.len(), |end| start + end + 1);
    text.drain(start..end);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_left_out_and_named_by_their_original_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ABC.csv");
        std::fs::write(
            &path,
            "timestamp,open,high,low,close,volume\n\
             2024-01-02,10,11,9,10.5,100\n\
             2024-01-03,10,9,9,10.5,100\n\
             2024-01-04,10,11,9,x,100\n\
             2024-01-05,10,11,9,10.5,100\n\
             2024-01-05,10,11,9,10.5,100\n\
             2024-01-08,10,11,9,10.5\n\
             2024-01-09,10,11,9,10.5,100\n",
        )
        .unwrap();
        let lenient = read_csv_skipping(&path, &CsvOptions::default(), 10).unwrap();
        assert_eq!(lenient.file.candles.len(), 3);
        let lines: Vec<usize> = lenient
            .skipped
            .iter()
            .filter_map(CsvError::row_line)
            .collect();
        assert_eq!(lines, [3, 4, 6, 7]);
        let messages: Vec<String> = lenient.skipped.iter().map(ToString::to_string).collect();
        assert!(messages[0].contains("ABC.csv:3:"), "{messages:?}");
        assert!(messages[2].contains("duplicate timestamp"), "{messages:?}");
        let strict = crate::data::read_csv(&path, &CsvOptions::default()).unwrap_err();
        assert_eq!(strict.row_line(), Some(3));
        let too_many = read_csv_skipping(&path, &CsvOptions::default(), 2).unwrap_err();
        assert!(
            too_many.to_string().contains("more than 2 bad rows"),
            "{too_many}"
        );
        assert!(too_many.to_string().contains("ABC.csv:6"), "{too_many}");
    }

    #[test]
    fn a_file_level_error_is_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ABC.csv");
        std::fs::write(&path, "{\nError Message\n}\n").unwrap();
        let error = read_csv_skipping(&path, &CsvOptions::default(), 10).unwrap_err();
        assert!(error.to_string().contains("not a candle CSV"), "{error}");
    }
}
