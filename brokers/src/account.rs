//! [`AccountBroker`]: the contract of brokers that trade a real broker account (paper or live),
//! and [`AccountReport`], what such a broker learned on connect about the account it reached.

use std::future::Future;

use airlock_core::{AccountKind, Broker, BrokerAccount, BrokerError};

use crate::bridge_secret::BridgeSecret;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;

mod sealed {
    pub trait Sealed {}
}

/// The secrets of a broker account in mode `M`, read from `M`'s own namespace: Alpaca's key
/// pair ([`Credentials<M>`]) or the MT5 bridge's shared secret ([`BridgeSecret<M>`]).
///
/// Sealed, and implemented only for those two types with the same `M`: an account broker of
/// mode `M` can only declare credentials of mode `M`, so `impl AccountBroker<Paper>` with
/// `type Credentials = BridgeSecret<Live>` does not compile.
pub trait ModeCredentials<M: BrokerAccount>: sealed::Sealed + Send + 'static {}

impl<M: BrokerAccount> sealed::Sealed for Credentials<M> {}
impl<M: BrokerAccount> ModeCredentials<M> for Credentials<M> {}
impl<M: BrokerAccount> sealed::Sealed for BridgeSecret<M> {}
impl<M: BrokerAccount> ModeCredentials<M> for BridgeSecret<M> {}

/// What a broker found out on connect about the account its credentials reach.
///
/// How each venue tells a paper account from a live one:
///
/// - **Alpaca.** No field of the `GET /v2/account` response says "paper": `account_number` has no
///   documented format (the `PA…` prefix seen on paper accounts is an example, not a rule) and
///   `status` = `PAPER_ONLY` describes the owner's eligibility, not the account reached. Alpaca's
///   documentation instead separates the two by host and key pair: paper keys authenticate only
///   at `paper-api.alpaca.markets` and live keys only at the live host (see `endpoint.rs`). The
///   Alpaca broker therefore reports [`AccountKind::Paper`] exactly when `GET /v2/account`
///   succeeded at the paper host and [`AccountKind::Live`] when it succeeded at the live host;
///   `evidence` names the host.
/// - **MetaTrader 5.** The account's trade mode (`ACCOUNT_TRADE_MODE`): `DEMO` and `CONTEST` are
///   [`AccountKind::Paper`], `REAL` is [`AccountKind::Live`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountReport {
    /// The venue: `alpaca`, `mt5`.
    pub venue: &'static str,
    /// The broker's account number (not a secret; shown to operators and in audit records).
    pub account_number: String,
    /// The kind of account the broker says it is.
    pub kind: AccountKind,
    /// What the kind was read from, e.g. `GET /v2/account at paper-api.alpaca.markets`.
    pub evidence: String,
}

/// A broker that trades a broker account in mode `M`, built only from `M`'s credentials and an
/// endpoint that passed `M`'s allow-list.
///
/// Each venue names the secrets it needs in [`AccountBroker::Credentials`] (Alpaca:
/// [`Credentials<M>`]; MetaTrader 5: [`BridgeSecret<M>`]); [`ModeCredentials`] ties them to the
/// same `M`. The runtime calls [`AccountBroker::connect`] only after every start-up guard passed,
/// then compares [`AccountBroker::account_report`]'s kind with `M::ACCOUNT_KIND`; on a mismatch
/// it calls [`AccountBroker::disconnect`] and refuses to start.
pub trait AccountBroker<M: BrokerAccount>: Broker<M> + Sized {
    /// The secrets this venue authenticates with, always of mode `M`.
    type Credentials: ModeCredentials<M>;

    /// Connects and reads the account. Sends no order.
    fn connect(
        credentials: Self::Credentials,
        endpoint: Endpoint<M>,
    ) -> impl Future<Output = Result<Self, BrokerError>> + Send;

    /// What the broker learned about the account on connect.
    fn account_report(&self) -> &AccountReport;

    /// Closes every connection. Sends no order and cancels nothing.
    fn disconnect(self) -> impl Future<Output = ()> + Send;
}
