//! Writing candles to QuestDB: ILP over HTTP through `questdb-rs`, batched by rows and time.
//!
//! One HTTP request (`POST /write`) carries one batch; QuestDB applies a request that writes to
//! one table as one transaction and answers an error for the whole batch if any row is bad.
//! `questdb-rs` itself never flushes on its own, so the batching lives here ([`FlushPolicy`]):
//! a batch is sent when it holds `auto_flush_rows` rows, or when a row is added at least
//! `auto_flush_interval` after the previous send, the same rule and defaults (75,000 rows,
//! 1,000 ms) QuestDB documents for its auto-flushing clients. The timer is checked as rows
//! arrive; nothing is sent in the background.

use std::time::{Duration, Instant};

use airlock_core::{Candle, Symbol, Timeframe};
use questdb::ingress::{Buffer, ColumnName, Sender, SenderBuilder, TableName, TimestampMicros};

use super::double::exact_double;
use super::{FlushCause, QuestDbError};

/// When a batch is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushPolicy {
    /// Send once the batch holds this many rows (`None`: never by count).
    pub max_rows: Option<usize>,
    /// Send when a row is added this long after the previous send (`None`: never by time).
    pub max_interval: Option<Duration>,
}

impl FlushPolicy {
    /// QuestDB's documented defaults for ILP over HTTP: 75,000 rows or 1,000 ms.
    pub const DEFAULT: FlushPolicy = FlushPolicy {
        max_rows: Some(75_000),
        max_interval: Some(Duration::from_millis(1_000)),
    };

    /// Only the final flush sends (`auto_flush=off`).
    pub const OFF: FlushPolicy = FlushPolicy {
        max_rows: None,
        max_interval: None,
    };

    /// Whether a batch of `rows` rows, last sent `since_send` ago, must be sent now.
    pub fn due(&self, rows: usize, since_send: Duration) -> bool {
        rows > 0
            && (self.max_rows.is_some_and(|max| rows >= max)
                || self.max_interval.is_some_and(|max| since_send >= max))
    }
}

impl Default for FlushPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A parsed `QUESTDB_ILP` setting: a `questdb-rs` configuration string for `http` or `https`,
/// plus the auto-flush keys QuestDB's other clients accept (`auto_flush=on|off`,
/// `auto_flush_rows=N`, `auto_flush_interval=MILLIS|off`), which Airlock's writer honours and
/// removes before handing the rest to `questdb-rs` (which refuses them).
#[derive(Clone, PartialEq, Eq)]
pub struct IlpSettings {
    service: String,
    /// Every other key, sorted, for `questdb-rs`.
    params: Vec<(String, String)>,
    /// The batching rule.
    pub policy: FlushPolicy,
}

impl IlpSettings {
    /// Parses a configuration string such as `http::addr=127.0.0.1:9000;`.
    ///
    /// # Errors
    /// The reason, without echoing values (they may hold a password or token).
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed = questdb_confstr::parse_conf_str(text)
            .map_err(|error| format!("not a QuestDB configuration string: {error}"))?;
        let service = parsed.service().to_owned();
        if service != "http" && service != "https" {
            return Err(format!(
                "this build writes over ILP/HTTP only: start with http:: or https::, not {service}::"
            ));
        }
        let mut policy = FlushPolicy::DEFAULT;
        let mut params = Vec::new();
        for (key, value) in parsed.params() {
            match key.as_str() {
                "auto_flush" => match value.as_str() {
                    "on" => {}
                    "off" => policy = FlushPolicy::OFF,
                    _ => return Err("auto_flush must be on or off".to_owned()),
                },
                "auto_flush_rows" => {
                    policy.max_rows = match value.as_str() {
                        "off" => None,
                        number => Some(
                            number
                                .parse::<usize>()
                                .ok()
                                .filter(|rows| *rows > 0)
                                .ok_or("auto_flush_rows must be a positive number or off")?,
                        ),
                    }
                }
                "auto_flush_interval" => {
                    policy.max_interval = match value.as_str() {
                        "off" => None,
                        number => Some(Duration::from_millis(
                            number
                                .parse::<u64>()
                                .ok()
                                .filter(|millis| *millis > 0)
                                .ok_or("auto_flush_interval must be a positive number of milliseconds or off")?,
                        )),
                    }
                }
                "auto_flush_bytes" => {
                    return Err(
                        "auto_flush_bytes is not supported; use auto_flush_rows".to_owned()
                    );
                }
                _ => params.push((key.clone(), value.clone())),
            }
        }
        if parsed.get("auto_flush") == Some("off") {
            policy = FlushPolicy::OFF;
        }
        if !params.iter().any(|(key, _)| key == "addr") {
            return Err("addr=HOST:PORT is missing".to_owned());
        }
        params.sort();
        Ok(Self {
            service,
            params,
            policy,
        })
    }

    /// The string for `questdb-rs`: the service and every key but the auto-flush ones, with `;`
    /// inside values doubled as the format requires.
    fn to_client_conf(&self) -> String {
        let mut conf = format!("{}::", self.service);
        for (key, value) in &self.params {
            conf.push_str(key);
            conf.push('=');
            conf.push_str(&value.replace(';', ";;"));
            conf.push(';');
        }
        conf
    }

    /// `http::addr=HOST:PORT;`, for messages: the other keys may hold credentials.
    pub fn describe(&self) -> String {
        let addr = self
            .params
            .iter()
            .find(|(key, _)| key == "addr")
            .map_or("", |(_, value)| value.as_str());
        format!("{}::addr={addr};", self.service)
    }
}

impl std::fmt::Debug for IlpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IlpSettings")
            .field("target", &self.describe())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// The column names, fixed by [`super::sql::create_table`].
const PRICE_COLUMNS: [&str; 4] = ["open", "high", "low", "close"];

fn column(name: &'static str) -> ColumnName<'static> {
    ColumnName::new_unchecked(name)
}

/// Appends one candle as one ILP row: `table,symbol=…,timeframe=… open=…,…,volume=… ts`.
///
/// # Errors
/// [`QuestDbError::Value`] for a timestamp that is not a whole microsecond (QuestDB's
/// `TIMESTAMP` resolution) or a value a `DOUBLE` cannot carry back exactly;
/// [`QuestDbError::Ilp`] if `questdb-rs` refuses the row. Either way the buffer is left as it was
/// before the call.
pub fn encode_candle(
    buffer: &mut Buffer,
    table: TableName<'_>,
    symbol: &Symbol,
    timeframe: &str,
    candle: &Candle,
) -> Result<(), QuestDbError> {
    let nanos = candle.ts().as_u64();
    if !nanos.is_multiple_of(1_000) {
        return Err(QuestDbError::Value {
            field: "ts",
            reason: format!(
                "{symbol} bar at {} is not a whole microsecond (QuestDB TIMESTAMP resolution)",
                candle.ts()
            ),
        });
    }
    let micros = i64::try_from(nanos / 1_000).unwrap_or(i64::MAX);
    let prices = [candle.open(), candle.high(), candle.low(), candle.close()];
    let mut doubles = [0.0_f64; 5];
    for (slot, (raw, field)) in doubles.iter_mut().zip(
        prices
            .iter()
            .map(|price| price.raw())
            .chain([candle.volume().raw()])
            .zip(["open", "high", "low", "close", "volume"]),
    ) {
        *slot = exact_double(raw).ok_or_else(|| QuestDbError::Value {
            field,
            reason: format!(
                "{symbol} bar at {}: {raw}e-9 has no exact DOUBLE (above 8,388,608 with nine decimals)",
                candle.ts()
            ),
        })?;
    }
    let encode = |buffer: &mut Buffer| -> questdb::Result<()> {
        buffer
            .table(table)?
            .symbol(column("symbol"), symbol.as_str())?
            .symbol(column("timeframe"), timeframe)?;
        for (name, value) in PRICE_COLUMNS.into_iter().zip(doubles) {
            buffer.column_f64(column(name), value)?;
        }
        buffer
            .column_f64(column("volume"), doubles[4])?
            .at(TimestampMicros::new(micros))
    };
    let failed = |error: questdb::Error| QuestDbError::Ilp {
        during: "encoding a row",
        code: format!("{:?}", error.code()),
        reason: error.msg().to_owned(),
    };
    buffer.set_marker().map_err(failed)?;
    let written = encode(buffer);
    if written.is_err() {
        // Drop the half-written row; the marker is at the previous row's end.
        buffer.rewind_to_marker().map_err(failed)?;
    }
    buffer.clear_marker();
    written.map_err(failed)
}

/// What a writer sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Rows sent.
    pub rows: u64,
    /// HTTP requests (batches) sent.
    pub batches: u64,
}

/// A batching candle writer over one ILP/HTTP connection.
pub struct CandleWriter {
    sender: Sender,
    buffer: Buffer,
    table: String,
    policy: FlushPolicy,
    last_send: Instant,
    summary: WriteSummary,
    target: String,
}

impl std::fmt::Debug for CandleWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandleWriter")
            .field("target", &self.target)
            .field("table", &self.table)
            .field("policy", &self.policy)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl CandleWriter {
    /// Connects: `questdb-rs` asks the server's `/settings` for the protocol version unless
    /// the configuration string names one.
    ///
    /// # Errors
    /// [`QuestDbError::Ilp`] when the configuration is refused or the server cannot be reached.
    pub fn connect(settings: &IlpSettings, table: &super::TableName) -> Result<Self, QuestDbError> {
        let failed = |error: questdb::Error| QuestDbError::Ilp {
            during: "connecting",
            code: format!("{:?}", error.code()),
            reason: format!("{}: {}", settings.describe(), error.msg()),
        };
        let sender = SenderBuilder::from_conf(settings.to_client_conf())
            .and_then(|builder| builder.build())
            .map_err(failed)?;
        let buffer = sender.new_buffer();
        Ok(Self {
            sender,
            buffer,
            table: table.as_str().to_owned(),
            policy: settings.policy,
            last_send: Instant::now(),
            summary: WriteSummary::default(),
            target: settings.describe(),
        })
    }

    /// Adds one candle, sending the batch when the policy says so.
    ///
    /// # Errors
    /// [`QuestDbError::Value`] for a candle QuestDB cannot hold exactly; [`QuestDbError::Flush`]
    /// when a due batch is refused.
    pub fn push(
        &mut self,
        symbol: &Symbol,
        timeframe: Timeframe,
        candle: &Candle,
    ) -> Result<(), QuestDbError> {
        let frame = timeframe.to_string();
        self.push_with(symbol, &frame, candle)
    }

    /// Adds a whole series.
    ///
    /// # Errors
    /// As [`CandleWriter::push`].
    pub fn write(
        &mut self,
        symbol: &Symbol,
        timeframe: Timeframe,
        candles: &[Candle],
    ) -> Result<(), QuestDbError> {
        let frame = timeframe.to_string();
        for candle in candles {
            self.push_with(symbol, &frame, candle)?;
        }
        Ok(())
    }

    fn push_with(
        &mut self,
        symbol: &Symbol,
        timeframe: &str,
        candle: &Candle,
    ) -> Result<(), QuestDbError> {
        let table = TableName::new_unchecked(&self.table);
        encode_candle(&mut self.buffer, table, symbol, timeframe, candle)?;
        if self
            .policy
            .due(self.buffer.row_count(), self.last_send.elapsed())
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the rows buffered so far (nothing if there are none).
    ///
    /// # Errors
    /// [`QuestDbError::Flush`] naming the cause; the rows stay buffered.
    pub fn flush(&mut self) -> Result<(), QuestDbError> {
        let rows = self.buffer.row_count();
        if rows == 0 {
            return Ok(());
        }
        self.sender
            .flush_and_keep(&self.buffer)
            .map_err(|error| QuestDbError::Flush {
                rows,
                cause: FlushCause::of(error.code()),
                reason: format!("{}: {}", self.target, error.msg()),
            })?;
        self.buffer.clear();
        self.last_send = Instant::now();
        self.summary.rows += u64::try_from(rows).unwrap_or(u64::MAX);
        self.summary.batches += 1;
        Ok(())
    }

    /// Sends what is left and reports what was sent.
    ///
    /// # Errors
    /// As [`CandleWriter::flush`].
    pub fn finish(mut self) -> Result<WriteSummary, QuestDbError> {
        self.flush()?;
        Ok(self.summary)
    }

    /// What was sent so far.
    pub fn summary(&self) -> WriteSummary {
        self.summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_core::{Price, Quantity, UnixNanos};
    use questdb::ingress::ProtocolVersion;

    fn candle(ts: u64, prices: [&str; 4], volume: &str) -> Candle {
        let price = |text: &str| text.parse::<Price>().unwrap();
        Candle::new(
            UnixNanos::new(ts),
            price(prices[0]),
            price(prices[1]),
            price(prices[2]),
            price(prices[3]),
            volume.parse::<Quantity>().unwrap(),
        )
        .unwrap()
    }

    fn aapl() -> Symbol {
        Symbol::parse("AAPL").unwrap()
    }

    const TS: u64 = 1_618_925_400_000_000_000; // 2021-04-20T13:30:00Z

    fn encoded(version: ProtocolVersion, bars: &[Candle]) -> Vec<u8> {
        let mut buffer = Buffer::new(version);
        for bar in bars {
            encode_candle(
                &mut buffer,
                TableName::new("candles").unwrap(),
                &aapl(),
                "1m",
                bar,
            )
            .unwrap();
        }
        buffer.as_bytes().to_vec()
    }

    #[test]
    fn text_protocol_rows_are_exact() {
        let bars = [
            candle(TS, ["133.5", "133.61", "133.4", "133.55"], "1200"),
            candle(
                TS + 60_000_000_000,
                ["0.000000001", "2", "0.000000001", "1.999999999"],
                "0.5",
            ),
        ];
        let text = String::from_utf8(encoded(ProtocolVersion::V1, &bars)).unwrap();
        assert_eq!(
            text,
            "candles,symbol=AAPL,timeframe=1m open=133.5,high=133.61,low=133.4,close=133.55,volume=1200.0 1618925400000000000\n\
             candles,symbol=AAPL,timeframe=1m open=1e-9,high=2.0,low=1e-9,close=1.999999999,volume=0.5 1618925460000000000\n"
        );
    }

    #[test]
    fn binary_protocol_rows_carry_the_doubles_bit_for_bit() {
        let bar = candle(TS, ["133.5", "133.61", "133.4", "133.55"], "1200");
        let bytes = encoded(ProtocolVersion::V2, &[bar]);
        let mut expected = b"candles,symbol=AAPL,timeframe=1m ".to_vec();
        for (index, (name, value)) in [
            ("open", 133.5_f64),
            ("high", 133.61),
            ("low", 133.4),
            ("close", 133.55),
            ("volume", 1200.0),
        ]
        .into_iter()
        .enumerate()
        {
            if index > 0 {
                expected.push(b',');
            }
            expected.extend_from_slice(name.as_bytes());
            // '=' then '=' again, the binary-double marker 16, then the little-endian bits.
            expected.extend_from_slice(b"==");
            expected.push(16);
            expected.extend_from_slice(&value.to_le_bytes());
        }
        expected.extend_from_slice(b" 1618925400000000t\n");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn rows_questdb_cannot_hold_are_refused_and_leave_the_buffer_untouched() {
        let mut buffer = Buffer::new(ProtocolVersion::V1);
        let table = || TableName::new("candles").unwrap();
        let sub_micro = candle(TS + 1, ["1", "1", "1", "1"], "1");
        let error = encode_candle(&mut buffer, table(), &aapl(), "1m", &sub_micro).unwrap_err();
        assert!(
            matches!(error, QuestDbError::Value { field: "ts", .. }),
            "{error}"
        );
        let inexact = candle(
            TS,
            ["9000000.000000001", "9000000.000000001", "1", "1"],
            "1",
        );
        let error = encode_candle(&mut buffer, table(), &aapl(), "1m", &inexact).unwrap_err();
        assert!(
            matches!(error, QuestDbError::Value { field: "open", .. }),
            "{error}"
        );
        assert!(buffer.is_empty());
        assert_eq!(buffer.row_count(), 0);
    }

    #[test]
    fn policy_sends_by_rows_and_by_time_and_never_an_empty_batch() {
        let policy = FlushPolicy {
            max_rows: Some(3),
            max_interval: Some(Duration::from_millis(500)),
        };
        assert!(!policy.due(0, Duration::from_secs(60)));
        assert!(!policy.due(2, Duration::from_millis(499)));
        assert!(policy.due(3, Duration::ZERO));
        assert!(policy.due(1, Duration::from_millis(500)));
        assert!(!FlushPolicy::OFF.due(1_000_000, Duration::from_secs(3_600)));
        assert!(FlushPolicy::DEFAULT.due(75_000, Duration::ZERO));
        assert!(!FlushPolicy::DEFAULT.due(74_999, Duration::from_millis(999)));
        assert!(FlushPolicy::DEFAULT.due(1, Duration::from_millis(1_000)));
    }

    #[test]
    fn settings_take_the_auto_flush_keys_and_pass_the_rest_on() {
        let settings = IlpSettings::parse(
            "http::addr=127.0.0.1:9000;auto_flush_rows=500;auto_flush_interval=250;password=a;;b;username=u;",
        )
        .unwrap();
        assert_eq!(
            settings.policy,
            FlushPolicy {
                max_rows: Some(500),
                max_interval: Some(Duration::from_millis(250)),
            }
        );
        assert_eq!(
            settings.to_client_conf(),
            "http::addr=127.0.0.1:9000;password=a;;b;username=u;"
        );
        assert_eq!(settings.describe(), "http::addr=127.0.0.1:9000;");
        assert!(!format!("{settings:?}").contains("a;b"));
        let off = IlpSettings::parse("https::addr=db:9000;auto_flush=off;").unwrap();
        assert_eq!(off.policy, FlushPolicy::OFF);
        assert_eq!(
            IlpSettings::parse("http::addr=h:1;").unwrap().policy,
            FlushPolicy::DEFAULT
        );
    }

    #[test]
    fn settings_refuse_other_transports_and_bad_values_without_echoing_them() {
        for (text, reason) in [
            ("tcp::addr=127.0.0.1:9009;", "ILP/HTTP only"),
            ("http::auto_flush_rows=10;", "addr"),
            ("http::addr=h:1;auto_flush_rows=0;", "auto_flush_rows"),
            (
                "http::addr=h:1;auto_flush_interval=soon;",
                "auto_flush_interval",
            ),
            ("http::addr=h:1;auto_flush_bytes=1000;", "auto_flush_bytes"),
            ("http::addr=h:1;auto_flush=maybe;", "auto_flush must be"),
            ("addr=127.0.0.1", "not a QuestDB configuration string"),
        ] {
            let error = IlpSettings::parse(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
        let error = IlpSettings::parse("http::addr=h:1;auto_flush_rows=secret-ish;").unwrap_err();
        assert!(!error.contains("secret-ish"), "{error}");
    }
}
