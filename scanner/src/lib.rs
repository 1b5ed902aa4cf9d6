//! Momentum Radar: ranks a universe of symbols from their candles and feeds watchlists.
//!
//! Owns: per-symbol factors kept incrementally as bars arrive — rate of change over N bars,
//! relative volume against the N-bar average, distance from the N-bar high, a breakout flag,
//! average true range as a fraction of price, average dollar volume — the filters (minimum price,
//! minimum average dollar volume), a composite score of standardised factors, the ranked table
//! ([`Ranking`]), and watchlists that strategies subscribe to ([`Radar::subscribe`]).
//!
//! Must not: perform I/O, read the clock or the environment, or depend on any Airlock crate but
//! core. Candles are passed in (the runtime reads files); factors and scores are `f64`
//! statistics, while prices, the price filter and dollar volumes stay exact. No feature flags.

mod config;
mod radar;
mod ranking;
mod symbol;
mod watchlist;
mod window;

pub use config::{ConfigError, RadarConfig, Weights};
pub use radar::{Radar, UpdateError};
pub use ranking::{Excluded, Exclusion, RankedRow, Ranking};
pub use symbol::Factors;
pub use watchlist::{WatchlistChange, WatchlistId};
