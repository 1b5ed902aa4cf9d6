//! The typed modes: the only file that defines them.
//!
//! A mode is a zero-sized marker type. Runtimes, brokers, credentials and stores are generic over
//! it, so a paper runtime given a live broker is a compile error, not a run-time check. The trait
//! is sealed: no code outside this crate can invent a mode.

use std::fmt;

use serde::{Deserialize, Serialize};

mod sealed {
    pub trait Sealed {}
}

/// The run-time mirror of a mode: for logs, headers, database tags and configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeTag {
    /// Replays history against the internal matching engine.
    Backtest,
    /// Runs live market data against the internal matching engine, on this machine.
    DryRun,
    /// Trades a broker's paper (demo) account.
    Paper,
    /// Trades a broker's real-money account.
    Live,
}

impl ModeTag {
    /// The lowercase name used in files, logs and headers: `backtest`, `dry_run`, `paper`, `live`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ModeTag::Backtest => "backtest",
            ModeTag::DryRun => "dry_run",
            ModeTag::Paper => "paper",
            ModeTag::Live => "live",
        }
    }
}

impl fmt::Display for ModeTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What kind of account a broker says it is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A paper, demo or contest account: no real money.
    Paper,
    /// A real-money account.
    Live,
}

/// A trading mode. Sealed: the four markers below are the only modes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an Airlock mode (Backtest, DryRun, Paper, Live)"
)]
pub trait Mode: sealed::Sealed + Send + Sync + 'static {
    /// The run-time mirror of this mode.
    const TAG: ModeTag;
    /// True only for the mode that can move real money.
    const REAL_MONEY: bool;
    /// The environment-variable prefix this mode's secrets live under, if it has any.
    const SECRET_NAMESPACE: Option<&'static str>;
    /// Prefixes of secrets that must not be visible at all while running in this mode.
    const FOREIGN_NAMESPACES: &'static [&'static str];
}

/// Modes that trade against the internal matching engine: [`Backtest`] and [`DryRun`].
pub trait Simulated: Mode {}

/// Modes that trade a broker account: [`Paper`] and `Live`.
pub trait BrokerAccount: Mode {
    /// The account kind the broker must report on connect.
    const ACCOUNT_KIND: AccountKind;
}

/// Every mode except `Live`.
pub trait NotLive: Mode {}

/// Replays history against the internal matching engine.
#[derive(Debug)]
pub enum Backtest {}
/// Live market data against the internal matching engine, on this machine.
#[derive(Debug)]
pub enum DryRun {}
/// A broker's paper (demo) account.
#[derive(Debug)]
pub enum Paper {}
/// A broker's real-money account. Exists only with the cargo feature `live`.
#[cfg(feature = "live")]
#[derive(Debug)]
pub enum Live {}

impl sealed::Sealed for Backtest {}
impl sealed::Sealed for DryRun {}
impl sealed::Sealed for Paper {}
#[cfg(feature = "live")]
impl sealed::Sealed for Live {}

const LIVE_NAMESPACE: &str = "AIRLOCK_LIVE";
const PAPER_NAMESPACE: &str = "AIRLOCK_PAPER";

impl Mode for Backtest {
    const TAG: ModeTag = ModeTag::Backtest;
    const REAL_MONEY: bool = false;
    const SECRET_NAMESPACE: Option<&'static str> = None;
    const FOREIGN_NAMESPACES: &'static [&'static str] = &[LIVE_NAMESPACE, PAPER_NAMESPACE];
}
impl Mode for DryRun {
    const TAG: ModeTag = ModeTag::DryRun;
    const REAL_MONEY: bool = false;
    const SECRET_NAMESPACE: Option<&'static str> = None;
    const FOREIGN_NAMESPACES: &'static [&'static str] = &[LIVE_NAMESPACE, PAPER_NAMESPACE];
}
impl Mode for Paper {
    const TAG: ModeTag = ModeTag::Paper;
    const REAL_MONEY: bool = false;
    const SECRET_NAMESPACE: Option<&'static str> = Some(PAPER_NAMESPACE);
    const FOREIGN_NAMESPACES: &'static [&'static str] = &[LIVE_NAMESPACE];
}
#[cfg(feature = "live")]
impl Mode for Live {
    const TAG: ModeTag = ModeTag::Live;
    const REAL_MONEY: bool = true;
    const SECRET_NAMESPACE: Option<&'static str> = Some(LIVE_NAMESPACE);
    const FOREIGN_NAMESPACES: &'static [&'static str] = &[PAPER_NAMESPACE];
}

impl Simulated for Backtest {}
impl Simulated for DryRun {}
impl BrokerAccount for Paper {
    const ACCOUNT_KIND: AccountKind = AccountKind::Paper;
}
#[cfg(feature = "live")]
impl BrokerAccount for Live {
    const ACCOUNT_KIND: AccountKind = AccountKind::Live;
}
impl NotLive for Backtest {}
impl NotLive for DryRun {}
impl NotLive for Paper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_of<M: Mode>() -> ModeTag {
        M::TAG
    }

    #[test]
    fn lower_modes_see_no_higher_secrets() {
        assert!(Backtest::FOREIGN_NAMESPACES.contains(&"AIRLOCK_LIVE"));
        assert!(Backtest::FOREIGN_NAMESPACES.contains(&"AIRLOCK_PAPER"));
        assert!(Paper::FOREIGN_NAMESPACES.contains(&"AIRLOCK_LIVE"));
        const { assert!(!Paper::REAL_MONEY) };
        assert_eq!(tag_of::<DryRun>().to_string(), "dry_run");
    }
}
