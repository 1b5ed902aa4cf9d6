//! [`evaluate()`]: every start-up guard, in order, with each verdict kept.

use std::fmt;
use std::path::{Path, PathBuf};

use airlock_brokers::{Endpoint, EndpointKind, Loopback, mask};
use airlock_core::{EnvSnapshot, ModeTag};
use secrecy::SecretString;
use thiserror::Error;

use super::{
    GuardRefusal, Outcome, Verdict, Wiring, check_database_tag, check_declared_mode,
    check_foreign_secrets, check_live_confirmation, check_overrides,
};
use crate::config::{self, ConfigError, EnvironmentConfig, EnvironmentName};
use crate::secrets::{self, SecretsFileError};

/// What start-up was asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The environment named on the command line.
    pub environment: EnvironmentName,
    /// The folder holding the environment files.
    pub environments_dir: &'a Path,
    /// The process environment, captured once.
    pub process: &'a EnvSnapshot,
    /// A secrets file, if one was given.
    pub secrets_file: Option<&'a Path>,
    /// The account number given with `--confirm-live`.
    pub confirm_live: Option<&'a str>,
}

/// Reading the database's environment tag failed (not a refusal: the database was unreachable or
/// unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("reading the database environment tag: {reason}")]
pub struct TagReadError {
    /// What went wrong, without the URL.
    pub reason: String,
}

/// Where the database's environment tag comes from: the store opens the database at `url` and
/// reads its one-row `environment_tag` table. A seam, so start-up can be tested without a
/// database and the store plugs in here.
pub trait EnvironmentTagSource {
    /// The tag, or `None` for a database that was never tagged.
    ///
    /// # Errors
    ///
    /// [`TagReadError`] when the database cannot be reached or read.
    fn read_tag(&mut self, url: Option<&SecretString>) -> Result<Option<ModeTag>, TagReadError>;
}

/// The tag source of a build without a store: every database reads as untagged, so paper,
/// local and backtest proceed (their store will tag the database on first open) and live
/// refuses (it needs a database already tagged `live`).
#[derive(Debug, Clone, Copy, Default)]
pub struct UnopenedStore;

impl EnvironmentTagSource for UnopenedStore {
    fn read_tag(&mut self, _: Option<&SecretString>) -> Result<Option<ModeTag>, TagReadError> {
        Ok(None)
    }
}

/// Start-up failed for a reason other than a guard (a refusal is inside [`Evaluation`]).
#[derive(Debug, Error)]
pub enum StartError {
    /// The environment file could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The secrets file could not be read.
    #[error(transparent)]
    SecretsFile(#[from] SecretsFileError),
    /// The database tag could not be read.
    #[error(transparent)]
    Tag(#[from] TagReadError),
}

/// Everything start-up would use, and every guard's verdict. Secrets are held as secrets: the
/// `Debug` and `Display` output masks them.
pub struct Evaluation<M: Wiring> {
    /// The environment.
    pub environment: EnvironmentName,
    /// Its file.
    pub file: PathBuf,
    /// The loaded configuration (`None` when a guard refused before it was loaded).
    pub config: Option<EnvironmentConfig>,
    /// The verdicts, in the order the guards ran.
    pub verdicts: Vec<Verdict>,
    /// The broker credentials, when they were read.
    pub credentials: Option<M::Credentials>,
    /// The endpoints that passed the allow-list, order-capable (trading) first.
    pub endpoints: Vec<Endpoint<M>>,
    /// The database URL variable and its value, when set.
    pub database_url: Option<(String, SecretString)>,
}

impl<M: Wiring> Evaluation<M> {
    /// The first refusal, if any guard refused.
    pub fn first_refusal(&self) -> Option<&GuardRefusal> {
        self.verdicts
            .iter()
            .find_map(|verdict| match &verdict.outcome {
                Outcome::Refuse(refusal) => Some(refusal),
                _ => None,
            })
    }

    /// How many guards refused.
    pub fn refusals(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|verdict| matches!(verdict.outcome, Outcome::Refuse(_)))
            .count()
    }

    /// The database URL, masked, for display.
    pub fn masked_database_url(&self) -> Option<(String, String)> {
        self.database_url
            .as_ref()
            .map(|(variable, url)| (variable.clone(), mask(url)))
    }

    /// The proof live start-up needs; refused unless every guard passed.
    ///
    /// # Errors
    ///
    /// The first refusal.
    #[cfg(feature = "live")]
    pub fn live_gate(&self) -> Result<super::LiveGate, GuardRefusal>
    where
        M: airlock_core::BrokerAccount,
    {
        if let Some(refusal) = self.first_refusal() {
            return Err(refusal.clone());
        }
        let account = self
            .config
            .as_ref()
            .and_then(|config| config.account.clone())
            .filter(|_| M::TAG == ModeTag::Live)
            .ok_or_else(|| {
                GuardRefusal::new(
                    "live-confirmation",
                    format!("{}: account", self.file.display()),
                    "no confirmed live account".to_owned(),
                )
            })?;
        Ok(super::LiveGate::new(account))
    }
}

impl<M: Wiring> fmt::Debug for Evaluation<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evaluation")
            .field("mode", &M::TAG)
            .field("environment", &self.environment)
            .field("file", &self.file)
            .field("config", &self.config)
            .field("verdicts", &self.verdicts)
            .field("credentials", &self.credentials)
            .field("endpoints", &self.endpoints)
            .field("database_url", &self.masked_database_url())
            .finish()
    }
}

impl<M: Wiring> fmt::Display for Evaluation<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.environment, self.file.display())?;
        if let Some(credentials) = &self.credentials {
            write!(f, ", credentials {credentials}")?;
        }
        if let Some((variable, url)) = self.masked_database_url() {
            write!(f, ", database {variable}={url}")?;
        }
        write!(f, ", {} refusals", self.refusals())
    }
}

/// Runs every guard for mode `M`, reading the database tag through `tags` only when every
/// earlier guard passed. Opens no connection itself.
///
/// # Errors
///
/// [`StartError`] when a file cannot be read or the tag cannot be read; refusals are verdicts in
/// the returned [`Evaluation`].
pub fn evaluate<M: Wiring>(
    inputs: Inputs<'_>,
    tags: &mut dyn EnvironmentTagSource,
) -> Result<Evaluation<M>, StartError> {
    let file = inputs.environment.file_in(inputs.environments_dir);
    let mut evaluation = Evaluation::<M> {
        environment: inputs.environment,
        file: file.clone(),
        config: None,
        verdicts: Vec::new(),
        credentials: None,
        endpoints: Vec::new(),
        database_url: None,
    };
    let verdicts = &mut evaluation.verdicts;
    let overrides = check_overrides(inputs.process);
    let overrides_refused = overrides.is_err();
    verdicts.push(Verdict::from_result("secret-outside-namespace", overrides));

    // Secrets: the process's AIRLOCK_<ENV>__ variables and the file's entries.
    let mut file_entries = EnvSnapshot::default();
    if let Some(path) = inputs.secrets_file {
        let permissions = secrets::check_permissions(path)?;
        let readable = permissions.is_ok();
        verdicts.push(Verdict::from_result(
            "secrets-file-permissions",
            permissions.map(|()| format!("{} is private to its owner", path.display())),
        ));
        if readable {
            file_entries = secrets::read_file(path)?;
        }
    } else {
        verdicts.push(Verdict {
            rule: "secrets-file-permissions",
            outcome: Outcome::Skip("no secrets file given".to_owned()),
        });
    }
    verdicts.push(Verdict::from_result(
        "foreign-secret",
        check_foreign_secrets(
            M::TAG,
            M::FOREIGN_NAMESPACES,
            inputs.process,
            inputs.secrets_file.map(|path| (path, &file_entries)),
        ),
    ));
    let merged = secrets::merge(inputs.process, &file_entries);
    let merged_ok = merged.as_ref().map(|_| "no secret is set twice".to_owned());
    verdicts.push(Verdict::from_result(
        "secret-defined-twice",
        merged_ok.map_err(Clone::clone),
    ));
    let secrets = merged.unwrap_or_default();

    if overrides_refused {
        // An override named like a secret may hold one; loading it could echo it in an error.
        return Ok(evaluation);
    }
    let config = config::load(inputs.environments_dir, inputs.environment, inputs.process)?;
    verdicts.push(Verdict::from_result(
        "declared-mode",
        check_declared_mode(M::TAG, config.mode, &file),
    ));
    verdicts.push(Verdict::from_result(
        "broker-mode",
        if M::BROKERS.contains(&config.broker) {
            Ok(format!(
                "broker {} trades in {}",
                config.broker.as_str(),
                M::TAG
            ))
        } else {
            Err(GuardRefusal::new(
                "broker-mode",
                format!("{}: broker", file.display()),
                format!(
                    "broker {} cannot trade in {}",
                    config.broker.as_str(),
                    M::TAG
                ),
            ))
        },
    ));
    verdicts.push(Verdict::from_result(
        "test-setting",
        match (config.testing.allow_loopback, M::TAG) {
            (true, ModeTag::Live) => Err(GuardRefusal::new(
                "test-setting",
                "testing.allow_loopback".to_owned(),
                "the loopback test setting is never allowed in live".to_owned(),
            )),
            (true, _) => Ok("testing.allow_loopback is on: loopback endpoints accepted".to_owned()),
            (false, _) => Ok("no test setting".to_owned()),
        },
    ));
    let loopback = if config.testing.allow_loopback {
        Loopback::AllowedForTests
    } else {
        Loopback::Refused
    };
    let needs_trading = config.broker != config::BrokerKind::Sim;
    for (key, kind, url) in [
        (
            "endpoints.trading",
            config.broker.trading_endpoint(),
            &config.endpoints.trading,
        ),
        (
            "endpoints.market_data",
            EndpointKind::MarketData,
            &config.endpoints.market_data,
        ),
    ] {
        let key = key.to_owned();
        let result = match url {
            None if kind != EndpointKind::MarketData && needs_trading => Err(GuardRefusal::new(
                "endpoint-allow-list",
                key,
                format!("broker {} needs a trading endpoint", config.broker.as_str()),
            )),
            None => {
                verdicts.push(Verdict {
                    rule: "endpoint-allow-list",
                    outcome: Outcome::Skip(format!("{key}: none configured")),
                });
                continue;
            }
            Some(url) => match Endpoint::<M>::check(kind, url, loopback) {
                Ok(endpoint) => {
                    let detail = format!("{key}: {endpoint} is allowed in {}", M::TAG);
                    evaluation.endpoints.push(endpoint);
                    Ok(detail)
                }
                Err(error) => Err(GuardRefusal::new(
                    "endpoint-allow-list",
                    key,
                    error.to_string(),
                )),
            },
        };
        verdicts.push(Verdict::from_result("endpoint-allow-list", result));
    }
    match M::credentials(config.broker, &secrets) {
        Ok(credentials) => {
            verdicts.push(Verdict::from_result(
                "credentials",
                Ok(format!("{credentials}")),
            ));
            evaluation.credentials = Some(credentials);
        }
        Err(refusal) => verdicts.push(Verdict::from_result("credentials", Err(refusal))),
    }
    let variable = config.database.url_variable.clone();
    let database = check_database_variable::<M>(&variable, &secrets);
    if let Ok(Some(url)) = &database {
        evaluation.database_url = Some((variable.clone(), SecretString::from(url.to_owned())));
    }
    verdicts.push(Verdict::from_result(
        "database-url",
        database.map(|url| match url {
            Some(_) => format!("{variable} is set"),
            None => format!("{variable} is not set; the embedded default database is used"),
        }),
    ));
    verdicts.push(Verdict::from_result(
        "risk-limits",
        check_risk_limits(&config.risk, &file.display().to_string()),
    ));
    verdicts.push(if M::TAG == ModeTag::Live {
        Verdict::from_result(
            "live-confirmation",
            check_live_confirmation(inputs.confirm_live, config.account.as_deref(), &file),
        )
    } else {
        Verdict {
            rule: "live-confirmation",
            outcome: Outcome::Skip(format!("{} needs no confirmation", M::TAG)),
        }
    });
    let refused_so_far = verdicts
        .iter()
        .any(|verdict| matches!(verdict.outcome, Outcome::Refuse(_)));
    verdicts.push(if refused_so_far {
        Verdict {
            rule: "database-tag",
            outcome: Outcome::Skip("not read: an earlier guard refused".to_owned()),
        }
    } else {
        let url = evaluation.database_url.as_ref().map(|(_, url)| url);
        Verdict::from_result(
            "database-tag",
            check_database_tag(M::TAG, tags.read_tag(url)?),
        )
    });
    evaluation.config = Some(config);
    Ok(evaluation)
}

/// The `[risk]` table must be a complete, valid `RiskLimits`: an unknown key or a float is an
/// error, and a limit left out would refuse every order, so start-up refuses it here instead of
/// starting a session that can never trade.
fn check_risk_limits(
    table: &std::collections::BTreeMap<String, serde_json::Value>,
    file: &str,
) -> Result<String, GuardRefusal> {
    let subject = || format!("{file} [risk]");
    let value = serde_json::Value::Object(table.clone().into_iter().collect());
    let limits: airlock_risk::RiskLimits = serde_json::from_value(value)
        .map_err(|error| GuardRefusal::new("risk-limits", subject(), error.to_string()))?;
    let missing = limits.missing();
    if !missing.is_empty() {
        return Err(GuardRefusal::new(
            "risk-limits",
            subject(),
            format!(
                "not configured: {} (a limit left out refuses every order)",
                missing.join(", ")
            ),
        ));
    }
    Ok(format!("every limit of {} is set", subject()))
}

/// The database URL variable must belong to the mode's own namespace (paper, live) and must be
/// set there; the simulated modes may leave it unset.
fn check_database_variable<'a, M: Wiring>(
    variable: &str,
    secrets: &'a EnvSnapshot,
) -> Result<Option<&'a str>, GuardRefusal> {
    let refuse = |reason: String| {
        Err(GuardRefusal::new(
            "database-url",
            "database.url_variable".to_owned(),
            reason,
        ))
    };
    if !secrets::is_secret_name(variable) {
        return refuse(format!(
            "{variable} is not an AIRLOCK_<ENV>__ variable; the URL holds a password"
        ));
    }
    if let Some(namespace) = M::FOREIGN_NAMESPACES
        .iter()
        .find(|namespace| variable.starts_with(&format!("{namespace}__")))
    {
        return refuse(format!(
            "{variable} is in {namespace}, another environment's namespace"
        ));
    }
    match M::SECRET_NAMESPACE {
        Some(own) if !variable.starts_with(&format!("{own}__")) => {
            refuse(format!("{variable} is not in {own}__"))
        }
        Some(_) => match secrets.get(variable) {
            Some(url) if !url.trim().is_empty() => Ok(Some(url)),
            _ => Err(GuardRefusal::new(
                "database-url",
                variable.to_owned(),
                format!("not set; {} needs its database", M::TAG),
            )),
        },
        None => Ok(secrets.get(variable).filter(|url| !url.trim().is_empty())),
    }
}
