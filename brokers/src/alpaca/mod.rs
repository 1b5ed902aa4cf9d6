//! Alpaca paper and live trading through the [`apca`] crate (cargo feature `alpaca`).
//!
//! [`Alpaca<M>`](Alpaca) implements [`Broker<M>`](airlock_core::Broker) and
//! [`AccountBroker<M>`](crate::AccountBroker) for `Paper` and, with the cargo feature `live`,
//! `Live`. It is built only from `Credentials<M>` and an `Endpoint<M>`, so the host is fixed by
//! the mode: `paper-api.alpaca.markets` for paper, the live host (in `live` builds only) for live, and a loopback
//! simulator only under the test setting, which live refuses.
//!
//! # Connecting and the account kind
//!
//! Connect reads `GET /v2/account`. No field of Alpaca's account says "paper"; paper keys
//! authenticate only at the paper host and live keys only at the live host, so the
//! [`AccountReport`](crate::AccountReport)'s kind is the kind of the host that accepted the keys
//! (a loopback simulator counts as paper, with evidence naming the address and the test
//! setting). A 401 or 403 there is fatal and names the credential variables, never their values.
//! Connect then takes over our open orders (so they can be cancelled or replaced by our id after
//! a restart) and starts the trade-updates stream.
//!
//! # Order statuses
//!
//! *Working* below means `accepted` when nothing has filled and `partially_filled` otherwise.
//!
//! | Alpaca | ours | why |
//! |---|---|---|
//! | `new`, `accepted`, `pending_new`, `accepted_for_bidding` | working | Alpaca holds the order; it can still fill or be cancelled |
//! | `partially_filled` | `partially_filled` | |
//! | `filled` | `filled` | |
//! | `done_for_day` | working | no more fills today, but the order lives on (a GTC order resumes) |
//! | `canceled` | `cancelled` | |
//! | `expired` | `expired` | |
//! | `replaced` | working | this Alpaca order ended, our order lives on in its replacement |
//! | `pending_cancel`, `pending_replace` | working | nothing is final until Alpaca confirms |
//! | `pending_review` | working | under review; may still be accepted |
//! | `stopped` | working | a trade is guaranteed but has not happened |
//! | `rejected` | `rejected` | (on the stream, a rejection after acceptance is reported as `cancelled`, since our lifecycle rejects only new orders) |
//! | `suspended` | working | not eligible for trading now, still cancellable |
//! | `calculated` | working, or `filled` when fully filled | done for the day, settlement pending |
//! | `held` | working | held back (e.g. a bracket leg waiting for its trigger) |
//! | anything newer | working | an unknown status never invents a final one |
//!
//! Our `new` is never reported: an acknowledged order is at least `accepted`.
//!
//! # Errors
//!
//! See the table in `error.rs`: 403 (insufficient buying power or shares), 404 and 422 are
//! `Rejected` with Alpaca's message; 429, 5xx, timeouts and connection failures are `Transient`;
//! 401 and unreadable answers are `Fatal`. Every REST call first waits for a token of the
//! client-side [`RateLimiter`] (200 a minute by default, slowed down further by each 429) and is
//! given `request_timeout` to answer. apca does not expose response headers, so a 429's retry
//! time is the limiter's estimate, not Alpaca's `X-RateLimit-Reset`.
//!
//! # Client order ids, retries and replaces
//!
//! Our [`ClientOrderId`](airlock_core::ClientOrderId) is Alpaca's `client_order_id`. Alpaca
//! refuses an id it has seen before (HTTP 422 "client_order_id must be unique"), even of a
//! cancelled order, so a retry is sent with the same id and a duplicate answer (or a lost one)
//! is resolved by looking the id up: see `orders.rs`. [`submit_with_retry`] does this for
//! transient failures with a bounded back-off.
//!
//! Alpaca's replace creates a new order with a new Alpaca id. Its client id is derived from ours
//! (`{ours}.r{n}`, see [`MAX_REPLACEMENTS`]), so every update and every listed order maps back to
//! our id without any state, also after a restart; `cancel(ours)` cancels the newest leg.
//! `ReplaceRequest::quantity` is our order's new *total*; the replacement is sent for what is
//! left to fill (total − filled so far), always explicitly.
//!
//! # Events
//!
//! The trade-updates stream is read directly (apca's reader drops each fill's `price`, `qty`
//! and `execution_id`), each update mapped to our id and deduplicated by execution id and
//! cumulative quantity. On a disconnect the stream reconnects with back-off and catches up over
//! REST, and after a long disconnect our open orders are cancelled once (Alpaca has no
//! cancel-on-disconnect): see the event pump, `pump.rs`. A fill the stream missed is reported
//! with the reason [`CATCH_UP_REASON`], priced from `filled_avg_price` (see `book.rs`). Alpaca
//! reports neither fees nor liquidity on trade updates: fills carry a zero fee and `taker`.
//!
//! An Alpaca account is assumed to be Airlock's alone: every order whose client id reads as one
//! of our ids is reported and, after a long disconnect, cancelled.

mod book;
mod broker;
mod config;
mod connect;
mod convert;
mod error;
mod ids;
mod limiter;
mod orders;
mod pump;
mod retry;
mod status;
mod stream;
#[cfg(test)]
mod test_data;

pub use book::{CATCH_UP_REASON, REPLACED_REASON};
pub use broker::{Alpaca, AssetInfo, MarketClock, OrderFilter};
pub use config::{AlpacaConfig, Backoff, RetryPolicy};
pub use ids::MAX_REPLACEMENTS;
pub use limiter::RateLimiter;
pub use retry::submit_with_retry;
