//! Brokers: the venues Airlock sends orders to.
//!
//! Owns: [`matching`], the internal matching engine (a price-time-priority book per symbol with
//! per-account cash and position ledgers, driven by candles in backtests) and [`SimBroker`], the
//! thin `Broker<M>` shell around it for the simulated modes (`Backtest`, `DryRun`); the typed
//! pieces account brokers (Alpaca, MT5) are built from: [`Credentials`] (a mode's Alpaca key,
//! held as secrets), [`BridgeSecret`] (a mode's MT5 bridge secret), [`Endpoint`] (an address that
//! passed its mode's allow-list) and the [`AccountBroker`] contract with its [`AccountReport`];
//! and, with the feature `mt5`, `mt5::Mt5Bridge`, the MetaTrader 5 client that talks to the
//! bridge program in `brokers/mt5/bridge/`.
//!
//! Must not: read the process environment (secrets read an `EnvSnapshot`) or files; depend on
//! any of our crates but `airlock-core`. Without features it does no I/O and reads no clock.
//! The `mt5` module is the exception its feature names: it talks HTTP(S) to the operator's
//! bridge, and reads the wall clock once per request for the signed timestamp.
//!
//! Feature flags: `live` forwards to `airlock-core/live` (and adds the live constructors of
//! credentials and secrets); `mt5` adds the MT5 bridge client (reqwest, sha2, tokio timers).

mod account;
mod bridge_secret;
mod credentials;
mod endpoint;
pub mod matching;
#[cfg(feature = "mt5")]
pub mod mt5;
mod sim;

pub use account::{AccountBroker, AccountReport, ModeCredentials};
pub use bridge_secret::{BRIDGE_SECRET_MIN_LEN, BridgeSecret};
pub use credentials::{Credentials, CredentialsError, mask};
#[cfg(feature = "live")]
pub use endpoint::ALPACA_LIVE_HOST;
pub use endpoint::{
    ALPACA_DATA_HOSTS, ALPACA_PAPER_HOST, ANY_HOST_OVER_TLS, Endpoint, EndpointError, EndpointKind,
    Loopback, allowed_hosts,
};
pub use sim::SimBroker;
