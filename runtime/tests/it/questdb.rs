//! QuestDB: the ILP/HTTP writer against a loopback HTTP listener that records every request,
//! the exactness of real prices through `DOUBLE`, and (ignored unless `QUESTDB_ILP` and
//! `QUESTDB_PG_URL` name a real QuestDB) import, read-back, resampling and re-import against a
//! real server. No QuestDB is faked for reads.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlock::data::{Adjust, CsvOptions, read_csv};
use airlock::questdb::double::{exact_double, from_double};
use airlock::questdb::{CandleWriter, FlushCause, IlpSettings, QuestDbError, TableName};
use airlock_core::{Candle, Symbol, Timeframe};

/// The bundled AAPL daily bars as traded (`--adjust none`): split-adjusted volumes carry more
/// digits than a DOUBLE holds (see `adjusted_volumes_a_double_cannot_hold_are_refused`).
fn aapl() -> Vec<Candle> {
    aapl_adjusted(Adjust::None)
}

fn aapl_adjusted(adjust: Adjust) -> Vec<Candle> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data/DA-AAPL-T-2021-04-21.csv.gz");
    let options = CsvOptions {
        adjust,
        symbol: None,
    };
    read_csv(&path, &options).unwrap().candles
}

fn symbol() -> Symbol {
    Symbol::parse("AAPL").unwrap()
}

/// One request as the listener saw it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    target: String,
    body: Vec<u8>,
}

impl Request {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.body)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// An answer: status, content type, body.
type Answer = (u16, &'static str, String);

/// A loopback HTTP/1.1 server: records each request and answers with `respond`.
struct Listener {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Listener {
    fn start(respond: impl Fn(&Request, usize) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let respond = Arc::new(respond);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let seen = Arc::clone(&seen);
                let respond = Arc::clone(&respond);
                std::thread::spawn(move || serve(stream, &seen, respond.as_ref()));
            }
        });
        Self { port, requests }
    }

    fn conf(&self, extra: &str) -> IlpSettings {
        IlpSettings::parse(&format!("http::addr=127.0.0.1:{};{extra}", self.port)).unwrap()
    }

    fn writes(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|request| request.method == "POST")
            .cloned()
            .collect()
    }
}

fn serve(
    stream: TcpStream,
    seen: &Mutex<Vec<Request>>,
    respond: &(dyn Fn(&Request, usize) -> Answer + Send + Sync),
) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut length = 0;
        let mut chunked = false;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).unwrap();
                let size = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                reader.read_exact(&mut chunk).unwrap();
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length, 0);
            reader.read_exact(&mut body).unwrap();
        }
        let request = Request {
            method,
            target,
            body,
        };
        let index = {
            let mut all = seen.lock().unwrap();
            all.push(request.clone());
            all.iter().filter(|one| one.method == "POST").count()
        };
        let (status, content_type, text) = if request.method == "GET" {
            (404, "text/plain", String::new())
        } else {
            respond(&request, index)
        };
        let reason = match status {
            204 => "No Content",
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            500 => "Internal Server Error",
            _ => "Status",
        };
        let answer = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{text}",
            text.len()
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn accept(_: &Request, _: usize) -> Answer {
    (204, "text/plain", String::new())
}

fn table() -> TableName {
    TableName::default()
}

#[test]
fn ilp_batches_are_flushed_by_rows_and_every_bar_arrives_once() {
    let server = Listener::start(accept);
    let settings = server.conf("protocol_version=1;auto_flush_rows=1000;auto_flush_interval=off;");
    let bars = aapl();
    let mut writer = CandleWriter::connect(&settings, &table()).unwrap();
    writer
        .write(&symbol(), Timeframe::MINUTE, &bars[..2_500])
        .unwrap();
    assert_eq!(server.writes().len(), 2, "two full batches before finish");
    let summary = writer.finish().unwrap();
    assert_eq!((summary.rows, summary.batches), (2_500, 3));
    let writes = server.writes();
    let sizes: Vec<usize> = writes.iter().map(|request| request.lines().len()).collect();
    assert_eq!(sizes, [1_000, 1_000, 500]);
    for request in &writes {
        assert_eq!(request.target, "/write?precision=n");
    }
    // The first row of the file, as QuestDB reads it: text ILP, nanosecond timestamp.
    let first = &writes[0].lines()[0];
    assert!(
        first.starts_with("candles,symbol=AAPL,timeframe=1m open=80.0,high=80.69,low=77.37,close=77.62,volume=2487300.0 "),
        "{first}"
    );
    let nanos: u64 = first.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(nanos, bars[0].ts().as_u64());
    // Every bar once, in order.
    let stamps: Vec<u64> = writes
        .iter()
        .flat_map(Request::lines)
        .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<u64> = bars[..2_500].iter().map(|bar| bar.ts().as_u64()).collect();
    assert_eq!(stamps, expected);
}

#[test]
fn ilp_batches_are_flushed_by_time_when_a_row_arrives_late() {
    let server = Listener::start(accept);
    let settings = server.conf("protocol_version=1;auto_flush_rows=off;auto_flush_interval=100;");
    let bars = aapl();
    let mut writer = CandleWriter::connect(&settings, &table()).unwrap();
    writer.push(&symbol(), Timeframe::MINUTE, &bars[0]).unwrap();
    writer.push(&symbol(), Timeframe::MINUTE, &bars[1]).unwrap();
    assert_eq!(server.writes().len(), 0, "nothing is due yet");
    std::thread::sleep(Duration::from_millis(150));
    writer.push(&symbol(), Timeframe::MINUTE, &bars[2]).unwrap();
    assert_eq!(server.writes().len(), 1, "the late row sends the batch");
    assert_eq!(server.writes()[0].lines().len(), 3);
    writer.push(&symbol(), Timeframe::MINUTE, &bars[3]).unwrap();
    assert_eq!(server.writes().len(), 1, "the timer restarted at the send");
    let summary = writer.finish().unwrap();
    assert_eq!((summary.rows, summary.batches), (4, 2));
}

#[test]
fn a_rejected_batch_is_a_typed_error_with_the_servers_reason() {
    let server = Listener::start(|_, _| {
        (
            400,
            "application/json",
            r#"{"code":"invalid","message":"failed to parse line protocol:errors encountered on line(s):\nerror in line 2: table: candles; invalid column value","line":2,"errorId":"9c1e-1"}"#.to_owned(),
        )
    });
    let mut writer = CandleWriter::connect(&server.conf("protocol_version=1;"), &table()).unwrap();
    writer
        .write(&symbol(), Timeframe::MINUTE, &aapl()[..5])
        .unwrap();
    let error = writer.flush().unwrap_err();
    match &error {
        QuestDbError::Flush {
            rows,
            cause,
            reason,
        } => {
            assert_eq!(*rows, 5);
            assert_eq!(*cause, FlushCause::Rejected);
            assert!(reason.contains("invalid column value"), "{reason}");
            assert!(reason.contains("line: 2"), "{reason}");
        }
        other => panic!("expected a flush error, got {other:?}"),
    }
    assert!(
        error.to_string().contains("rejected by the server"),
        "{error}"
    );
    assert_eq!(server.writes().len(), 1, "a 4xx answer is not retried");
    // The rows stay buffered: the caller decides.
    assert_eq!(writer.summary().rows, 0);
}

#[test]
fn a_server_error_is_retried_then_reported_and_auth_and_404_name_their_cause() {
    // 500 once, then accepted: questdb-rs retries 5xx answers within retry_timeout.
    let flaky = Listener::start(|_, index| {
        if index == 1 {
            (500, "text/plain", "disk full".to_owned())
        } else {
            (204, "text/plain", String::new())
        }
    });
    let mut writer = CandleWriter::connect(&flaky.conf("protocol_version=1;"), &table()).unwrap();
    writer
        .write(&symbol(), Timeframe::MINUTE, &aapl()[..3])
        .unwrap();
    writer.flush().unwrap();
    let writes = flaky.writes();
    assert_eq!(writes.len(), 2);
    assert_eq!(
        writes[0].body, writes[1].body,
        "the same batch is sent again"
    );

    for (status, body, cause) in [
        (500, "disk full", FlushCause::Rejected),
        (401, "", FlushCause::Unauthorized),
        (404, "", FlushCause::NotIlpEndpoint),
    ] {
        let server = Listener::start(move |_, _| (status, "text/plain", body.to_owned()));
        let settings = server.conf("protocol_version=1;retry_timeout=0;");
        let mut writer = CandleWriter::connect(&settings, &table()).unwrap();
        writer
            .write(&symbol(), Timeframe::MINUTE, &aapl()[..2])
            .unwrap();
        match writer.flush().unwrap_err() {
            QuestDbError::Flush {
                cause: got, reason, ..
            } => {
                assert_eq!(got, cause, "{status}: {reason}");
                if !body.is_empty() {
                    assert!(reason.contains(body), "{status}: {reason}");
                }
            }
            other => panic!("{status}: expected a flush error, got {other:?}"),
        }
    }
}

#[test]
fn the_protocol_version_is_asked_of_the_server_and_doubles_go_binary() {
    // No protocol_version in the string: questdb-rs reads GET /settings first. This listener
    // answers 404 there (an older QuestDB), so text ILP (version 1) is used.
    let server = Listener::start(accept);
    let mut writer = CandleWriter::connect(&server.conf(""), &table()).unwrap();
    writer
        .write(&symbol(), Timeframe::MINUTE, &aapl()[..1])
        .unwrap();
    writer.finish().unwrap();
    let all = server.requests.lock().unwrap().clone();
    assert_eq!(all[0].method, "GET");
    assert_eq!(all[0].target, "/settings");
    assert!(!all[1].body.contains(&16), "text protocol");
    // protocol_version=2 (QuestDB 9+): doubles are sent as 8 binary bytes after "==\x10".
    let server = Listener::start(accept);
    let mut writer = CandleWriter::connect(&server.conf("protocol_version=2;"), &table()).unwrap();
    let bar = aapl()[0];
    writer.write(&symbol(), Timeframe::MINUTE, &[bar]).unwrap();
    writer.finish().unwrap();
    let body = &server.writes()[0].body;
    let mut open = b"open==\x10".to_vec();
    open.extend_from_slice(&bar.open().to_f64().to_le_bytes());
    assert!(body.windows(open.len()).any(|window| window == open));
    let micros = format!(" {}t\n", bar.ts().as_u64() / 1_000);
    assert!(body.ends_with(micros.as_bytes()));
}

#[test]
fn unreachable_servers_fail_at_connect_or_flush_with_a_network_cause() {
    // Nothing listens on this port once the listener is dropped.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = IlpSettings::parse(&format!(
        "http::addr=127.0.0.1:{port};protocol_version=1;retry_timeout=0;"
    ))
    .unwrap();
    let mut writer = CandleWriter::connect(&settings, &table()).unwrap();
    writer
        .write(&symbol(), Timeframe::MINUTE, &aapl()[..1])
        .unwrap();
    match writer.flush().unwrap_err() {
        QuestDbError::Flush { cause, .. } => assert_eq!(cause, FlushCause::Network),
        other => panic!("expected a network flush error, got {other:?}"),
    }
}

#[test]
fn real_aapl_prices_survive_double_storage_exactly() {
    for adjust in [Adjust::None, Adjust::Splits, Adjust::All] {
        let bars = aapl_adjusted(adjust);
        assert!(bars.len() > 5_000);
        for bar in &bars {
            for raw in [
                bar.open().raw(),
                bar.high().raw(),
                bar.low().raw(),
                bar.close().raw(),
            ] {
                let double = exact_double(raw).expect("a bundled price fits a DOUBLE exactly");
                assert_eq!(from_double(double), Ok(raw), "{adjust:?}");
            }
        }
    }
    for bar in aapl() {
        let raw = bar.volume().raw();
        assert_eq!(from_double(exact_double(raw).unwrap()), Ok(raw));
    }
}

#[test]
fn adjusted_volumes_a_double_cannot_hold_are_refused() {
    // Alpha Vantage books AAPL's 2014 split as 7.00000700001, so split-adjusted volumes such as
    // 278,577,878.577997968 need 18 significant digits; a DOUBLE has about 16.
    let bars = aapl_adjusted(Adjust::All);
    let inexact = bars
        .iter()
        .filter(|bar| exact_double(bar.volume().raw()).is_none())
        .count();
    assert!(inexact > 0);
    let server = Listener::start(accept);
    let mut writer = CandleWriter::connect(&server.conf("protocol_version=1;"), &table()).unwrap();
    let error = writer.write(&symbol(), Timeframe::DAY, &bars).unwrap_err();
    assert!(
        matches!(
            error,
            QuestDbError::Value {
                field: "volume",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("1999-11-01"), "{error}");
    assert_eq!(writer.finish().unwrap().rows, 0, "nothing inexact is sent");
}

#[test]
fn text_ilp_of_real_bars_parses_back_to_the_exact_prices() {
    // What QuestDB does with a text ILP row: parse each field as a double (correctly rounded,
    // like Rust's parser). Reading that double back must give the bar's exact values.
    let server = Listener::start(accept);
    let bars = aapl();
    let mut writer = CandleWriter::connect(&server.conf("protocol_version=1;"), &table()).unwrap();
    writer.write(&symbol(), Timeframe::MINUTE, &bars).unwrap();
    writer.finish().unwrap();
    let lines: Vec<String> = server.writes().iter().flat_map(Request::lines).collect();
    assert_eq!(lines.len(), bars.len());
    for (line, bar) in lines.iter().zip(&bars) {
        let fields = line.split(' ').nth(1).unwrap();
        let values: Vec<i64> = fields
            .split(',')
            .map(|field| {
                let (_, value) = field.split_once('=').unwrap();
                from_double(value.parse::<f64>().unwrap()).unwrap()
            })
            .collect();
        assert_eq!(
            values,
            [
                bar.open().raw(),
                bar.high().raw(),
                bar.low().raw(),
                bar.close().raw(),
                bar.volume().raw()
            ],
            "{line}"
        );
    }
}
