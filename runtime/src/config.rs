//! Environment configuration: `environments/<name>.toml` layered with `AIRLOCK__…` variables.
//!
//! An environment file declares its mode, broker, endpoints, the name of the variable holding its
//! database URL, and its risk limits. It never holds a secret: secrets come only from
//! `AIRLOCK_<ENV>__…` variables or a secrets file (see [`crate::secrets`]). Non-secret settings can
//! be overridden by variables named `AIRLOCK__<SECTION>__<KEY>`, e.g.
//! `AIRLOCK__ENDPOINTS__TRADING` or `AIRLOCK__RISK__MAX_NOTIONAL`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use airlock_brokers::EndpointKind;
use airlock_core::{EnvSnapshot, ModeTag};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The four environments, one file each under `environments/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnvironmentName {
    /// `backtest.toml`: mode `backtest`.
    Backtest,
    /// `local.toml`: mode `dry_run` (live data, internal matching engine, this machine).
    Local,
    /// `paper.toml`: mode `paper`.
    Paper,
    /// `live.toml`: mode `live`.
    Live,
}

impl EnvironmentName {
    /// Every environment, lowest first.
    pub const ALL: [EnvironmentName; 4] = [
        EnvironmentName::Backtest,
        EnvironmentName::Local,
        EnvironmentName::Paper,
        EnvironmentName::Live,
    ];

    /// The name used on the command line and as the file stem.
    pub const fn as_str(self) -> &'static str {
        match self {
            EnvironmentName::Backtest => "backtest",
            EnvironmentName::Local => "local",
            EnvironmentName::Paper => "paper",
            EnvironmentName::Live => "live",
        }
    }

    /// The mode this environment runs in.
    pub const fn mode(self) -> ModeTag {
        match self {
            EnvironmentName::Backtest => ModeTag::Backtest,
            EnvironmentName::Local => ModeTag::DryRun,
            EnvironmentName::Paper => ModeTag::Paper,
            EnvironmentName::Live => ModeTag::Live,
        }
    }

    /// The environment file inside `dir`.
    pub fn file_in(self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.toml", self.as_str()))
    }
}

impl fmt::Display for EnvironmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// An unknown environment name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown environment {given:?} (expected backtest, local, paper or live)")]
pub struct UnknownEnvironment {
    /// What was given.
    pub given: String,
}

impl FromStr for EnvironmentName {
    type Err = UnknownEnvironment;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EnvironmentName::ALL
            .into_iter()
            .find(|name| name.as_str() == text)
            .ok_or_else(|| UnknownEnvironment {
                given: text.to_owned(),
            })
    }
}

/// Which broker an environment trades through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerKind {
    /// The internal matching engine (backtest and local).
    Sim,
    /// Alpaca's trading API (paper and live).
    Alpaca,
    /// MetaTrader 5 through the Airlock bridge on the operator's Windows host (paper: a demo or
    /// contest account; live: a real account). `endpoints.trading` is the bridge's URL.
    Mt5,
}

impl BrokerKind {
    /// The name used in environment files.
    pub const fn as_str(self) -> &'static str {
        match self {
            BrokerKind::Sim => "sim",
            BrokerKind::Alpaca => "alpaca",
            BrokerKind::Mt5 => "mt5",
        }
    }

    /// Which allow-list `endpoints.trading` is checked against: the MT5 bridge's ("any host
    /// over TLS") for `mt5`, the broker's trading hosts otherwise.
    pub const fn trading_endpoint(self) -> EndpointKind {
        match self {
            BrokerKind::Mt5 => EndpointKind::Mt5Bridge,
            BrokerKind::Sim | BrokerKind::Alpaca => EndpointKind::Trading,
        }
    }
}

/// One environment's settings: what `environments/<name>.toml` declares, after overrides.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    /// The mode this file is for; must equal the mode asked for on the command line.
    pub mode: ModeTag,
    /// The broker.
    pub broker: BrokerKind,
    /// The broker account number this environment trades (not a secret). Live start-up requires
    /// `--confirm-live` to repeat it.
    #[serde(default)]
    pub account: Option<String>,
    /// Where to connect.
    #[serde(default)]
    pub endpoints: EndpointsConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// Risk limits, kept as written: the risk crate deserializes and validates this table into
    /// its own limit types when the runtime builds its risk engine, so this loader only carries
    /// it (keys are lower-cased by the loader; values stay TOML strings, numbers and booleans).
    #[serde(default)]
    pub risk: BTreeMap<String, serde_json::Value>,
    /// Settings for tests and local development only.
    #[serde(default)]
    pub testing: TestingConfig,
    /// Where QuestDB candles are written and read (optional; no secrets here).
    #[serde(default)]
    pub questdb: Option<crate::questdb::QuestDbSection>,
}

/// The `[endpoints]` table: URLs, checked against the mode's allow-list at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointsConfig {
    /// The broker's trading API (order-capable); for `broker = "mt5"`, the bridge's URL.
    #[serde(default)]
    pub trading: Option<String>,
    /// The market-data API (read-only).
    #[serde(default)]
    pub market_data: Option<String>,
}

/// The `[database]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// The name of the environment variable (or secrets-file entry) holding the database URL,
    /// which carries a password and is therefore a secret, e.g. `AIRLOCK_PAPER__DATABASE_URL`.
    pub url_variable: String,
}

/// The `[testing]` table. Never set in a deployed environment; live refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestingConfig {
    /// Accept loopback endpoints (`127.0.0.1`, `::1`, `localhost`), for tests and a local
    /// simulated venue. Live refuses to start when this is true.
    #[serde(default)]
    pub allow_loopback: bool,
}

impl fmt::Display for EnvironmentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mode {}, broker {}, trading {}, market data {}, database url in {}, {} risk limits",
            self.mode,
            self.broker.as_str(),
            self.endpoints.trading.as_deref().unwrap_or("none"),
            self.endpoints.market_data.as_deref().unwrap_or("none"),
            self.database.url_variable,
            self.risk.len()
        )?;
        if self.testing.allow_loopback {
            f.write_str(", test setting allow_loopback")?;
        }
        Ok(())
    }
}

/// Why an environment's configuration could not be loaded.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The environment file does not exist.
    #[error("{path}: no such environment file")]
    Missing {
        /// The file looked for.
        path: PathBuf,
    },
    /// The file or an override is not valid (unknown key, wrong type, bad TOML).
    #[error("{path}: {reason}")]
    Invalid {
        /// The environment file.
        path: PathBuf,
        /// The loader's reason, naming the key.
        reason: String,
    },
}

/// Loads `dir/<name>.toml`, then applies `AIRLOCK__<SECTION>__<KEY>` overrides from `env`.
///
/// # Errors
///
/// [`ConfigError`] when the file is missing, is not valid TOML, or a key is unknown or of the
/// wrong type.
pub fn load(
    dir: &Path,
    name: EnvironmentName,
    env: &EnvSnapshot,
) -> Result<EnvironmentConfig, ConfigError> {
    let path = name.file_in(dir);
    if !path.is_file() {
        return Err(ConfigError::Missing { path });
    }
    let overrides: config::Map<String, String> = env
        .iter()
        .filter(|(variable, _)| variable.starts_with(OVERRIDE_PREFIX))
        .map(|(variable, value)| (variable.to_owned(), value.to_owned()))
        .collect();
    let invalid = |error: config::ConfigError| ConfigError::Invalid {
        path: path.clone(),
        reason: error.to_string(),
    };
    config::Config::builder()
        .add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml))
        .add_source(
            config::Environment::with_prefix("AIRLOCK")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(overrides)),
        )
        .build()
        .map_err(invalid)?
        .try_deserialize()
        .map_err(invalid)
}

/// The prefix of non-secret override variables.
pub const OVERRIDE_PREFIX: &str = "AIRLOCK__";

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_environments() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../environments")
    }

    #[test]
    fn every_shipped_environment_loads_and_declares_its_own_mode() {
        for name in EnvironmentName::ALL {
            let config = load(&repo_environments(), name, &EnvSnapshot::default()).unwrap();
            assert_eq!(config.mode, name.mode(), "{name}");
            assert!(!config.testing.allow_loopback, "{name}");
            assert!(!config.risk.is_empty(), "{name} declares no risk limits");
        }
    }

    #[test]
    fn overrides_apply_and_unknown_keys_are_errors() {
        let env = EnvSnapshot::from_pairs([
            ("AIRLOCK__ENDPOINTS__TRADING", "http://127.0.0.1:9"),
            ("AIRLOCK__TESTING__ALLOW_LOOPBACK", "true"),
            ("AIRLOCK_PAPER__ALPACA__KEY_ID", "not-an-override"),
        ]);
        let config = load(&repo_environments(), EnvironmentName::Paper, &env).unwrap();
        assert_eq!(
            config.endpoints.trading.as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert!(config.testing.allow_loopback);
        let env = EnvSnapshot::from_pairs([("AIRLOCK__ENDPOINTS__TRADNG", "x")]);
        let error = load(&repo_environments(), EnvironmentName::Paper, &env).unwrap_err();
        assert!(error.to_string().contains("tradng"), "{error}");
    }

    #[test]
    fn environment_names_parse_and_map_to_modes() {
        assert_eq!("local".parse(), Ok(EnvironmentName::Local));
        assert_eq!(EnvironmentName::Local.mode(), ModeTag::DryRun);
        assert!("prod".parse::<EnvironmentName>().is_err());
    }
}
