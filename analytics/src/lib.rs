//! Analytics of a finished run: what it earned, how it got there, and how to show it.
//!
//! Owns: FIFO matching of fills into round-trip trades ([`round_trips`]); the equity curve's
//! returns and drawdowns; the statistics quants compare runs by ([`statistics`], following the
//! empyrical / quantstats conventions, each formula documented on [`Statistics`]); the inference
//! of periods per year from timestamps ([`periods_per_year`]); and the [`Report`] that bundles it
//! all, written as JSON (a CLI contract), as a self-contained HTML page with SVG charts, or as a
//! text table for the terminal.
//!
//! Must not: perform any I/O other than writing to a `std::io::Write` the caller hands in; read
//! the clock or the environment; depend on any Airlock crate but `airlock-core`. Ledgers stay
//! exact: fills and round-trip P&L use core's fixed-point [`Money`](airlock_core::Money); `f64`
//! appears only in statistics and charts, and never as NaN or infinity in output.
//!
//! Feature flags: none.

mod drawdown;
mod format;
mod html;
mod periods;
mod report;
mod stats;
mod svg;
mod trades;

pub use periods::periods_per_year;
pub use report::{Report, ReportError};
pub use stats::{AnalyticsInput, Statistics, statistics};
pub use trades::{RoundTrip, round_trips};
