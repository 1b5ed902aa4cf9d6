//! What a backtest run is configured with.

use airlock_brokers::matching::EngineConfig;
use airlock_core::Money;
use airlock_risk::RiskLimits;

use crate::sizing::Sizing;

/// Everything a backtest run needs besides its candles and its strategy.
#[derive(Debug, Clone)]
pub struct BacktestConfig {
    /// Cash at the start.
    pub initial_cash: Money,
    /// Fill model, fees, slippage, participation cap.
    pub engine: EngineConfig,
    /// How targets become quantities.
    pub sizing: Sizing,
    /// The risk limits every order is checked against (see
    /// [`backtest_limits`](crate::backtest_limits) for the generous default profile).
    pub risk: RiskLimits,
    /// Part of every client order id (`{strategy}-{run_id}-{sequence}`): letters, digits, `-`,
    /// `_`, `.`, `:`.
    pub run_id: String,
}
