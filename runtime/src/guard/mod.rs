//! Start-up guards: the checks that run before any connection that could place an order, and the
//! run-time account-kind check right after a broker connects.
//!
//! Each guard is a pure function returning a [`GuardRefusal`] that names its rule and the variable
//! or key, never a secret's value; the binary turns a refusal anywhere in an error chain into exit
//! code 78 (EX_CONFIG). [`evaluate()`] runs them all in order and keeps every verdict, for
//! `airlock env check` and for start-up.

mod account;
mod evaluate;
mod wiring;

use std::fmt;
use std::path::Path;

use airlock_core::{EnvSnapshot, ModeTag};
use thiserror::Error;

use crate::config::OVERRIDE_PREFIX;

pub use account::{AuditRecord, AuditSink, TracingAudit, admit_account, check_account_kind};
pub use evaluate::{
    EnvironmentTagSource, Evaluation, Inputs, StartError, TagReadError, UnopenedStore, evaluate,
};
#[cfg(feature = "live")]
pub use wiring::LiveGate;
pub use wiring::{AccountSecrets, NoCredentials, Wiring};

/// A guard refused: the rule, the variable or key it is about, and why. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("guard {rule} refused {subject}: {reason}")]
pub struct GuardRefusal {
    /// The rule, e.g. `foreign-secret`.
    pub rule: &'static str,
    /// The variable, key, file or flag the refusal is about.
    pub subject: String,
    /// Why, and what to do.
    pub reason: String,
}

impl GuardRefusal {
    /// A refusal of `rule` about `subject`.
    pub fn new(rule: &'static str, subject: String, reason: String) -> Self {
        Self {
            rule,
            subject,
            reason,
        }
    }
}

/// One guard's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The guard passed; what it saw.
    Pass(String),
    /// The guard refused.
    Refuse(GuardRefusal),
    /// The guard did not apply, and why.
    Skip(String),
}

/// A guard's name and verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The rule.
    pub rule: &'static str,
    /// What it decided.
    pub outcome: Outcome,
}

impl Verdict {
    fn from_result(rule: &'static str, result: Result<String, GuardRefusal>) -> Self {
        Self {
            rule,
            outcome: match result {
                Ok(detail) => Outcome::Pass(detail),
                Err(refusal) => Outcome::Refuse(refusal),
            },
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Pass(detail) => write!(f, "pass    {:<26} {detail}", self.rule),
            Outcome::Refuse(refusal) => write!(
                f,
                "REFUSE  {:<26} {}: {}",
                self.rule, refusal.subject, refusal.reason
            ),
            Outcome::Skip(reason) => write!(f, "skip    {:<26} {reason}", self.rule),
        }
    }
}

/// Words that mark a variable as a secret; such a variable must live in an `AIRLOCK_<ENV>__`
/// namespace, never among the `AIRLOCK__` overrides (which are logged and shown unmasked).
const SECRET_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "TOKEN",
    "KEY_ID",
    "API_KEY",
    "DATABASE_URL",
];

/// Refuses an `AIRLOCK__…` override whose name looks like a secret.
///
/// # Errors
///
/// Rule `secret-outside-namespace`, naming the variable.
pub fn check_overrides(env: &EnvSnapshot) -> Result<String, GuardRefusal> {
    let mut count = 0_usize;
    for name in env.names_with_prefix(OVERRIDE_PREFIX) {
        count += 1;
        if SECRET_WORDS.iter().any(|word| name.contains(word)) {
            return Err(GuardRefusal::new(
                "secret-outside-namespace",
                name.to_owned(),
                "AIRLOCK__ variables are plain settings; put secrets in AIRLOCK_<ENV>__ variables \
                 or the secrets file"
                    .to_owned(),
            ));
        }
    }
    Ok(format!(
        "{count} AIRLOCK__ overrides, none named like a secret"
    ))
}

/// Refuses when a variable (or secrets-file entry) of a higher environment is visible:
/// any name starting with `<namespace>__` for a namespace in `foreign`, and apca's own
/// `APCA_API_*` variables (which name no environment at all).
///
/// # Errors
///
/// Rule `foreign-secret`, naming the first such variable (or `file: name`).
pub fn check_foreign_secrets(
    mode: ModeTag,
    foreign: &[&str],
    process: &EnvSnapshot,
    file: Option<(&Path, &EnvSnapshot)>,
) -> Result<String, GuardRefusal> {
    let sources =
        std::iter::once((None, process)).chain(file.map(|(path, entries)| (Some(path), entries)));
    for (path, entries) in sources {
        let subject = |name: &str| match path {
            Some(path) => format!("{} entry {name}", path.display()),
            None => name.to_owned(),
        };
        for namespace in foreign {
            let prefix = format!("{namespace}__");
            if let Some(name) = entries.names_with_prefix(&prefix).next() {
                return Err(GuardRefusal::new(
                    "foreign-secret",
                    subject(name),
                    format!(
                        "a secret of {namespace}__ (another environment) is visible while running \
                         {mode}; remove it from this process's environment"
                    ),
                ));
            }
        }
        if let Some(name) = entries.names_with_prefix("APCA_API_").next() {
            return Err(GuardRefusal::new(
                "foreign-secret",
                subject(name),
                "apca's own variables name no environment; use AIRLOCK_<ENV>__ALPACA__ variables"
                    .to_owned(),
            ));
        }
    }
    Ok(if foreign.is_empty() {
        "no APCA_API_* variable visible".to_owned()
    } else {
        format!(
            "no {} or APCA_API_* variable visible",
            foreign
                .iter()
                .map(|namespace| format!("{namespace}__*"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Refuses when the environment file declares another mode than the one asked for.
///
/// # Errors
///
/// Rule `declared-mode`, naming the file's `mode` key.
pub fn check_declared_mode(
    asked: ModeTag,
    declared: ModeTag,
    file: &Path,
) -> Result<String, GuardRefusal> {
    if asked == declared {
        Ok(format!("{} declares mode {declared}", file.display()))
    } else {
        Err(GuardRefusal::new(
            "declared-mode",
            format!("{}: mode", file.display()),
            format!("the file declares {declared} but {asked} was asked for"),
        ))
    }
}

/// Compares the database's environment tag with the mode. An untagged database is accepted for
/// every mode but live (the store tags it on first open); live needs a database already tagged
/// `live`.
///
/// # Errors
///
/// Rule `database-tag`, naming the database's `environment_tag`.
pub fn check_database_tag(mode: ModeTag, tag: Option<ModeTag>) -> Result<String, GuardRefusal> {
    match tag {
        Some(tag) if tag == mode => Ok(format!("database tagged {tag}")),
        Some(tag) => Err(GuardRefusal::new(
            "database-tag",
            "database environment_tag".to_owned(),
            format!("the database is tagged {tag} but this runtime is {mode}"),
        )),
        None if mode == ModeTag::Live => Err(GuardRefusal::new(
            "database-tag",
            "database environment_tag".to_owned(),
            "live needs a database already tagged live; this one is untagged".to_owned(),
        )),
        None => Ok(format!(
            "database untagged; the store tags it {mode} on first open"
        )),
    }
}

/// Live only: `--confirm-live` must repeat the configured account number.
///
/// # Errors
///
/// Rule `live-confirmation`, naming `--confirm-live` or the file's `account` key.
pub fn check_live_confirmation(
    confirm: Option<&str>,
    configured: Option<&str>,
    file: &Path,
) -> Result<String, GuardRefusal> {
    let configured = configured
        .map(str::trim)
        .filter(|account| !account.is_empty());
    let Some(configured) = configured else {
        return Err(GuardRefusal::new(
            "live-confirmation",
            format!("{}: account", file.display()),
            "no account number is configured for live".to_owned(),
        ));
    };
    match confirm {
        None => Err(GuardRefusal::new(
            "live-confirmation",
            "--confirm-live".to_owned(),
            "live needs --confirm-live <account-number>".to_owned(),
        )),
        Some(given) if given.trim() == configured => {
            Ok(format!("--confirm-live matches account {configured}"))
        }
        Some(_) => Err(GuardRefusal::new(
            "live-confirmation",
            "--confirm-live".to_owned(),
            format!(
                "does not match the configured account ({}: account)",
                file.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
