//! The CLI as a user runs it: real bundled data, real process, exit codes and messages.

use std::path::PathBuf;
use std::process::{Command, Output};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(name)
}

const AAPL: &str = "DA-AAPL-T-2021-04-21.csv.gz";
const MSFT: &str = "DA-MSFT-T-2021-04-21.csv.gz";

fn airlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .output()
        .expect("the airlock binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a command that must fail and returns its stderr, checking the one-line error contract.
fn failing(args: &[&str]) -> String {
    let output = airlock(args);
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "{args:?} succeeded: {}",
        text(&output.stdout)
    );
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    stderr
}

#[test]
fn backtest_prints_the_mode_first_and_a_statistics_table() {
    let file = data(AAPL);
    let output = airlock(&[
        "backtest",
        "--data",
        file.to_str().unwrap(),
        "--strategy",
        "sma_cross",
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert!(
        stdout.lines().next().unwrap().contains("mode: backtest"),
        "{stdout}"
    );
    for needle in ["AAPL", "sharpe", "max drawdown", "trades"] {
        assert!(
            stdout.to_lowercase().contains(&needle.to_lowercase()),
            "missing {needle} in {stdout}"
        );
    }
}

#[test]
fn json_report_has_the_documented_keys_and_is_byte_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    let second = dir.path().join("second.json");
    let html = dir.path().join("report.html");
    let aapl = data(AAPL);
    let msft = data(MSFT);
    for (json, report) in [(&first, Some(&html)), (&second, None)] {
        let mut args = vec![
            "backtest",
            "--data",
            aapl.to_str().unwrap(),
            msft.to_str().unwrap(),
            "--strategy",
            "sma_cross",
            "--param",
            "fast=20",
            "--param",
            "slow=60",
            "--param",
            "short=true",
            "--commission-bps",
            "5",
            "--sizing",
            "equity:0.45",
            "--json",
            json.to_str().unwrap(),
        ];
        if let Some(report) = report {
            args.extend(["--report", report.to_str().unwrap()]);
        }
        let output = airlock(&args);
        assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    }
    let first_bytes = std::fs::read(&first).unwrap();
    assert_eq!(
        first_bytes,
        std::fs::read(&second).unwrap(),
        "reports differ between identical runs"
    );
    let report: serde_json::Value = serde_json::from_slice(&first_bytes).unwrap();
    let stats = report["stats"].as_object().expect("stats object");
    for key in [
        "final_equity",
        "total_return_pct",
        "cagr_pct",
        "sharpe",
        "sortino",
        "max_drawdown_pct",
        "max_drawdown_days",
        "trades",
        "win_rate_pct",
        "profit_factor",
        "exposure_pct",
        "fees",
    ] {
        assert!(stats.contains_key(key), "stats lacks {key}: {stats:?}");
    }
    assert!(stats["trades"].as_u64().unwrap() > 10, "{stats:?}");
    assert!(stats["fees"].as_f64().unwrap() > 0.0);
    let trades = report["trades"].as_array().unwrap();
    assert!(trades.iter().any(|trade| trade["symbol"] == "AAPL"));
    assert!(trades.iter().any(|trade| trade["symbol"] == "MSFT"));
    let equity = report["equity"].as_array().unwrap();
    let first_point = equity[0].as_array().unwrap();
    assert_eq!(first_point.len(), 2);
    assert!(
        first_point[0].as_str().unwrap().starts_with("1999-11-01"),
        "{first_point:?}"
    );
    assert!(first_point[1].is_number());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("sma_cross"));
}

#[test]
fn bad_input_is_a_one_line_error_naming_the_cause() {
    let aapl = data(AAPL);
    let aapl = aapl.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["backtest", "--data", "no/such/file.csv"],
            "no/such/file.csv",
        ),
        (
            vec!["backtest", "--data", aapl, "--strategy", "nope"],
            "nope",
        ),
        (
            vec!["backtest", "--data", aapl, "--param", "fastest=3"],
            "fastest",
        ),
        (
            vec![
                "backtest", "--data", aapl, "--param", "fast=50", "--param", "slow=20",
            ],
            "slow",
        ),
        (
            vec!["backtest", "--data", aapl, "--sizing", "all-in"],
            "sizing",
        ),
        (vec!["backtest", "--data", aapl, "--fill", "vwap"], "vwap"),
        (vec!["backtest", "--data", aapl, "--cash", "-5"], "cash"),
    ];
    for (args, needle) in cases {
        let stderr = failing(&args);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(
            stderr
                .trim_end()
                .lines()
                .filter(|line| line.starts_with("error"))
                .count(),
            1,
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn malformed_row_is_reported_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("BAD.csv");
    std::fs::write(
        &file,
        "timestamp,open,high,low,close,volume\n2021-01-04,10,11,9,10.5,100\n2021-01-05,10,10.2,9,10.5,100\n",
    )
    .unwrap();
    let stderr = failing(&["backtest", "--data", file.to_str().unwrap()]);
    assert!(stderr.contains(":3"), "{stderr}");
    assert!(stderr.contains("high"), "{stderr}");
}

#[test]
fn broken_bundled_file_is_refused() {
    let file = data("DA-BF.B-T-2021-04-21.csv.gz");
    let stderr = failing(&["backtest", "--data", file.to_str().unwrap()]);
    assert!(stderr.contains("DA-BF.B-T-2021-04-21.csv.gz"), "{stderr}");
}

#[test]
fn sweep_ranks_a_grid_and_reports_impossible_combinations() {
    let file = data(MSFT);
    let output = airlock(&[
        "sweep",
        "--data",
        file.to_str().unwrap(),
        "--strategy",
        "sma_cross",
        "--grid",
        "fast=10..30:10",
        "--grid",
        "slow=20..40:10",
        "--rank",
        "total_return_pct",
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    // fast=20/slow=20, fast=30/slow=20 and fast=30/slow=30 are impossible (slow must exceed fast).
    assert!(stdout.contains("3 combinations could not run"), "{stdout}");
    let ranked: Vec<f64> = stdout
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("rank"))
        .skip(1)
        .take_while(|line| line.starts_with(' '))
        .map(|line| line.split_whitespace().nth(3).unwrap().parse().unwrap())
        .collect();
    assert_eq!(ranked.len(), 6, "{stdout}");
    assert!(
        ranked.windows(2).all(|pair| pair[0] >= pair[1]),
        "not ranked: {ranked:?}"
    );
}

#[test]
fn unknown_rank_statistic_is_refused() {
    let file = data(MSFT);
    let stderr = failing(&[
        "sweep",
        "--data",
        file.to_str().unwrap(),
        "--grid",
        "fast=5,10",
        "--rank",
        "luck",
    ]);
    assert!(
        stderr.contains("luck") && stderr.contains("sharpe"),
        "{stderr}"
    );
}

/// The final equity of sma_cross 10/30 on MSFT's raw prices from 2004 (no splits after that date),
/// next-open fills, 95 % equity sizing, no fees — 562,594.6859 — was computed independently by a
/// 30-line Python replication with exact decimals (SMA of closes, cross = change of side, whole
/// units floor(0.95 × equity / close), fills at the next open). Any drift in the engine, the
/// strategy, the sizing or the CSV reader shows up here.
#[test]
fn sma_cross_on_msft_matches_an_independent_replication() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("msft.json");
    let file = data(MSFT);
    let output = airlock(&[
        "backtest",
        "--data",
        file.to_str().unwrap(),
        "--adjust",
        "none",
        "--from",
        "2004-01-01",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let final_equity = report["stats"]["final_equity"].as_f64().unwrap();
    assert!(
        (final_equity - 562_594.685_9).abs() < 1e-6,
        "{final_equity}"
    );
    assert_eq!(report["stats"]["trades"], 78);
}

/// Every order goes through the risk manager: the printed summary, the JSON and the HTML report
/// count refusals per rule, and a loss limit's halt is reported with its reason.
#[test]
fn backtest_reports_refusals_per_risk_rule() {
    let dir = tempfile::tempdir().unwrap();
    let (json, html) = (dir.path().join("r.json"), dir.path().join("r.html"));
    let file = data(AAPL);
    let output = airlock(&[
        "backtest",
        "--data",
        file.to_str().unwrap(),
        "--max-order-notional",
        "1000000",
        "--max-daily-loss",
        "150000",
        "--json",
        json.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert!(
        stdout.contains("refused by pre-trade checks (max_order_notional 16, trading_state 6)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("risk:     2019-01-03T00:00:00Z halted: loss today"),
        "{stdout}"
    );
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let refusals = report["refusals"].as_object().unwrap();
    assert_eq!(refusals.len(), 18);
    assert_eq!(refusals["max_order_notional"], 16);
    assert_eq!(refusals["blocked_symbol"], 0);
    assert_eq!(report["risk_transitions"][1]["to"], "halted");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Orders refused by each pre-trade rule (22 in all)."));
}

#[test]
fn risk_limits_cannot_be_switched_off() {
    let file = data(AAPL);
    let stderr = failing(&[
        "backtest",
        "--data",
        file.to_str().unwrap(),
        "--max-leverage",
        "none",
    ]);
    assert!(stderr.contains("there is no \"none\""), "{stderr}");
}

fn universe() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/data/sp500-daily")
}

/// Rows of a bundled universe file as (close, volume), oldest first, read independently of the
/// runtime's CSV reader.
fn closes_and_volumes(symbol: &str) -> Vec<(f64, f64)> {
    use std::io::Read;
    let path = universe().join(format!("DA-{symbol}-T-2021-04-21.csv.gz"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[4].parse().unwrap(), fields[6].parse().unwrap())
        })
        .collect()
}

/// `airlock scan` ranks the bundled S&P 500 universe, skips the broken file with a warning, and
/// its factors agree with a direct computation from the file.
#[test]
fn scan_ranks_the_bundled_universe_and_skips_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scan.json");
    let output = airlock(&[
        "scan",
        "--universe",
        universe().to_str().unwrap(),
        "--top",
        "5",
        "--json",
        json.to_str().unwrap(),
    ]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "stderr: {stderr}");
    assert!(
        stderr.contains("DA-BF.B-T-2021-04-21.csv.gz skipped: not a candle CSV file"),
        "{stderr}"
    );
    assert!(stdout.lines().next().unwrap().contains("mode: scan"));
    assert!(
        stdout.contains("universe: 109 files, 108 symbols, 1 skipped · as of 2021-04-21"),
        "{stdout}"
    );
    // Header plus five rows after the four summary lines, then the JSON line.
    let table: Vec<&str> = stdout.lines().skip(4).collect();
    assert_eq!(table.len(), 7, "{stdout}");
    assert!(table[6].starts_with("json:"));
    assert!(table[0].starts_with("rank  symbol"));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 108);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 1);
    let scores: Vec<f64> = rows
        .iter()
        .map(|row| row["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|pair| pair[0] >= pair[1]));
    // MSFT paid no dividend and did not split in its last 21 bars, so raw prices are the
    // adjusted ones: check its factors against the file itself.
    let msft = rows.iter().find(|row| row["symbol"] == "MSFT").unwrap();
    let bars = closes_and_volumes("MSFT");
    let n = bars.len();
    let roc = bars[n - 1].0 / bars[n - 21].0 - 1.0;
    let average: f64 = bars[n - 21..n - 1].iter().map(|bar| bar.1).sum::<f64>() / 20.0;
    let dollars: f64 = bars[n - 20..].iter().map(|bar| bar.0 * bar.1).sum::<f64>() / 20.0;
    assert!((msft["roc_pct"].as_f64().unwrap() - roc * 100.0).abs() < 1e-9);
    assert!((msft["relative_volume"].as_f64().unwrap() - bars[n - 1].1 / average).abs() < 1e-9);
    let reported: f64 = msft["avg_dollar_volume"].as_str().unwrap().parse().unwrap();
    assert!((reported - dollars).abs() < 1e-3, "{reported} vs {dollars}");
}

#[test]
fn scan_warns_about_each_unreadable_file_and_fails_only_when_none_is_readable() {
    let missing = universe().join("DA-NOPE-T-2021-04-21.csv.gz");
    let aapl = universe().join("DA-AAPL-T-2021-04-21.csv.gz");
    let output = airlock(&[
        "scan",
        "--universe",
        missing.to_str().unwrap(),
        aapl.to_str().unwrap(),
    ]);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    assert!(
        stderr.contains("DA-NOPE-T-2021-04-21.csv.gz skipped"),
        "{stderr}"
    );
    assert!(text(&output.stdout).contains("1 symbols, 1 skipped"));
    let stderr = failing(&["scan", "--universe", missing.to_str().unwrap()]);
    assert!(
        stderr.contains("no candle file in the universe could be read"),
        "{stderr}"
    );
}
