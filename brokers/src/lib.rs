//! Brokers: the venues Airlock sends orders to.
//!
//! Owns: [`matching`], the internal matching engine (a price-time-priority book per symbol with
//! per-account cash and position ledgers, driven by candles in backtests) and [`SimBroker`], the
//! thin `Broker<M>` shell around it for the simulated modes (`Backtest`, `DryRun`).
//!
//! Must not: read the clock, the environment or files; talk to a network (the Alpaca and MT5
//! clients will arrive behind their own modules); depend on anything but `airlock-core`.
//!
//! Feature flags: `live` forwards to `airlock-core/live`.

pub mod matching;
mod sim;

pub use sim::SimBroker;
