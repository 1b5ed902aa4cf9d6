//! The Airlock runtime library behind the `airlock` binary.
//!
//! Owns: everything that touches the outside world — files ([`data`]: CSV candle files and the
//! embedded candle store), databases ([`store`]: PostgreSQL and SQLite, the only place with SQL),
//! Redis ([`ephemeral`]: caches, idempotency keys, rate counters, the trading-state broadcast),
//! environment files and secrets ([`config`], [`secrets`]), the start-up guards ([`guard`]), the
//! typed session ([`Runtime`]), the broker-facing path ([`gateway`]: brokers take only
//! risk-approved orders), logging ([`logging`]), QuestDB candles ([`questdb`]), and, as they
//! arrive, HTTP.
//!
//! Must not: contain trading logic (that lives in core, brokers, strategies and backtest); read a
//! secret outside the connect functions.
//!
//! Feature flags: `live` makes the `Live` mode, live credentials and `Runtime::new_live` exist.

pub mod config;
pub mod data;
pub mod ephemeral;
pub mod gateway;
pub mod guard;
pub mod logging;
pub mod questdb;
mod runtime;
pub mod secrets;
pub mod store;

pub use runtime::Runtime;
