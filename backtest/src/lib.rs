//! The event-driven backtest engine.
//!
//! Owns: replaying the candles of one or many symbols (merged by timestamp) through a strategy,
//! the sizing rule, the risk manager (`airlock-risk`, the same pre-trade checks as every other
//! mode; only approved orders reach the engine) and the internal matching engine, and recording every
//! order, fill and the equity at every timestamp ([`run`]); parameter sweeps run in parallel
//! across cores ([`sweep`]).
//!
//! Must not: read files, the clock or the environment (candles arrive through a
//! [`CandleSource`](airlock_core::CandleSource) or as loaded [`Series`]); print anything. The same
//! input always gives the same, byte-identical result.
//!
//! The matching engine is driven directly and synchronously: a backtest of millions of bars per
//! second cannot afford an executor per bar.

mod config;
mod engine;
mod result;
mod risk;
mod series;
mod sizing;
pub mod sweep;

pub use config::BacktestConfig;
pub use engine::{BacktestError, run};
pub use result::{BacktestResult, OrderRecord};
pub use risk::backtest_limits;
pub use series::{Series, load_series};
pub use sizing::{Sizing, SizingError};
