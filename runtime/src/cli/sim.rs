//! `airlock sim alpaca`: the Alpaca-compatible loopback server, priced from candle files.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use airlock::data::{Adjust, CsvOptions, CsvSource};
use airlock_alpaca_sim::{SimConfig, SimHandle, generate_keys};
use airlock_brokers::matching::{EngineConfig, FillModel};
use airlock_core::{Candle, Money, Rate, SCALE, Symbol};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::source::block_on;

/// Simulated venues.
#[derive(Debug, Subcommand)]
pub(crate) enum SimCommand {
    /// Serve Alpaca's trading API (REST and the trade-updates WebSocket) on this machine,
    /// backed by Airlock's matching engine and priced from candle files, so that Airlock's
    /// Alpaca broker, apca, alpaca-py or curl can trade against a local simulated venue.
    ///
    /// Without --replay every symbol's price is its file's last close and market orders fill
    /// there at once. With --replay SPEED the candles are played in time order at SPEED × real
    /// time (86400 = one daily bar a second), and working orders trade against each bar.
    /// Nothing here reaches a real broker; stop it with Ctrl-C.
    #[command(after_help = "Examples:
  airlock sim alpaca --listen 127.0.0.1:8787 --data examples/data/DA-AAPL-T-2021-04-21.csv.gz
  airlock sim alpaca --listen 127.0.0.1:8787 --data examples/data/DA-*.csv.gz --replay 86400
  airlock sim alpaca --listen 127.0.0.1:8787 --data aapl.csv --key-id PKLOCAL --secret-key local-secret

Then, with the key pair it printed:
  curl -s -H \"APCA-API-KEY-ID: $KEY\" -H \"APCA-API-SECRET-KEY: $SECRET\" http://127.0.0.1:8787/v2/account")]
    Alpaca(AlpacaArgs),
}

/// Arguments of `airlock sim alpaca`.
#[derive(Debug, Args)]
pub(crate) struct AlpacaArgs {
    /// Address to listen on (port 0 picks a free port; the URL is printed). Must be a loopback
    /// address unless --listen-anywhere is given.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
    listen: SocketAddr,
    /// Allow --listen on an address other machines can reach. Off by default: anyone who can
    /// reach the port and knows the key pair can place (simulated) orders, and the key pair
    /// travels in clear text over plain HTTP.
    #[arg(long)]
    listen_anywhere: bool,
    /// Candle files (CSV, optionally gzip-compressed), one symbol per file, named after the
    /// file as for `airlock backtest` (DA-AAPL-T-2021-04-21.csv.gz is AAPL).
    #[arg(long, num_args = 1.., required = true, value_name = "FILE")]
    data: Vec<PathBuf>,
    /// The key id clients must send (APCA-API-KEY-ID). Without --key-id and --secret-key a
    /// fresh pair is generated and printed at start.
    #[arg(long, value_name = "KEY_ID", requires = "secret_key")]
    key_id: Option<String>,
    /// The secret key clients must send (APCA-API-SECRET-KEY); give it with --key-id. It is
    /// never printed.
    #[arg(long, value_name = "SECRET", requires = "key_id")]
    secret_key: Option<String>,
    /// Starting cash of the simulated account (also its starting buying power).
    #[arg(long, default_value = "100000", value_name = "AMOUNT")]
    cash: Money,
    /// Replay the candles at SPEED × real time instead of serving the last closes.
    #[arg(long, value_name = "SPEED")]
    replay: Option<Rate>,
    /// Requests per minute before 429 too many requests (Alpaca allows 200).
    #[arg(long, default_value = "200", value_name = "N")]
    rate_limit: u32,
    /// At most this fraction of a bar's volume fills (the rest of an order stays working for
    /// the next bar); unset = no cap. Applies to bars, not to prices without volume.
    #[arg(long, value_name = "FRACTION")]
    participation: Option<Rate>,
    /// Corporate-action adjustment of files that carry it: none (raw traded prices, the
    /// default here), splits, or all.
    #[arg(long, default_value = "none", value_name = "WHAT")]
    adjust: Adjust,
}

/// Runs the subcommand.
pub(crate) fn run(command: &SimCommand) -> anyhow::Result<()> {
    match command {
        SimCommand::Alpaca(args) => alpaca(args),
    }
}

fn alpaca(args: &AlpacaArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() && !args.listen_anywhere {
        bail!(
            "--listen {} is not a loopback address: the simulator takes orders from anyone who \
             can reach it, so add --listen-anywhere to serve other machines",
            args.listen
        );
    }
    if !args.cash.is_positive() {
        bail!("--cash must be positive, got {}", args.cash);
    }
    if let Some(speed) = args.replay
        && !speed.is_positive()
    {
        bail!("--replay must be a positive speed (86400 = one daily bar a second), got {speed}");
    }
    let source = CsvSource::open(
        &args.data,
        &CsvOptions {
            adjust: args.adjust,
            symbol: None,
        },
    )?;
    let series: Vec<(Symbol, Vec<Candle>)> = source
        .files()
        .iter()
        .map(|file| (file.symbol, file.candles.clone()))
        .collect();
    let generated = args.key_id.is_none();
    let (key_id, secret_key) = match (&args.key_id, &args.secret_key) {
        (Some(key_id), Some(secret)) => (key_id.clone(), SecretString::from(secret.clone())),
        _ => generate_keys(),
    };
    let mut config = SimConfig::new(key_id.clone(), secret_key.clone());
    config.cash = args.cash;
    config.rate_limit_per_minute = args.rate_limit;
    config.engine = EngineConfig {
        fill_model: FillModel::Close,
        participation: args.participation,
        ..EngineConfig::default()
    };
    block_on(async move {
        let listener = TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let handle = airlock_alpaca_sim::start(listener, config).await?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "airlock {} · sim alpaca: a local simulator, no real account, no real money",
            env!("CARGO_PKG_VERSION")
        )?;
        let names: Vec<&str> = series.iter().map(|(symbol, _)| symbol.as_str()).collect();
        match args.replay {
            None => writeln!(out, "symbols:  {} (at their last close)", names.join(" "))?,
            Some(speed) => writeln!(
                out,
                "symbols:  {} (replayed at {speed} × real time)",
                names.join(" ")
            )?,
        }
        writeln!(out, "rest:     {}", handle.base_url())?;
        writeln!(out, "stream:   {}", handle.stream_url())?;
        if generated {
            writeln!(
                out,
                "key id:   {key_id}\nsecret:   {}\n          (generated for this simulator only: \
                 not the keys of any real account)",
                secret_key.expose_secret()
            )?;
        } else {
            writeln!(out, "keys:     as given by --key-id and --secret-key")?;
        }
        writeln!(out, "stop:     Ctrl-C")?;
        out.flush()?;
        drop(out);
        match args.replay {
            None => serve_last_closes(&handle, &series).await,
            Some(speed) => replay(&handle, &series, speed).await?,
        }
        // Serve until the process is stopped.
        std::future::pending::<()>().await;
        anyhow::Ok(())
    })?
}

/// Sets every symbol's price to its last close (and the close before as the previous day's).
async fn serve_last_closes(handle: &SimHandle, series: &[(Symbol, Vec<Candle>)]) {
    for (symbol, candles) in series {
        let mut tail = candles.iter().rev().take(2).collect::<Vec<_>>();
        tail.reverse();
        for candle in tail {
            handle.set_last_price(symbol, candle.close()).await;
        }
    }
}

/// Feeds every candle in time order, `speed` × real time, then prints that it finished.
async fn replay(
    handle: &SimHandle,
    series: &[(Symbol, Vec<Candle>)],
    speed: Rate,
) -> anyhow::Result<()> {
    for (symbol, _) in series {
        handle.add_asset(symbol).await;
    }
    let mut bars: Vec<(u64, usize, &Candle)> = series
        .iter()
        .enumerate()
        .flat_map(|(index, (_, candles))| {
            candles
                .iter()
                .map(move |candle| (candle.ts().as_u64(), index, candle))
        })
        .collect();
    bars.sort_by_key(|(ts, index, _)| (*ts, *index));
    let Some(&(first, _, _)) = bars.first() else {
        return Ok(());
    };
    let started = Instant::now();
    let speed = u128::try_from(speed.raw()).unwrap_or(1).max(1);
    for (ts, index, candle) in &bars {
        // Real time to wait: the bar's distance from the first one, divided by the speed.
        let offset =
            u128::from(ts.saturating_sub(first)) * u128::from(SCALE.unsigned_abs()) / speed;
        let offset = Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX));
        tokio::time::sleep_until(started + offset).await;
        if let Some((symbol, _)) = series.get(*index) {
            handle.feed_candle(symbol, candle).await;
        }
    }
    let last = bars.last().map_or(first, |(ts, _, _)| *ts);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "replay:   finished, {} bars up to {}",
        bars.len(),
        airlock_core::UnixNanos::new(last)
    )?;
    out.flush()?;
    Ok(())
}
