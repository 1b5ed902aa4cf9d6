//! The store: everything the runtime keeps durably, behind one API and no SQL outside it.
//!
//! [`open`] picks the back-end from the database URL: `postgres://…` (required for paper and
//! live) or `sqlite://…` (the embedded default for backtest and local). Both implement
//! [`Store`] with the same behaviour; the SQL itself lives in the `airlock-store-postgres` and
//! `airlock-store-sqlite` crates, where sqlx checks every statement at compile time.

use std::path::Path;

pub use airlock_store::{
    Applied, AuditEntry, AuditVerdict, Backend, CandleSeriesInfo, CandleWrite, ChainHash,
    FillRecord, MigrationStatus, NewAuditEntry, NewFill, NewPosition, NewPromotion, NewRiskEvent,
    NewRun, NewSignal, OrderIntent, OrderRecord, OrderState, RiskEventKind, RunId, RunRecord,
    RunState, SignalIntake, StateChange, Store, StoreError, TradingState, TradingStateRecord,
    strategy_version,
};
pub use airlock_store_postgres::PgStore;
pub use airlock_store_sqlite::SqliteStore;

/// The environment variable naming the database when no `--database-url` is given.
pub const DATABASE_URL_VAR: &str = "AIRLOCK_DATABASE_URL";

/// The embedded default database: `airlock.db` in the data directory.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("airlock.db").display())
}

/// Connects to the database at `url`.
///
/// # Errors
/// [`StoreError::Invalid`] for a URL that is neither `postgres://`/`postgresql://` nor
/// `sqlite:`, and the back-end's connection error.
pub async fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .map(Path::new)
            && let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|error| StoreError::Invalid {
                field: "database URL",
                reason: format!("cannot create {}: {error}", parent.display()),
            })?;
        }
        Ok(Box::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Invalid {
            field: "database URL",
            reason: format!("{} is neither postgres://… nor sqlite://…", redact_url(url)),
        })
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            if credentials.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

/// The start-up guards' view of the database: opens it and reads its environment tag.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreTags;

impl crate::guard::EnvironmentTagSource for StoreTags {
    fn read_tag(
        &mut self,
        url: Option<&secrecy::SecretString>,
    ) -> Result<Option<airlock_core::ModeTag>, crate::guard::TagReadError> {
        use secrecy::ExposeSecret;
        let Some(url) = url else {
            return Ok(None);
        };
        let failed = |reason: String| crate::guard::TagReadError { reason };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| failed(error.to_string()))?;
        runtime
            .block_on(async {
                let store = open(url.expose_secret()).await?;
                store.environment_tag().await
            })
            .map_err(|error| failed(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://admin:quest@127.0.0.1:8812/qdb"),
            "postgres://admin:***@127.0.0.1:8812/qdb"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    }
}
