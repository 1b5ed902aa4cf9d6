//! `airlock db`: migrate a database, show its status, verify its audit chain.

use airlock::store::{self, AuditVerdict};
use airlock_core::{ModeTag, UnixNanos};
use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};

use super::source::{StoreArgs, block_on};

/// `airlock db …`
#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Apply every pending migration (forward-only), then optionally tag the database with
    /// its environment (set once; a database tagged for another environment is refused).
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
        /// Tag the database for this environment, if it is not tagged yet.
        #[arg(long, value_enum, value_name = "ENV")]
        tag: Option<TagArg>,
    },
    /// Show applied and pending migrations and the environment tag.
    Status {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Recompute the audit log's hash chain; exits 1 and names the first broken row if any
    /// row was changed, deleted or reordered.
    VerifyAudit {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TagArg {
    Backtest,
    DryRun,
    Paper,
    Live,
}

impl From<TagArg> for ModeTag {
    fn from(tag: TagArg) -> Self {
        match tag {
            TagArg::Backtest => ModeTag::Backtest,
            TagArg::DryRun => ModeTag::DryRun,
            TagArg::Paper => ModeTag::Paper,
            TagArg::Live => ModeTag::Live,
        }
    }
}

/// The wall clock, read here in the runtime and passed into the store.
#[expect(
    clippy::disallowed_methods,
    reason = "the CLI is where the runtime reads the clock"
)]
pub(crate) fn now() -> UnixNanos {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    UnixNanos::new(u64::try_from(nanos).unwrap_or(u64::MAX))
}

impl DbArgs {
    /// Fills in the store defaults that come from the environment.
    pub(crate) fn resolve(&mut self, environment: &airlock_core::EnvSnapshot) {
        let store = match &mut self.command {
            DbCommand::Migrate { store, .. }
            | DbCommand::Status { store }
            | DbCommand::VerifyAudit { store } => store,
        };
        store.resolve(environment);
    }
}

pub(crate) fn run(args: &DbArgs) -> anyhow::Result<()> {
    match &args.command {
        DbCommand::Migrate { store, tag } => migrate(store, *tag),
        DbCommand::Status { store } => status(store),
        DbCommand::VerifyAudit { store } => verify(store),
    }
}

fn migrate(args: &StoreArgs, tag: Option<TagArg>) -> anyhow::Result<()> {
    let url = args.database_url();
    println!("database: {}", store::redact_url(&url));
    block_on(async {
        let db = store::open(&url).await?;
        let applied = db.migrate().await?;
        if applied.is_empty() {
            println!("migrations: up to date");
        }
        for migration in &applied {
            println!("applied:  {} {}", migration.version, migration.description);
        }
        if let Some(tag) = tag {
            db.set_environment_tag(tag.into(), now()).await?;
        }
        match db.environment_tag().await? {
            Some(tag) => println!("environment tag: {tag}"),
            None => println!("environment tag: (not set; set it with --tag ENV)"),
        }
        Ok(())
    })?
}

fn status(args: &StoreArgs) -> anyhow::Result<()> {
    let url = args.database_url();
    block_on(async {
        let db = store::open(&url).await?;
        let status = db.status().await?;
        println!("database: {} ({})", store::redact_url(&url), db.backend());
        for migration in &status.applied {
            println!("applied:  {} {}", migration.version, migration.description);
        }
        for migration in &status.pending {
            println!("pending:  {} {}", migration.version, migration.description);
        }
        if status.applied.is_empty() && status.pending.is_empty() {
            println!("migrations: none");
        }
        match status.environment_tag {
            Some(tag) => println!("environment tag: {tag}"),
            None => println!("environment tag: (not set)"),
        }
        Ok(())
    })?
}

fn verify(args: &StoreArgs) -> anyhow::Result<()> {
    let url = args.database_url();
    block_on(async {
        let db = store::open(&url).await?;
        match db.verify_audit().await? {
            AuditVerdict::Intact { rows, head } => {
                println!("audit log intact: {rows} rows, head {head}");
                Ok(())
            }
            AuditVerdict::Broken { seq, reason } => {
                bail!("audit log broken at row {seq}: {reason}")
            }
        }
    })?
}
