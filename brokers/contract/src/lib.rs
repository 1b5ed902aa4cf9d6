//! The broker contract suite: the same scenarios, run against every `Broker<M>` implementation
//! (the internal matching engine, Alpaca against the loopback simulator, MetaTrader 5 through the
//! real bridge program and its terminal emulator), so behaviour stays identical where it should.
//!
//! A [`Venue`] is a broker plus the one lever every scenario needs: trading a bar of market data
//! at the venue ([`Venue::bar`]). The scenarios in [`scenarios`] drive any venue through the
//! [`Harness`], which keeps every event the broker reported, so no event is lost between two
//! waits and none is counted twice.
//!
//! Where venues legitimately differ (a margin account's cash, a buying-power check the engine
//! leaves to the risk manager), the venue says so in its [`Differences`], and the scenario asserts
//! the venue's own behaviour: every branch asserts something, nothing is skipped. The table of
//! differences lives in `brokers/README.md`.
//!
//! Must not: reach any host but loopback; name a live endpoint.

#![allow(
    clippy::panic,
    reason = "a test-support crate: a failed expectation panics, as in any test"
)]

mod harness;
pub mod scenarios;

pub use harness::{
    Differences, Harness, IdenticalResend, Setup, Venue, WAIT, client_id, money, price, quantity,
};
