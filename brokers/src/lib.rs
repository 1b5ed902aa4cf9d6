//! Brokers: the venues Airlock sends orders to.
//!
//! Owns: [`matching`], the internal matching engine (a price-time-priority book per symbol with
//! per-account cash and position ledgers, driven by candles in backtests) and [`SimBroker`], the
//! thin `Broker<M>` shell around it for the simulated modes (`Backtest`, `DryRun`); the typed
//! pieces account brokers are built from: [`Credentials`] (a mode's API key, held as secrets),
//! [`Endpoint`] (an address that passed its mode's allow-list) and the [`AccountBroker`]
//! contract with its [`AccountReport`]; and, behind the feature `alpaca`, the network client
//! `alpaca`: `Alpaca<Paper>` (and `Alpaca<Live>` with `live`) through the apca crate.
//!
//! Must not: read the process environment (credentials read an `EnvSnapshot`) or files; talk to
//! a network outside the `alpaca` module, or to any host but the one its `Endpoint` allowed;
//! format a secret; depend on an Airlock crate other than `airlock-core`. The matching engine
//! and everything outside `alpaca` are synchronous, do no I/O and never read the clock.
//!
//! Feature flags: `live` forwards to `airlock-core/live` (and with it makes `Alpaca<Live>`
//! exist); `alpaca` builds the Alpaca client and brings apca, tokio, hyper, tungstenite and
//! native-tls, so a build without it (the backtest) has no network code at all.

mod account;
#[cfg(feature = "alpaca")]
pub mod alpaca;
mod credentials;
mod endpoint;
pub mod matching;
mod sim;

pub use account::{AccountBroker, AccountReport};
pub use credentials::{Credentials, CredentialsError, mask};
pub use endpoint::{
    ALPACA_DATA_HOSTS, ALPACA_LIVE_HOST, ALPACA_PAPER_HOST, Endpoint, EndpointError, EndpointKind,
    Loopback, allowed_hosts,
};
pub use sim::SimBroker;
