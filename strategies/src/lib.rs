//! Airlock's built-in strategies and the registry the CLI and the backtest build them from.
//!
//! Owns: the strategies `sma_cross`, `breakout` and `rsi_reversion` (implementations of core's
//! [`Strategy`](airlock_core::Strategy)), their exact streaming [`indicators`] (SMA, Donchian
//! channel, Wilder ATR and RSI on fixed-point integers), and the registry: [`catalogue`] lists
//! every strategy with its parameters, [`build`] makes one from `name=value` pairs, [`describe`]
//! shows the effective parameters for reports. Strategy and parameter names are CLI contracts.
//!
//! Must not: perform I/O, read the clock, the environment or any randomness, size or place
//! orders (strategies only say which position they want, and optionally a stop), or use `f64`
//! for prices. Given the same candles in the same order, a strategy emits the same signals:
//! everything here is synchronous and deterministic. Per-bar work is O(1) and allocation-free;
//! per-symbol state lives in a `Vec` indexed by the engine's dense symbol slot.
//!
//! Feature flags: none.

mod breakout;
mod error;
pub mod indicators;
mod params;
mod registry;
mod rsi_reversion;
mod sma_cross;
#[cfg(test)]
mod testkit;

pub use breakout::{Breakout, BreakoutParams};
pub use error::StrategyError;
pub use params::{MAX_PERIOD, ParamInfo, StrategyInfo};
pub use registry::{build, catalogue, describe};
pub use rsi_reversion::{RsiReversion, RsiReversionParams};
pub use sma_cross::{SmaCross, SmaCrossParams};

/// The state of `slot`, created with `make` (for it and any lower slot not seen yet) on first
/// use. Slots are dense, so the `Vec` grows by a few entries at most, once per symbol.
#[inline]
fn slot_mut<T>(slots: &mut Vec<T>, slot: usize, make: impl FnMut() -> T) -> &mut T {
    if slot >= slots.len() {
        slots.resize_with(slot.saturating_add(1), make);
    }
    &mut slots[slot]
}
