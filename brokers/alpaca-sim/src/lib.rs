//! An Alpaca-compatible loopback server: Alpaca's trading REST API and trade-updates WebSocket,
//! backed by Airlock's matching engine, so that Airlock's Alpaca broker (and any Alpaca client
//! library: apca, alpaca-py, curl) can trade against a local simulated venue.
//!
//! Owns: the server ([`start`] on an already-bound listener), its [`SimConfig`] and the
//! [`SimHandle`] that feeds it prices and candles and injects the failures a test needs (5xx
//! answers, lost responses, dropped or refused streams, rate limits). The paths, JSON field names,
//! enum values, error bodies and headers follow Alpaca's published description of its Trading API
//! v2; the README of this crate lists what is served and every deliberate difference from
//! Alpaca.
//!
//! Must not: reach the internet or any real broker (it only ever listens); read the process
//! environment or files (the `airlock sim alpaca` command loads candles and passes them in);
//! reveal the secret key it accepts in any answer, log line or `Debug` output.
//!
//! Feature flags: none.

mod auth;
mod error;
mod gate;
mod ids;
mod net;
mod orders;
mod rest;
mod server;
mod state;
mod stream;
mod views;
mod wire;

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;

use airlock_brokers::matching::{EngineConfig, FillModel};
use airlock_core::{Candle, Money, Price, Symbol};
use axum::http::StatusCode;
use secrecy::SecretString;
use thiserror::Error;
use tokio::net::TcpListener;

use crate::auth::KeyPair;
use crate::gate::{Faults, GateState, RateLimiter};
use crate::server::Shared;
use crate::state::SimState;

/// Alpaca's rate limit: requests per minute per account.
pub const ALPACA_RATE_LIMIT_PER_MINUTE: u32 = 200;

/// How the simulator is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The key id it accepts (`APCA-API-KEY-ID`).
    pub key_id: String,
    /// The secret key it accepts (`APCA-API-SECRET-KEY`).
    pub secret_key: SecretString,
    /// The simulated account's number (`PA-SIM-0001` by default; never a real account's).
    pub account_number: String,
    /// Starting cash, which is also the starting buying power.
    pub cash: Money,
    /// How the matching engine fills. The simulator's default is fill model `close`, so that a
    /// market order fills at once at the symbol's last price; a participation cap turns candle
    /// volume into partial fills.
    pub engine: EngineConfig,
    /// Requests per minute before `429 too many requests` (Alpaca: 200).
    pub rate_limit_per_minute: u32,
}

impl SimConfig {
    /// The simulator's defaults with the given key pair: account `PA-SIM-0001`, 100,000 cash,
    /// fill model `close` without fees, slippage or participation cap, 200 requests a minute.
    pub fn new(key_id: impl Into<String>, secret_key: SecretString) -> Self {
        Self {
            key_id: key_id.into(),
            secret_key,
            account_number: "PA-SIM-0001".into(),
            cash: Money::from_units(100_000),
            engine: EngineConfig {
                fill_model: FillModel::Close,
                ..EngineConfig::default()
            },
            rate_limit_per_minute: ALPACA_RATE_LIMIT_PER_MINUTE,
        }
    }
}

/// Why the simulator could not start.
#[derive(Debug, Error)]
pub enum SimError {
    /// A configuration value out of range.
    #[error("{field}: {reason}")]
    Config {
        /// The field, dotted (`engine.participation`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The listener has no local address.
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
}

fn config_error(field: &str, reason: impl Into<String>) -> SimError {
    SimError::Config {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Starts the simulator on an already-bound listener (bind `127.0.0.1:0` in tests) and returns
/// its handle. The server runs on the current tokio runtime until [`SimHandle::shutdown`] or until
/// the last handle is dropped.
///
/// # Errors
/// [`SimError::Config`] for an empty key id or secret, negative cash or an engine setting out of
/// range; [`SimError::Listener`] when the listener has no local address.
pub async fn start(listener: TcpListener, config: SimConfig) -> Result<SimHandle, SimError> {
    let keys = KeyPair::new(config.key_id.clone(), config.secret_key.clone());
    if let Some(field) = keys.empty_half() {
        return Err(config_error(field, "must not be empty"));
    }
    if config.cash.is_negative() {
        return Err(config_error(
            "cash",
            format!("must not be negative, got {}", config.cash),
        ));
    }
    config
        .engine
        .validate()
        .map_err(|error| config_error(&format!("engine.{}", error.field), error.reason))?;
    let address = listener.local_addr()?;
    let started = ids::now();
    let shared = Arc::new(Shared::new(
        |updates| {
            SimState::new(
                config.engine,
                config.cash,
                config.account_number.clone(),
                updates,
                started,
            )
        },
        GateState {
            limiter: RateLimiter::new(config.rate_limit_per_minute),
            faults: Faults::default(),
        },
        keys,
    ));
    server::spawn(listener, Arc::clone(&shared));
    Ok(SimHandle {
        inner: Arc::new(HandleInner { shared, address }),
    })
}

/// Controls a running simulator. Clones share the server; it stops on [`SimHandle::shutdown`]
/// or when the last clone is dropped.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<HandleInner>,
}

struct HandleInner {
    shared: Arc<Shared>,
    address: SocketAddr,
}

impl Drop for HandleInner {
    fn drop(&mut self) {
        self.shared.shut_down();
    }
}

impl fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimHandle")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The REST base URL, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.inner.address)
    }

    /// The trade-updates stream URL, `ws://127.0.0.1:PORT/stream`.
    pub fn stream_url(&self) -> String {
        format!("ws://{}/stream", self.inner.address)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.address
    }

    /// Registers `symbol` as a tradable asset without a price (orders that need a price are
    /// refused until its first candle or [`SimHandle::set_last_price`]).
    pub async fn add_asset(&self, symbol: &Symbol) {
        self.inner.shared.state().asset_slot(*symbol);
    }

    /// Trades one bar against the symbol's working orders (the engine's `on_candle`), records
    /// its close as the last price and pushes the resulting trade updates. Registers the symbol
    /// on first use.
    pub async fn feed_candle(&self, symbol: &Symbol, candle: &Candle) {
        self.inner.shared.state().feed_candle(*symbol, candle);
    }

    /// Registers the symbol (a tradable asset) with `price` as its last price; no bar trades.
    pub async fn set_last_price(&self, symbol: &Symbol, price: Price) {
        self.inner.shared.state().set_last_price(*symbol, price);
    }

    /// Closes every trade-updates WebSocket now, without a closing handshake: clients see a
    /// disconnect.
    pub async fn drop_streams(&self) {
        self.inner.shared.drop_streams();
    }

    /// While `blocked`, WebSocket upgrades on `/stream` are refused with 503.
    pub async fn block_streams(&self, blocked: bool) {
        self.inner.shared.block_streams(blocked);
    }

    /// The next `count` authenticated REST requests answer `status` (500 if `status` is not an
    /// HTTP status) with an Alpaca error body and do nothing. Requests refused by the rate limit
    /// do not count.
    pub async fn fail_next(&self, count: u32, status: u16) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.inner.shared.gate().faults.fail = (count > 0).then_some((count, status));
    }

    /// The next order-creating request (`POST /v2/orders` or `PATCH /v2/orders/{id}`), whatever
    /// its outcome, is executed but its response is never sent: the connection closes, as when
    /// a response is lost in transit.
    pub async fn lose_next_response(&self) {
        self.inner.shared.gate().faults.lose_next = true;
    }

    /// A new rate limit (requests per minute; 0 refuses every request), starting a new window.
    pub async fn set_rate_limit(&self, per_minute: u32) {
        self.inner.shared.gate().limiter.set_limit(per_minute);
    }

    /// Stops the server: no new connections; open ones finish their request and close.
    pub fn shutdown(&self) {
        self.inner.shared.shut_down();
    }
}

/// A fresh key pair for a local simulator: a key id `PKSIM…` (20 characters) and a 40-character
/// secret, both from the operating system's randomness (through the standard library's hasher
/// seeds). They guard a simulator on this machine, not a real account.
pub fn generate_keys() -> (String, SecretString) {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const SECRET_ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut counter: u64 = 0;
    let mut draw = |alphabet: &[u8]| {
        counter = counter.wrapping_add(1);
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(counter);
        let value = hasher.finish();
        let length = u64::try_from(alphabet.len()).unwrap_or(1);
        let position = usize::try_from(value % length).unwrap_or(0);
        char::from(alphabet.get(position).copied().unwrap_or(b'X'))
    };
    let key_id: String = "PKSIM"
        .chars()
        .chain((0..15).map(|_| draw(ALPHABET)))
        .collect();
    let secret: String = (0..40).map(|_| draw(SECRET_ALPHABET)).collect();
    (key_id, SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn the_config_never_shows_its_secret() {
        let config = SimConfig::new("PKSIM", SecretString::from("hidden-secret"));
        let shown = format!("{config:?}");
        assert!(shown.contains("PKSIM"));
        assert!(!shown.contains("hidden-secret"), "{shown}");
    }

    #[tokio::test]
    async fn start_refuses_empty_keys_negative_cash_and_bad_engine_settings() {
        let listener = || async { TcpListener::bind("127.0.0.1:0").await.unwrap() };
        let refused = |config: SimConfig| async {
            start(listener().await, config)
                .await
                .unwrap_err()
                .to_string()
        };
        let good = || SimConfig::new("PKSIM", SecretString::from("s"));
        let mut config = good();
        config.key_id = " ".into();
        assert_eq!(refused(config).await, "key_id: must not be empty");
        let mut config = good();
        config.secret_key = SecretString::from("");
        assert_eq!(refused(config).await, "secret_key: must not be empty");
        let mut config = good();
        config.cash = Money::from_units(-1);
        assert_eq!(refused(config).await, "cash: must not be negative, got -1");
        let mut config = good();
        config.engine.participation = Some("1.5".parse().unwrap());
        assert_eq!(
            refused(config).await,
            "engine.participation: must be above 0 and at most 1, got 1.5"
        );
        let handle = start(listener().await, good()).await.unwrap();
        assert!(handle.base_url().starts_with("http://127.0.0.1:"));
        assert!(format!("{handle:?}").contains(&handle.base_url()));
    }

    #[test]
    fn generated_keys_have_alpacas_shape_and_differ() {
        let (first_id, first_secret) = generate_keys();
        let (second_id, second_secret) = generate_keys();
        assert_eq!(first_id.len(), 20);
        assert!(first_id.starts_with("PKSIM"));
        assert!(first_id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(first_secret.expose_secret().len(), 40);
        assert_ne!(first_id, second_id);
        assert_ne!(first_secret.expose_secret(), second_secret.expose_secret());
    }
}
