//! `airlock health` and `airlock trading`: the trading state as this process sees it, and an
//! operator's change of it.

use std::sync::Arc;
use std::time::Duration;

use airlock::ephemeral::{Ephemeral, TradingGate, change_trading_state};
use airlock::store::{self, NewAuditEntry, Store, TradingState};
use airlock_core::EnvSnapshot;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use super::db::now;
use super::source::{StoreArgs, block_on};

/// The variable naming Redis when no --redis-url is given.
const REDIS_URL_VAR: &str = "AIRLOCK_REDIS_URL";

/// Where the trading state lives: the database (truth) and Redis (broadcast).
#[derive(Debug, Clone, Args)]
pub(crate) struct StateArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Redis, for the trading-state broadcast. Default: $AIRLOCK_REDIS_URL, else
    /// redis://127.0.0.1:6379.
    #[arg(long, value_name = "URL")]
    redis_url: Option<String>,
}

impl StateArgs {
    pub(crate) fn resolve(&mut self, environment: &EnvSnapshot) {
        self.store.resolve(environment);
        if self.redis_url.is_none() {
            self.redis_url = Some(
                environment
                    .get(REDIS_URL_VAR)
                    .filter(|url| !url.is_empty())
                    .unwrap_or("redis://127.0.0.1:6379")
                    .to_owned(),
            );
        }
    }

    fn redis_url(&self) -> String {
        self.redis_url
            .clone()
            .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
    }
}

/// `airlock health`.
#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateArg {
    /// Orders that pass the risk checks are sent.
    Active,
    /// Only orders that reduce a position are sent.
    Reducing,
    /// No order is sent.
    Halted,
}

/// `airlock trading`.
#[derive(Debug, Args)]
pub(crate) struct TradingArgs {
    /// The new trading state.
    #[arg(value_enum)]
    to: StateArg,
    /// Why (recorded with the change and in the audit log).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Who is changing it.
    #[arg(long, default_value = "operator", value_name = "NAME")]
    actor: String,
    #[command(flatten)]
    pub(crate) state: StateArgs,
}

/// The Redis key namespace: the database's environment tag.
async fn namespace(db: &dyn Store) -> anyhow::Result<String> {
    Ok(db
        .environment_tag()
        .await?
        .map_or_else(|| "untagged".to_owned(), |tag| tag.as_str().to_owned()))
}

/// Prints what the fail-safe gate sees. Exits 1 when the trading state cannot be confirmed
/// (Redis or the database unreachable); a confirmed halt is healthy, and says so.
pub(crate) fn health(args: &HealthArgs) -> anyhow::Result<()> {
    let url = args.state.store.database_url();
    block_on(async {
        let db: Arc<dyn Store> = Arc::from(store::open(&url).await?);
        let status = db.status().await?;
        if !status.pending.is_empty() {
            bail!(
                "{} has pending migrations; run `airlock db migrate` first",
                store::redact_url(&url)
            );
        }
        let environment = namespace(db.as_ref()).await?;
        println!(
            "database:      {} ({}), environment tag {environment}",
            store::redact_url(&url),
            db.backend()
        );
        let gate = TradingGate::start(Arc::clone(&db), args.state.redis_url(), environment);
        let confirmed = gate.confirmed(Duration::from_secs(3)).await;
        println!("{}", gate.health());
        if confirmed.is_none() {
            bail!("the trading state is unconfirmed: new orders would be refused");
        }
        Ok(())
    })?
}

/// Records a trading-state change (database first, audit log, then the broadcast).
pub(crate) fn trading(args: &TradingArgs) -> anyhow::Result<()> {
    let to = match args.to {
        StateArg::Active => TradingState::Active,
        StateArg::Reducing => TradingState::Reducing,
        StateArg::Halted => TradingState::Halted,
    };
    if args.reason.trim().is_empty() {
        bail!("--reason must say why the trading state changes");
    }
    let url = args.state.store.database_url();
    block_on(async {
        let db = store::open(&url).await?;
        let environment = namespace(db.as_ref()).await?;
        let redis = Ephemeral::connect(&args.state.redis_url(), &environment)
            .await
            .context("the change is broadcast through Redis")?;
        let at = now();
        let record =
            change_trading_state(db.as_ref(), &redis, to, &args.reason, &args.actor, at).await?;
        db.append_audit(&NewAuditEntry {
            at,
            actor: args.actor.clone(),
            action: "trading_state".into(),
            subject: format!("version:{}", record.version),
            detail: serde_json::json!({ "state": to.as_str(), "reason": args.reason }).to_string(),
        })
        .await?;
        println!(
            "trading state: {} (version {}, by {}: {})",
            record.state, record.version, record.actor, record.reason
        );
        Ok(())
    })?
}
