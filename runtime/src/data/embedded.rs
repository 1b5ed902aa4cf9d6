//! The embedded candle store: one compact binary file per (symbol, timeframe) under a data
//! directory, for backtests that need no server.
//!
//! Layout: `<root>/candles/<timeframe>/<SYMBOL>.candles` (`/` and `:` in a symbol are written
//! `%2F` and `%3A`). A file is a 64-byte header followed by one 48-byte record per candle, in
//! ascending time order:
//!
//! | bytes | header field |
//! |---|---|
//! | 0..8 | magic `AIRLKCDL` |
//! | 8..12 | format version, `1` (u32 LE) |
//! | 12..16 | timeframe in seconds (u32 LE) |
//! | 16..48 | symbol, ASCII, zero-padded |
//! | 48..56 | candle count (u64 LE) |
//! | 56..60 | CRC-32 of the records |
//! | 60..64 | zero |
//!
//! A record is the timestamp (u64 LE, Unix nanoseconds) and open, high, low, close and volume as
//! i64 LE counts of 10⁻⁹ — exactly airlock-core's fixed-point values, so nothing is rounded.
//!
//! Writes merge with what is stored (a candle at an existing timestamp replaces it), go to a
//! temporary file renamed over the old one (a crash never leaves half a file), hold an exclusive
//! lock so two imports cannot lose each other's rows, and leave the file untouched when nothing
//! changes — re-importing the same data is a no-op.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use airlock_core::{
    Candle, CandleSource, EnvSnapshot, Price, Quantity, Symbol, TimeRange, Timeframe, UnixNanos,
};
use airlock_store::{CandleSeriesInfo, CandleWrite};
use thiserror::Error;

const MAGIC: &[u8; 8] = b"AIRLKCDL";
const VERSION: u32 = 1;
const HEADER: usize = 64;
const RECORD: usize = 48;
const EXTENSION: &str = "candles";

/// Why the embedded store failed. Every variant names the file.
#[derive(Debug, Error)]
pub enum EmbeddedError {
    /// The file or folder could not be read or written.
    #[error("{path}: {doing}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What the store was doing.
        doing: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a valid candle file (wrong magic, version, size or checksum).
    #[error("{path} is damaged: {reason}; re-import its data with `airlock data import`")]
    Damaged {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The candles given to a write are not in strictly ascending time order.
    #[error(
        "candles for {symbol} must be in strictly ascending time order: {previous} is followed by {next}"
    )]
    Unordered {
        /// The series.
        symbol: Symbol,
        /// The earlier timestamp.
        previous: UnixNanos,
        /// The one that does not come after it.
        next: UnixNanos,
    },
    /// No series for this symbol and timeframe.
    #[error(
        "no {timeframe} candles for {symbol} in the embedded store at {root}; import them with `airlock data import --to embedded`"
    )]
    Missing {
        /// The symbol.
        symbol: Symbol,
        /// The timeframe.
        timeframe: Timeframe,
        /// The store's folder.
        root: PathBuf,
    },
}

/// The store rooted at one data directory.
#[derive(Debug, Clone)]
pub struct EmbeddedStore {
    root: PathBuf,
}

/// The data directory when none is given: `$AIRLOCK_DATA_DIR`, else `$XDG_DATA_HOME/airlock`,
/// else `$HOME/.local/share/airlock`, else `.airlock` in the working directory.
pub fn default_data_dir(environment: &EnvSnapshot) -> PathBuf {
    let var = |name: &str| environment.get(name).filter(|value| !value.is_empty());
    if let Some(dir) = var("AIRLOCK_DATA_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = var("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("airlock");
    }
    if let Some(home) = var("HOME") {
        return PathBuf::from(home).join(".local/share/airlock");
    }
    PathBuf::from(".airlock")
}

fn io(path: &Path, doing: &'static str) -> impl FnOnce(std::io::Error) -> EmbeddedError {
    let path = path.to_path_buf();
    move |source| EmbeddedError::Io {
        path,
        doing,
        source,
    }
}

fn file_stem(symbol: &Symbol) -> String {
    symbol.as_str().replace('/', "%2F").replace(':', "%3A")
}

fn encode(symbol: &Symbol, timeframe: Timeframe, candles: &[Candle]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + candles.len() * RECORD);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&timeframe.seconds().to_le_bytes());
    let mut name = [0u8; 32];
    for (slot, byte) in name.iter_mut().zip(symbol.as_str().bytes()) {
        *slot = byte;
    }
    bytes.extend_from_slice(&name);
    bytes.extend_from_slice(&(candles.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&[0; 8]);
    for candle in candles {
        bytes.extend_from_slice(&candle.ts().as_u64().to_le_bytes());
        for value in [
            candle.open().raw(),
            candle.high().raw(),
            candle.low().raw(),
            candle.close().raw(),
            candle.volume().raw(),
        ] {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
    }
    let crc = crc32fast::hash(bytes.get(HEADER..).unwrap_or_default());
    if let Some(slot) = bytes.get_mut(56..60) {
        slot.copy_from_slice(&crc.to_le_bytes());
    }
    bytes
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(slice) = bytes.get(at..at + 8) {
        word.copy_from_slice(slice);
    }
    u64::from_le_bytes(word)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(slice) = bytes.get(at..at + 4) {
        word.copy_from_slice(slice);
    }
    u32::from_le_bytes(word)
}

/// A parsed header.
struct Header {
    symbol: Symbol,
    timeframe: Timeframe,
    count: usize,
    crc: u32,
}

fn header(path: &Path, bytes: &[u8]) -> Result<Header, EmbeddedError> {
    let damaged = |reason: String| EmbeddedError::Damaged {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < HEADER || bytes.get(..8) != Some(MAGIC.as_slice()) {
        return Err(damaged("not an Airlock candle file (bad magic)".into()));
    }
    let version = u32_at(bytes, 8);
    if version != VERSION {
        return Err(damaged(format!(
            "format version {version}, this binary reads {VERSION}"
        )));
    }
    let timeframe = Timeframe::from_seconds(u32_at(bytes, 12))
        .ok_or_else(|| damaged("timeframe of zero seconds".into()))?;
    let name = bytes.get(16..48).unwrap_or_default();
    let end = name
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(name.len());
    let symbol = std::str::from_utf8(name.get(..end).unwrap_or_default())
        .ok()
        .and_then(|text| Symbol::parse(text).ok())
        .ok_or_else(|| damaged("the symbol is not valid".into()))?;
    let count = usize::try_from(u64_at(bytes, 48))
        .map_err(|_| damaged("the candle count does not fit memory".into()))?;
    Ok(Header {
        symbol,
        timeframe,
        count,
        crc: u32_at(bytes, 56),
    })
}

/// Decodes one record of a file whose checksum is being verified.
#[inline]
fn decode_record(path: &Path, record: &[u8], symbol: &Symbol) -> Result<Candle, EmbeddedError> {
    let value = |at: usize| u64_at(record, at).cast_signed();
    let ts = UnixNanos::new(u64_at(record, 0));
    Candle::new(
        ts,
        Price::from_raw(value(8)),
        Price::from_raw(value(16)),
        Price::from_raw(value(24)),
        Price::from_raw(value(32)),
        Quantity::from_raw(value(40)),
    )
    .map_err(|error| EmbeddedError::Damaged {
        path: path.to_path_buf(),
        reason: format!("{symbol} at {ts}: {error}"),
    })
}

impl EmbeddedStore {
    /// The store in `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file holding one series.
    pub fn path_of(&self, symbol: &Symbol, timeframe: Timeframe) -> PathBuf {
        self.root
            .join("candles")
            .join(timeframe.to_string())
            .join(format!("{}.{EXTENSION}", file_stem(symbol)))
    }

    /// Streams a file through a small buffer: checks its header, size and checksum, and decodes
    /// the candles within `range` (the others are only checksummed).
    fn load(&self, path: &Path, range: TimeRange) -> Result<(Header, Vec<Candle>), EmbeddedError> {
        /// Whole records per read: about 1 MiB.
        const CHUNK: usize = RECORD * 21_845;
        let damaged = |reason: String| EmbeddedError::Damaged {
            path: path.to_path_buf(),
            reason,
        };
        let mut file = File::open(path).map_err(io(path, "reading"))?;
        let size = file.metadata().map_err(io(path, "reading"))?.len();
        let mut head_bytes = [0u8; HEADER];
        file.read_exact(&mut head_bytes)
            .map_err(|_| damaged("shorter than its header".into()))?;
        let head = header(path, &head_bytes)?;
        let expected = (head.count as u64)
            .checked_mul(RECORD as u64)
            .and_then(|records| records.checked_add(HEADER as u64));
        if expected != Some(size) {
            return Err(damaged(format!(
                "{size} bytes for {} candles (truncated or padded)",
                head.count
            )));
        }
        let start = range.start.map_or(0, UnixNanos::as_u64);
        let end = range.end.map_or(u64::MAX, UnixNanos::as_u64);
        let mut candles = Vec::with_capacity(if range == TimeRange::ALL {
            head.count
        } else {
            0
        });
        let mut hasher = crc32fast::Hasher::new();
        let mut buffer = vec![0u8; CHUNK.min(head.count * RECORD).max(RECORD)];
        let mut left = head.count * RECORD;
        while left > 0 {
            let take = left.min(buffer.len());
            let chunk = buffer.get_mut(..take).unwrap_or_default();
            file.read_exact(chunk)
                .map_err(|_| damaged("shorter than its header says".into()))?;
            hasher.update(chunk);
            left -= take;
            for record in chunk.chunks_exact(RECORD) {
                let ts = u64_at(record, 0);
                if ts < start || ts >= end {
                    continue;
                }
                candles.push(decode_record(path, record, &head.symbol)?);
            }
        }
        if hasher.finalize() != head.crc {
            return Err(damaged("checksum mismatch".into()));
        }
        Ok((head, candles))
    }

    /// The candles of one series within `range`, ascending by time.
    ///
    /// # Errors
    /// [`EmbeddedError::Missing`] when the series was never imported, or an I/O or damage error
    /// naming the file.
    pub fn read(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        range: TimeRange,
    ) -> Result<Vec<Candle>, EmbeddedError> {
        let path = self.path_of(symbol, timeframe);
        if !path.exists() {
            return Err(EmbeddedError::Missing {
                symbol: *symbol,
                timeframe,
                root: self.root.clone(),
            });
        }
        Ok(self.load(&path, range)?.1)
    }

    /// Merges `candles` (strictly ascending) into the stored series.
    ///
    /// # Errors
    /// [`EmbeddedError::Unordered`] for unsorted input, or an I/O or damage error naming the
    /// file.
    pub fn write(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        candles: &[Candle],
    ) -> Result<CandleWrite, EmbeddedError> {
        for pair in candles.windows(2) {
            if let [previous, next] = pair
                && next.ts() <= previous.ts()
            {
                return Err(EmbeddedError::Unordered {
                    symbol: *symbol,
                    previous: previous.ts(),
                    next: next.ts(),
                });
            }
        }
        let path = self.path_of(symbol, timeframe);
        let folder = path.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&folder).map_err(io(&folder, "creating the folder"))?;
        let lock_path = path.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path, "opening the lock file"))?;
        lock.lock().map_err(io(&lock_path, "locking"))?;
        let stored = if path.exists() {
            self.load(&path, TimeRange::ALL)?.1
        } else {
            Vec::new()
        };
        let (merged, counts) = merge(&stored, candles);
        if counts.inserted == 0 && counts.updated == 0 && path.exists() {
            return Ok(counts);
        }
        let bytes = encode(symbol, timeframe, &merged);
        let temporary = path.with_extension("tmp");
        let mut file = File::create(&temporary).map_err(io(&temporary, "creating"))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(io(&temporary, "writing"))?;
        fs::rename(&temporary, &path).map_err(io(&path, "replacing"))?;
        Ok(counts)
    }

    /// Every stored series, sorted by symbol then timeframe. Reads only each file's header and
    /// its first and last record.
    ///
    /// # Errors
    /// An I/O or damage error naming the file.
    pub fn series(&self) -> Result<Vec<CandleSeriesInfo>, EmbeddedError> {
        let base = self.root.join("candles");
        let mut found = Vec::new();
        let Ok(frames) = fs::read_dir(&base) else {
            return Ok(found);
        };
        for frame in frames {
            let frame = frame.map_err(io(&base, "listing"))?.path();
            if !frame.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&frame).map_err(io(&frame, "listing"))? {
                let path = entry.map_err(io(&frame, "listing"))?.path();
                if path.extension().and_then(|e| e.to_str()) != Some(EXTENSION) {
                    continue;
                }
                let mut file = File::open(&path).map_err(io(&path, "reading"))?;
                let mut head_bytes = [0u8; HEADER];
                file.read_exact(&mut head_bytes)
                    .map_err(io(&path, "reading the header"))?;
                let head = header(&path, &head_bytes)?;
                if head.count == 0 {
                    continue;
                }
                let ts_at = |file: &mut File, index: usize| -> Result<u64, EmbeddedError> {
                    use std::io::{Seek, SeekFrom};
                    let offset = (HEADER + index * RECORD) as u64;
                    let mut word = [0u8; 8];
                    file.seek(SeekFrom::Start(offset))
                        .and_then(|_| file.read_exact(&mut word))
                        .map_err(io(&path, "reading"))?;
                    Ok(u64::from_le_bytes(word))
                };
                let first = ts_at(&mut file, 0)?;
                let last = ts_at(&mut file, head.count - 1)?;
                found.push(CandleSeriesInfo {
                    symbol: head.symbol,
                    timeframe: head.timeframe,
                    first: UnixNanos::new(first),
                    last: UnixNanos::new(last),
                    rows: head.count as u64,
                });
            }
        }
        found.sort_by_key(|one| (one.symbol, one.timeframe));
        Ok(found)
    }
}

/// Merges two ascending series; at equal timestamps the incoming candle wins.
fn merge(stored: &[Candle], incoming: &[Candle]) -> (Vec<Candle>, CandleWrite) {
    let mut merged = Vec::with_capacity(stored.len() + incoming.len());
    let mut counts = CandleWrite::default();
    let (mut old, mut new) = (stored.iter().peekable(), incoming.iter().peekable());
    loop {
        match (old.peek(), new.peek()) {
            (Some(a), Some(b)) if a.ts() < b.ts() => {
                merged.push(**a);
                old.next();
            }
            (Some(a), Some(b)) if a.ts() == b.ts() => {
                if a == b {
                    counts.unchanged += 1;
                } else {
                    counts.updated += 1;
                }
                merged.push(**b);
                old.next();
                new.next();
            }
            (_, Some(b)) => {
                counts.inserted += 1;
                merged.push(**b);
                new.next();
            }
            (Some(a), None) => {
                merged.push(**a);
                old.next();
            }
            (None, None) => break,
        }
    }
    (merged, counts)
}

/// The embedded store as a [`CandleSource`] over chosen symbols of one timeframe.
#[derive(Debug, Clone)]
pub struct EmbeddedSource {
    store: EmbeddedStore,
    timeframe: Timeframe,
    symbols: Vec<Symbol>,
}

impl EmbeddedSource {
    /// A source serving `symbols` at `timeframe` from `store`.
    pub fn new(store: EmbeddedStore, timeframe: Timeframe, symbols: Vec<Symbol>) -> Self {
        Self {
            store,
            timeframe,
            symbols,
        }
    }
}

impl CandleSource for EmbeddedSource {
    type Error = EmbeddedError;

    fn symbols(&self) -> Vec<Symbol> {
        self.symbols.clone()
    }

    fn load(&mut self, symbol: &Symbol, range: TimeRange) -> Result<Vec<Candle>, EmbeddedError> {
        self.store.read(symbol, self.timeframe, range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(ts: u64, close: i64) -> Candle {
        let price = Price::from_raw(close);
        Candle::new(
            UnixNanos::new(ts),
            price,
            price,
            price,
            price,
            Quantity::from_raw(7),
        )
        .unwrap()
    }

    fn symbol(text: &str) -> Symbol {
        Symbol::parse(text).unwrap()
    }

    #[test]
    fn writes_read_back_exactly_and_ranges_are_half_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::new(dir.path());
        let candles: Vec<Candle> = (1..=100)
            .map(|i| candle(i * 60, 1_000 + i as i64))
            .collect();
        let counts = store
            .write(&symbol("BTC/USD"), Timeframe::MINUTE, &candles)
            .unwrap();
        assert_eq!(counts.inserted, 100);
        assert!(
            store
                .path_of(&symbol("BTC/USD"), Timeframe::MINUTE)
                .ends_with("candles/1m/BTC%2FUSD.candles")
        );
        let all = store
            .read(&symbol("btc/usd"), Timeframe::MINUTE, TimeRange::ALL)
            .unwrap();
        assert_eq!(all, candles);
        let window = store
            .read(
                &symbol("BTC/USD"),
                Timeframe::MINUTE,
                TimeRange {
                    start: Some(UnixNanos::new(600)),
                    end: Some(UnixNanos::new(1_200)),
                },
            )
            .unwrap();
        assert_eq!(window, candles[9..19].to_vec());
        let empty = store
            .read(
                &symbol("BTC/USD"),
                Timeframe::MINUTE,
                TimeRange {
                    start: Some(UnixNanos::new(10_000)),
                    end: Some(UnixNanos::new(20)),
                },
            )
            .unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn rewriting_the_same_rows_changes_nothing_and_new_values_replace_old() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::new(dir.path());
        let s = symbol("AAPL");
        let first: Vec<Candle> = (1..=10).map(|i| candle(i * 86_400, 100)).collect();
        store.write(&s, Timeframe::DAY, &first).unwrap();
        let path = store.path_of(&s, Timeframe::DAY);
        let before = fs::metadata(&path).unwrap().modified().unwrap();
        let again = store.write(&s, Timeframe::DAY, &first).unwrap();
        assert_eq!(
            again,
            CandleWrite {
                inserted: 0,
                updated: 0,
                unchanged: 10
            }
        );
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), before);
        let mut second: Vec<Candle> = (9..=12).map(|i| candle(i * 86_400, 100)).collect();
        second[0] = candle(9 * 86_400, 101);
        let counts = store.write(&s, Timeframe::DAY, &second).unwrap();
        assert_eq!(
            counts,
            CandleWrite {
                inserted: 2,
                updated: 1,
                unchanged: 1
            }
        );
        let all = store.read(&s, Timeframe::DAY, TimeRange::ALL).unwrap();
        assert_eq!(all.len(), 12);
        assert_eq!(all[8].close(), Price::from_raw(101));
        let series = store.series().unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].rows, 12);
        assert_eq!(series[0].first, UnixNanos::new(86_400));
        assert_eq!(series[0].last, UnixNanos::new(12 * 86_400));
    }

    #[test]
    fn damage_and_absence_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::new(dir.path());
        let s = symbol("MSFT");
        let missing = store.read(&s, Timeframe::DAY, TimeRange::ALL).unwrap_err();
        assert!(missing.to_string().contains("data import"), "{missing}");
        store
            .write(
                &s,
                Timeframe::DAY,
                &[candle(86_400, 5), candle(2 * 86_400, 6)],
            )
            .unwrap();
        let path = store.path_of(&s, Timeframe::DAY);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, &bytes).unwrap();
        let damaged = store.read(&s, Timeframe::DAY, TimeRange::ALL).unwrap_err();
        assert!(
            damaged.to_string().contains("checksum mismatch"),
            "{damaged}"
        );
        fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let truncated = store.read(&s, Timeframe::DAY, TimeRange::ALL).unwrap_err();
        assert!(truncated.to_string().contains("truncated"), "{truncated}");
        let unordered = store
            .write(&s, Timeframe::DAY, &[candle(2, 5), candle(2, 6)])
            .unwrap_err();
        assert!(
            unordered.to_string().contains("strictly ascending"),
            "{unordered}"
        );
    }
}
