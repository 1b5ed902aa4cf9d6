//! Brokers: the venues Airlock sends orders to.
//!
//! Owns: [`matching`], the internal matching engine (a price-time-priority book per symbol with
//! per-account cash and position ledgers, driven by candles in backtests) and [`SimBroker`], the
//! thin `Broker<M>` shell around it for the simulated modes (`Backtest`, `DryRun`); and the typed
//! pieces account brokers (Alpaca, MT5) are built from: [`Credentials`] (a mode's API key, held as
//! secrets), [`Endpoint`] (an address that passed its mode's allow-list) and the
//! [`AccountBroker`] contract with its [`AccountReport`].
//!
//! Must not: read the clock, the process environment (credentials read an `EnvSnapshot`) or files; talk to a network (the Alpaca and MT5
//! clients will arrive behind their own modules); depend on anything but `airlock-core`.
//!
//! Feature flags: `live` forwards to `airlock-core/live`.

mod account;
mod credentials;
mod endpoint;
pub mod matching;
mod sim;

pub use account::{AccountBroker, AccountReport};
pub use credentials::{Credentials, CredentialsError, mask};
#[cfg(feature = "live")]
pub use endpoint::ALPACA_LIVE_HOST;
pub use endpoint::{
    ALPACA_DATA_HOSTS, ALPACA_PAPER_HOST, Endpoint, EndpointError, EndpointKind, Loopback,
    allowed_hosts,
};
pub use sim::SimBroker;
