//! Integration tests of the Alpaca simulator, all on loopback: raw HTTP and WebSocket checks of
//! the wire format, and apca (Alpaca's Rust client) trading against it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly by design"
)]

mod apca_client;
mod common;
mod http;
mod orders;
mod stream;
