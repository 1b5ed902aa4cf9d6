//! The Airlock runtime library behind the `airlock` binary.
//!
//! Owns: everything that touches the outside world — files ([`data`]: CSV candle files), the
//! broker-facing path ([`gateway`]: brokers take only risk-approved orders),
//! and, as they arrive, HTTP, SQL, Redis, QuestDB, environment variables and the `match` on mode.
//!
//! Must not: contain trading logic (that lives in core, brokers, strategies and backtest); read a
//! secret outside the connect functions.

pub mod data;
pub mod gateway;
