//! Statistics of a finished run, following the empyrical / quantstats conventions.

use airlock_core::{Fill, Money, UnixNanos};
use serde::{Serialize, Serializer};

use crate::drawdown::{max_drawdown, years_between};
use crate::periods::{periods_per_year_of, share};
use crate::trades::RoundTrip;

/// Returns per period whose sample standard deviation is below this count as flat: equity is
/// exact to 10⁻⁹, so anything smaller is rounding noise, not risk.
const ZERO_VOLATILITY: f64 = 1e-12;

/// Everything the analytics need from a finished backtest (or a live run's history).
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsInput<'a> {
    /// Cash at the start, before the first bar: the base of the first return and the first peak.
    pub initial_cash: Money,
    /// Every fill, in time order.
    pub fills: &'a [Fill],
    /// Equity (cash + positions marked to market) after each distinct bar timestamp, ascending.
    pub equity: &'a [(UnixNanos, Money)],
    /// Aligned with `equity`: whether any position was open at that point.
    pub in_market: &'a [bool],
    /// Periods per year for annualising; `None` infers it with [`crate::periods_per_year`].
    pub periods_per_year: Option<f64>,
}

/// The statistics of a run. Serialized with these snake_case names; undefined values are JSON
/// `null`, never NaN or infinity.
///
/// Conventions (empyrical / quantstats): risk-free rate 0; returns are the simple per-period
/// returns of the equity curve, `rᵢ = Eᵢ / Eᵢ₋₁ − 1`, where `E₀` is the initial cash and `E₁…Eₙ`
/// are the equity points (so there are `n` returns); `mean` is the arithmetic mean of the `n`
/// returns, `std` their sample standard deviation (ddof = 1); `ppy` is the periods per year. When
/// any `Eᵢ₋₁ ≤ 0` the returns are undefined and so are the return-based ratios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    /// Timestamp of the first equity point (RFC 3339 UTC), `null` without points.
    #[serde(serialize_with = "serialize_time")]
    pub start: Option<UnixNanos>,
    /// Timestamp of the last equity point (RFC 3339 UTC), `null` without points.
    #[serde(serialize_with = "serialize_time")]
    pub end: Option<UnixNanos>,
    /// Number of equity points (one per distinct bar timestamp).
    pub bars: u64,
    /// Periods per year used to annualise (given or inferred).
    pub periods_per_year: f64,
    /// Cash at the start.
    pub initial_cash: f64,
    /// Equity at the last point (the initial cash when there are no points).
    pub final_equity: f64,
    /// `(final_equity − initial_cash) / initial_cash × 100`; `null` when the initial cash is not positive.
    pub total_return_pct: Option<f64>,
    /// `((final_equity / initial_cash)^(1 / years) − 1) × 100`, with `years` the calendar time
    /// from the first to the last equity timestamp in years of 365.25 days; `null` for a zero
    /// span, a non-positive initial cash or a negative final equity.
    pub cagr_pct: Option<f64>,
    /// `std × √ppy × 100`; `null` with fewer than two returns.
    pub annual_volatility_pct: Option<f64>,
    /// `mean / std × √ppy`; `null` with fewer than two returns or zero volatility.
    pub sharpe: Option<f64>,
    /// `mean × ppy / downside deviation`, where downside deviation
    /// `= √(Σ min(rᵢ, 0)² / n) × √ppy` over *all* `n` returns (empyrical's definition); `null`
    /// without returns or when no return is negative.
    pub sortino: Option<f64>,
    /// Depth of the deepest drawdown, `max (1 − Eᵢ / peakᵢ) × 100` with `peakᵢ` the running
    /// maximum of the equity starting from the initial cash; a positive number, 0 without one.
    pub max_drawdown_pct: f64,
    /// Longest time from a peak to the first point back at or above it (or to the last point
    /// when it never recovers), in calendar days; 0 without a drawdown.
    pub max_drawdown_days: f64,
    /// `cagr_pct / max_drawdown_pct`; `null` when either is undefined or the drawdown is 0.
    pub calmar: Option<f64>,
    /// Number of closed round trips (open positions at the end are not counted).
    pub trades: u64,
    /// Share of round trips with a positive P&L after fees, × 100; `null` without trades.
    pub win_rate_pct: Option<f64>,
    /// Gross profit / gross loss: the sum of positive trade P&Ls over the absolute sum of the
    /// negative ones; `null` when no trade lost (including no trades).
    pub profit_factor: Option<f64>,
    /// Mean P&L of the winning trades; `null` without winners.
    pub avg_win: Option<f64>,
    /// Mean P&L of the losing trades (negative); `null` without losers.
    pub avg_loss: Option<f64>,
    /// Mean P&L per trade (after fees); `null` without trades.
    pub expectancy: Option<f64>,
    /// Largest trade P&L; `null` without trades.
    pub best_trade: Option<f64>,
    /// Smallest trade P&L; `null` without trades.
    pub worst_trade: Option<f64>,
    /// Mean holding time of the trades in calendar days; `null` without trades.
    pub avg_holding_days: Option<f64>,
    /// Share of equity points with an open position, × 100; `null` without points.
    pub exposure_pct: Option<f64>,
    /// Sum of the fees of all fills (open positions included).
    pub fees: f64,
}

fn serialize_time<S: Serializer>(
    time: &Option<UnixNanos>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serializer.collect_str(time),
        None => serializer.serialize_none(),
    }
}

/// Computes every statistic of a run from its input and its round trips
/// (normally `round_trips(input.fills)`). See [`Statistics`] for each formula.
pub fn statistics(input: &AnalyticsInput<'_>, trades: &[RoundTrip]) -> Statistics {
    let ppy = input
        .periods_per_year
        .filter(|value| value.is_finite() && *value > 0.0)
        .unwrap_or_else(|| periods_per_year_of(input.equity.iter().map(|&(at, _)| at)));
    let start = input.equity.first().map(|&(at, _)| at);
    let end = input.equity.last().map(|&(at, _)| at);
    let final_equity = input
        .equity
        .last()
        .map_or(input.initial_cash, |&(_, value)| value);
    let initial = input.initial_cash.to_f64();
    let total_return_pct = (input.initial_cash > Money::ZERO)
        .then(|| (final_equity - input.initial_cash).to_f64() / initial * 100.0)
        .and_then(finite);
    let cagr_pct = match (start, end) {
        (Some(start), Some(end)) => {
            cagr_pct(input.initial_cash, final_equity, years_between(start, end))
        }
        _ => None,
    };
    let returns = simple_returns(input.initial_cash, input.equity);
    let moments = returns.as_deref().and_then(Moments::of);
    let annual_volatility_pct = moments
        .and_then(|moments| moments.std)
        .and_then(|std| finite(std * ppy.sqrt() * 100.0));
    let sharpe = moments.and_then(|moments| {
        let std = moments.std.filter(|std| *std >= ZERO_VOLATILITY)?;
        finite(moments.mean / std * ppy.sqrt())
    });
    let sortino = returns
        .as_deref()
        .zip(moments)
        .and_then(|(returns, moments)| {
            let downside = downside_deviation(returns, ppy).filter(|value| *value > 0.0)?;
            finite(moments.mean * ppy / downside)
        });
    let drawdown = max_drawdown(input.initial_cash, input.equity);
    let calmar = cagr_pct
        .filter(|_| drawdown.depth_pct > 0.0)
        .and_then(|cagr| finite(cagr / drawdown.depth_pct));
    let trade_stats = TradeStats::of(trades);
    let exposure_pct = (!input.in_market.is_empty()).then(|| {
        let in_market = input.in_market.iter().filter(|flag| **flag).count();
        share(in_market, input.in_market.len()) * 100.0
    });
    let fees: Money = input.fills.iter().map(|fill| fill.fee).sum();
    Statistics {
        start,
        end,
        bars: u64::try_from(input.equity.len()).unwrap_or(u64::MAX),
        periods_per_year: ppy,
        initial_cash: initial,
        final_equity: final_equity.to_f64(),
        total_return_pct,
        cagr_pct,
        annual_volatility_pct,
        sharpe,
        sortino,
        max_drawdown_pct: drawdown.depth_pct,
        max_drawdown_days: drawdown.longest_days,
        calmar,
        trades: u64::try_from(trades.len()).unwrap_or(u64::MAX),
        win_rate_pct: trade_stats.win_rate_pct,
        profit_factor: trade_stats.profit_factor,
        avg_win: trade_stats.avg_win,
        avg_loss: trade_stats.avg_loss,
        expectancy: trade_stats.expectancy,
        best_trade: trade_stats.best,
        worst_trade: trade_stats.worst,
        avg_holding_days: trade_stats.avg_holding_days,
        exposure_pct,
        fees: fees.to_f64(),
    }
}

/// `Some(value)` when finite: JSON cannot carry NaN or infinity.
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

fn cagr_pct(initial: Money, final_equity: Money, years: f64) -> Option<f64> {
    if initial <= Money::ZERO || final_equity < Money::ZERO || years <= 0.0 {
        return None;
    }
    let growth = final_equity.to_f64() / initial.to_f64();
    finite((growth.powf(years.recip()) - 1.0) * 100.0)
}

/// `rᵢ = Eᵢ / Eᵢ₋₁ − 1` with `E₀` the initial cash; `None` when some base is not positive.
pub(crate) fn simple_returns(
    initial_cash: Money,
    equity: &[(UnixNanos, Money)],
) -> Option<Vec<f64>> {
    let mut previous = initial_cash;
    let mut previous_f64 = initial_cash.to_f64();
    let mut returns = Vec::with_capacity(equity.len());
    for &(_, value) in equity {
        if previous <= Money::ZERO {
            return None;
        }
        let value_f64 = value.to_f64();
        returns.push(value_f64 / previous_f64 - 1.0);
        (previous, previous_f64) = (value, value_f64);
    }
    Some(returns)
}

/// Mean and sample standard deviation of the returns.
#[derive(Debug, Clone, Copy)]
struct Moments {
    mean: f64,
    /// ddof = 1; `None` with fewer than two returns.
    std: Option<f64>,
}

impl Moments {
    #[expect(
        clippy::cast_precision_loss,
        reason = "return counts are far below 2^53"
    )]
    fn of(returns: &[f64]) -> Option<Self> {
        if returns.is_empty() {
            return None;
        }
        let count = returns.len() as f64;
        let mean = returns.iter().sum::<f64>() / count;
        let std = (returns.len() >= 2).then(|| {
            let squares: f64 = returns.iter().map(|value| (value - mean).powi(2)).sum();
            (squares / (count - 1.0)).sqrt()
        });
        Some(Self { mean, std })
    }
}

/// `√(Σ min(rᵢ, 0)² / n) × √ppy` over all `n` returns; `None` without returns.
#[expect(
    clippy::cast_precision_loss,
    reason = "return counts are far below 2^53"
)]
fn downside_deviation(returns: &[f64], ppy: f64) -> Option<f64> {
    if returns.is_empty() {
        return None;
    }
    let squares: f64 = returns.iter().map(|value| value.min(0.0).powi(2)).sum();
    Some((squares / returns.len() as f64).sqrt() * ppy.sqrt())
}

/// The trade-based statistics.
struct TradeStats {
    win_rate_pct: Option<f64>,
    profit_factor: Option<f64>,
    avg_win: Option<f64>,
    avg_loss: Option<f64>,
    expectancy: Option<f64>,
    best: Option<f64>,
    worst: Option<f64>,
    avg_holding_days: Option<f64>,
}

impl TradeStats {
    fn of(trades: &[RoundTrip]) -> Self {
        let wins: Vec<Money> = trades
            .iter()
            .map(|trade| trade.pnl)
            .filter(|pnl| *pnl > Money::ZERO)
            .collect();
        let losses: Vec<Money> = trades
            .iter()
            .map(|trade| trade.pnl)
            .filter(|pnl| *pnl < Money::ZERO)
            .collect();
        let gross_profit: Money = wins.iter().copied().sum();
        let gross_loss: Money = losses.iter().copied().sum();
        let total: Money = trades.iter().map(|trade| trade.pnl).sum();
        let holding: f64 = trades.iter().map(RoundTrip::holding_days).sum();
        let has_trades = !trades.is_empty();
        Self {
            win_rate_pct: has_trades.then(|| share(wins.len(), trades.len()) * 100.0),
            profit_factor: (!losses.is_empty())
                .then(|| gross_profit.to_f64() / -gross_loss.to_f64())
                .and_then(finite),
            avg_win: mean_money(gross_profit, wins.len()),
            avg_loss: mean_money(gross_loss, losses.len()),
            expectancy: mean_money(total, trades.len()),
            best: trades
                .iter()
                .map(|trade| trade.pnl)
                .max()
                .map(Money::to_f64),
            worst: trades
                .iter()
                .map(|trade| trade.pnl)
                .min()
                .map(Money::to_f64),
            avg_holding_days: has_trades.then(|| holding / count_f64(trades.len())),
        }
    }
}

fn mean_money(sum: Money, count: usize) -> Option<f64> {
    (count > 0).then(|| sum.to_f64() / count_f64(count))
}

#[expect(
    clippy::cast_precision_loss,
    reason = "trade counts are far below 2^53"
)]
fn count_f64(count: usize) -> f64 {
    count as f64
}

#[cfg(test)]
mod tests;
