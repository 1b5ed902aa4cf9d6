//! The Airlock runtime library behind the `airlock` binary.
//!
//! Owns: everything that touches the outside world — files ([`data`]: CSV candle files and the
//! embedded candle store), databases ([`store`]: PostgreSQL and SQLite, the only place with SQL),
//! and, as they arrive, HTTP, Redis, QuestDB, environment variables and the `match` on mode.
//!
//! Must not: contain trading logic (that lives in core, brokers, strategies and backtest); read a
//! secret outside the connect functions.

pub mod data;
pub mod store;
