//! [`Venue`], [`Differences`] and the [`Harness`] that drives a venue through the scenarios.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use airlock_core::{
    Broker, BrokerError, BrokerEvent, Candle, ClientOrderId, Fill, Mode, Money, OrderKind,
    OrderRequest, OrderStatus, Price, Quantity, Side, SubmitAck, Symbol, TimeInForce, UnixNanos,
};
use futures_util::StreamExt;

/// How long a scenario waits for an event before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// How long [`Harness::settle`] keeps listening for late (duplicate or stray) events.
const SETTLE: Duration = Duration::from_millis(400);

/// What a venue answers when the very same order (same client order id, same fields) is sent a
/// second time, as a retry after a lost response would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdenticalResend {
    /// The venue (or our client, after looking the id up) acknowledges the existing order.
    Acknowledged,
    /// The venue refuses the id as already used; the caller must look the order up itself.
    Rejected,
}

/// The documented ways a venue differs from the others; see the table in `brokers/README.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Differences {
    /// True when buying pays the notional out of cash (a cash account: the matching engine,
    /// Alpaca). False for a margin account whose balance moves only with realised profit
    /// (MetaTrader 5).
    pub cash_pays_for_positions: bool,
    /// True when the venue refuses an order it cannot afford. The matching engine leaves that to
    /// the risk manager's pre-trade checks and lets cash go negative.
    pub checks_buying_power: bool,
    /// What a resend of the identical order gets.
    pub identical_resend: IdenticalResend,
}

/// The common set-up every venue is built with before a scenario starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The one instrument the scenarios trade.
    pub symbol: &'static str,
    /// Starting cash (account currency).
    pub cash: i64,
    /// At most this fraction of a bar's volume fills per bar (0.5: a bar of volume 10 fills at most
    /// 5), which is how the scenarios produce partial fills.
    pub participation: &'static str,
}

impl Setup {
    /// The set-up of every contract test: `AAPL`, 100,000 cash, participation 0.5, no fees, no
    /// slippage, no spread.
    pub const STANDARD: Setup = Setup {
        symbol: "AAPL",
        cash: 100_000,
        participation: "0.5",
    };
}

/// A broker under test, with the lever the scenarios move its market with.
pub trait Venue: Send {
    /// The mode the broker trades in.
    type Mode: Mode;
    /// The broker.
    type Broker: Broker<Self::Mode>;

    /// A short name for failure messages, e.g. `matching engine`.
    fn name(&self) -> &'static str;

    /// The broker.
    fn broker(&mut self) -> &mut Self::Broker;

    /// How this venue differs from the others.
    fn differences(&self) -> Differences;

    /// Trades one bar of `symbol` at the venue: working orders trade against it (within the
    /// participation cap), and its close becomes the symbol's last price, at which market orders
    /// then fill.
    fn bar(&mut self, symbol: &Symbol, candle: Candle) -> impl Future<Output = ()> + Send;
}

/// Drives one venue through a scenario and keeps every event its broker reported.
pub struct Harness<V: Venue> {
    venue: V,
    symbol: Symbol,
    log: Vec<BrokerEvent>,
    bars: u64,
}

/// The first bar's time: Monday 2026-01-05 14:30 UTC (a US session); bars follow a minute apart,
/// so every scenario stays within one trading day.
const FIRST_BAR: u64 = 1_767_623_400_000_000_000;

impl<V: Venue> Harness<V> {
    /// A harness for `venue`, which must have been built with [`Setup::STANDARD`].
    ///
    /// # Panics
    /// If the standard symbol does not parse (it does).
    pub fn new(venue: V) -> Self {
        #[expect(clippy::expect_used, reason = "a constant that parses")]
        let symbol = Symbol::parse(Setup::STANDARD.symbol).expect("the standard symbol parses");
        Self {
            venue,
            symbol,
            log: Vec::new(),
            bars: 0,
        }
    }

    /// The venue.
    pub fn venue(&mut self) -> &mut V {
        &mut self.venue
    }

    /// The venue's name.
    pub fn name(&self) -> &'static str {
        self.venue.name()
    }

    /// The venue's differences.
    pub fn differences(&self) -> Differences {
        self.venue.differences()
    }

    /// The traded symbol.
    pub fn symbol(&self) -> Symbol {
        self.symbol
    }

    /// The broker.
    pub fn broker(&mut self) -> &mut V::Broker {
        self.venue.broker()
    }

    /// Trades a bar of the standard symbol (prices in whole units, volume in shares).
    pub async fn bar(&mut self, open: i64, high: i64, low: i64, close: i64, volume: i64) {
        let candle = self.candle(open, high, low, close, volume);
        let symbol = self.symbol;
        self.venue.bar(&symbol, candle).await;
    }

    /// A bar at one price with ample volume: sets the last price, fills nothing that is not
    /// marketable at that price.
    pub async fn flat(&mut self, price: i64) {
        self.bar(price, price, price, price, 1_000_000).await;
    }

    fn candle(&mut self, open: i64, high: i64, low: i64, close: i64, volume: i64) -> Candle {
        let ts = UnixNanos::new(FIRST_BAR + self.bars * 60 * 1_000_000_000);
        self.bars += 1;
        let candle = Candle::new(
            ts,
            price(open),
            price(high),
            price(low),
            price(close),
            quantity(volume),
        );
        match candle {
            Ok(candle) => candle,
            Err(error) => panic!("scenario bar {open}/{high}/{low}/{close}: {error}"),
        }
    }

    /// Builds an order of the standard symbol.
    ///
    /// # Panics
    /// On an id or order a scenario got wrong.
    pub fn order(
        &self,
        id: &str,
        side: Side,
        kind: OrderKind,
        quantity_units: i64,
        time_in_force: TimeInForce,
    ) -> OrderRequest {
        let request = OrderRequest::new(
            client_id(id),
            self.symbol,
            side,
            kind,
            quantity(quantity_units),
            time_in_force,
        );
        match request {
            Ok(request) => request,
            Err(error) => panic!("scenario order {id}: {error}"),
        }
    }

    /// Submits an order.
    pub async fn submit(&mut self, request: OrderRequest) -> Result<SubmitAck, BrokerError> {
        self.venue.broker().submit(request).await
    }

    /// Submits an order that must be accepted.
    ///
    /// # Panics
    /// When the broker refuses it.
    pub async fn submit_ok(&mut self, request: OrderRequest) -> SubmitAck {
        let id = request.client_order_id().clone();
        match self.submit(request).await {
            Ok(ack) => {
                assert_eq!(
                    ack.client_order_id,
                    id,
                    "{}: the ack names our id",
                    self.name()
                );
                ack
            }
            Err(error) => panic!("{}: submit {id}: {error}", self.name()),
        }
    }

    /// Waits until the broker reported `status` for order `id` (or, for a non-terminal status,
    /// any later state of it), reading events for at most [`WAIT`].
    ///
    /// # Panics
    /// When it does not happen in time, listing the events seen for `id`.
    pub async fn wait_for(&mut self, id: &str, status: OrderStatus) {
        let id = client_id(id);
        let reached = |log: &[BrokerEvent]| {
            log.iter().any(|event| {
                event.client_order_id == id
                    && (event.status == status
                        || (!status.is_terminal() && event.status.is_terminal()))
            })
        };
        if !self.pump_until(reached, WAIT).await {
            panic!(
                "{}: order {id} never reached {status:?} within {WAIT:?}; its events: {:?}",
                self.name(),
                self.events_of(id.as_str())
            );
        }
    }

    /// Keeps listening a little longer, so late duplicates or stray events show up in the log.
    pub async fn settle(&mut self) {
        self.pump_until(|_| false, SETTLE).await;
    }

    /// Reads events into the log until `done` holds or `budget` runs out; true if `done` held.
    async fn pump_until(
        &mut self,
        done: impl Fn(&[BrokerEvent]) -> bool,
        budget: Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + budget;
        loop {
            if done(&self.log) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            // One stream per round; a simulated broker's stream ends once drained, so a round
            // that ends early sleeps briefly and asks again.
            let mut ended = false;
            {
                let mut stream = pin!(self.venue.broker().events());
                loop {
                    if done(&self.log) {
                        return true;
                    }
                    let now = tokio::time::Instant::now();
                    if now >= deadline {
                        break;
                    }
                    let slice = (deadline - now).min(Duration::from_millis(100));
                    match tokio::time::timeout(slice, stream.next()).await {
                        Ok(Some(event)) => self.log.push(event),
                        Ok(None) => {
                            ended = true;
                            break;
                        }
                        Err(_) => {}
                    }
                }
            }
            if ended {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Every event reported for `id`, in order.
    pub fn events_of(&self, id: &str) -> Vec<&BrokerEvent> {
        self.log
            .iter()
            .filter(|event| event.client_order_id.as_str() == id)
            .collect()
    }

    /// Every fill reported for `id`, in order.
    pub fn fills_of(&self, id: &str) -> Vec<&Fill> {
        self.events_of(id)
            .into_iter()
            .filter_map(|event| event.fill.as_ref())
            .collect()
    }

    /// The total quantity filled for `id`, from the fill events.
    pub fn filled_of(&self, id: &str) -> Quantity {
        self.fills_of(id)
            .iter()
            .fold(Quantity::ZERO, |total, fill| {
                total.checked_add(fill.quantity).unwrap_or(Quantity::MAX)
            })
    }

    /// Checks the log is a history a broker may report: for every order, nothing after a
    /// terminal event, fills only of the order's symbol with positive quantities, and no fill
    /// reported twice.
    ///
    /// # Panics
    /// On the first violation.
    pub fn assert_log_consistent(&self) {
        let mut finished: Vec<&ClientOrderId> = Vec::new();
        let mut fills: Vec<&Fill> = Vec::new();
        for event in &self.log {
            assert!(
                !finished.contains(&&event.client_order_id),
                "{}: event after a terminal state for {}: {event:?}",
                self.name(),
                event.client_order_id
            );
            if event.status.is_terminal() {
                finished.push(&event.client_order_id);
            }
            if let Some(fill) = &event.fill {
                assert_eq!(
                    fill.client_order_id,
                    event.client_order_id,
                    "{}",
                    self.name()
                );
                assert!(fill.quantity.is_positive(), "{}: {fill:?}", self.name());
                assert!(
                    !fills.contains(&fill),
                    "{}: the same fill was reported twice: {fill:?}",
                    self.name()
                );
                fills.push(fill);
            }
        }
    }
}

/// A whole-unit price.
///
/// # Panics
/// Outside the representable range (scenarios use small numbers).
pub fn price(units: i64) -> Price {
    match Price::from_units(units) {
        Some(price) => price,
        None => panic!("price {units} out of range"),
    }
}

/// A whole-unit quantity.
///
/// # Panics
/// Outside the representable range (scenarios use small numbers).
pub fn quantity(units: i64) -> Quantity {
    match Quantity::from_units(units) {
        Some(quantity) => quantity,
        None => panic!("quantity {units} out of range"),
    }
}

/// Whole-unit money.
pub fn money(units: i64) -> Money {
    Money::from_units(units)
}

/// A client order id.
///
/// # Panics
/// On an id a scenario got wrong.
pub fn client_id(text: &str) -> ClientOrderId {
    match ClientOrderId::parse(text) {
        Ok(id) => id,
        Err(error) => panic!("scenario id {text}: {error}"),
    }
}
