//! Integration tests of the `airlock` binary: one test binary for the crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly by design"
)]

mod cli;
mod guards;
mod pg;
mod questdb;
mod questdb_server;
mod redis;
mod sim_cli;
mod storage_cli;
mod store;
