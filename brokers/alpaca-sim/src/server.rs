//! The state every request shares, the routes, and the serving task.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::http::HeaderMap;
use axum::middleware;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

use crate::auth::{KEY_ID_HEADER, KeyPair, SECRET_KEY_HEADER};
use crate::gate::{self, GateState};
use crate::net::{Connection, CuttableListener};
use crate::rest;
use crate::state::SimState;
use crate::stream;

/// How many trade updates a slow stream client may fall behind before it is disconnected.
const UPDATE_BUFFER: usize = 4096;

/// Everything the handlers and the handle share. Locks are never held across an `.await`.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<SimState>,
    gate: Mutex<GateState>,
    keys: KeyPair,
    updates: broadcast::Sender<Arc<str>>,
    drops: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
    blocked: AtomicBool,
}

impl Shared {
    pub(crate) fn new(
        state: impl FnOnce(broadcast::Sender<Arc<str>>) -> SimState,
        gate: GateState,
        keys: KeyPair,
    ) -> Self {
        let (updates, _) = broadcast::channel(UPDATE_BUFFER);
        Self {
            state: Mutex::new(state(updates.clone())),
            gate: Mutex::new(gate),
            keys,
            updates,
            drops: watch::Sender::new(0),
            shutdown: watch::Sender::new(false),
            blocked: AtomicBool::new(false),
        }
    }

    /// The venue. A panic while it was held cannot leave it half-updated in a way a later
    /// request could notice worse than the panic itself, so a poisoned lock is taken over.
    pub(crate) fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn gate(&self) -> MutexGuard<'_, GateState> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when the request carries the accepted key pair in Alpaca's headers.
    pub(crate) fn authorized(&self, headers: &HeaderMap) -> bool {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        match (header(KEY_ID_HEADER), header(SECRET_KEY_HEADER)) {
            (Some(key_id), Some(secret_key)) => self.keys.matches(key_id, secret_key),
            _ => false,
        }
    }

    pub(crate) fn credentials_match(&self, key_id: &str, secret_key: &str) -> bool {
        self.keys.matches(key_id, secret_key)
    }

    pub(crate) fn streams_blocked(&self) -> bool {
        self.blocked.load(Ordering::SeqCst)
    }

    pub(crate) fn block_streams(&self, blocked: bool) {
        self.blocked.store(blocked, Ordering::SeqCst);
    }

    /// Closes every open trade-updates connection.
    pub(crate) fn drop_streams(&self) {
        self.drops
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    pub(crate) fn drop_signal(&self) -> watch::Receiver<u64> {
        self.drops.subscribe()
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub(crate) fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    pub(crate) fn subscribe_updates(&self) -> broadcast::Receiver<Arc<str>> {
        self.updates.subscribe()
    }

    /// True once: the next order-creating request must lose its response.
    pub(crate) fn take_lose_next(&self) -> bool {
        std::mem::take(&mut self.gate().faults.lose_next)
    }
}

/// The REST routes behind the gate, and the stream beside it.
fn router(shared: Arc<Shared>) -> Router {
    let rest = Router::new()
        .route("/v2/account", get(rest::account))
        .route("/v2/clock", get(rest::clock))
        .route("/v2/assets", get(rest::assets))
        .route("/v2/assets/{symbol_or_asset_id}", get(rest::asset))
        .route(
            "/v2/orders",
            get(rest::list_orders)
                .post(rest::create_order)
                .delete(rest::cancel_all),
        )
        .route(
            "/v2/orders:by_client_order_id",
            get(rest::order_by_client_id),
        )
        .route(
            "/v2/orders/{order_id}",
            get(rest::get_order)
                .patch(rest::replace_order)
                .delete(rest::cancel_order),
        )
        .route(
            "/v2/positions",
            get(rest::positions).delete(rest::close_all_positions),
        )
        .route(
            "/v2/positions/{symbol_or_asset_id}",
            get(rest::position).delete(rest::close_position),
        )
        .fallback(rest::unknown_endpoint)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            gate::gate,
        ));
    Router::new()
        .route("/stream", get(stream::upgrade))
        .merge(rest)
        .with_state(shared)
}

/// Serves `shared` on `listener` until [`Shared::shut_down`].
pub(crate) fn spawn(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown_signal();
    let app = router(Arc::clone(&shared)).into_make_service_with_connect_info::<Connection>();
    tokio::spawn(async move {
        let stop = async move {
            while !*shutdown.borrow_and_update() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        // Serving ends only on shutdown; an accept error is retried inside the listener.
        let _ = axum::serve(CuttableListener(listener), app)
            .with_graceful_shutdown(stop)
            .await;
    });
}
