//! The strategy contract: candles in, signals out.
//!
//! A strategy never places orders itself. It says what position it wants ([`Target`]) and,
//! optionally, a protective stop; the engine turns that into orders through sizing, the pre-trade
//! checks and the broker. This is the same path an external (LLM) signal takes.

use serde::{Deserialize, Serialize};

use crate::candle::Candle;
use crate::ids::Symbol;
use crate::num::{Money, Price, Quantity};

/// The position a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Hold a long position (size chosen by the sizing rule).
    Long,
    /// Hold a short position (size chosen by the sizing rule).
    Short,
    /// Hold nothing.
    Flat,
}

/// A strategy's wish for one symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// The instrument.
    pub symbol: Symbol,
    /// The wanted position.
    pub target: Target,
    /// A protective stop for the resulting position, replacing any earlier one; `None` keeps no
    /// stop.
    pub stop: Option<Price>,
    /// A short, stable reason for reports ("fast crossed above slow").
    pub reason: &'static str,
}

/// What a strategy may know about the account when it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioView {
    /// The signed position in the symbol being decided on, including pending target changes
    /// already sent.
    pub position: Quantity,
    /// Cash now.
    pub cash: Money,
    /// Equity now (cash plus marked positions).
    pub equity: Money,
}

/// A trading strategy. Synchronous, deterministic, no I/O.
pub trait Strategy: Send {
    /// The strategy's registered name (`sma_cross`).
    fn name(&self) -> &'static str;

    /// Called once per candle, in time order across symbols. `slot` is a dense index of the
    /// symbol (0, 1, 2, … in the order the engine first saw them) for per-symbol state.
    fn on_candle(
        &mut self,
        slot: usize,
        symbol: Symbol,
        candle: &Candle,
        view: &PortfolioView,
        signals: &mut Vec<Signal>,
    );
}
