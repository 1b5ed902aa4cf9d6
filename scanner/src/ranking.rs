//! A ranked universe: the composite score and the table operators read.

use airlock_core::{Money, Price, Symbol, UnixNanos};
use serde::Serialize;

use crate::config::Weights;
use crate::symbol::Factors;

/// One ranked symbol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedRow {
    /// 1 is the best.
    pub rank: usize,
    /// The symbol.
    pub symbol: Symbol,
    /// Its last close.
    pub close: Price,
    /// Rate of change, in percent.
    pub roc_pct: f64,
    /// Volume over its average.
    pub relative_volume: f64,
    /// Distance from the high, in percent (0 or negative).
    pub distance_from_high_pct: f64,
    /// Close above the previous high.
    pub breakout: bool,
    /// Average true range as a percentage of the close.
    pub atr_pct: f64,
    /// Average dollar volume.
    pub avg_dollar_volume: Money,
    /// The composite score (higher is better).
    pub score: f64,
}

/// Why a symbol is not ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Exclusion {
    /// Fewer bars than the longest window needs.
    WarmingUp {
        /// Bars seen.
        bars: usize,
        /// Bars needed.
        needed: usize,
    },
    /// Its last bar is older than the universe's latest bar.
    Stale {
        /// Its last bar.
        last: UnixNanos,
    },
    /// The last close is below `min_price`.
    BelowMinPrice {
        /// The close.
        close: Price,
    },
    /// The average dollar volume is below `min_avg_dollar_volume`.
    BelowMinDollarVolume {
        /// The average.
        average: Money,
    },
}

/// A symbol left out of the ranking, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// The symbol.
    pub symbol: Symbol,
    /// Why.
    #[serde(flatten)]
    pub why: Exclusion,
}

/// The radar's output: eligible symbols best first, and the rest with their reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    /// The latest bar time in the universe.
    pub as_of: Option<UnixNanos>,
    /// Symbols in the universe.
    pub universe: usize,
    /// Eligible symbols, best first (ties by symbol).
    pub rows: Vec<RankedRow>,
    /// Symbols left out.
    pub excluded: Vec<Excluded>,
}

/// Mean and population standard deviation.
fn moments(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let variance = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / count;
    (mean, variance.sqrt())
}

fn standardise(values: &[f64]) -> impl Fn(f64) -> f64 {
    let (mean, deviation) = moments(values);
    move |value| {
        if deviation > 0.0 {
            (value - mean) / deviation
        } else {
            0.0
        }
    }
}

/// Scores and sorts the eligible symbols.
pub(crate) fn rank_rows(eligible: &[(Symbol, Factors)], weights: &Weights) -> Vec<RankedRow> {
    let roc: Vec<f64> = eligible.iter().map(|(_, f)| f.roc).collect();
    let volume: Vec<f64> = eligible
        .iter()
        .map(|(_, f)| f.relative_volume.max(1e-9).ln())
        .collect();
    let high: Vec<f64> = eligible.iter().map(|(_, f)| f.distance_from_high).collect();
    let atr: Vec<f64> = eligible.iter().map(|(_, f)| f.atr_fraction).collect();
    let (z_roc, z_volume, z_high, z_atr) = (
        standardise(&roc),
        standardise(&volume),
        standardise(&high),
        standardise(&atr),
    );
    // Sort (score, index) pairs, not rows: rows are built once, in rank order.
    let mut order: Vec<(f64, usize)> = eligible
        .iter()
        .enumerate()
        .map(|(index, (_, factors))| {
            let breakout = if factors.breakout {
                weights.breakout
            } else {
                0.0
            };
            let value = |values: &[f64]| values.get(index).copied().unwrap_or_default();
            let score = weights.roc * z_roc(value(&roc))
                + weights.relative_volume * z_volume(value(&volume))
                + weights.distance_from_high * z_high(value(&high))
                + weights.atr_fraction * z_atr(value(&atr))
                + breakout;
            (score, index)
        })
        .collect();
    let symbol_of = |index: usize| {
        eligible
            .get(index)
            .map_or("", |(symbol, _)| symbol.as_str())
    };
    order.sort_unstable_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| symbol_of(a.1).cmp(symbol_of(b.1)))
    });
    order
        .iter()
        .zip(1..)
        .filter_map(|(&(score, index), rank)| {
            let (symbol, factors) = eligible.get(index)?;
            Some(RankedRow {
                rank,
                symbol: *symbol,
                close: factors.close,
                roc_pct: factors.roc * 100.0,
                relative_volume: factors.relative_volume,
                distance_from_high_pct: factors.distance_from_high * 100.0,
                breakout: factors.breakout,
                atr_pct: factors.atr_fraction * 100.0,
                avg_dollar_volume: factors.avg_dollar_volume,
                score,
            })
        })
        .collect()
}

impl Ranking {
    /// The first `top` rows as an aligned text table with a header line, ending with a newline.
    pub fn table(&self, top: usize) -> String {
        let mut text = format!(
            "{:>4}  {:<8} {:>10} {:>8} {:>7} {:>10} {:>8} {:>6} {:>10} {:>7}\n",
            "rank",
            "symbol",
            "close",
            "roc%",
            "rel_vol",
            "from_high%",
            "breakout",
            "atr%",
            "avg_$vol_M",
            "score"
        );
        for row in self.rows.iter().take(top) {
            let dollar_millions = row.avg_dollar_volume.to_f64() / 1e6;
            text.push_str(&format!(
                "{:>4}  {:<8} {:>10} {:>8.2} {:>7.2} {:>10.2} {:>8} {:>6.2} {:>10.1} {:>7.3}\n",
                row.rank,
                row.symbol.as_str(),
                row.close.to_string(),
                row.roc_pct,
                row.relative_volume,
                row.distance_from_high_pct,
                if row.breakout { "yes" } else { "-" },
                row.atr_pct,
                dollar_millions,
                row.score
            ));
        }
        text
    }
}
