//! `airlock db` and `airlock data` as an operator runs them, against a real PostgreSQL (a
//! database per test) and SQLite files, with the bundled real data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::pg::TestDb;

const AAPL: &str = "DA-AAPL-T-2021-04-21.csv.gz";
const MSFT: &str = "DA-MSFT-T-2021-04-21.csv.gz";

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
        .display()
        .to_string()
}

fn airlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("AIRLOCK_DATABASE_URL")
        .env_remove("AIRLOCK_DATA_DIR")
        .output()
        .expect("the airlock binary runs")
}

fn ok(args: &[&str]) -> String {
    let output = airlock(args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn failing(args: &[&str]) -> String {
    let output = airlock(args);
    assert!(!output.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The statistics part of a backtest's output (everything after the `symbols:` line), which
/// must not depend on where the candles came from.
fn statistics(output: &str) -> String {
    output
        .lines()
        .skip_while(|line| !line.starts_with("symbols:"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn migrate_and_check(url: &str) {
    let status = ok(&["db", "status", "--database-url", url]);
    assert!(
        status.contains("pending:  20261123000001 initial"),
        "{status}"
    );
    assert!(status.contains("environment tag: (not set)"), "{status}");
    let migrated = ok(&["db", "migrate", "--database-url", url, "--tag", "backtest"]);
    assert!(
        migrated.contains("applied:  20261123000001 initial"),
        "{migrated}"
    );
    assert!(migrated.contains("environment tag: backtest"), "{migrated}");
    let again = ok(&["db", "migrate", "--database-url", url]);
    assert!(again.contains("migrations: up to date"), "{again}");
    let status = ok(&["db", "status", "--database-url", url]);
    assert!(!status.contains("pending:"), "{status}");
    assert!(status.contains("environment tag: backtest"), "{status}");
    let refused = failing(&["db", "migrate", "--database-url", url, "--tag", "live"]);
    assert!(
        refused.contains("tagged for environment backtest, not live"),
        "{refused}"
    );
    let verified = ok(&["db", "verify-audit", "--database-url", url]);
    assert!(verified.contains("audit log intact: 0 rows"), "{verified}");
}

#[test]
fn db_migrate_on_an_empty_postgresql_database() {
    let db = TestDb::new("cli_migrate");
    migrate_and_check(&db.url);
}

#[test]
fn db_migrate_on_an_empty_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("new/airlock.db").display());
    migrate_and_check(&url);
}

fn csv_backtest() -> String {
    statistics(&ok(&[
        "backtest",
        "--data",
        &data(AAPL),
        "--data",
        &data(MSFT),
    ]))
}

#[test]
fn import_into_the_embedded_store_and_backtest_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().to_str().unwrap();
    let imported = ok(&[
        "data",
        "import",
        "--from",
        &data(AAPL),
        &data(MSFT),
        "--to",
        "embedded",
        "--data-dir",
        store,
    ]);
    assert!(
        imported.contains("AAPL 1d: 5402 rows valid; 5402 new, 0 changed, 0 unchanged"),
        "{imported}"
    );
    assert!(imported.contains("rows/s into embedded"), "{imported}");
    let again = ok(&[
        "data",
        "import",
        "--from",
        &data(AAPL),
        "--to",
        "embedded",
        "--data-dir",
        store,
    ]);
    assert!(
        again.contains("AAPL 1d: 5402 rows valid; 0 new, 0 changed, 5402 unchanged"),
        "{again}"
    );
    let listed = ok(&["data", "ls", "--data-dir", store]);
    assert!(
        listed
            .contains("AAPL              1d 1999-11-01T00:00:00Z 2021-04-21T00:00:00Z       5402"),
        "{listed}"
    );
    let embedded = ok(&[
        "backtest",
        "--source",
        "embedded",
        "--symbol",
        "AAPL",
        "--symbol",
        "MSFT",
        "--data-dir",
        store,
    ]);
    assert_eq!(statistics(&embedded), csv_backtest());
    let missing = failing(&[
        "backtest",
        "--source",
        "embedded",
        "--symbol",
        "TSLA",
        "--data-dir",
        store,
    ]);
    assert!(missing.contains("holds no candles for TSLA"), "{missing}");
}

#[test]
fn import_into_postgresql_and_backtest_from_it() {
    let db = TestDb::new("cli_import");
    let url = db.url.as_str();
    let unmigrated = failing(&[
        "data",
        "import",
        "--from",
        &data(AAPL),
        "--to",
        "postgres",
        "--database-url",
        url,
    ]);
    assert!(unmigrated.contains("airlock db migrate"), "{unmigrated}");
    ok(&["db", "migrate", "--database-url", url]);
    let imported = ok(&[
        "data",
        "import",
        "--from",
        &data(AAPL),
        &data(MSFT),
        "--to",
        "postgres",
        "--database-url",
        url,
    ]);
    assert!(
        imported.contains("MSFT 1d: 5402 rows valid; 5402 new, 0 changed, 0 unchanged"),
        "{imported}"
    );
    let again = ok(&[
        "data",
        "import",
        "--from",
        &data(MSFT),
        "--to",
        "postgres",
        "--database-url",
        url,
    ]);
    assert!(
        again.contains("0 new, 0 changed, 5402 unchanged"),
        "{again}"
    );
    let listed = ok(&["data", "ls", "--source", "postgres", "--database-url", url]);
    assert!(listed.contains("MSFT              1d"), "{listed}");
    let from_db = ok(&[
        "backtest",
        "--source",
        "postgres",
        "--symbol",
        "AAPL",
        "--symbol",
        "MSFT",
        "--database-url",
        url,
    ]);
    assert_eq!(statistics(&from_db), csv_backtest());
}

#[test]
fn import_names_the_bad_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("BAD.csv");
    std::fs::write(
        &bad,
        "timestamp,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10,9,9,10.5,100\n",
    )
    .unwrap();
    let store = dir.path().join("store");
    let error = failing(&[
        "data",
        "import",
        "--from",
        bad.to_str().unwrap(),
        "--to",
        "embedded",
        "--timeframe",
        "1d",
        "--data-dir",
        store.to_str().unwrap(),
    ]);
    assert!(error.contains("BAD.csv:3"), "{error}");
    assert!(error.contains("high"), "{error}");
    assert!(
        !Path::new(&store).join("candles").exists(),
        "nothing stored"
    );
}

#[test]
fn health_shows_the_trading_state_and_refuses_without_redis() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("airlock.db").display());
    ok(&["db", "migrate", "--database-url", &url, "--tag", "dry-run"]);
    let halted = ok(&["health", "--database-url", &url]);
    assert!(halted.contains("redis:         up"), "{halted}");
    assert!(
        halted.contains("new orders:    REFUSED: trading is halted (version 0)"),
        "{halted}"
    );
    let changed = ok(&[
        "trading",
        "active",
        "--reason",
        "checks done",
        "--actor",
        "ana",
        "--database-url",
        &url,
    ]);
    assert!(
        changed.contains("trading state: active (version 1, by ana: checks done)"),
        "{changed}"
    );
    let active = ok(&["health", "--database-url", &url]);
    assert!(active.contains("new orders:    accepted"), "{active}");
    let audit = ok(&["db", "verify-audit", "--database-url", &url]);
    assert!(audit.contains("audit log intact: 1 rows"), "{audit}");
    // No Redis at this address: the state cannot be confirmed, so orders are refused (exit 1).
    let output = airlock(&[
        "health",
        "--database-url",
        &url,
        "--redis-url",
        "redis://127.0.0.1:1",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("redis:         DOWN"), "{stdout}");
    assert!(
        stdout.contains("new orders:    REFUSED: trading state unconfirmed"),
        "{stdout}"
    );
}
