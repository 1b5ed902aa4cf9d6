//! [`Alpaca`]: connect, the account check, and the read-only queries (account, positions,
//! assets, clock, orders). Order entry (submit, cancel, replace) is in `orders.rs`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use airlock_core::{
    AccountKind, AccountSnapshot, BrokerAccount, BrokerError, BrokerEvent, BrokerOrderId,
    ClientOrderId, OrderReport, Position, Side, Symbol, UnixNanos,
};
use apca::api::v2::{asset, assets, clock, order, orders, positions};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::book::Book;
use super::config::AlpacaConfig;
use super::connect::{AccountBody, Api, GetAccount};
use super::convert::{LegSnapshot, money, nanos, order_id, price, quantity};
use super::error::CallError;
use super::ids::leg_client_id;
use super::pump::{self, Shared, readable};
use super::stream;
use crate::account::AccountReport;
use crate::credentials::Credentials;
use crate::endpoint::{ALPACA_PAPER_HOST, Endpoint};

/// An Alpaca account in mode `M`, connected: holding one proves that Alpaca accepted the key
/// pair at the host `M` allows, and says which kind of account that host serves.
///
/// `Alpaca<Paper>` trades `paper-api.alpaca.markets` (or a loopback simulator under the test
/// setting); `Alpaca<Live>` exists only with the cargo feature `live` and trades
/// the live host. See the [module docs](crate::alpaca) for the mappings and recovery rules.
pub struct Alpaca<M: BrokerAccount> {
    pub(super) shared: Arc<Shared>,
    pub(super) events: mpsc::Receiver<BrokerEvent>,
    pump: JoinHandle<()>,
    report: AccountReport,
    mode: PhantomData<fn() -> M>,
}

impl<M: BrokerAccount> fmt::Debug for Alpaca<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alpaca")
            .field("mode", &M::TAG)
            .field("account", &self.report)
            .field("api", &self.shared.api)
            .finish_non_exhaustive()
    }
}

impl<M: BrokerAccount> Drop for Alpaca<M> {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Which orders [`Alpaca::orders`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderFilter {
    /// Working orders.
    Open,
    /// Finished orders.
    Closed,
    /// Both.
    All,
}

/// A tradable instrument as Alpaca lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetInfo {
    /// The ticker.
    pub symbol: Symbol,
    /// Alpaca's asset class: `us_equity`, `crypto`.
    pub class: String,
    /// The listing exchange, e.g. `NASDAQ`.
    pub exchange: String,
    /// Whether the asset is active.
    pub active: bool,
    /// Whether Alpaca accepts orders for it.
    pub tradable: bool,
    /// Whether it can be bought on margin.
    pub marginable: bool,
    /// Whether it can be sold short.
    pub shortable: bool,
    /// Whether it is easy to borrow (for shorts).
    pub easy_to_borrow: bool,
    /// Whether fractional quantities are accepted.
    pub fractionable: bool,
}

/// The market clock, in UTC (Alpaca sends US Eastern times with their offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketClock {
    /// Alpaca's time now.
    pub now: UnixNanos,
    /// Whether the market is open now.
    pub is_open: bool,
    /// The next open.
    pub next_open: UnixNanos,
    /// The next close.
    pub next_close: UnixNanos,
}

impl<M: BrokerAccount> Alpaca<M> {
    /// Connects with the default [`AlpacaConfig`]; see [`Alpaca::connect_with`].
    ///
    /// # Errors
    /// As [`Alpaca::connect_with`].
    pub async fn connect(
        credentials: Credentials<M>,
        endpoint: Endpoint<M>,
    ) -> Result<Self, BrokerError> {
        Self::connect_with(credentials, endpoint, AlpacaConfig::default()).await
    }

    /// Connects: reads the account (`GET /v2/account`), takes over our open orders (so an
    /// order submitted before a restart can be cancelled or replaced by our id), opens the
    /// trade-updates stream (if it cannot, the pump keeps trying and catches up), and starts the
    /// event pump. Sends no order.
    ///
    /// # Errors
    /// [`BrokerError::Fatal`] when Alpaca refuses the key pair (401/403, naming the variables,
    /// never their values) or the answer cannot be read; [`BrokerError::Transient`] when Alpaca
    /// cannot be reached.
    pub async fn connect_with(
        credentials: Credentials<M>,
        endpoint: Endpoint<M>,
        config: AlpacaConfig,
    ) -> Result<Self, BrokerError> {
        let (kind, evidence) = account_kind(&endpoint)?;
        if kind != M::ACCOUNT_KIND {
            // Unreachable through `Endpoint<M>`'s allow-list; checked again before any request.
            return Err(BrokerError::Fatal {
                reason: format!(
                    "connect: {} serves {kind:?} accounts but this broker is {}; refused",
                    endpoint.host(),
                    M::TAG
                ),
            });
        }
        let api = Api::new(&credentials, &endpoint, &config)?;
        drop(credentials);
        let account: AccountBody = api
            .call::<GetAccount>(&())
            .await
            .map_err(|error| connect_error(&api, error))?;
        if account.trading_blocked || account.account_blocked {
            tracing::warn!(
                account = %account.account_number,
                status = %account.status,
                "alpaca reports the account blocked for trading"
            );
        }
        let report = AccountReport {
            venue: "alpaca",
            account_number: account.account_number,
            kind,
            evidence,
        };
        let buffer = config.event_buffer.max(1);
        let shared = Arc::new(Shared {
            api,
            book: Mutex::new(Book::default()),
            config,
        });
        // Subscribe first, then take over the open orders: whatever changes after the listing
        // arrives on the stream, so the first connection needs no catch-up.
        let socket = match stream::connect(&shared.api, shared.config.request_timeout).await {
            Ok(socket) => Some(socket),
            Err(reason) => {
                tracing::warn!(%reason, "alpaca trade-updates stream not connected yet");
                None
            }
        };
        let open = list(&shared, orders::Status::Open).await?;
        adopt(&shared, &open).await;
        let (sender, events) = mpsc::channel(buffer);
        let pump = tokio::spawn(pump::run(Arc::clone(&shared), sender, socket));
        tracing::info!(
            account = %report.account_number,
            evidence = %report.evidence,
            adopted = open.len(),
            "alpaca connected"
        );
        Ok(Self {
            shared,
            events,
            pump,
            report,
            mode: PhantomData,
        })
    }

    /// What connect learned about the account.
    pub fn report(&self) -> &AccountReport {
        &self.report
    }

    /// The active US-equity assets.
    ///
    /// # Errors
    /// [`BrokerError`] as classified in the module docs.
    pub async fn assets(&self) -> Result<Vec<AssetInfo>, BrokerError> {
        let listed = self
            .call::<assets::List>(&assets::ListReq::default(), "list assets")
            .await?;
        Ok(listed.iter().filter_map(asset_info).collect())
    }

    /// One asset by ticker.
    ///
    /// # Errors
    /// [`BrokerError::Rejected`] for an unknown ticker; otherwise as classified.
    pub async fn asset(&self, symbol: &Symbol) -> Result<AssetInfo, BrokerError> {
        let operation = format!("asset {symbol}");
        let found = self
            .call::<asset::Get>(&asset::Symbol::Sym(symbol.as_str().to_owned()), &operation)
            .await?;
        asset_info(&found).ok_or_else(|| BrokerError::Fatal {
            reason: format!("{operation}: Alpaca answered with an unreadable symbol"),
        })
    }

    /// The market clock, converted to UTC.
    ///
    /// # Errors
    /// As classified; [`BrokerError::Fatal`] for a time outside 1970..2262.
    pub async fn clock(&self) -> Result<MarketClock, BrokerError> {
        let answer = self.call::<clock::Get>(&(), "clock").await?;
        market_clock(&answer).map_err(|reason| BrokerError::Fatal {
            reason: format!("clock: {reason}"),
        })
    }

    /// One Alpaca order (one leg) by Alpaca's id, reported under our id.
    ///
    /// # Errors
    /// [`BrokerError::Rejected`] for an unknown id or an order that is not ours.
    pub async fn order(&self, id: &BrokerOrderId) -> Result<OrderReport, BrokerError> {
        let operation = format!("order {id}");
        let apca_id = order_id(id).map_err(|reason| BrokerError::Rejected {
            reason: format!("{operation}: {reason}"),
        })?;
        let found = self.call::<order::Get>(&apca_id, &operation).await?;
        self.ours(&found, &operation)
    }

    /// Our order by our id, as its current leg stands (after replaces, the newest).
    ///
    /// # Errors
    /// [`BrokerError::Rejected`] for an id Alpaca does not know.
    pub async fn order_by_client_id(&self, id: &ClientOrderId) -> Result<OrderReport, BrokerError> {
        let operation = format!("order {id}");
        let leg = self.shared.book().current_leg(id).map_or(0, |(leg, _)| leg);
        let client_id = leg_client_id(id, leg).map_err(|reason| BrokerError::Rejected {
            reason: format!("{operation}: {reason}"),
        })?;
        let found = self
            .call::<order::GetByClientId>(&client_id, &operation)
            .await?;
        self.ours(&found, &operation)
    }

    /// Alpaca's orders (each leg of a replaced order separately, newest 500), under our ids;
    /// orders that are not ours are left out.
    ///
    /// # Errors
    /// As classified.
    pub async fn orders(&self, filter: OrderFilter) -> Result<Vec<OrderReport>, BrokerError> {
        let status = match filter {
            OrderFilter::Open => orders::Status::Open,
            OrderFilter::Closed => orders::Status::Closed,
            OrderFilter::All => orders::Status::All,
        };
        Ok(list(&self.shared, status)
            .await?
            .iter()
            .map(LegSnapshot::report)
            .collect())
    }

    /// One REST call, its failure classified.
    pub(super) async fn call<R>(
        &self,
        input: &R::Input,
        operation: &str,
    ) -> Result<R::Output, BrokerError>
    where
        R: http_endpoint::Endpoint,
        R::Error: Into<http_endpoint::Error<R::ConversionError>>,
    {
        self.shared
            .api
            .call::<R>(input)
            .await
            .map_err(|error| self.shared.api.fail(error, operation))
    }

    fn ours(&self, found: &order::Order, operation: &str) -> Result<OrderReport, BrokerError> {
        match LegSnapshot::from_apca(found) {
            Ok(Some(snapshot)) => Ok(self.shared.book().report(&snapshot)),
            Ok(None) => Err(BrokerError::Rejected {
                reason: format!(
                    "{operation}: Alpaca's order has client id {}, not one of ours",
                    found.client_order_id
                ),
            }),
            Err(reason) => Err(BrokerError::Fatal {
                reason: format!("{operation}: {reason}"),
            }),
        }
    }

    pub(super) async fn read_positions(&self) -> Result<Vec<Position>, BrokerError> {
        let listed = self.call::<positions::List>(&(), "positions").await?;
        listed
            .iter()
            .map(|held| {
                let symbol = Symbol::parse(&held.symbol).map_err(|error| error.to_string())?;
                let amount = quantity(&held.quantity, "qty")?;
                let average = price(&held.average_entry_price, "avg_entry_price")?;
                let side = match held.side {
                    apca::api::v2::position::Side::Long => Side::Buy,
                    apca::api::v2::position::Side::Short => Side::Sell,
                };
                let mut position = Position::flat(symbol);
                position
                    .apply_fill(side, amount, average)
                    .ok_or_else(|| format!("{symbol}: position does not fit"))?;
                Ok(position)
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(|reason| BrokerError::Fatal {
                reason: format!("positions: {reason}"),
            })
    }

    pub(super) async fn read_account(&self) -> Result<AccountSnapshot, BrokerError> {
        let account = self.call::<GetAccount>(&(), "account").await?;
        let positions = self.read_positions().await?;
        let cash = money(&account.cash, "cash");
        let equity = money(&account.equity, "equity");
        match (cash, equity) {
            (Ok(cash), Ok(equity)) => Ok(AccountSnapshot {
                cash,
                equity,
                fees_paid: airlock_core::Money::ZERO,
                positions,
                at: wall_clock(),
            }),
            (Err(reason), _) | (_, Err(reason)) => Err(BrokerError::Fatal {
                reason: format!("account: {reason}"),
            }),
        }
    }

    pub(super) fn account_report_ref(&self) -> &AccountReport {
        &self.report
    }

    pub(super) fn stop(&self) {
        self.pump.abort();
    }
}

/// Takes over orders found at Alpaca, with the earlier legs of replaced ones (looked up by their
/// client ids), so a report after a restart counts every leg's fills. A leg that cannot be read
/// is skipped with a warning: reports of that order then count only the legs found.
pub(super) async fn adopt(shared: &Shared, found: &[LegSnapshot]) {
    for snapshot in found {
        shared.book().adopt(snapshot);
        for leg in 0..snapshot.leg {
            let Ok(client_id) = leg_client_id(&snapshot.ours, leg) else {
                continue;
            };
            match shared.api.call::<order::GetByClientId>(&client_id).await {
                Ok(earlier) => match LegSnapshot::from_apca(&earlier) {
                    Ok(Some(earlier)) => shared.book().adopt_history(&earlier),
                    Ok(None) | Err(_) => {
                        tracing::warn!(%client_id, "alpaca order leg unreadable; skipped");
                    }
                },
                Err(error) => tracing::warn!(
                    %client_id,
                    error = %shared.api.fail(error, "adopt"),
                    "alpaca order leg not found; skipped"
                ),
            }
        }
    }
}

/// Lists orders of `status` (newest 500) and keeps ours.
pub(super) async fn list(
    shared: &Shared,
    status: orders::Status,
) -> Result<Vec<LegSnapshot>, BrokerError> {
    let request = orders::ListReq {
        status,
        limit: Some(500),
        nested: true,
        ..orders::ListReq::default()
    };
    let listed = shared
        .api
        .call::<orders::List>(&request)
        .await
        .map_err(|error| shared.api.fail(error, "list orders"))?;
    Ok(readable(&listed))
}

/// The account kind the endpoint's host serves, and the evidence for it.
fn account_kind<M: BrokerAccount>(
    endpoint: &Endpoint<M>,
) -> Result<(AccountKind, String), BrokerError> {
    if endpoint.is_loopback() {
        return Ok((
            AccountKind::Paper,
            format!(
                "GET /v2/account at loopback {} (test setting): a local simulator, never a real \
                 account",
                endpoint.authority()
            ),
        ));
    }
    if endpoint.host() == ALPACA_PAPER_HOST {
        return Ok((
            AccountKind::Paper,
            format!(
                "GET /v2/account at {ALPACA_PAPER_HOST}: Alpaca's paper host accepts paper keys \
                 only"
            ),
        ));
    }
    #[cfg(feature = "live")]
    if endpoint.host() == crate::endpoint::ALPACA_LIVE_HOST {
        return Ok((
            AccountKind::Live,
            format!(
                "GET /v2/account at {}: Alpaca's live host accepts live keys only",
                crate::endpoint::ALPACA_LIVE_HOST
            ),
        ));
    }
    Err(BrokerError::Fatal {
        reason: format!(
            "alpaca: {} is not an Alpaca trading host, so the account kind is unknown",
            endpoint.host()
        ),
    })
}

/// 401 and 403 on connect mean the key pair is refused: fatal, naming the variables.
fn connect_error(api: &Api, error: CallError) -> BrokerError {
    match error.status() {
        Some(status @ (401 | 403)) => BrokerError::Fatal {
            reason: format!(
                "connect: Alpaca at {} refused the API key (HTTP {status}); check {} and {}",
                api.base_url(),
                api.context().key_id_variable,
                api.context().secret_key_variable
            ),
        },
        _ => api.fail(error, "connect"),
    }
}

fn asset_info(found: &asset::Asset) -> Option<AssetInfo> {
    let symbol = Symbol::parse(&found.symbol).ok()?;
    Some(AssetInfo {
        symbol,
        class: found.class.as_ref().to_owned(),
        exchange: found.exchange.as_ref().to_owned(),
        active: found.status == asset::Status::Active,
        tradable: found.tradable,
        marginable: found.marginable,
        shortable: found.shortable,
        easy_to_borrow: found.easy_to_borrow,
        fractionable: found.fractionable,
    })
}

pub(super) fn market_clock(answer: &clock::Clock) -> Result<MarketClock, String> {
    Ok(MarketClock {
        now: nanos(&answer.current, "timestamp")?,
        is_open: answer.open,
        next_open: nanos(&answer.next_open, "next_open")?,
        next_close: nanos(&answer.next_close, "next_close")?,
    })
}

/// The wall clock, for the time stamp of an account snapshot (Alpaca's account has none).
#[expect(
    clippy::disallowed_methods,
    reason = "the Alpaca client is an I/O component: an account snapshot is stamped when read"
)]
fn wall_clock() -> UnixNanos {
    chrono::Utc::now()
        .timestamp_nanos_opt()
        .and_then(|nanos| u64::try_from(nanos).ok())
        .map(UnixNanos::new)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use airlock_core::Paper;

    use super::*;
    use crate::endpoint::{EndpointKind, Loopback};

    #[test]
    fn the_account_kind_is_the_kind_of_the_host() {
        let loopback = Endpoint::<Paper>::check(
            EndpointKind::Trading,
            "http://127.0.0.1:4567",
            Loopback::AllowedForTests,
        )
        .unwrap();
        let (kind, evidence) = account_kind(&loopback).unwrap();
        assert_eq!(kind, AccountKind::Paper);
        assert!(
            evidence.contains("loopback 127.0.0.1:4567 (test setting)"),
            "{evidence}"
        );
        let paper = Endpoint::<Paper>::check(
            EndpointKind::Trading,
            "https://paper-api.alpaca.markets",
            Loopback::Refused,
        )
        .unwrap();
        let (kind, evidence) = account_kind(&paper).unwrap();
        assert_eq!(kind, AccountKind::Paper);
        assert!(evidence.contains("paper-api.alpaca.markets"), "{evidence}");
    }

    #[cfg(feature = "live")]
    #[test]
    fn the_live_host_serves_live_accounts() {
        let live = Endpoint::<airlock_core::Live>::check(
            EndpointKind::Trading,
            "https://api.alpaca.markets",
            Loopback::Refused,
        )
        .unwrap();
        let (kind, evidence) = account_kind(&live).unwrap();
        assert_eq!(kind, AccountKind::Live);
        assert!(evidence.contains("api.alpaca.markets"), "{evidence}");
    }
}
