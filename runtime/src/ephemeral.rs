//! Redis: the fast, shared, *ephemeral* state — last prices and quotes, idempotency keys for
//! signal intake, rate-limit counters — and the broadcast of the trading state.
//!
//! Nothing here is the truth. The trading state lives in the database (PostgreSQL for paper and
//! live); Redis only tells every process that it changed. [`TradingGate`] turns that into the
//! fail-safe rule: a process refuses new orders until it has confirmed the trading state from
//! the database *and* is subscribed to its broadcast, and goes back to refusing the moment it
//! loses Redis (it could no longer hear a halt). Its [`Health`] says which.
//!
//! Keys are namespaced by environment (`airlock:<env>:…`), so a paper and a live process
//! sharing one Redis never read each other's prices, keys or states.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use airlock_core::{Price, Symbol, UnixNanos};
use airlock_store::{Store, StoreError, TradingState, TradingStateRecord};
use futures_util::StreamExt;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How long a command or a connection attempt may take before Redis counts as unreachable.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How often the gate checks that Redis still answers.
const PING_EVERY: Duration = Duration::from_millis(250);

/// Why a Redis operation failed. Never contains the URL's password.
#[derive(Debug, Error)]
pub enum EphemeralError {
    /// Redis could not be reached or answered with an error.
    #[error("redis {doing}: {message}")]
    Redis {
        /// What was being done.
        doing: &'static str,
        /// The driver's message.
        message: String,
    },
    /// A stored value is not what Airlock writes.
    #[error("redis key {key} holds {value:?}, which is not {expected}")]
    Corrupt {
        /// The key.
        key: String,
        /// The value found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The database (the trading state's source of truth) failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn redis_error(doing: &'static str) -> impl FnOnce(redis::RedisError) -> EphemeralError {
    move |error| EphemeralError::Redis {
        doing,
        message: error.to_string(),
    }
}

/// A symbol's last trade price and when it was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastPrice {
    /// The price.
    pub price: Price,
    /// When.
    pub at: UnixNanos,
}

/// A symbol's best bid and ask and when they were seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Best bid.
    pub bid: Price,
    /// Best ask.
    pub ask: Price,
    /// When.
    pub at: UnixNanos,
}

/// The message broadcast when the trading state changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Broadcast {
    version: i64,
    state: String,
}

/// A connection to Redis for one environment.
#[derive(Clone)]
pub struct Ephemeral {
    client: redis::Client,
    connection: MultiplexedConnection,
    prefix: String,
}

impl fmt::Debug for Ephemeral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ephemeral")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn config() -> redis::AsyncConnectionConfig {
    redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
}

impl Ephemeral {
    /// Connects to `url` (`redis://127.0.0.1:6379`), namespacing every key under
    /// `airlock:<environment>:`.
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] for a malformed URL or an unreachable server.
    pub async fn connect(url: &str, environment: &str) -> Result<Self, EphemeralError> {
        let client = redis::Client::open(url).map_err(redis_error("reading the URL"))?;
        let connection = client
            .get_multiplexed_async_connection_with_config(&config())
            .await
            .map_err(redis_error("connecting"))?;
        Ok(Self {
            client,
            connection,
            prefix: format!("airlock:{environment}:"),
        })
    }

    fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.clone();
        key.push_str(&parts.join(":"));
        key
    }

    /// The channel the trading state is broadcast on.
    pub fn trading_state_channel(&self) -> String {
        self.key(&["trading_state"])
    }

    /// Checks that Redis answers.
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] when it does not, within a second.
    pub async fn ping(&self) -> Result<(), EphemeralError> {
        let mut connection = self.connection.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .map_err(redis_error("ping"))?;
        Ok(())
    }

    /// Caches a symbol's last trade price (exact, as text).
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] when Redis fails.
    pub async fn set_last_price(
        &self,
        symbol: &Symbol,
        price: Price,
        at: UnixNanos,
    ) -> Result<(), EphemeralError> {
        let mut connection = self.connection.clone();
        let key = self.key(&["last", symbol.as_str()]);
        let _: () = connection
            .hset_multiple(
                &key,
                &[
                    ("price", price.to_string()),
                    ("at", at.as_u64().to_string()),
                ],
            )
            .await
            .map_err(redis_error("caching a price"))?;
        Ok(())
    }

    /// A symbol's cached last price.
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] when Redis fails, [`EphemeralError::Corrupt`] for a value
    /// Airlock did not write.
    pub async fn last_price(&self, symbol: &Symbol) -> Result<Option<LastPrice>, EphemeralError> {
        let mut connection = self.connection.clone();
        let key = self.key(&["last", symbol.as_str()]);
        let (price, at): (Option<String>, Option<String>) = connection
            .hmget(&key, &["price", "at"])
            .await
            .map_err(redis_error("reading a price"))?;
        let (Some(price), Some(at)) = (price, at) else {
            return Ok(None);
        };
        Ok(Some(LastPrice {
            price: parse_price(&key, &price)?,
            at: parse_at(&key, &at)?,
        }))
    }

    /// Caches a symbol's best bid and ask.
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] when Redis fails.
    pub async fn set_quote(
        &self,
        symbol: &Symbol,
        bid: Price,
        ask: Price,
        at: UnixNanos,
    ) -> Result<(), EphemeralError> {
        let mut connection = self.connection.clone();
        let key = self.key(&["quote", symbol.as_str()]);
        let _: () = connection
            .hset_multiple(
                &key,
                &[
                    ("bid", bid.to_string()),
                    ("ask", ask.to_string()),
                    ("at", at.as_u64().to_string()),
                ],
            )
            .await
            .map_err(redis_error("caching a quote"))?;
        Ok(())
    }

    /// A symbol's cached quote.
    ///
    /// # Errors
    /// As [`Ephemeral::last_price`].
    pub async fn quote(&self, symbol: &Symbol) -> Result<Option<Quote>, EphemeralError> {
        let mut connection = self.connection.clone();
        let key = self.key(&["quote", symbol.as_str()]);
        let (bid, ask, at): (Option<String>, Option<String>, Option<String>) = connection
            .hmget(&key, &["bid", "ask", "at"])
            .await
            .map_err(redis_error("reading a quote"))?;
        let (Some(bid), Some(ask), Some(at)) = (bid, ask, at) else {
            return Ok(None);
        };
        Ok(Some(Quote {
            bid: parse_price(&key, &bid)?,
            ask: parse_price(&key, &ask)?,
            at: parse_at(&key, &at)?,
        }))
    }

    /// Claims an idempotency key for `ttl`: true the first time, false while it is held (the
    /// request is a repeat and must not be acted on again).
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] when Redis fails — the caller must then refuse the request,
    /// not process it unguarded.
    pub async fn claim_idempotency_key(
        &self,
        source: &str,
        key: &str,
        ttl: Duration,
    ) -> Result<bool, EphemeralError> {
        let mut connection = self.connection.clone();
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(duration_millis(ttl)));
        let claimed: Option<String> = connection
            .set_options(self.key(&["idempotency", source, key]), "1", options)
            .await
            .map_err(redis_error("claiming an idempotency key"))?;
        Ok(claimed.is_some())
    }

    /// Counts one hit on `name` in the fixed window of length `window` that contains `now`,
    /// and returns the window's count so far (the caller compares it with its limit).
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] when Redis fails.
    pub async fn count_hit(
        &self,
        name: &str,
        window: Duration,
        now: UnixNanos,
    ) -> Result<u64, EphemeralError> {
        let length = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX).max(1);
        let slot = now.as_u64() / length;
        let key = self.key(&["rate", name, &slot.to_string()]);
        let mut connection = self.connection.clone();
        let (count, _): (u64, bool) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .pexpire(
                &key,
                i64::try_from(duration_millis(window) * 2).unwrap_or(i64::MAX),
            )
            .query_async(&mut connection)
            .await
            .map_err(redis_error("counting a rate-limited hit"))?;
        Ok(count)
    }

    /// Broadcasts a trading-state change (already recorded in the database) to every process of
    /// this environment.
    ///
    /// # Errors
    /// [`EphemeralError::Redis`] when Redis fails.
    pub async fn publish_trading_state(
        &self,
        record: &TradingStateRecord,
    ) -> Result<(), EphemeralError> {
        let message = serde_json::to_string(&Broadcast {
            version: record.version,
            state: record.state.as_str().to_owned(),
        })
        .map_err(|error| EphemeralError::Redis {
            doing: "encoding the trading state",
            message: error.to_string(),
        })?;
        let mut connection = self.connection.clone();
        let _: i64 = connection
            .publish(self.trading_state_channel(), message)
            .await
            .map_err(redis_error("broadcasting the trading state"))?;
        Ok(())
    }
}

fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn parse_price(key: &str, text: &str) -> Result<Price, EphemeralError> {
    text.parse().map_err(|_| EphemeralError::Corrupt {
        key: key.to_owned(),
        value: text.to_owned(),
        expected: "a price",
    })
}

fn parse_at(key: &str, text: &str) -> Result<UnixNanos, EphemeralError> {
    text.parse()
        .map(UnixNanos::new)
        .map_err(|_| EphemeralError::Corrupt {
            key: key.to_owned(),
            value: text.to_owned(),
            expected: "a timestamp in nanoseconds",
        })
}

/// Whether Redis answers, as the gate last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RedisHealth {
    /// Connected and subscribed to the trading-state broadcast.
    Up,
    /// Not reachable (or not yet): the reason.
    Down {
        /// Why.
        reason: String,
    },
}

/// What the gate knows, for health output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// Redis.
    pub redis: RedisHealth,
    /// The confirmed trading state, if any.
    pub trading_state: Option<TradingStateRecord>,
    /// Whether new orders are accepted, and if not why.
    pub new_orders: Result<(), String>,
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.redis {
            RedisHealth::Up => writeln!(f, "redis:         up (subscribed to the trading state)")?,
            RedisHealth::Down { reason } => writeln!(f, "redis:         DOWN: {reason}")?,
        }
        match &self.trading_state {
            Some(record) => writeln!(
                f,
                "trading state: {} (version {}, by {}: {})",
                record.state, record.version, record.actor, record.reason
            )?,
            None => writeln!(f, "trading state: unconfirmed")?,
        }
        match &self.new_orders {
            Ok(()) => write!(f, "new orders:    accepted"),
            Err(reason) => write!(f, "new orders:    REFUSED: {reason}"),
        }
    }
}

/// Why the gate refuses a new order.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GateRefusal {
    /// The trading state is not confirmed (Redis unreachable, or the database unread).
    #[error("trading state unconfirmed ({0}); new orders are refused until it is confirmed")]
    Unconfirmed(String),
    /// The confirmed state is Halted.
    #[error("trading is halted (version {version}): {reason}")]
    Halted {
        /// The state's version.
        version: i64,
        /// Why it was halted.
        reason: String,
    },
}

#[derive(Debug, Clone)]
struct GateState {
    redis: RedisHealth,
    confirmed: Option<TradingStateRecord>,
    unconfirmed_because: String,
}

/// The fail-safe trading-state gate of one process: see the module documentation.
#[derive(Debug)]
pub struct TradingGate {
    shared: Arc<Mutex<GateState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TradingGate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TradingGate {
    /// Starts watching: connects to Redis at `redis_url`, subscribes to the environment's
    /// trading-state channel, reads the state from `store`, and keeps doing so across
    /// disconnections (retrying with back-off up to 2 s). Must be called inside a Tokio runtime
    /// with its time and I/O drivers enabled.
    pub fn start(store: Arc<dyn Store>, redis_url: String, environment: String) -> Self {
        let shared = Arc::new(Mutex::new(GateState {
            redis: RedisHealth::Down {
                reason: "not connected yet".into(),
            },
            confirmed: None,
            unconfirmed_because: "starting: not confirmed yet".into(),
        }));
        let task = tokio::spawn(watch(Arc::clone(&shared), store, redis_url, environment));
        Self { shared, task }
    }

    fn state(&self) -> GateState {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether a new order may be sent now, and under which state (`Reducing` admits only
    /// orders that reduce a position: the risk manager applies that).
    ///
    /// # Errors
    /// [`GateRefusal`] while the state is unconfirmed or halted.
    pub fn check_new_order(&self) -> Result<TradingState, GateRefusal> {
        let state = self.state();
        match state.confirmed {
            None => Err(GateRefusal::Unconfirmed(state.unconfirmed_because)),
            Some(record) if record.state == TradingState::Halted => Err(GateRefusal::Halted {
                version: record.version,
                reason: record.reason,
            }),
            Some(record) => Ok(record.state),
        }
    }

    /// The gate's view, for health output.
    pub fn health(&self) -> Health {
        let state = self.state();
        Health {
            redis: state.redis.clone(),
            trading_state: state.confirmed.clone(),
            new_orders: self
                .check_new_order()
                .map(|_| ())
                .map_err(|r| r.to_string()),
        }
    }

    /// Waits until the gate has confirmed a state (or `timeout` passes) and returns it.
    pub async fn confirmed(&self, timeout: Duration) -> Option<TradingStateRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(record) = self.state().confirmed {
                return Some(record);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Records a trading-state change in the database (the truth), then broadcasts it. If the
/// broadcast fails the change still stands: every process re-reads the database when it
/// reconnects.
///
/// # Errors
/// The database's error (nothing was changed), or Redis's (the change is recorded but other
/// processes may not have heard of it yet).
pub async fn change_trading_state(
    store: &dyn Store,
    redis: &Ephemeral,
    state: TradingState,
    reason: &str,
    actor: &str,
    at: UnixNanos,
) -> Result<TradingStateRecord, EphemeralError> {
    let record = store.set_trading_state(state, reason, actor, at).await?;
    redis.publish_trading_state(&record).await?;
    Ok(record)
}

fn set(shared: &Mutex<GateState>, change: impl FnOnce(&mut GateState)) {
    let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
    change(&mut state);
}

fn lose(shared: &Mutex<GateState>, reason: String) {
    set(shared, |state| {
        if state.confirmed.is_some() {
            tracing::warn!(%reason, "trading state unconfirmed: refusing new orders");
        }
        state.redis = RedisHealth::Down {
            reason: reason.clone(),
        };
        state.confirmed = None;
        state.unconfirmed_because = reason;
    });
}

/// The current state from the database; a database that never recorded one starts halted.
async fn truth(store: &dyn Store) -> Result<TradingStateRecord, StoreError> {
    Ok(store
        .trading_state()
        .await?
        .unwrap_or_else(|| TradingStateRecord {
            version: 0,
            state: TradingState::Halted,
            reason: "no trading state recorded yet: an operator must resume trading".into(),
            actor: "airlock".into(),
            at: UnixNanos::new(0),
        }))
}

async fn watch(
    shared: Arc<Mutex<GateState>>,
    store: Arc<dyn Store>,
    redis_url: String,
    environment: String,
) {
    let mut backoff = Duration::from_millis(50);
    loop {
        match session(&shared, store.as_ref(), &redis_url, &environment).await {
            Ok(()) => backoff = Duration::from_millis(50),
            Err(reason) => lose(&shared, reason),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// One connected session: returns when the connection is lost, with the reason.
async fn session(
    shared: &Mutex<GateState>,
    store: &dyn Store,
    redis_url: &str,
    environment: &str,
) -> Result<(), String> {
    let redis = tokio::time::timeout(TIMEOUT, Ephemeral::connect(redis_url, environment))
        .await
        .map_err(|_| "Redis did not answer within 1 s".to_owned())?
        .map_err(|error| error.to_string())?;
    let mut pubsub = tokio::time::timeout(TIMEOUT, redis.client.get_async_pubsub())
        .await
        .map_err(|_| "Redis did not answer within 1 s".to_owned())?
        .map_err(|error| format!("redis subscribing: {error}"))?;
    pubsub
        .subscribe(redis.trading_state_channel())
        .await
        .map_err(|error| format!("redis subscribing: {error}"))?;
    // Subscribed first, then read: a change made in between is both read and heard.
    let record = truth(store)
        .await
        .map_err(|error| format!("database: {error}"))?;
    set(shared, |state| {
        state.redis = RedisHealth::Up;
        state.confirmed = Some(record);
    });
    let mut messages = pubsub.on_message();
    let mut ticker = tokio::time::interval(PING_EVERY);
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else {
                    return Err("lost the connection to Redis".to_owned());
                };
                let payload: String = message.get_payload().unwrap_or_default();
                let Ok(broadcast) = serde_json::from_str::<Broadcast>(&payload) else {
                    tracing::warn!(%payload, "ignoring a malformed trading-state broadcast");
                    continue;
                };
                let known = shared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .confirmed
                    .as_ref()
                    .map_or(-1, |record| record.version);
                if broadcast.version > known {
                    // The broadcast says "changed"; the database says to what.
                    let record = truth(store)
                        .await
                        .map_err(|error| format!("database: {error}"))?;
                    tracing::info!(state = %record.state, version = record.version, "trading state changed");
                    set(shared, |state| state.confirmed = Some(record));
                }
            }
            _ = ticker.tick() => {
                redis.ping().await.map_err(|error| error.to_string())?;
            }
        }
    }
}
