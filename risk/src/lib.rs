//! Airlock's risk manager: the pre-trade checks every order passes, in every mode.
//!
//! Owns: [`RiskManager`] (the rules, the [`TradingState`] with its explicit [`TRANSITIONS`]
//! table, the account picture the rules are judged on), [`RiskLimits`] (the `[risk]` table of an
//! environment file), [`RiskEvent`]s for every transition and refusal, and [`Approved`], the only
//! kind of order the broker-facing path accepts — which only this crate can create.
//!
//! The rules fail closed: an absent limit refuses the order, a missing, zero or negative price
//! blocks it (never replaced by a default), and the manager starts Halted until the caller
//! confirms its state. Working orders count towards position and exposure limits.
//!
//! Must not: perform I/O, read the clock or the environment, or depend on any Airlock crate but
//! core. Time, prices, fills and equity are passed in; events are handed out through
//! [`RiskManager::drain_events`] for the runtime to persist. No feature flags.

mod approved;
mod book;
mod event;
mod exact;
mod limits;
mod manager;
mod rule;
mod rules;
mod session;
mod state;

#[cfg(test)]
mod property_tests;

pub use approved::Approved;
pub use event::{RiskEvent, RiskEventKind};
pub use limits::{PriceCollar, RiskLimits, Throttle};
pub use manager::RiskManager;
pub use rule::{Refusal, Rule};
pub use session::{Session, SessionError};
pub use state::{TRANSITIONS, TradingState, TransitionError, Trigger, next_state};
