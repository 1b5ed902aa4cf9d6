//! Connecting: the one place the bridge secret is exposed (to key the HMAC), the health check,
//! and the account's trade mode against the mode.

use std::collections::{HashMap, VecDeque};
use std::marker::PhantomData;

use airlock_core::{BrokerAccount, BrokerError};
use secrecy::ExposeSecret;

use super::auth::SigningKey;
use super::convert::{account_kind, fatal, margin_mode, transient};
use super::link::{Link, LinkError};
use super::wire::{Account, Empty, Health};
use super::{Book, Mt5Bridge, Mt5Settings};
use crate::account::AccountReport;
use crate::bridge_secret::BridgeSecret;
use crate::endpoint::Endpoint;

/// The protocol version this client speaks.
const PROTOCOL: u32 = 1;

pub(super) async fn connect<M: BrokerAccount>(
    secret: BridgeSecret<M>,
    endpoint: Endpoint<M>,
    settings: Mt5Settings,
) -> Result<Mt5Bridge<M>, BrokerError> {
    let key = SigningKey::new(secret.secret().expose_secret().trim().as_bytes());
    drop(secret);
    let mut link = Link::new(
        endpoint.base_url(),
        key,
        settings.request_timeout,
        settings.root_certificate_pem.as_deref(),
    )
    .map_err(fatal)?;
    let at = endpoint.authority();
    let health: Health = link
        .call("/v1/health", &Empty {})
        .await
        .map_err(|error| link_error(&at, error))?;
    if health.protocol != PROTOCOL {
        return Err(fatal(format!(
            "the bridge at {at} speaks protocol {}, this client {PROTOCOL}",
            health.protocol
        )));
    }
    match health.terminal {
        Some(terminal) if terminal.connected => {
            if !terminal.trade_allowed || terminal.tradeapi_disabled {
                return Err(fatal(format!(
                    "the terminal behind the bridge at {at} does not allow algorithmic \
                     trading (enable \"Allow algorithmic trading\" in the terminal)"
                )));
            }
        }
        _ => {
            return Err(transient(format!(
                "the terminal behind the bridge at {at} is not connected to its trade server"
            )));
        }
    }
    let account: Account = link
        .call("/v1/account", &Empty {})
        .await
        .map_err(|error| link_error(&at, error))?;
    let login = account
        .get("login")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| fatal("account_info().login is missing or not a number"))?;
    let (kind, name, value) = account_kind(&account)
        .map_err(|reason| fatal(format!("account {login} via bridge at {at}: {reason}")))?;
    if kind != M::ACCOUNT_KIND {
        return Err(fatal(format!(
            "account {login} is {name} (account_info().trade_mode = {value}) but this runtime \
             is {}; refusing to trade it",
            M::TAG
        )));
    }
    let margin_mode = margin_mode(&account)
        .map_err(|reason| fatal(format!("account {login} via bridge at {at}: {reason}")))?;
    let report = AccountReport {
        venue: "mt5",
        account_number: login.to_string(),
        kind,
        evidence: format!("account_info().trade_mode = {name} ({value}) via bridge at {at}"),
    };
    let now_ms = link.clock().now_ms;
    Ok(Mt5Bridge {
        link,
        settings,
        report,
        margin_mode,
        specs: HashMap::new(),
        book: Book::default(),
        pending: VecDeque::new(),
        seen_deals: HashMap::new(),
        cursor_ms: now_ms,
        floor_ms: now_ms,
        last_sync: None,
        last_poll_error: None,
        mode: PhantomData,
    })
}

/// A link failure as a broker error, naming the bridge.
pub(super) fn link_error(at: &str, error: LinkError) -> BrokerError {
    match error {
        LinkError::NoAnswer { .. } => transient(format!("bridge at {at}: {error}")),
        LinkError::Unsigned { .. } | LinkError::Malformed { .. } => {
            fatal(format!("bridge at {at}: {error}"))
        }
        LinkError::Refused { status, .. } => match status {
            401 => fatal(format!("bridge at {at}: {error}")),
            400 | 404 => BrokerError::Rejected {
                reason: format!("bridge at {at}: {error}"),
            },
            _ => transient(format!("bridge at {at}: {error}")),
        },
    }
}
