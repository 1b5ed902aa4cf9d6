//! The broker contract suite: the same scenarios, run against every `Broker<M>` implementation
//! (the internal matching engine, Alpaca against the loopback simulator, MetaTrader 5 through the
//! real bridge program and its terminal emulator), so behaviour stays identical where it should.
//!
//! Must not: reach any host but loopback; name a live endpoint.
