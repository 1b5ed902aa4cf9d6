//! [`Endpoint`]: a broker or market-data address that passed its mode's allow-list.

use std::fmt;
use std::marker::PhantomData;
use std::net::IpAddr;

use airlock_core::{Mode, ModeTag};
use thiserror::Error;

/// The Alpaca trading host for paper accounts.
pub const ALPACA_PAPER_HOST: &str = "paper-api.alpaca.markets";
/// The Alpaca trading host for live (real-money) accounts. It exists only with the cargo feature
/// `live`: a build without it does not contain the live host at all.
#[cfg(feature = "live")]
pub const ALPACA_LIVE_HOST: &str = "api.alpaca.markets";

/// The trading hosts a live runtime may reach (none in a build without the `live` feature, which
/// has no live mode to reach them with).
#[cfg(feature = "live")]
const LIVE_TRADING_HOSTS: &[&str] = &[ALPACA_LIVE_HOST];
#[cfg(not(feature = "live"))]
const LIVE_TRADING_HOSTS: &[&str] = &[];
/// Alpaca's market-data hosts (REST and stream): read-only, the same for paper and live.
pub const ALPACA_DATA_HOSTS: &[&str] = &["data.alpaca.markets", "stream.data.alpaca.markets"];
/// The allow-list entry that admits any host, provided it is reached over TLS: the MT5 bridge
/// runs on the operator's own Windows host, whose name no list of ours can know.
pub const ANY_HOST_OVER_TLS: &str = "*";

/// What an endpoint is for; each kind has its own allow-list per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointKind {
    /// Order-capable: the broker's trading API (and its order-update stream).
    Trading,
    /// Read-only market data.
    MarketData,
    /// Order-capable: the MetaTrader 5 bridge program on the operator's Windows host.
    Mt5Bridge,
}

impl EndpointKind {
    /// The key under `[endpoints]` in an environment file: `trading`, `market_data` or
    /// `mt5_bridge`.
    pub const fn key(self) -> &'static str {
        match self {
            EndpointKind::Trading => "trading",
            EndpointKind::MarketData => "market_data",
            EndpointKind::Mt5Bridge => "mt5_bridge",
        }
    }
}

/// The hosts an endpoint of `kind` may name in `mode` (loopback aside, see [`Endpoint::check`]).
///
/// Trading: paper only `paper-api.alpaca.markets`, live only `ALPACA_LIVE_HOST` (with the `live`
/// feature; without it, no host), the simulated
/// modes none (their broker is the internal matching engine). Market data: Alpaca's data hosts in
/// every mode but backtest, which replays files. MT5 bridge: in paper and live **any host over
/// TLS** ([`ANY_HOST_OVER_TLS`]), because the bridge runs on the operator's own host; what keeps
/// a paper runtime off a real-money account there is the bridge's shared secret of the mode
/// (`BridgeSecret<M>`) and the account's trade mode, checked on connect. The simulated modes
/// admit no bridge.
pub const fn allowed_hosts(mode: ModeTag, kind: EndpointKind) -> &'static [&'static str] {
    match (mode, kind) {
        (ModeTag::Paper, EndpointKind::Trading) => &[ALPACA_PAPER_HOST],
        (ModeTag::Live, EndpointKind::Trading) => LIVE_TRADING_HOSTS,
        (ModeTag::Backtest | ModeTag::DryRun, EndpointKind::Trading | EndpointKind::Mt5Bridge) => {
            &[]
        }
        (ModeTag::Backtest, EndpointKind::MarketData) => &[],
        (ModeTag::DryRun | ModeTag::Paper | ModeTag::Live, EndpointKind::MarketData) => {
            ALPACA_DATA_HOSTS
        }
        (ModeTag::Paper | ModeTag::Live, EndpointKind::Mt5Bridge) => &[ANY_HOST_OVER_TLS],
    }
}

/// Whether loopback addresses (`127.0.0.0/8`, `::1`, `localhost`) may be used: only tests and
/// local development set this, and never for live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loopback {
    /// Loopback addresses are refused like any other host off the allow-list.
    Refused,
    /// The explicit test setting: loopback addresses are accepted, except in live.
    AllowedForTests,
}

/// Why an endpoint was refused. Messages name the host, never the whole URL (which could carry
/// a token in its query).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EndpointError {
    /// Not a URL this runtime can use.
    #[error("not a usable URL: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The host is not on the mode's allow-list.
    #[error("host {host} is not allowed for {kind} in {mode} (allowed: {allowed})")]
    NotAllowed {
        /// The host named.
        host: String,
        /// The endpoint's key.
        kind: &'static str,
        /// The mode.
        mode: ModeTag,
        /// The allow-list, comma-separated, or `none`.
        allowed: String,
    },
    /// A loopback host without the test setting, or in live.
    #[error(
        "loopback host {host} is allowed only through the test setting and never in live ({mode})"
    )]
    Loopback {
        /// The host named.
        host: String,
        /// The mode.
        mode: ModeTag,
    },
    /// Plain-text `http`/`ws` to a host other than loopback.
    #[error("host {host} must be reached over TLS (https or wss)")]
    PlainText {
        /// The host named.
        host: String,
    },
}

/// An endpoint that passed `M`'s allow-list: only [`Endpoint::check`] makes one, so a broker that
/// connects to an `Endpoint<M>` cannot reach a host of another mode.
pub struct Endpoint<M: Mode> {
    kind: EndpointKind,
    scheme: &'static str,
    host: String,
    port: u16,
    loopback: bool,
    mode: PhantomData<fn() -> M>,
}

impl<M: Mode> Endpoint<M> {
    /// Checks `url` (`https://host[:port][/path]`, or `wss`; `http`/`ws` only for loopback)
    /// against `M`'s allow-list for `kind`.
    ///
    /// # Errors
    ///
    /// [`EndpointError`] naming the host and the rule it broke.
    pub fn check(kind: EndpointKind, url: &str, loopback: Loopback) -> Result<Self, EndpointError> {
        let parsed = parse(url)?;
        let is_loopback = parsed.host == "localhost"
            || parsed
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|address| address.is_loopback());
        if is_loopback {
            if M::TAG == ModeTag::Live || loopback == Loopback::Refused {
                return Err(EndpointError::Loopback {
                    host: parsed.host,
                    mode: M::TAG,
                });
            }
        } else {
            let allowed = allowed_hosts(M::TAG, kind);
            if !allowed.contains(&parsed.host.as_str()) && !allowed.contains(&ANY_HOST_OVER_TLS) {
                return Err(EndpointError::NotAllowed {
                    host: parsed.host,
                    kind: kind.key(),
                    mode: M::TAG,
                    allowed: if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    },
                });
            }
            if !parsed.tls {
                return Err(EndpointError::PlainText { host: parsed.host });
            }
        }
        Ok(Self {
            kind,
            scheme: parsed.scheme,
            host: parsed.host,
            port: parsed.port,
            loopback: is_loopback,
            mode: PhantomData,
        })
    }

    /// What the endpoint is for.
    pub fn kind(&self) -> EndpointKind {
        self.kind
    }

    /// The scheme: `https`, `wss`, or (loopback only) `http`, `ws`.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// The host (IPv6 addresses in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (443 for `https`/`wss` and 80 for `http`/`ws` unless the URL names one).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// True for a loopback host (allowed only through the test setting).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// `host:port`, for a socket connect.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `scheme://host:port`, the base every request path is appended to.
    pub fn base_url(&self) -> String {
        format!("{}://{}:{}", self.scheme, self.host, self.port)
    }
}

impl<M: Mode> fmt::Debug for Endpoint<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("mode", &M::TAG)
            .field("kind", &self.kind)
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish()
    }
}

impl<M: Mode> fmt::Display for Endpoint<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

struct Parsed {
    scheme: &'static str,
    tls: bool,
    host: String,
    port: u16,
}

fn parse(url: &str) -> Result<Parsed, EndpointError> {
    let malformed = |reason| EndpointError::Malformed { reason };
    let (scheme, rest) = url
        .split_once("://")
        .ok_or(malformed("expected scheme://host"))?;
    let (scheme, tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
        "https" => ("https", true, 443),
        "wss" => ("wss", true, 443),
        "http" => ("http", false, 80),
        "ws" => ("ws", false, 80),
        _ => return Err(malformed("scheme must be https, wss, http or ws")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(malformed(
            "user info in a URL is not allowed (secrets belong in AIRLOCK_<ENV>__ variables)",
        ));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed
            .split_once(']')
            .ok_or(malformed("unclosed [ in host"))?;
        (format!("[{address}]"), after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(malformed("no host"));
    }
    let port = match port {
        None => default_port,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0)
            .ok_or(malformed("port must be 1 to 65535"))?,
    };
    Ok(Parsed {
        scheme,
        tls,
        host: host.to_ascii_lowercase(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use airlock_core::{Backtest, DryRun, Paper};

    use super::*;

    #[test]
    fn paper_trading_accepts_only_the_paper_host() {
        let endpoint = Endpoint::<Paper>::check(
            EndpointKind::Trading,
            "https://paper-api.alpaca.markets/v2",
            Loopback::Refused,
        )
        .unwrap();
        assert_eq!(endpoint.authority(), "paper-api.alpaca.markets:443");
        let refused = Endpoint::<Paper>::check(
            EndpointKind::Trading,
            "https://broker.example.com",
            Loopback::Refused,
        )
        .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "host broker.example.com is not allowed for trading in paper \
             (allowed: paper-api.alpaca.markets)"
        );
    }

    #[test]
    fn loopback_needs_the_test_setting() {
        let url = "http://127.0.0.1:4567";
        assert!(matches!(
            Endpoint::<Paper>::check(EndpointKind::Trading, url, Loopback::Refused),
            Err(EndpointError::Loopback { .. })
        ));
        let endpoint =
            Endpoint::<DryRun>::check(EndpointKind::Trading, url, Loopback::AllowedForTests)
                .unwrap();
        assert!(endpoint.is_loopback());
        assert_eq!(endpoint.port(), 4567);
        assert!(
            Endpoint::<Paper>::check(
                EndpointKind::Trading,
                "ws://[::1]:9",
                Loopback::AllowedForTests
            )
            .is_ok()
        );
    }

    #[test]
    fn simulated_modes_have_no_trading_host_and_tls_is_required() {
        assert!(matches!(
            Endpoint::<Backtest>::check(
                EndpointKind::Trading,
                "https://paper-api.alpaca.markets",
                Loopback::Refused
            ),
            Err(EndpointError::NotAllowed { .. })
        ));
        assert_eq!(
            Endpoint::<Paper>::check(
                EndpointKind::Trading,
                "http://paper-api.alpaca.markets",
                Loopback::Refused
            )
            .unwrap_err(),
            EndpointError::PlainText {
                host: "paper-api.alpaca.markets".into()
            }
        );
    }

    #[test]
    fn user_info_is_refused_without_echoing_it() {
        let error = Endpoint::<Paper>::check(
            EndpointKind::Trading,
            "https://key:hunter2secret@paper-api.alpaca.markets",
            Loopback::Refused,
        )
        .unwrap_err();
        assert!(!error.to_string().contains("hunter2secret"), "{error}");
        assert!(matches!(error, EndpointError::Malformed { .. }));
    }

    #[test]
    fn the_mt5_bridge_may_be_any_host_but_only_over_tls() {
        let endpoint = Endpoint::<Paper>::check(
            EndpointKind::Mt5Bridge,
            "https://mt5-bridge.trading.example:8443",
            Loopback::Refused,
        )
        .unwrap();
        assert_eq!(
            endpoint.base_url(),
            "https://mt5-bridge.trading.example:8443"
        );
        assert_eq!(
            allowed_hosts(ModeTag::Paper, EndpointKind::Mt5Bridge),
            &[ANY_HOST_OVER_TLS]
        );
        assert_eq!(
            Endpoint::<Paper>::check(
                EndpointKind::Mt5Bridge,
                "http://10.0.0.7:18900",
                Loopback::Refused
            )
            .unwrap_err(),
            EndpointError::PlainText {
                host: "10.0.0.7".into()
            }
        );
        assert!(matches!(
            Endpoint::<Paper>::check(
                EndpointKind::Mt5Bridge,
                "http://127.0.0.1:18900",
                Loopback::Refused
            ),
            Err(EndpointError::Loopback { .. })
        ));
        assert!(
            Endpoint::<Paper>::check(
                EndpointKind::Mt5Bridge,
                "http://127.0.0.1:18900",
                Loopback::AllowedForTests
            )
            .is_ok()
        );
        assert!(matches!(
            Endpoint::<DryRun>::check(
                EndpointKind::Mt5Bridge,
                "https://mt5-bridge.trading.example",
                Loopback::Refused
            ),
            Err(EndpointError::NotAllowed { .. })
        ));
    }

    #[cfg(feature = "live")]
    #[test]
    fn paper_refuses_the_live_host_and_live_accepts_only_it() {
        let live_url = format!("https://{ALPACA_LIVE_HOST}");
        let refused = Endpoint::<Paper>::check(EndpointKind::Trading, &live_url, Loopback::Refused)
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!(
                "host {ALPACA_LIVE_HOST} is not allowed for trading in paper \
                 (allowed: paper-api.alpaca.markets)"
            )
        );
        assert!(
            Endpoint::<airlock_core::Live>::check(
                EndpointKind::Trading,
                &live_url,
                Loopback::Refused
            )
            .is_ok()
        );
        assert!(
            Endpoint::<airlock_core::Live>::check(
                EndpointKind::Trading,
                "https://paper-api.alpaca.markets",
                Loopback::Refused
            )
            .is_err()
        );
    }

    #[cfg(feature = "live")]
    #[test]
    fn live_refuses_loopback_even_with_the_test_setting() {
        assert!(matches!(
            Endpoint::<airlock_core::Live>::check(
                EndpointKind::Trading,
                "http://localhost:1",
                Loopback::AllowedForTests
            ),
            Err(EndpointError::Loopback { .. })
        ));
        assert!(matches!(
            Endpoint::<airlock_core::Live>::check(
                EndpointKind::Mt5Bridge,
                "http://127.0.0.1:18900",
                Loopback::AllowedForTests
            ),
            Err(EndpointError::Loopback { .. })
        ));
    }
}
