//! The internal matching engine: the simulated venue of backtests and dry runs.
//!
//! Synchronous, deterministic and free of I/O: the same calls in the same order always give the
//! same events, fills and ledgers. Time is whatever the caller passes in.
//!
//! # The book
//! Each symbol has a price-time-priority book of resting limit orders from any number of
//! accounts. An arriving order that is marketable (a market order, or a limit that crosses)
//! first trades against the opposite side of the book: best price first, oldest first within a
//! price, at the resting order's price, with partial fills. The resting order's fill is flagged
//! `maker`, the arriving order's `taker`. Matches between orders are not limited by the
//! participation cap (that caps market-data liquidity only).
//!
//! **Self-trade prevention: skip.** An arriving order never trades with a resting order of its
//! own account: it passes over it, and the resting order keeps its place and priority. So a
//! strategy's own orders never interact; each trades against other accounts and the candles.
//!
//! What rests in the book: limit orders and triggered stop-limits with time in force DAY or GTC.
//! Market orders, untriggered stops and IOC/FOK orders never rest: they wait for candles only.
//! An FOK order trades against the book only when the book can fill it completely; otherwise it
//! leaves the book alone and waits for its first eligible bar.
//!
//! # Candles
//! In a backtest, market data supplies liquidity. [`MatchingEngine::on_candle`] for a symbol
//! first expires DAY orders whose trading day has passed (a DAY order is valid for the UTC
//! calendar day of the first candle it becomes eligible on, and expires on the first candle of a
//! later day), then trades the candle against the symbol's working orders in time priority
//! (submission order; a replace that changes a price or raises the quantity sends an order to
//! the back). Every order submitted after a candle is eligible from the next candle on.
//!
//! Fill model [`FillModel::NextOpen`] (the default), per order and candle:
//! - market: fills at the open;
//! - buy limit: at the open if open ≤ limit (a gap through the limit gives the better price,
//!   `taker`), else at the limit if low ≤ limit (`maker`); sell limits mirror with the high;
//! - buy stop: triggers at the open if open ≥ stop and fills there (gap-through), else at the stop
//!   if high ≥ stop; sell stops mirror with the low. A triggered stop that could not fill
//!   completely (participation cap) fills its rest at later opens, like a market order;
//! - stop-limit: once triggered it is a limit at its limit price. On the trigger bar it fills only
//!   at the trigger price (the open or the stop) and only if that is within the limit; otherwise
//!   it first trades with crossing resting orders of other accounts and then rests as a limit,
//!   evaluated from the next bar.
//!
//! Slippage worsens market and stop fill prices (buys up, sells down, by `slippage` × price). A
//! stop-limit's trigger fill is slipped too but never beyond its limit; limit fills and book
//! matches are never slipped.
//!
//! Fill model [`FillModel::Close`]: a market order submitted after bar t's candle fills at once at
//! bar t's close (the symbol's last close; with no candle seen yet it waits for the next open).
//! A limit marketable against that close fills at the close at once. Stops are not evaluated at
//! the close. Everything that stays working is evaluated on later bars exactly as in `NextOpen`.
//!
//! Participation cap `Some(f)`: the candle fills at most `f × volume` (rounded down to 10⁻⁹ units)
//! per symbol, across all orders in time priority (under `Close`, the fills at the close share
//! the same candle's budget). The remainder stays working for the next bar. **A zero-volume
//! candle then fills nothing.** Without a cap, volume is ignored.
//!
//! Time in force: GTC rests until filled or cancelled. IOC fills what it can on its first
//! eligible bar (its first candle, or the close at submit under `Close`; for stops, the bar the
//! stop triggers on) and the rest is cancelled. FOK fills completely on that bar or is cancelled
//! with no fill.
//!
//! # Ledgers
//! Every account has cash, fees paid and positions (core [`Position`](airlock_core::Position),
//! with average price and realised P&L). A fill of `q` at `p` pays `p × q × fee rate`; an order's
//! first fill also pays the top-up to [`FeeSchedule::minimum_per_order`]. A buy's cash falls by
//! notional + fee, a sell's rises by notional − fee, all in exact integers, so for every account
//! `cash + fees + Σ signed fill notional = initial cash` to the last 10⁻⁹. There are no margin
//! rules: cash may go negative. Buying power is enforced by the backtest's pre-trade checks, not
//! here.
//!
//! Reduce-only orders: refused at submit when they would increase or flip the position; at fill
//! time cut to what closes the position, with any remainder cancelled.
//!
//! # Events
//! Every accepted submit queues `accepted` (a refused reduce-only order queues `rejected`), every
//! fill queues an event with the fill and the new status, and cancels, expiries, IOC/FOK
//! remainders, reduce-only remainders and replaces queue theirs, with a reason. Order states
//! change only through core's [`Order::apply`](airlock_core::Order::apply). Fills caused by a
//! candle are stamped with the candle's timestamp; everything else with the caller's `now`.

mod book;
mod config;
mod engine;
mod error;
mod flow;
mod ledger;
mod prices;
mod slab;

pub use config::{ConfigError, EngineConfig, FeeSchedule, FillModel, FillModelError};
pub use engine::{MatchingEngine, SymbolSlot};
pub use error::{CancelError, ReplaceError, SubmitError};

#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod script;
#[cfg(test)]
mod tests;
