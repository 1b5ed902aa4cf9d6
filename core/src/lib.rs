//! The vocabulary and contracts of Airlock.
//!
//! Owns: the [`Mode`] markers that make backtest, dry-run, paper and live different *types*; exact
//! fixed-point [`Price`], [`Quantity`], [`Money`] and [`Rate`]; identifiers ([`Symbol`],
//! [`ClientOrderId`], [`BrokerOrderId`]); order requests and the order lifecycle state machine;
//! fills; positions; candles; [`EnvSnapshot`], the map the runtime captures the environment into;
//! and the [`Broker`], [`Strategy`] and [`CandleSource`] traits that the other crates implement.
//!
//! Must not: perform I/O, read the clock or the environment, spawn tasks, or depend on any other
//! Airlock crate. Everything here is synchronous and deterministic, except the *signatures* of the
//! async [`Broker`] trait.
//!
//! Feature flags: `live` makes the `Live` mode marker exist. Without it no code can name
//! live trading, so a build without the feature cannot route a live order by construction.
#![warn(missing_docs)]

pub mod broker;
pub mod candle;
pub mod env;
pub mod fill;
pub mod ids;
pub mod lifecycle;
pub mod mode;
pub mod num;
pub mod order;
pub mod position;
pub mod strategy;
pub mod time;
pub mod timeframe;

pub use broker::{
    AccountSnapshot, Broker, BrokerError, BrokerEvent, OrderReport, ReplaceRequest, SubmitAck,
};
pub use candle::{Candle, CandleError, CandleSource, TimeRange};
pub use env::EnvSnapshot;
pub use fill::{Fill, Liquidity};
pub use ids::{AccountId, BrokerOrderId, ClientOrderId, IdError, Symbol};
pub use lifecycle::{Order, OrderEvent, OrderStatus, TransitionError};
#[cfg(feature = "live")]
pub use mode::Live;
pub use mode::{
    AccountKind, Backtest, BrokerAccount, DryRun, Mode, ModeTag, NotLive, Paper, Simulated,
};
pub use num::{Money, NumError, Price, Quantity, Rate, SCALE};
pub use order::{OrderError, OrderKind, OrderRequest, Side, TimeInForce};
pub use position::Position;
pub use strategy::{PortfolioView, Signal, Strategy, Target};
pub use time::UnixNanos;
pub use timeframe::{Timeframe, TimeframeError};
