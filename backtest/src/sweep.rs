//! Parameter sweeps: a grid of strategy parameters run in parallel, ranked by a statistic.

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use airlock_analytics::{Statistics, round_trips, statistics};
use airlock_core::{Rate, Strategy};
use thiserror::Error;

use crate::config::BacktestConfig;
use crate::engine::run;
use crate::series::Series;

/// Why a sweep could not start.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SweepError {
    /// A `--grid` value that is not `name=a..b:step` or `name=v1,v2,…`.
    #[error("grid {text:?}: {reason}")]
    Grid {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The same parameter on two axes.
    #[error("parameter {0:?} appears in more than one --grid")]
    DuplicateAxis(String),
    /// More combinations than a sweep will run.
    #[error("the grid has {0} combinations; at most 100,000 are allowed")]
    TooLarge(usize),
    /// The statistic to rank by does not exist.
    #[error("cannot rank by {name:?}; statistics are: {known}")]
    UnknownStatistic {
        /// The name given.
        name: String,
        /// The known names.
        known: String,
    },
}

/// One axis of the grid: a parameter and the values it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridAxis {
    /// Parameter name.
    pub name: String,
    /// Values, as the strategy parses them.
    pub values: Vec<String>,
}

impl FromStr for GridAxis {
    type Err = SweepError;

    /// `fast=5..20:5` (inclusive range with a step; decimals allowed, exact) or `short=true,false`.
    fn from_str(text: &str) -> Result<Self, SweepError> {
        let error = |reason: &str| SweepError::Grid {
            text: text.into(),
            reason: reason.into(),
        };
        let (name, spec) = text
            .split_once('=')
            .ok_or_else(|| error("expected name=a..b:step or name=v1,v2"))?;
        if name.is_empty() {
            return Err(error("the parameter name is empty"));
        }
        let values = if let Some((range, step)) = spec.split_once(':') {
            let (start, end) = range
                .split_once("..")
                .ok_or_else(|| error("a step needs a range a..b"))?;
            let parse = |part: &str, what: &str| {
                part.parse::<Rate>()
                    .map_err(|_| error(&format!("{what} {part:?} is not a number")))
            };
            let (start, end, step) = (
                parse(start, "start")?,
                parse(end, "end")?,
                parse(step, "step")?,
            );
            if !step.is_positive() {
                return Err(error("the step must be positive"));
            }
            if end < start {
                return Err(error("the end is below the start"));
            }
            let mut values = Vec::new();
            let mut value = start;
            while value <= end {
                values.push(value.to_string());
                if values.len() > 100_000 {
                    return Err(error("more than 100,000 values"));
                }
                value = value
                    .checked_add(step)
                    .ok_or_else(|| error("the range overflows"))?;
            }
            values
        } else {
            spec.split(',').map(str::to_owned).collect::<Vec<_>>()
        };
        if values.iter().any(String::is_empty) {
            return Err(error("empty value"));
        }
        Ok(GridAxis {
            name: name.to_owned(),
            values,
        })
    }
}

/// Every combination of the axes, first axis slowest.
pub fn combinations(axes: &[GridAxis]) -> Vec<Vec<(String, String)>> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for axis in axes {
        let mut next = Vec::with_capacity(combos.len() * axis.values.len());
        for combo in &combos {
            for value in &axis.values {
                let mut extended = combo.clone();
                extended.push((axis.name.clone(), value.clone()));
                next.push(extended);
            }
        }
        combos = next;
    }
    combos
}

/// The outcome of one combination.
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// The grid parameters of this run (fixed parameters are not repeated).
    pub params: Vec<(String, String)>,
    /// Statistics, or why this combination could not run (e.g. slow ≤ fast).
    pub outcome: Result<Statistics, String>,
    /// The value ranked by, when defined.
    pub score: Option<f64>,
}

/// Builds a strategy from its parameters, or says why it cannot.
pub type BuildStrategy = dyn Fn(&[(String, String)]) -> Result<Box<dyn Strategy>, String> + Sync;

/// What a sweep needs.
pub struct SweepPlan<'a> {
    /// Candles, loaded once and shared by every run.
    pub series: &'a [Series],
    /// Builds a strategy from parameters (fixed ones plus this run's grid values).
    pub build: &'a BuildStrategy,
    /// The fixed parameters.
    pub fixed: &'a [(String, String)],
    /// The grid.
    pub axes: &'a [GridAxis],
    /// Backtest settings shared by every run.
    pub config: &'a BacktestConfig,
    /// The statistic to rank by (a `stats` key of the JSON report).
    pub rank_by: &'a str,
    /// Worker threads (at least 1).
    pub threads: usize,
}

/// The statistics a sweep can rank by: keys of the report's `stats` object.
pub const RANKABLE: &[&str] = &[
    "final_equity",
    "total_return_pct",
    "cagr_pct",
    "annual_volatility_pct",
    "sharpe",
    "sortino",
    "max_drawdown_pct",
    "max_drawdown_days",
    "calmar",
    "trades",
    "win_rate_pct",
    "profit_factor",
    "avg_win",
    "avg_loss",
    "expectancy",
    "exposure_pct",
    "fees",
];

/// One statistic by its report key; `None` when undefined (no trades, zero volatility).
pub fn statistic(stats: &Statistics, name: &str) -> Option<f64> {
    serde_json::to_value(stats).ok()?.get(name)?.as_f64()
}

/// True for statistics where smaller is better.
fn lower_is_better(name: &str) -> bool {
    name.contains("drawdown") || name.contains("volatility") || name == "fees"
}

/// Runs every combination in parallel and returns them ranked, best first (runs that failed or
/// whose statistic is undefined last, in grid order). `progress` is called with (done, total).
///
/// # Errors
/// [`SweepError`] for a duplicate axis, an oversized grid or an unknown statistic.
pub fn sweep(
    plan: &SweepPlan<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<SweepRun>, SweepError> {
    let known = RANKABLE;
    if !known.contains(&plan.rank_by) {
        return Err(SweepError::UnknownStatistic {
            name: plan.rank_by.into(),
            known: known.join(", "),
        });
    }
    for (index, axis) in plan.axes.iter().enumerate() {
        if plan
            .axes
            .iter()
            .skip(index + 1)
            .any(|other| other.name == axis.name)
        {
            return Err(SweepError::DuplicateAxis(axis.name.clone()));
        }
    }
    let combos = combinations(plan.axes);
    if combos.len() > 100_000 {
        return Err(SweepError::TooLarge(combos.len()));
    }
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<SweepRun>>> = Mutex::new(vec![None; combos.len()]);
    std::thread::scope(|scope| {
        for _ in 0..plan.threads.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(params) = combos.get(index) else {
                        break;
                    };
                    let outcome = run_one(plan, params);
                    let score = outcome
                        .as_ref()
                        .ok()
                        .and_then(|stats| statistic(stats, plan.rank_by));
                    let run = SweepRun {
                        params: params.clone(),
                        outcome,
                        score,
                    };
                    if let Ok(mut slots) = results.lock()
                        && let Some(slot) = slots.get_mut(index)
                    {
                        *slot = Some(run);
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, combos.len());
                }
            });
        }
    });
    let mut runs: Vec<SweepRun> = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    let descending = !lower_is_better(plan.rank_by);
    runs.sort_by(|a, b| match (a.score, b.score) {
        (Some(x), Some(y)) => {
            let order = x.total_cmp(&y);
            if descending { order.reverse() } else { order }
        }
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    Ok(runs)
}

fn run_one(plan: &SweepPlan<'_>, grid: &[(String, String)]) -> Result<Statistics, String> {
    let mut params = plan.fixed.to_vec();
    params.extend_from_slice(grid);
    let mut strategy = (plan.build)(&params)?;
    let result = run(plan.series, strategy.as_mut(), plan.config, None)
        .map_err(|error| error.to_string())?;
    let input = result.analytics_input();
    let trades = round_trips(&result.fills);
    Ok(statistics(&input, &trades))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_axes_parse_ranges_and_lists() {
        let axis: GridAxis = "fast=5..20:5".parse().unwrap();
        assert_eq!(axis.values, ["5", "10", "15", "20"]);
        let axis: GridAxis = "atr_mult=1.5..2.5:0.5".parse().unwrap();
        assert_eq!(axis.values, ["1.5", "2", "2.5"]);
        let axis: GridAxis = "short=true,false".parse().unwrap();
        assert_eq!(axis.values, ["true", "false"]);
        for bad in [
            "fast",
            "=1",
            "fast=5..1:1",
            "fast=1..5:0",
            "fast=1..5:x",
            "fast=1:2",
            "fast=1,,2",
        ] {
            assert!(bad.parse::<GridAxis>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn combinations_are_the_cartesian_product_in_grid_order() {
        let axes = vec!["a=1,2".parse().unwrap(), "b=x,y,z".parse().unwrap()];
        let combos = combinations(&axes);
        assert_eq!(combos.len(), 6);
        assert_eq!(
            combos[0],
            vec![("a".into(), "1".into()), ("b".into(), "x".into())]
        );
        assert_eq!(
            combos[5],
            vec![("a".into(), "2".into()), ("b".into(), "z".into())]
        );
    }
}
