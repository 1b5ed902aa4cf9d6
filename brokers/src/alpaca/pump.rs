//! The event pump: one task per connected broker that reads the trade-updates stream, keeps it
//! alive, and turns what it reads into [`BrokerEvent`]s on a bounded channel.
//!
//! - **Reconnect.** When the stream ends, fails, or stays silent for three heartbeats, the pump
//!   reconnects after [`Backoff::delay`](super::Backoff::delay) (250 ms doubling to 30 s by
//!   default), for as long as the broker lives.
//! - **Catch-up.** After every reconnect, and again until it succeeds, it lists our orders
//!   (the newest 500, and any older one still open in the book one by one) over REST and feeds
//!   each snapshot to the [`Book`], which emits exactly what the stream missed (status changes,
//!   and fills computed from `filled_qty`/`filled_avg_price`). Updates that arrive on the new
//!   stream while the catch-up runs are deduplicated by the book.
//! - **Cancel after a long disconnect.** Alpaca has no cancel-on-disconnect. When the stream has
//!   been down longer than `cancel_open_orders_after`, the pump cancels our open orders once, as
//!   soon as the REST API answers, logs it, and runs a catch-up so the cancellations are reported
//!   as events right away.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use airlock_core::{BrokerEvent, BrokerOrderId, ClientOrderId};
use apca::api::v2::{order, orders};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::book::Book;
use super::config::AlpacaConfig;
use super::connect::Api;
use super::convert::{LegSnapshot, order_id};
use super::error::CallError;
use super::stream::{self, Frame, Socket};

/// What the broker and its pump share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The REST client.
    pub(crate) api: Api,
    /// Our orders.
    pub(crate) book: Mutex<Book>,
    /// The tunables.
    pub(crate) config: AlpacaConfig,
}

impl Shared {
    /// The book, locked (never across an `.await`).
    pub(crate) fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why the reading of a connected stream stopped.
enum ReadEnd {
    /// The broker was dropped or disconnected: stop for good.
    ReceiverGone,
    /// The stream broke: reconnect.
    Disconnected(String),
}

/// Runs until the broker's event receiver is dropped. `socket` is the stream connect already
/// opened (before it took over the open orders, so nothing needs catching up), if it could.
pub(crate) async fn run(
    shared: Arc<Shared>,
    events: mpsc::Sender<BrokerEvent>,
    mut socket: Option<Socket>,
) {
    let mut down_since = socket.is_none().then(Instant::now);
    let mut need_catch_up = socket.is_none();
    let mut cancelled_this_outage = false;
    let mut attempt = 0_u32;
    loop {
        if let Some(mut connected) = socket.take() {
            match read(&shared, &mut connected, &events, need_catch_up).await {
                ReadEnd::ReceiverGone => return,
                ReadEnd::Disconnected(reason) => {
                    tracing::warn!(%reason, "alpaca trade-updates stream lost; reconnecting");
                    down_since = Some(Instant::now());
                    cancelled_this_outage = false;
                    attempt = 0;
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(shared.config.reconnect.delay(attempt)) => {}
            () = events.closed() => return,
        }
        attempt = attempt.saturating_add(1);
        if let (Some(since), Some(after)) = (down_since, shared.config.cancel_open_orders_after)
            && !cancelled_this_outage
            && since.elapsed() >= after
        {
            match cancel_open_orders(&shared).await {
                Ok(count) => {
                    cancelled_this_outage = true;
                    tracing::warn!(
                        cancelled = count,
                        down_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
                        after_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                        "alpaca trade-updates stream down too long: cancelled our open orders"
                    );
                    if let Ok(caught_up) = catch_up(&shared).await
                        && !send_all(&events, caught_up).await
                    {
                        return;
                    }
                }
                Err(error) => tracing::warn!(
                    error = %shared.api.fail(error, "cancel open orders"),
                    "alpaca unreachable: open orders will be cancelled once it answers"
                ),
            }
        }
        match stream::connect(&shared.api, shared.config.request_timeout).await {
            Ok(connected) => {
                tracing::info!(attempt, "alpaca trade-updates stream connected");
                socket = Some(connected);
                down_since = None;
                need_catch_up = true;
            }
            Err(reason) => tracing::warn!(attempt, %reason, "alpaca trade-updates stream down"),
        }
    }
}

/// Reads a connected stream until it breaks, catching up first when asked (and retrying the
/// catch-up until it succeeds).
async fn read(
    shared: &Shared,
    socket: &mut Socket,
    events: &mpsc::Sender<BrokerEvent>,
    mut need_catch_up: bool,
) -> ReadEnd {
    let heartbeat = shared
        .config
        .stream_heartbeat
        .max(Duration::from_millis(10));
    let mut last_frame = Instant::now();
    loop {
        if need_catch_up {
            match catch_up(shared).await {
                Ok(caught_up) => {
                    need_catch_up = false;
                    if !send_all(events, caught_up).await {
                        return ReadEnd::ReceiverGone;
                    }
                }
                Err(error) => tracing::warn!(
                    error = %shared.api.fail(error, "catch up"),
                    "alpaca catch-up failed; retrying"
                ),
            }
        }
        let wait = if need_catch_up {
            heartbeat.min(
                shared
                    .config
                    .reconnect
                    .initial
                    .max(Duration::from_millis(10)),
            )
        } else {
            heartbeat
        };
        let next = tokio::select! {
            next = tokio::time::timeout(wait, socket.next()) => next,
            () = events.closed() => return ReadEnd::ReceiverGone,
        };
        let message = match next {
            Err(_idle) => {
                if last_frame.elapsed() >= heartbeat.saturating_mul(3) {
                    return ReadEnd::Disconnected(format!(
                        "no frame for {} ms",
                        last_frame.elapsed().as_millis()
                    ));
                }
                if last_frame.elapsed() >= heartbeat
                    && let Err(error) = socket.send(Message::Ping(Vec::new().into())).await
                {
                    return ReadEnd::Disconnected(format!("ping: {error}"));
                }
                continue;
            }
            Ok(None) => return ReadEnd::Disconnected("closed by the server".into()),
            Ok(Some(Err(error))) => {
                return ReadEnd::Disconnected(shared.api.redact(error.to_string()));
            }
            Ok(Some(Ok(message))) => message,
        };
        last_frame = Instant::now();
        if let Message::Close(_) = message {
            return ReadEnd::Disconnected("closed by the server".into());
        }
        match stream::read_frame(&message) {
            Frame::Update(update) => {
                let emitted = shared.book().on_update(&update);
                if !send_all(events, emitted).await {
                    return ReadEnd::ReceiverGone;
                }
            }
            Frame::Foreign | Frame::Control => {}
            Frame::Unreadable(reason) => {
                tracing::warn!(
                    reason = %shared.api.redact(reason),
                    "alpaca trade update unreadable; catching up over REST"
                );
                need_catch_up = true;
            }
        }
    }
}

async fn send_all(events: &mpsc::Sender<BrokerEvent>, batch: Vec<BrokerEvent>) -> bool {
    for event in batch {
        if events.send(event).await.is_err() {
            return false;
        }
    }
    true
}

/// Lists our orders and returns the events the stream missed.
pub(crate) async fn catch_up(shared: &Shared) -> Result<Vec<BrokerEvent>, CallError> {
    let request = orders::ListReq {
        status: orders::Status::All,
        limit: Some(500),
        nested: true,
        ..orders::ListReq::default()
    };
    let listed = shared.api.call::<orders::List>(&request).await?;
    let mut snapshots = readable(&listed);
    let missing: Vec<BrokerOrderId> = {
        let book = shared.book();
        // Our known orders, and any open one we have not heard of: created after connect (the
        // connect took over every open order), e.g. by a submit whose answer was lost. Finished
        // orders we never knew are history.
        snapshots
            .retain(|snapshot| book.contains(&snapshot.ours) || !snapshot.status().is_terminal());
        book.open_legs()
            .into_iter()
            .map(|(_, leg)| leg)
            .filter(|leg| {
                !snapshots
                    .iter()
                    .any(|snapshot| snapshot.broker_order_id == *leg)
            })
            .collect()
    };
    // Orders older than the newest 500: one by one.
    for leg in missing {
        let Ok(id) = order_id(&leg) else { continue };
        let order = shared.api.call::<order::Get>(&id).await?;
        snapshots.extend(readable(std::slice::from_ref(&order)));
    }
    snapshots.sort_by(|left, right| (&left.ours, left.leg).cmp(&(&right.ours, right.leg)));
    let mut book = shared.book();
    Ok(snapshots
        .iter()
        .flat_map(|snapshot| book.on_snapshot(snapshot))
        .collect())
}

/// The snapshots of the orders that are ours, warning about any that cannot be read.
pub(crate) fn readable(orders: &[order::Order]) -> Vec<LegSnapshot> {
    orders
        .iter()
        .filter_map(|order| match LegSnapshot::from_apca(order) {
            Ok(snapshot) => snapshot,
            Err(reason) => {
                tracing::warn!(
                    client_order_id = %order.client_order_id,
                    %reason,
                    "alpaca order unreadable; skipped"
                );
                None
            }
        })
        .collect()
}

/// Cancels every open order of ours; an order Alpaca says is not cancelable (already finished)
/// or unknown counts as done. Returns how many cancels Alpaca accepted.
async fn cancel_open_orders(shared: &Shared) -> Result<usize, CallError> {
    let open: Vec<(ClientOrderId, BrokerOrderId)> = shared.book().open_legs();
    let mut cancelled = 0;
    for (ours, leg) in open {
        let Ok(id) = order_id(&leg) else { continue };
        match shared.api.call::<order::Delete>(&id).await {
            Ok(()) => {
                cancelled += 1;
                tracing::warn!(client_order_id = %ours, "cancelled after a long disconnect");
            }
            Err(error) if matches!(error.status(), Some(404 | 422)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(cancelled)
}
