//! The SQL QuestDB runs for Airlock, as text built at run time.
//!
//! QuestDB is not our schema: sqlx's compile-time checking needs a PostgreSQL database with the
//! same tables, and QuestDB's dialect (`SYMBOL`, `SAMPLE BY`, `wal_tables()`, `DEDUP`) has none.
//! So every statement here is plain text, bound with `sqlx::query(..).bind(..)` where it takes
//! values, and pinned by the unit tests below instead.
//!
//! Symbols and timeframes are always bound (`$1`, `$2`). Time bounds are written into the text
//! as QuestDB timestamp literals (`'2021-04-21T13:30:00.000000Z'`), which QuestDB documents for
//! interval filters on the designated timestamp, because binding timestamps from Rust PostgreSQL
//! drivers is not supported by QuestDB's PG wire (questdb/questdb#4127). The literals are
//! formatted from integers by this module, never from user text.
//!
//! Timestamps are read as `cast(ts AS LONG)`: microseconds since the epoch, a plain `INT8`.

use std::fmt::{self, Write as _};

use airlock_core::{TimeRange, Timeframe, UnixNanos};

/// A table name QuestDB accepts unquoted: an ASCII letter or `_`, then letters, digits or `_`,
/// at most 127 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName(String);

impl TableName {
    /// The table Airlock's candles live in unless told otherwise.
    pub const DEFAULT: &'static str = "candles";

    /// Checks `text`.
    ///
    /// # Errors
    /// The reason, naming the offending character.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut characters = text.chars();
        match characters.next() {
            None => return Err("a table name must not be empty".to_owned()),
            Some(first) if !(first.is_ascii_alphabetic() || first == '_') => {
                return Err(format!(
                    "table name {text:?} must start with a letter or '_'"
                ));
            }
            Some(_) => {}
        }
        if let Some(bad) = characters.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
            return Err(format!(
                "table name {text:?} may hold only letters, digits and '_', not {bad:?}"
            ));
        }
        if text.len() > 127 {
            return Err(format!("table name {text:?} is longer than 127 bytes"));
        }
        Ok(Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TableName {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Creates the candle table if it is missing: `ts` designated, monthly partitions, a WAL table
/// whose `DEDUP UPSERT KEYS(ts, symbol, timeframe)` makes a re-import replace rows instead of
/// adding them.
pub fn create_table(table: &TableName) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (symbol SYMBOL, timeframe SYMBOL, ts TIMESTAMP, \
         open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE) \
         TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, symbol, timeframe)"
    )
}

/// Drops the table (tests clean up with it).
pub fn drop_table(table: &TableName) -> String {
    format!("DROP TABLE IF EXISTS {table}")
}

/// The columns every candle query returns, in this order: `ts` (the designated timestamp,
/// kept so the result stays ordered by it), `ts_us`, `open`, `high`, `low`, `close`, `volume`.
const CANDLE_COLUMNS: &str = "ts, cast(ts AS LONG) AS ts_us, open, high, low, close, volume";

/// One series' bars within `range`, ascending. Binds `$1` symbol, `$2` timeframe.
pub fn range_query(table: &TableName, range: TimeRange) -> String {
    let mut sql =
        format!("SELECT {CANDLE_COLUMNS} FROM {table} WHERE symbol = $1 AND timeframe = $2");
    push_range(&mut sql, range);
    sql.push_str(" ORDER BY ts");
    sql
}

/// Why bars of one timeframe cannot be resampled to another.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot resample {from} bars to {to}: {reason}")]
pub struct ResampleError {
    /// The stored timeframe.
    pub from: Timeframe,
    /// The one asked for.
    pub to: Timeframe,
    /// Why not.
    pub reason: &'static str,
}

/// The stored bars of one series aggregated into `to`-long buckets aligned to the UTC calendar
/// (`SAMPLE BY … ALIGN TO CALENDAR`): first open, highest high, lowest low, last close, summed
/// volume; empty buckets are left out. Binds `$1` symbol, `$2` the stored timeframe `from`.
///
/// Only whole buckets are read: the range's start is rounded up and its end down to bucket
/// boundaries, so a bucket never mixes bars inside and outside the range.
///
/// # Errors
/// [`ResampleError`] unless `to` is a whole multiple of `from` that divides a day (5m, 15m, 1h,
/// 4h, 1d, …; calendar alignment then puts bucket boundaries at multiples of `to` since midnight
/// UTC).
pub fn sample_query(
    table: &TableName,
    from: Timeframe,
    to: Timeframe,
    range: TimeRange,
) -> Result<String, ResampleError> {
    let refuse = |reason| ResampleError { from, to, reason };
    if to <= from {
        return Err(refuse("the target must be longer than the stored bars"));
    }
    if !to.seconds().is_multiple_of(from.seconds()) {
        return Err(refuse(
            "the target must be a whole multiple of the stored bars",
        ));
    }
    if !86_400_u32.is_multiple_of(to.seconds()) {
        return Err(refuse(
            "the target must divide a day (5m, 15m, 1h, 4h, 1d, …)",
        ));
    }
    let bucket = to.nanos();
    let whole = TimeRange {
        start: range
            .start
            .map(|start| UnixNanos::new(start.as_u64().div_ceil(bucket).saturating_mul(bucket))),
        end: range
            .end
            .map(|end| UnixNanos::new(end.as_u64() / bucket * bucket)),
    };
    let mut inner = format!(
        "SELECT ts, first(open) AS open, max(high) AS high, min(low) AS low, \
         last(close) AS close, sum(volume) AS volume FROM {table} \
         WHERE symbol = $1 AND timeframe = $2"
    );
    push_range(&mut inner, whole);
    let _ = write!(inner, " SAMPLE BY {to} ALIGN TO CALENDAR");
    Ok(format!(
        "SELECT {CANDLE_COLUMNS} FROM ({inner}) ORDER BY ts"
    ))
}

/// The number of stored bars of one series. Binds `$1` symbol, `$2` timeframe.
pub fn count_query(table: &TableName) -> String {
    format!("SELECT count() AS row_count FROM {table} WHERE symbol = $1 AND timeframe = $2")
}

/// Every stored series: symbol, timeframe, first and last bar (microseconds), row count.
pub fn series_query(table: &TableName) -> String {
    format!(
        "SELECT symbol, timeframe, cast(first_ts AS LONG) AS first_us, \
         cast(last_ts AS LONG) AS last_us, row_count FROM (\
         SELECT symbol, timeframe, min(ts) AS first_ts, max(ts) AS last_ts, count() AS row_count \
         FROM {table} GROUP BY symbol, timeframe) ORDER BY symbol, timeframe"
    )
}

/// The WAL progress of one table (`wal_tables()`): applied (`writerTxn`) against committed
/// (`sequencerTxn`) transactions, and whether applying is suspended. Binds `$1` table name.
pub const WAL_QUERY: &str =
    "SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE name = $1";

/// Appends ` AND ts >= '…' AND ts < '…'` for the bounds that are set.
fn push_range(sql: &mut String, range: TimeRange) {
    if let Some(start) = range.start {
        let _ = write!(sql, " AND ts >= '{}'", Literal(ceil_micros(start)));
    }
    if let Some(end) = range.end {
        let _ = write!(sql, " AND ts < '{}'", Literal(ceil_micros(end)));
    }
}

/// Stored timestamps are whole microseconds, so `ts·1000 ≥ t ⇔ ts ≥ ⌈t/1000⌉` and likewise for
/// `<`: rounding a nanosecond bound up keeps the half-open range exact.
fn ceil_micros(instant: UnixNanos) -> u64 {
    instant.as_u64().div_ceil(1_000)
}

/// A QuestDB timestamp literal with six decimals: `2021-04-21T13:30:00.000000Z`.
struct Literal(u64);

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0;
        let (year, month, day, hour, minute, second, _) =
            UnixNanos::new(micros.saturating_mul(1_000)).to_civil();
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:06}Z",
            micros % 1_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn at(text: &str) -> UnixNanos {
        let (date, time) = text.split_once(' ').unwrap();
        let numbers: Vec<u32> = date
            .split('-')
            .chain(time.split(':'))
            .map(|part| part.parse().unwrap())
            .collect();
        UnixNanos::from_civil(
            numbers[0] as i32,
            numbers[1],
            numbers[2],
            numbers[3],
            numbers[4],
            numbers[5],
            0,
        )
        .unwrap()
    }

    fn table() -> TableName {
        TableName::default()
    }

    #[test]
    fn ddl_declares_the_documented_table() {
        expect![[r#"CREATE TABLE IF NOT EXISTS candles (symbol SYMBOL, timeframe SYMBOL, ts TIMESTAMP, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE) TIMESTAMP(ts) PARTITION BY MONTH WAL DEDUP UPSERT KEYS(ts, symbol, timeframe)"#]]
        .assert_eq(&create_table(&table()));
        expect![[r#"DROP TABLE IF EXISTS candles"#]].assert_eq(&drop_table(&table()));
    }

    #[test]
    fn range_query_binds_the_series_and_writes_microsecond_bounds() {
        let range = TimeRange {
            start: Some(at("2021-04-21 13:30:00")),
            end: Some(UnixNanos::new(at("2021-04-21 20:00:00").as_u64() + 1)),
        };
        expect![[r#"SELECT ts, cast(ts AS LONG) AS ts_us, open, high, low, close, volume FROM candles WHERE symbol = $1 AND timeframe = $2 AND ts >= '2021-04-21T13:30:00.000000Z' AND ts < '2021-04-21T20:00:00.000001Z' ORDER BY ts"#]]
        .assert_eq(&range_query(&table(), range));
        expect![[r#"SELECT ts, cast(ts AS LONG) AS ts_us, open, high, low, close, volume FROM candles WHERE symbol = $1 AND timeframe = $2 ORDER BY ts"#]]
        .assert_eq(&range_query(&table(), TimeRange::ALL));
    }

    #[test]
    fn sample_query_aggregates_whole_calendar_buckets() {
        let five: Timeframe = "5m".parse().unwrap();
        let range = TimeRange {
            start: Some(at("2021-04-21 13:32:00")),
            end: Some(at("2021-04-21 19:58:00")),
        };
        expect![[r#"SELECT ts, cast(ts AS LONG) AS ts_us, open, high, low, close, volume FROM (SELECT ts, first(open) AS open, max(high) AS high, min(low) AS low, last(close) AS close, sum(volume) AS volume FROM candles WHERE symbol = $1 AND timeframe = $2 AND ts >= '2021-04-21T13:35:00.000000Z' AND ts < '2021-04-21T19:55:00.000000Z' SAMPLE BY 5m ALIGN TO CALENDAR) ORDER BY ts"#]]
        .assert_eq(&sample_query(&table(), Timeframe::MINUTE, five, range).unwrap());
        expect![[r#"SELECT ts, cast(ts AS LONG) AS ts_us, open, high, low, close, volume FROM (SELECT ts, first(open) AS open, max(high) AS high, min(low) AS low, last(close) AS close, sum(volume) AS volume FROM candles WHERE symbol = $1 AND timeframe = $2 SAMPLE BY 1d ALIGN TO CALENDAR) ORDER BY ts"#]]
        .assert_eq(
            &sample_query(&table(), Timeframe::MINUTE, Timeframe::DAY, TimeRange::ALL).unwrap(),
        );
        let hour = "1h".parse().unwrap();
        assert!(
            sample_query(&table(), Timeframe::MINUTE, hour, TimeRange::ALL)
                .unwrap()
                .contains("SAMPLE BY 1h ALIGN TO CALENDAR")
        );
    }

    #[test]
    fn impossible_resampling_is_refused_with_the_reason() {
        let parse = |text: &str| text.parse::<Timeframe>().unwrap();
        for (from, to, reason) in [
            ("5m", "1m", "longer"),
            ("1m", "1m", "longer"),
            ("2m", "5m", "whole multiple"),
            ("1m", "7m", "divide a day"),
        ] {
            let error = sample_query(&table(), parse(from), parse(to), TimeRange::ALL).unwrap_err();
            assert!(error.to_string().contains(reason), "{from}→{to}: {error}");
        }
    }

    #[test]
    fn listing_counting_and_wal_queries() {
        expect![[r#"SELECT symbol, timeframe, cast(first_ts AS LONG) AS first_us, cast(last_ts AS LONG) AS last_us, row_count FROM (SELECT symbol, timeframe, min(ts) AS first_ts, max(ts) AS last_ts, count() AS row_count FROM candles GROUP BY symbol, timeframe) ORDER BY symbol, timeframe"#]]
        .assert_eq(&series_query(&table()));
        expect![[
            r#"SELECT count() AS row_count FROM candles WHERE symbol = $1 AND timeframe = $2"#
        ]]
        .assert_eq(&count_query(&table()));
        expect![[
            r#"SELECT name, suspended, writerTxn, sequencerTxn FROM wal_tables() WHERE name = $1"#
        ]]
        .assert_eq(WAL_QUERY);
    }

    #[test]
    fn table_names_are_checked() {
        assert_eq!(
            TableName::parse("candles_test_1").unwrap().as_str(),
            "candles_test_1"
        );
        for bad in ["", "1abc", "a;DROP", "a b", "naïve"] {
            assert!(TableName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_round_up_to_whole_microseconds() {
        assert_eq!(ceil_micros(UnixNanos::new(1_000)), 1);
        assert_eq!(ceil_micros(UnixNanos::new(1_001)), 2);
        assert_eq!(
            Literal(1_618_925_400_000_001).to_string(),
            "2021-04-20T13:30:00.000001Z"
        );
    }
}
