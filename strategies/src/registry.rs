//! The registry the CLI and the backtest call: [`catalogue`], [`build`], [`describe`].

use airlock_core::Strategy;

use crate::error::StrategyError;
use crate::params::StrategyInfo;
use crate::{
    Breakout, BreakoutParams, RsiReversion, RsiReversionParams, SmaCross, SmaCrossParams, breakout,
    rsi_reversion, sma_cross,
};

static CATALOGUE: [StrategyInfo; 3] = [sma_cross::INFO, breakout::INFO, rsi_reversion::INFO];

/// Every built-in strategy with its summary and parameters (name, default, help), in the order
/// `airlock strategies` lists them.
pub fn catalogue() -> &'static [StrategyInfo] {
    &CATALOGUE
}

/// Builds the strategy `name` from `name=value` parameters; parameters not given take their
/// catalogue defaults.
///
/// # Errors
/// [`StrategyError`] for an unknown strategy or parameter, a repeated parameter, a value that
/// does not parse, or parameters that contradict each other.
pub fn build(name: &str, params: &[(String, String)]) -> Result<Box<dyn Strategy>, StrategyError> {
    match name {
        "sma_cross" => Ok(Box::new(SmaCross::try_from(SmaCrossParams::parse(
            params,
        )?)?)),
        "breakout" => Ok(Box::new(Breakout::try_from(BreakoutParams::parse(
            params,
        )?)?)),
        "rsi_reversion" => Ok(Box::new(RsiReversion::try_from(
            RsiReversionParams::parse(params)?,
        )?)),
        _ => Err(unknown(name)),
    }
}

/// Every parameter of strategy `name` with its effective value (defaults filled in, numbers in
/// canonical form: `2.50` → `2.5`), in catalogue order, for reports. Validates exactly as
/// [`build`] does.
///
/// # Errors
/// The same [`StrategyError`]s as [`build`].
pub fn describe(
    name: &str,
    params: &[(String, String)],
) -> Result<Vec<(String, String)>, StrategyError> {
    match name {
        "sma_cross" => Ok(SmaCrossParams::parse(params)?.describe()),
        "breakout" => Ok(BreakoutParams::parse(params)?.describe()),
        "rsi_reversion" => Ok(RsiReversionParams::parse(params)?.describe()),
        _ => Err(unknown(name)),
    }
}

fn unknown(name: &str) -> StrategyError {
    StrategyError::UnknownStrategy { name: name.into() }
}

/// "sma_cross, breakout, rsi_reversion", for error messages.
pub(crate) fn strategy_names() -> String {
    CATALOGUE
        .iter()
        .map(|info| info.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "fast, slow, short" for `sma_cross`, for error messages.
pub(crate) fn parameter_names(strategy: &str) -> String {
    CATALOGUE
        .iter()
        .find(|info| info.name == strategy)
        .map(|info| {
            info.params
                .iter()
                .map(|param| param.name)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
