//! Against a real QuestDB: ignored unless run with `--run-ignored`, which `./scripts/test` does
//! only when both `QUESTDB_ILP` and `QUESTDB_PG_URL` are set. Each test works in a table of
//! its own and drops it afterwards.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use airlock::data::{Adjust, CsvOptions, read_csv};
use airlock::questdb::{CandleWriter, IlpSettings, QuestDbClient, TableName};
use airlock_core::{Candle, Price, Quantity, Symbol, TimeRange, Timeframe, UnixNanos};

use crate::pg::block_on;

const AAPL: &str = "DA-AAPL-T-2021-04-21.csv.gz";

static NEXT: AtomicU32 = AtomicU32::new(0);

fn settings() -> (String, String) {
    #[expect(
        clippy::disallowed_methods,
        reason = "tests read their own settings from the environment"
    )]
    let read = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} must name a real QuestDB"))
    };
    (read("QUESTDB_ILP"), read("QUESTDB_PG_URL"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
}

/// A table of this test's own, dropped when this value is.
struct TestTable {
    name: TableName,
    pg_url: String,
}

impl TestTable {
    fn new(label: &str) -> Self {
        let name = TableName::parse(&format!(
            "airlock_it_{label}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ))
        .unwrap();
        Self {
            name,
            pg_url: settings().1,
        }
    }

    async fn client(&self) -> QuestDbClient {
        QuestDbClient::connect(&self.pg_url, self.name.clone())
            .await
            .unwrap()
    }
}

impl Drop for TestTable {
    fn drop(&mut self) {
        let dropped = block_on(async { self.client().await.drop_table().await });
        if let Err(error) = dropped {
            eprintln!("could not drop QuestDB table {}: {error}", self.name);
        }
    }
}

fn write(table: &TestTable, symbol: &Symbol, timeframe: Timeframe, candles: &[Candle]) {
    let ilp = IlpSettings::parse(&settings().0).unwrap();
    let mut writer = CandleWriter::connect(&ilp, &table.name).unwrap();
    writer.write(symbol, timeframe, candles).unwrap();
    writer.finish().unwrap();
}

fn write_aapl(table: &TestTable, candles: &[Candle]) {
    write(
        table,
        &Symbol::parse("AAPL").unwrap(),
        Timeframe::DAY,
        candles,
    );
}

/// Two sessions of minute bars (13:30–20:00 UTC) with deterministic two-decimal prices.
fn synthetic_minutes() -> Vec<Candle> {
    let mut out = Vec::new();
    for day in [21_u32, 22] {
        let open = UnixNanos::from_civil(2021, 4, day, 13, 30, 0, 0).unwrap();
        for minute in 0..390_u64 {
            let step = i64::try_from((minute * 7919 + u64::from(day)) % 101).unwrap();
            let cents = 13_000 + step;
            let price = |extra: i64| Price::from_raw((cents + extra) * 10_000_000);
            out.push(
                Candle::new(
                    UnixNanos::new(open.as_u64() + minute * 60_000_000_000),
                    price(0),
                    price(9),
                    price(-9),
                    price(3),
                    Quantity::from_raw(i64::try_from(100 + minute).unwrap() * 1_000_000_000),
                )
                .unwrap(),
            );
        }
    }
    out
}

/// The 1m bars aggregated into calendar-aligned buckets, as the test computes it.
fn aggregate(candles: &[Candle], bucket: u64) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for bar in candles {
        let start = bar.ts().as_u64() / bucket * bucket;
        match out.last_mut() {
            Some(last) if last.ts().as_u64() == start => {
                let volume = Quantity::from_raw(last.volume().raw() + bar.volume().raw());
                *last = Candle::new(
                    last.ts(),
                    last.open(),
                    Price::from_raw(last.high().raw().max(bar.high().raw())),
                    Price::from_raw(last.low().raw().min(bar.low().raw())),
                    bar.close(),
                    volume,
                )
                .unwrap();
            }
            _ => out.push(
                Candle::new(
                    UnixNanos::new(start),
                    bar.open(),
                    bar.high(),
                    bar.low(),
                    bar.close(),
                    bar.volume(),
                )
                .unwrap(),
            ),
        }
    }
    out
}

#[test]
#[ignore = "needs QUESTDB_ILP and QUESTDB_PG_URL"]
fn questdb_server_import_reads_back_exactly_resamples_and_never_duplicates() {
    let options = CsvOptions {
        adjust: Adjust::None,
        symbol: None,
    };
    let candles = read_csv(&data(AAPL), &options).unwrap().candles;
    let aapl = Symbol::parse("AAPL").unwrap();
    let table = TestTable::new("roundtrip");
    block_on(async { table.client().await.ensure_table().await }).unwrap();
    write_aapl(&table, &candles);
    block_on(async {
        let mut client = table.client().await;
        client.wait_visible(Duration::from_secs(60)).await.unwrap();
        let count = client.count(&aapl, Timeframe::DAY).await.unwrap();
        assert_eq!(count, candles.len() as u64);
        let back = client
            .candles(&aapl, Timeframe::DAY, None, TimeRange::ALL)
            .await
            .unwrap();
        assert_eq!(back, candles, "every bar comes back exactly");
        // A range is half-open.
        let range = TimeRange {
            start: Some(candles[10].ts()),
            end: Some(candles[20].ts()),
        };
        let part = client
            .candles(&aapl, Timeframe::DAY, None, range)
            .await
            .unwrap();
        assert_eq!(part, candles[10..20]);
        // The bundled bars are daily; resampling is checked on minute bars made here.
        let minutes = synthetic_minutes();
        let synth = Symbol::parse("SYNTH").unwrap();
        write(&table, &synth, Timeframe::MINUTE, &minutes);
        client.wait_visible(Duration::from_secs(60)).await.unwrap();
        for (to, seconds) in [("5m", 300_u64), ("1h", 3_600), ("1d", 86_400)] {
            let target: Timeframe = to.parse().unwrap();
            let sampled = client
                .candles(&synth, Timeframe::MINUTE, Some(target), TimeRange::ALL)
                .await
                .unwrap();
            assert_eq!(
                sampled,
                aggregate(&minutes, seconds * 1_000_000_000),
                "SAMPLE BY {to}"
            );
        }
        let series = client.series().await.unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].symbol, aapl);
        assert_eq!(series[0].rows, candles.len() as u64);
        assert_eq!(series[0].first, candles[0].ts());
        assert_eq!(series[1].rows, minutes.len() as u64);
    });
    // A re-import replaces rows instead of adding them (DEDUP UPSERT KEYS).
    write_aapl(&table, &candles);
    block_on(async {
        let mut client = table.client().await;
        client.wait_visible(Duration::from_secs(60)).await.unwrap();
        let count = client.count(&aapl, Timeframe::DAY).await.unwrap();
        assert_eq!(count, candles.len() as u64, "a re-import adds no rows");
    });
}

fn airlock(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
#[ignore = "needs QUESTDB_ILP and QUESTDB_PG_URL"]
fn questdb_server_backtest_gives_the_csv_result() {
    let table = TestTable::new("cli");
    let name = table.name.to_string();
    let file = data(AAPL);
    let file = file.to_str().unwrap();
    let first = airlock(&[
        "data",
        "import",
        "--from",
        file,
        "--to",
        "questdb",
        "--adjust",
        "none",
        "--questdb-table",
        &name,
    ]);
    assert!(first.contains("AAPL 1d:"), "{first}");
    let again = airlock(&[
        "data",
        "import",
        "--from",
        file,
        "--to",
        "questdb",
        "--adjust",
        "none",
        "--questdb-table",
        &name,
    ]);
    assert!(
        again.contains(" 0 new,"),
        "a re-import adds nothing: {again}"
    );
    let listed = airlock(&[
        "data",
        "ls",
        "--source",
        "questdb",
        "--questdb-table",
        &name,
    ]);
    assert!(listed.contains("AAPL"), "{listed}");
    assert!(
        !listed.contains("quest@"),
        "the password is masked: {listed}"
    );
    let dir = tempfile::tempdir().unwrap();
    let report = |label: &str, source: &[&str]| -> serde_json::Value {
        let path = dir.path().join(format!("{label}.json"));
        let mut args = vec![
            "backtest",
            "--strategy",
            "sma_cross",
            "--json",
            path.to_str().unwrap(),
        ];
        args.extend_from_slice(source);
        airlock(&args);
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let csv = report("csv", &["--data", file, "--adjust", "none"]);
    let questdb = report(
        "questdb",
        &[
            "--source",
            "questdb",
            "--symbol",
            "AAPL",
            "--questdb-table",
            &name,
        ],
    );
    for key in ["stats", "trades", "equity", "orders", "refusals"] {
        assert_eq!(csv[key], questdb[key], "{key}");
    }
}
