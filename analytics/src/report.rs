//! The report of a run: statistics, round trips and the equity curve, as JSON, HTML or a table.

use std::collections::BTreeMap;
use std::io::Write;

use airlock_core::{Money, UnixNanos};
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::format::stat_rows;
use crate::stats::{AnalyticsInput, Statistics, statistics};
use crate::trades::{RoundTrip, round_trips};

/// Top-level JSON keys the report itself writes; `extra` may not reuse them.
const RESERVED_KEYS: [&str; 5] = ["meta", "stats", "trades", "equity", "refusals"];

/// Why a report could not be written.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The writer refused the bytes (disk full, closed pipe, …).
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
    /// Serialization failed (an `extra` value that serde_json cannot write).
    #[error("serializing the report: {0}")]
    Json(#[from] serde_json::Error),
    /// An `extra` key would overwrite one of the report's own top-level keys.
    #[error(
        "extra key {key:?} clashes with a top-level report key (meta, stats, trades, equity, refusals)"
    )]
    ReservedExtraKey {
        /// The offending key.
        key: String,
    },
}

/// Everything about one finished run that operators and quants read afterwards.
///
/// The JSON layout ([`Report::write_json`]) is a contract of the CLI: a top-level object with
/// `meta`, `stats`, `trades`, `equity` and then every `extra` key, flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// How the run was made, given by the caller: strategy, parameters, symbols, fill model, …
    pub meta: BTreeMap<String, String>,
    /// The statistics.
    pub stats: Statistics,
    /// Closed round trips, FIFO-matched.
    pub trades: Vec<RoundTrip>,
    /// Equity after each distinct bar timestamp.
    pub equity: Vec<(UnixNanos, Money)>,
    /// Cash at the start, exact (the first peak of the drawdown chart).
    pub initial_cash: Money,
    /// Orders refused per pre-trade (risk) rule, every rule listed, zero counts included. Written
    /// as `refusals` in JSON and as a table in HTML; empty when the run had no risk checks.
    pub refusals: BTreeMap<String, u64>,
    /// Further top-level JSON keys (order counts, refusals per rule, …), written after the others.
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Report {
    /// Builds the report: round trips from the fills, then the statistics, then a copy of the
    /// equity curve. `extra` starts empty.
    pub fn build(meta: BTreeMap<String, String>, input: &AnalyticsInput<'_>) -> Report {
        let trades = round_trips(input.fills);
        let stats = statistics(input, &trades);
        Report {
            meta,
            stats,
            trades,
            equity: input.equity.to_vec(),
            initial_cash: input.initial_cash,
            refusals: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }

    /// Writes the report as one line of compact JSON followed by a newline.
    ///
    /// Layout: `{"meta": {…}, "stats": {…}, "trades": [{…}, …], "equity": [["2021-04-21T00:00:00Z",
    /// 100000.0], …], "refusals": {"max_leverage": 0, …}, <extra keys>}` (`refusals` only when
    /// the run had risk checks). Statistics, prices, quantities and money are JSON numbers;
    /// undefined statistics are `null`; timestamps are RFC 3339 UTC strings. The output is
    /// deterministic: maps are ordered and floats use the shortest round-trip form, so the same
    /// report gives the same bytes.
    ///
    /// # Errors
    /// [`ReportError::ReservedExtraKey`] when an `extra` key is `meta`, `stats`, `trades`,
    /// `equity` or `refusals`; [`ReportError::Io`] or [`ReportError::Json`] when writing fails.
    pub fn write_json(&self, out: &mut impl Write) -> Result<(), ReportError> {
        if let Some(key) = self
            .extra
            .keys()
            .find(|key| RESERVED_KEYS.contains(&key.as_str()))
        {
            return Err(ReportError::ReservedExtraKey { key: key.clone() });
        }
        let document = JsonReport {
            meta: &self.meta,
            stats: &self.stats,
            trades: &self.trades,
            equity: EquitySeries(&self.equity),
            refusals: (!self.refusals.is_empty()).then_some(&self.refusals),
            extra: &self.extra,
        };
        serde_json::to_writer(&mut *out, &document)?;
        out.write_all(b"\n")?;
        Ok(())
    }

    /// Writes a self-contained HTML page: meta, statistics, equity and drawdown charts (inline
    /// SVG), and the first 1,000 trades. No scripts, fonts or other external resources.
    ///
    /// # Errors
    /// [`ReportError::Io`] when writing fails.
    pub fn write_html(&self, out: &mut impl Write) -> Result<(), ReportError> {
        crate::html::write_page(self, out)?;
        Ok(())
    }

    /// The key statistics as an aligned two-column text table for the terminal, one
    /// `label  value` line each, ending with a newline. Undefined values show as `-`.
    pub fn summary_table(&self) -> String {
        let rows = stat_rows(&self.stats);
        let label_width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
        let value_width = rows
            .iter()
            .map(|(_, value)| value.chars().count())
            .max()
            .unwrap_or(0);
        let mut table = String::new();
        for (label, value) in rows {
            table.push_str(&format!("{label:<label_width$}  {value:>value_width$}\n"));
        }
        table
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    meta: &'a BTreeMap<String, String>,
    stats: &'a Statistics,
    trades: &'a [RoundTrip],
    equity: EquitySeries<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusals: Option<&'a BTreeMap<String, u64>>,
    #[serde(flatten)]
    extra: &'a BTreeMap<String, serde_json::Value>,
}

/// `[[timestamp, equity], …]` with RFC 3339 strings and JSON numbers.
struct EquitySeries<'a>(&'a [(UnixNanos, Money)]);

impl Serialize for EquitySeries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sequence = serializer.serialize_seq(Some(self.0.len()))?;
        for &(at, value) in self.0 {
            sequence.serialize_element(&(Rfc3339(at), value.to_f64()))?;
        }
        sequence.end()
    }
}

/// A timestamp serialized as its RFC 3339 text without an intermediate `String`.
struct Rfc3339(UnixNanos);

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

#[cfg(test)]
mod tests;
