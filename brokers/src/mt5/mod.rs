//! `Mt5Bridge<M>`: MetaTrader 5 through the Airlock bridge program, for paper (demo or contest
//! accounts) and live (real accounts).
//!
//! The bridge (`brokers/mt5/bridge/`, Python, beside the terminal on the Windows host) exposes
//! the `MetaTrader5` module as a signed JSON protocol (`brokers/mt5/bridge/PROTOCOL.md`); this
//! client speaks it over HTTPS (HTTP only on loopback, for tests), signing every request with the
//! mode's [`BridgeSecret`] and refusing any answer the bridge did not sign.
//!
//! How MT5 maps onto [`Broker`]:
//!
//! - **Connect** reads `/v1/health` and `/v1/account`. The account's `trade_mode` must match
//!   the mode (DEMO 0 or CONTEST 1 → paper, REAL 2 → live); a missing, null, non-integer or
//!   unknown value is refused in every mode (`BrokerError::Fatal` naming the field), never
//!   defaulted, since DEMO's value is 0.
//! - **Quantities** count the instrument's units (shares, ounces, base currency); MT5 volumes
//!   are lots of `trade_contract_size` units. A quantity that is not a whole number of
//!   `volume_step` lots within `[volume_min, volume_max]` is refused, naming the step; it is
//!   never rounded. Prices must be whole ticks of the symbol. Everything is parsed from the
//!   bridge's decimal text, never from a float.
//! - **Orders**: market → `TRADE_ACTION_DEAL` at the current ask/bid with the configured
//!   deviation; limit, stop, stop-limit → `TRADE_ACTION_PENDING`. DAY/GTC → `type_time`; IOC/FOK
//!   → `type_filling` for market orders, checked against the symbol's filling bitmask first (a
//!   policy the symbol does not allow is refused naming the allowed ones). DAY/GTC market orders
//!   use FOK when allowed, else IOC. Pending orders take DAY or GTC only. MT5 places a buy
//!   stop-limit's limit order *below* its trigger (and a sell's above), so a stop-limit whose
//!   limit is on the other side is refused.
//! - **Idempotency**: MT5 has no client order id. Every request carries the configured `magic`
//!   and a comment tag derived from our id ([`order_tag`]); before sending any order the client
//!   asks the bridge for an order with that tag (`/v1/order_by_tag`) and returns it if found, so
//!   a retry after a lost answer, or after a restart, never sends twice.
//! - **Replace** changes prices only (`TRADE_ACTION_MODIFY`); a new quantity is refused, since
//!   MT5 cannot change a pending order's volume. **Cancel** is `TRADE_ACTION_REMOVE`.
//! - **Positions**: a netting account has one position per symbol; on a hedging account the
//!   tickets of a symbol are netted into one [`Position`] by applying
//!   them in opening order (so the quantity is exact, and opposite tickets show as realised P&L
//!   although MT5 books it only when a ticket closes). On hedging accounts a reduce-only market
//!   order closes the oldest opposite ticket that covers it (`position` = ticket); other orders
//!   open new tickets.
//! - **Events** come from polling the bridge ([`Mt5Bridge::sync`], driven by
//!   [`Broker::events`] every `poll_interval`): new deals of our magic become fills (price and
//!   volume exact, fee = −(commission + fee); a rebate gives a negative fee), orders that left
//!   the working list become cancelled or expired. Deals are deduplicated by ticket and read by
//!   time from the last one seen, so a bridge restart loses nothing. Deals older than the
//!   connection are history: reconciliation's, not events.
//!
//! Account snapshot: `cash` is the balance, `equity` MT5's equity; MT5 does not report total
//! fees, so `fees_paid` is zero.

mod auth;
mod connect;
mod convert;
mod events;
mod link;
mod orders;
mod reads;
mod replace;
mod wire;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::marker::PhantomData;
use std::time::Duration;

use airlock_core::{
    AccountSnapshot, Broker, BrokerAccount, BrokerError, BrokerEvent, ClientOrderId, OrderKind,
    OrderReport, OrderRequest, OrderStatus, Position, Quantity, ReplaceRequest, Side, SubmitAck,
    Symbol, TimeInForce,
};
use futures_core::Stream;

pub use auth::order_tag;
pub use convert::MarginMode;

use crate::account::{AccountBroker, AccountReport};
use crate::bridge_secret::BridgeSecret;
use crate::endpoint::Endpoint;

use convert::Spec;
use link::Link;

/// The default `magic` number tagging the runtime's orders: `0x4149524c`, "AIRL".
pub const DEFAULT_MAGIC: u64 = 0x4149_524c;

/// How the client trades through the bridge. `Default` gives the documented defaults.
#[derive(Clone, PartialEq, Eq)]
pub struct Mt5Settings {
    /// The `magic` number on every order (one per runtime sharing an account).
    pub magic: u64,
    /// Largest slippage accepted on market orders, in points.
    pub deviation_points: u32,
    /// How often [`Broker::events`] polls the bridge for deals and order states.
    pub poll_interval: Duration,
    /// Timeout of one request to the bridge.
    pub request_timeout: Duration,
    /// How far back the tag lookup searches the order history before a send.
    pub lookback: Duration,
    /// Our symbol → the terminal's name, for brokers whose names differ (`EURUSD` →
    /// `EURUSD.m`); symbols not listed use their own text.
    pub symbols: BTreeMap<Symbol, String>,
    /// An extra root certificate (PEM) to trust for the bridge's HTTPS, for an operator's
    /// self-signed certificate. The runtime reads the file; this crate reads no files.
    pub root_certificate_pem: Option<Vec<u8>>,
}

impl Default for Mt5Settings {
    fn default() -> Self {
        Self {
            magic: DEFAULT_MAGIC,
            deviation_points: 20,
            poll_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            lookback: Duration::from_secs(7 * 86_400),
            symbols: BTreeMap::new(),
            root_certificate_pem: None,
        }
    }
}

impl std::fmt::Debug for Mt5Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mt5Settings")
            .field("magic", &self.magic)
            .field("deviation_points", &self.deviation_points)
            .field("poll_interval", &self.poll_interval)
            .field("request_timeout", &self.request_timeout)
            .field("lookback", &self.lookback)
            .field("symbols", &self.symbols)
            .field(
                "root_certificate_pem",
                &self.root_certificate_pem.as_ref().map(|pem| pem.len()),
            )
            .finish()
    }
}

/// One of our orders as the client tracks it.
#[derive(Debug, Clone)]
struct Tracked {
    client_order_id: ClientOrderId,
    ticket: u64,
    symbol: Symbol,
    side: Side,
    kind: OrderKind,
    time_in_force: TimeInForce,
    quantity: Quantity,
    filled: Quantity,
    status: OrderStatus,
    /// Deals of this order before this time (UTC ms) are history, counted in `filled` and never
    /// reported as fills: the connection time for orders an earlier process sent, the beginning
    /// of time for orders this client sent.
    fills_from_ms: i64,
}

/// Our orders by MT5 ticket and by client order id, and the ids behind the tags we know.
#[derive(Debug, Default)]
struct Book {
    by_ticket: HashMap<u64, Tracked>,
    by_id: HashMap<ClientOrderId, u64>,
    ids_by_tag: HashMap<String, ClientOrderId>,
}

impl Book {
    fn insert(&mut self, tracked: Tracked) {
        self.by_id
            .insert(tracked.client_order_id.clone(), tracked.ticket);
        self.by_ticket.insert(tracked.ticket, tracked);
    }

    fn by_id(&self, id: &ClientOrderId) -> Option<&Tracked> {
        self.by_id
            .get(id)
            .and_then(|ticket| self.by_ticket.get(ticket))
    }

    /// Our id for an order's comment: a known tag's id, the tag itself for a tag of an earlier
    /// process (call [`Mt5Bridge::remember`] to map it back), else `mt5-<ticket>`.
    #[expect(
        clippy::expect_used,
        reason = "`mt5-` followed by a decimal ticket is always a valid client order id"
    )]
    fn id_for(&self, comment: &str, ticket: u64) -> ClientOrderId {
        if let Some(id) = self.ids_by_tag.get(comment) {
            return id.clone();
        }
        auth::is_tag(comment)
            .then(|| ClientOrderId::parse(comment).ok())
            .flatten()
            .unwrap_or_else(|| {
                ClientOrderId::parse(&format!("mt5-{ticket}")).expect("mt5-<ticket> is a valid id")
            })
    }
}

/// A MetaTrader 5 account in mode `M`, reached through the Airlock bridge.
///
/// Holding one proves the connect checks passed: the bridge answered with our secret's
/// signature and the account's trade mode is `M`'s kind. See the module docs for how MT5 maps
/// onto the [`Broker`] contract.
pub struct Mt5Bridge<M: BrokerAccount> {
    link: Link,
    settings: Mt5Settings,
    report: AccountReport,
    margin_mode: MarginMode,
    specs: HashMap<Symbol, Spec>,
    book: Book,
    pending: VecDeque<BrokerEvent>,
    seen_deals: HashMap<u64, i64>,
    cursor_ms: i64,
    floor_ms: i64,
    last_sync: Option<tokio::time::Instant>,
    last_poll_error: Option<BrokerError>,
    mode: PhantomData<fn() -> M>,
}

impl<M: BrokerAccount> std::fmt::Debug for Mt5Bridge<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mt5Bridge")
            .field("mode", &M::TAG)
            .field("bridge", &self.link.base())
            .field("account", &self.report.account_number)
            .field("margin_mode", &self.margin_mode)
            .field("orders", &self.book.by_ticket.len())
            .finish_non_exhaustive()
    }
}

impl<M: BrokerAccount> Mt5Bridge<M> {
    /// Connects with explicit settings: health, then the account and its trade mode.
    ///
    /// # Errors
    ///
    /// `Fatal` when the bridge's answers are not signed with `secret`, the protocol version or
    /// terminal state is wrong, or the account's trade mode is not `M`'s kind (or missing or
    /// unparseable); `Transient` when the bridge cannot be reached.
    pub async fn connect_with(
        secret: BridgeSecret<M>,
        endpoint: Endpoint<M>,
        settings: Mt5Settings,
    ) -> Result<Self, BrokerError> {
        connect::connect(secret, endpoint, settings).await
    }

    /// How the account books positions.
    pub fn margin_mode(&self) -> MarginMode {
        self.margin_mode
    }

    /// The settings in use.
    pub fn settings(&self) -> &Mt5Settings {
        &self.settings
    }

    /// Teaches the client an id whose order an earlier process sent (reconciliation reads them
    /// from the write-ahead journal), so that order's reports and events carry the id instead
    /// of its tag.
    pub fn remember(&mut self, id: &ClientOrderId) {
        self.book.ids_by_tag.insert(order_tag(id), id.clone());
    }

    /// The error of the last failed poll of [`Broker::events`], if the last poll failed.
    pub fn last_poll_error(&self) -> Option<&BrokerError> {
        self.last_poll_error.as_ref()
    }
}

impl<M: BrokerAccount> Broker<M> for Mt5Bridge<M> {
    async fn submit(&mut self, order: OrderRequest) -> Result<SubmitAck, BrokerError> {
        self.submit_order(order).await
    }

    async fn cancel(&mut self, id: &ClientOrderId) -> Result<(), BrokerError> {
        self.cancel_order(id).await
    }

    async fn replace(
        &mut self,
        id: &ClientOrderId,
        change: ReplaceRequest,
    ) -> Result<OrderReport, BrokerError> {
        self.replace_order(id, change).await
    }

    async fn open_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
        self.working_orders().await
    }

    async fn positions(&mut self) -> Result<Vec<Position>, BrokerError> {
        self.net_positions().await
    }

    async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
        self.snapshot().await
    }

    fn events(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_ {
        self.event_stream()
    }
}

impl<M: BrokerAccount> AccountBroker<M> for Mt5Bridge<M> {
    type Credentials = BridgeSecret<M>;

    async fn connect(secret: BridgeSecret<M>, endpoint: Endpoint<M>) -> Result<Self, BrokerError> {
        connect::connect(secret, endpoint, Mt5Settings::default()).await
    }

    fn account_report(&self) -> &AccountReport {
        &self.report
    }

    async fn disconnect(self) {
        // The link is plain HTTP requests: dropping the client closes its pooled connections.
        drop(self);
    }
}
