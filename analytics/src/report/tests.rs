use std::collections::BTreeMap;

use airlock_core::{ClientOrderId, Fill, Liquidity, Money, Side, Symbol, UnixNanos};
use expect_test::expect;

use super::*;

const DAY: u64 = 86_400_000_000_000;

fn fill(order: &str, side: Side, price: &str, quantity: &str, day: u64) -> Fill {
    Fill {
        client_order_id: ClientOrderId::parse(order).unwrap(),
        symbol: Symbol::parse("AAPL").unwrap(),
        side,
        price: price.parse().unwrap(),
        quantity: quantity.parse().unwrap(),
        fee: "0.5".parse().unwrap(),
        liquidity: Liquidity::Taker,
        at: UnixNanos::new((18_262 + day) * DAY),
    }
}

fn equity(values: &[&str]) -> Vec<(UnixNanos, Money)> {
    values
        .iter()
        .enumerate()
        .map(|(day, value)| {
            (
                UnixNanos::new((18_262 + day as u64) * DAY),
                value.parse().unwrap(),
            )
        })
        .collect()
}

fn meta(strategy: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("strategy".to_owned(), strategy.to_owned()),
        ("symbols".to_owned(), "AAPL".to_owned()),
    ])
}

fn small_report() -> Report {
    let fills = [
        fill("a", Side::Buy, "100", "10", 0),
        fill("b", Side::Sell, "110", "10", 2),
    ];
    let curve = equity(&["999.5", "1050", "1099"]);
    let input = AnalyticsInput {
        initial_cash: "1000".parse().unwrap(),
        fills: &fills,
        equity: &curve,
        in_market: &[true, true, false],
        periods_per_year: Some(252.0),
    };
    Report::build(meta("sma_cross"), &input)
}

fn json(report: &Report) -> String {
    let mut out = Vec::new();
    report.write_json(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn html(report: &Report) -> String {
    let mut out = Vec::new();
    report.write_html(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn json_layout_is_the_documented_contract() {
    let mut report = small_report();
    report
        .extra
        .insert("orders".to_owned(), serde_json::json!(2));
    let text = json(&report);
    expect![[r#"
        {"meta":{"strategy":"sma_cross","symbols":"AAPL"},"stats":{"start":"2020-01-01T00:00:00Z","end":"2020-01-03T00:00:00Z","bars":3,"periods_per_year":252.0,"initial_cash":1000.0,"final_equity":1099.0,"total_return_pct":9.9,"cagr_pct":3070460853.0158305,"annual_volatility_pct":45.10130226745326,"sharpe":18.008619824026106,"sortino":1772.3923403974861,"max_drawdown_pct":0.05,"max_drawdown_days":1.0,"calmar":61409217060.316605,"trades":1,"win_rate_pct":100.0,"profit_factor":null,"avg_win":99.0,"avg_loss":null,"expectancy":99.0,"best_trade":99.0,"worst_trade":99.0,"avg_holding_days":2.0,"exposure_pct":66.66666666666666,"fees":1.0},"trades":[{"symbol":"AAPL","side":"long","quantity":10.0,"entry_at":"2020-01-01T00:00:00Z","exit_at":"2020-01-03T00:00:00Z","entry_price":100.0,"exit_price":110.0,"pnl":99.0,"return_pct":9.9,"fees":1.0,"holding_days":2.0}],"equity":[["2020-01-01T00:00:00Z",999.5],["2020-01-02T00:00:00Z",1050.0],["2020-01-03T00:00:00Z",1099.0]],"orders":2}
    "#]]
    .assert_eq(&text);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["equity", "meta", "orders", "stats", "trades"]);
    assert!(value["stats"]["profit_factor"].is_null());
    assert!(value["equity"][0][0].is_string() && value["equity"][0][1].is_number());
}

#[test]
fn refusals_per_rule_are_written_to_json_and_html() {
    let mut report = small_report();
    assert!(!json(&report).contains("refusals"));
    assert!(!html(&report).contains("Risk checks"));
    report.refusals.insert("max_leverage".to_owned(), 3);
    report.refusals.insert("blocked_symbol".to_owned(), 0);
    let value: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
    assert_eq!(
        value["refusals"],
        serde_json::json!({"blocked_symbol": 0, "max_leverage": 3})
    );
    let page = html(&report);
    assert!(page.contains("Orders refused by each pre-trade rule (3 in all)."));
    assert!(
        page.contains("<tr><td class=\"label\">max_leverage</td><td class=\"value\">3</td></tr>")
    );
    report
        .extra
        .insert("refusals".to_owned(), serde_json::json!({}));
    assert!(report.write_json(&mut Vec::new()).is_err());
}

#[test]
fn json_output_is_byte_identical_for_the_same_input() {
    assert_eq!(json(&small_report()), json(&small_report()));
}

#[test]
fn an_extra_key_may_not_overwrite_a_report_key() {
    let mut report = small_report();
    report
        .extra
        .insert("stats".to_owned(), serde_json::json!({}));
    let mut out = Vec::new();
    let error = report.write_json(&mut out).unwrap_err();
    assert!(matches!(&error, ReportError::ReservedExtraKey { key } if key == "stats"));
    assert!(
        error.to_string().starts_with("extra key \"stats\" clashes"),
        "{error}"
    );
}

#[test]
fn summary_table_aligns_labels_and_values() {
    let table = small_report().summary_table();
    let widths: Vec<usize> = table.lines().map(|line| line.chars().count()).collect();
    assert!(widths.windows(2).all(|pair| pair[0] == pair[1]), "{table}");
    for needle in ["sharpe", "max drawdown", "trades", "profit factor", "fees"] {
        assert!(table.contains(needle), "missing {needle}: {table}");
    }
    let profit_factor = table
        .lines()
        .find(|line| line.starts_with("profit factor"))
        .unwrap();
    assert!(profit_factor.ends_with(" -"), "{profit_factor}");
    let total_return = table
        .lines()
        .find(|line| line.starts_with("total return"))
        .unwrap();
    assert!(total_return.ends_with("9.90%"), "{total_return}");
}

/// Checks that every non-void tag is closed in order; returns the first problem.
fn check_balanced(page: &str) -> Result<(), String> {
    const VOID: [&str; 6] = ["meta", "br", "hr", "img", "input", "link"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').ok_or("unterminated tag")? + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|character| character.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() {
            return Err(format!("odd tag <{tag}>"));
        }
        if VOID.contains(&name.as_str()) {
            continue;
        }
        if tag.starts_with('/') {
            let open = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
        } else {
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed {stack:?}"))
    }
}

#[test]
fn the_balance_check_catches_unclosed_and_crossed_tags() {
    assert!(check_balanced("<p><b>x</b></p>").is_ok());
    assert!(check_balanced("<p><b>x</p></b>").is_err());
    assert!(check_balanced("<p>x").is_err());
}

#[test]
fn html_page_is_well_formed_with_charts_stats_and_trades() {
    let page = html(&small_report());
    check_balanced(&page).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        page.matches("<svg").count(),
        2,
        "equity and drawdown charts"
    );
    assert!(page.contains("<polyline"));
    for needle in [
        "sharpe",
        "max drawdown",
        "profit factor",
        "sma_cross",
        "2020-01-01",
        "AAPL",
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
    // Self-contained: no scripts, no stylesheets, no URL but the SVG namespace (never fetched).
    assert!(!page.contains("<script"));
    assert!(
        !page
            .replace("http://www.w3.org/2000/svg", "")
            .contains("http")
    );
    assert!(!page.contains("<link"));
}

#[test]
fn html_escapes_malicious_meta_values() {
    let mut report = small_report();
    report.meta.insert(
        "params".to_owned(),
        "<script>alert('x')</script>\"><img src=x>".to_owned(),
    );
    report
        .meta
        .insert("strategy".to_owned(), "</title><b>".to_owned());
    let page = html(&report);
    check_balanced(&page).unwrap();
    assert!(!page.contains("<script>"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("</title><b>"));
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x&gt;")
    );
}

#[test]
fn big_reports_downsample_the_charts_and_cap_the_trade_list() {
    let points = 50_000usize;
    let mut fills = Vec::new();
    for trade in 0..1_500u64 {
        fills.push(fill(&format!("o{trade}"), Side::Buy, "100", "1", trade));
        fills.push(fill(&format!("c{trade}"), Side::Sell, "101", "1", trade));
    }
    let curve: Vec<(UnixNanos, Money)> = (0..points)
        .map(|index| {
            let wave = i64::try_from(index % 1_000).unwrap();
            let dip = if index == 31_337 { 5_000 } else { 0 };
            (
                UnixNanos::new((18_262 + index as u64) * DAY),
                Money::from_units(100_000 + wave - dip),
            )
        })
        .collect();
    let in_market = vec![true; points];
    let input = AnalyticsInput {
        initial_cash: Money::from_units(100_000),
        fills: &fills,
        equity: &curve,
        in_market: &in_market,
        periods_per_year: None,
    };
    let report = Report::build(meta("big"), &input);
    assert_eq!(report.trades.len(), 1_500);
    let page = html(&report);
    check_balanced(&page).unwrap();
    for polyline in page.split("<polyline").skip(1) {
        let points_attribute = polyline.split('"').nth(3).unwrap();
        let drawn = points_attribute.split(' ').count();
        assert!(drawn <= crate::svg::MAX_POINTS + 8, "{drawn} points drawn");
        assert!(drawn > 1_000, "{drawn} points drawn");
    }
    assert_eq!(page.matches("<tr><td class=\"num\">").count(), 1_000);
    assert!(page.contains("Showing the first 1000 of 1500 trades; 500 more"));
    // The 5,000 dip is the deepest drawdown and is marked on both charts.
    assert_eq!(page.matches("max drawdown -").count(), 2);
}

#[test]
fn an_empty_run_still_renders_every_output() {
    let input = AnalyticsInput {
        initial_cash: Money::from_units(1_000),
        fills: &[],
        equity: &[],
        in_market: &[],
        periods_per_year: None,
    };
    let report = Report::build(BTreeMap::new(), &input);
    let page = html(&report);
    check_balanced(&page).unwrap();
    assert!(page.contains("No data to chart.") && page.contains("No closed trades."));
    let text = json(&report);
    assert!(text.contains("\"trades\":[]") && text.contains("\"equity\":[]"));
    assert!(report.summary_table().contains("sharpe"));
}
