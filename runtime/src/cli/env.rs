//! `airlock env check` and `airlock run`: the start-up guards, shown or enforced.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use airlock::config::EnvironmentName;
use airlock::guard::{Evaluation, Inputs, Wiring, evaluate};
use airlock::store::StoreTags;
use airlock_brokers::Endpoint;
use airlock_core::{Backtest, DryRun, EnvSnapshot, ModeTag, Paper};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};

/// Arguments naming an environment and where its settings and secrets are.
#[derive(Debug, Args)]
pub(crate) struct EnvArgs {
    /// The environment: backtest, local, paper or live.
    #[arg(long = "env", value_name = "NAME")]
    pub(crate) environment: EnvironmentName,
    /// The folder holding backtest.toml, local.toml, paper.toml and live.toml.
    #[arg(long, value_name = "DIR", default_value = "environments")]
    environments: PathBuf,
    /// A secrets file of AIRLOCK_<ENV>__NAME=value lines; refused unless its permissions are
    /// 0600 or stricter.
    #[arg(long, value_name = "FILE")]
    secrets_file: Option<PathBuf>,
    /// Live only: repeat the account number configured in live.toml to confirm real-money
    /// trading.
    #[arg(long, value_name = "ACCOUNT")]
    confirm_live: Option<String>,
}

/// `airlock env …`.
#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// Print what an environment would use (secrets masked to their last 4 characters) and
    /// every start-up guard's verdict; exit 78 if any guard would refuse.
    ///
    /// Example: airlock env check --env paper --secrets-file ~/.airlock/paper.secrets
    Check(EnvArgs),
}

impl EnvCommand {
    pub(crate) fn environment(&self) -> EnvironmentName {
        match self {
            EnvCommand::Check(args) => args.environment,
        }
    }
}

/// Whether to stop after printing the verdicts or go on to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Check,
    Start,
}

pub(crate) fn check(command: &EnvCommand, env: &EnvSnapshot) -> anyhow::Result<()> {
    match command {
        EnvCommand::Check(args) => dispatch(args, env, Action::Check),
    }
}

pub(crate) fn start(args: &EnvArgs, env: &EnvSnapshot) -> anyhow::Result<()> {
    dispatch(args, env, Action::Start)
}

/// The `match` on mode: from here on every function is generic over the mode's type.
fn dispatch(args: &EnvArgs, env: &EnvSnapshot, action: Action) -> anyhow::Result<()> {
    println!(
        "airlock {} · mode: {} · environment: {}",
        env!("CARGO_PKG_VERSION"),
        args.environment.mode(),
        args.environment
    );
    match args.environment {
        EnvironmentName::Backtest => in_mode::<Backtest>(args, env, action),
        EnvironmentName::Local => in_mode::<DryRun>(args, env, action),
        EnvironmentName::Paper => in_mode::<Paper>(args, env, action),
        #[cfg(feature = "live")]
        EnvironmentName::Live => in_mode::<airlock_core::Live>(args, env, action),
        #[cfg(not(feature = "live"))]
        EnvironmentName::Live => refuse_live_build(action),
    }
}

/// Live asked of a build without the `live` feature: there is no `Live` type to evaluate.
#[cfg(not(feature = "live"))]
fn refuse_live_build(action: Action) -> anyhow::Result<()> {
    use airlock::guard::{GuardRefusal, Outcome, Verdict};
    let refusal = GuardRefusal::new(
        "live-build",
        "--env live".to_owned(),
        "this airlock was built without the cargo feature `live`".to_owned(),
    );
    if action == Action::Check {
        println!("guards:");
        let verdict = Verdict {
            rule: refusal.rule,
            outcome: Outcome::Refuse(refusal.clone()),
        };
        println!("  {verdict}");
        println!("verdict: refused by 1 guard (exit 78)");
    }
    Err(refusal.into())
}

fn in_mode<M: Wiring>(args: &EnvArgs, env: &EnvSnapshot, action: Action) -> anyhow::Result<()> {
    let inputs = Inputs {
        environment: args.environment,
        environments_dir: &args.environments,
        process: env,
        secrets_file: args.secrets_file.as_deref(),
        confirm_live: args.confirm_live.as_deref(),
    };
    tracing::info!(file = %inputs.environment.file_in(&args.environments).display(), "running start-up guards");
    let evaluation = evaluate::<M>(inputs, &mut StoreTags)?;
    for verdict in &evaluation.verdicts {
        tracing::debug!(rule = verdict.rule, "{verdict}");
    }
    if action == Action::Check {
        print_check(&evaluation);
    }
    if let Some(refusal) = evaluation.first_refusal() {
        // Reported once, as the command's error line (`main` prints it and exits 78).
        return Err(refusal.clone().into());
    }
    if action == Action::Check {
        return Ok(());
    }
    if let Some(credentials) = &evaluation.credentials {
        tracing::info!(%credentials, "every start-up guard passed");
    } else {
        tracing::info!("every start-up guard passed");
    }
    for endpoint in &evaluation.endpoints {
        connect(endpoint)?;
    }
    let broker = evaluation
        .config
        .as_ref()
        .map_or("", |config| config.broker.as_str());
    bail!(
        "start-up stopped after the connection check: this build has no {broker} session for {} yet",
        M::TAG
    )
}

/// Opens (and closes) one TCP connection: the first thing a broker or data client does.
fn connect<M: Wiring>(endpoint: &Endpoint<M>) -> anyhow::Result<()> {
    let authority = endpoint.authority();
    let address = authority
        .to_socket_addrs()
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .with_context(|| format!("resolving {authority}: no address"))?;
    TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .with_context(|| format!("connecting to {endpoint}"))?;
    tracing::info!(endpoint = %endpoint, kind = endpoint.kind().key(), "connected");
    Ok(())
}

fn print_check<M: Wiring>(evaluation: &Evaluation<M>) {
    println!("file:        {}", evaluation.file.display());
    if let Some(config) = &evaluation.config {
        let none = "(none)";
        println!("broker:      {}", config.broker.as_str());
        println!("account:     {}", config.account.as_deref().unwrap_or(none));
        println!(
            "trading:     {}",
            config.endpoints.trading.as_deref().unwrap_or(none)
        );
        println!(
            "market data: {}",
            config.endpoints.market_data.as_deref().unwrap_or(none)
        );
        match evaluation.masked_database_url() {
            Some((variable, masked)) => println!("database:    {variable} = {masked}"),
            None => println!("database:    {} (not set)", config.database.url_variable),
        }
        let risk: Vec<String> = config
            .risk
            .iter()
            .map(|(key, value)| format!("{key} = {value}"))
            .collect();
        println!("risk:        {}", risk.join(", "));
        println!(
            "testing:     allow_loopback = {}",
            config.testing.allow_loopback
        );
    }
    match &evaluation.credentials {
        Some(credentials) => println!("credentials: {credentials}"),
        None => println!("credentials: (not read)"),
    }
    println!("guards:");
    for verdict in &evaluation.verdicts {
        println!("  {verdict}");
    }
    match evaluation.refusals() {
        0 => println!("verdict: every guard passed"),
        1 => println!("verdict: refused by 1 guard (exit 78)"),
        count => println!("verdict: refused by {count} guards (exit 78)"),
    }
}

/// The mode a command runs in, for the log span.
pub(crate) fn mode_of(environment: EnvironmentName) -> ModeTag {
    environment.mode()
}
