//! Brokers: the venues Airlock sends orders to.
//!
//! Owns: [`matching`], the internal matching engine (a price-time-priority book per symbol with
//! per-account cash and position ledgers, driven by candles in backtests) and [`SimBroker`], the
//! thin `Broker<M>` shell around it for the simulated modes (`Backtest`, `DryRun`); the typed
//! pieces account brokers are built from: [`Credentials`] (a mode's Alpaca key, held as
//! secrets), [`BridgeSecret`] (a mode's MT5 bridge secret), [`Endpoint`] (an address that passed
//! its mode's allow-list) and the [`AccountBroker`] contract with its [`AccountReport`]; and,
//! behind features, the network clients: `alpaca` (`Alpaca<Paper>`, and `Alpaca<Live>` with
//! `live`, through the apca crate) and `mt5` (`Mt5Bridge<M>`, the MetaTrader 5 client that talks
//! to the bridge program in `brokers/mt5/bridge/`).
//!
//! Must not: read the process environment (secrets read an `EnvSnapshot`) or files; talk to a
//! network outside the `alpaca` and `mt5` modules, or to any host but the one its `Endpoint`
//! allowed; format a secret; depend on an Airlock crate other than `airlock-core`. The matching
//! engine and everything outside those two modules are synchronous, do no I/O and never read the
//! clock (`mt5` reads the wall clock once per request, for the signed timestamp).
//!
//! Feature flags: `live` forwards to `airlock-core/live` (and adds the live constructors of
//! credentials and secrets, and with them `Alpaca<Live>` and `Mt5Bridge<Live>`); `alpaca` builds
//! the Alpaca client (apca, tokio, hyper, tungstenite, native-tls); `mt5` builds the MT5 bridge
//! client (reqwest on the same native-tls, sha2, tokio timers). A build without them (the
//! backtest) has no network code at all.

mod account;
#[cfg(feature = "alpaca")]
pub mod alpaca;
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
