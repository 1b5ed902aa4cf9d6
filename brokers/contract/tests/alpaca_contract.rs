//! The contract suite against `Alpaca<Paper>` trading on the Alpaca loopback simulator
//! (`airlock-alpaca-sim`), over real HTTP and the trade-updates WebSocket on 127.0.0.1.

#![allow(clippy::panic, reason = "test set-up: a failed start fails the test")]

use std::time::Duration;

use airlock_alpaca_sim::{SimConfig, SimHandle};
use airlock_broker_contract::{Differences, IdenticalResend, Setup, Venue, contract_suite, money};
use airlock_brokers::alpaca::{Alpaca, AlpacaConfig};
use airlock_brokers::matching::{EngineConfig, FillModel};
use airlock_brokers::{Credentials, Endpoint, EndpointKind, Loopback};
use airlock_core::{Candle, EnvSnapshot, Paper, Rate, Symbol};
use secrecy::SecretString;
use tokio::net::TcpListener;

const KEY_ID: &str = "PKCONTRACTSUITE00001";
const SECRET: &str = "contract-suite-secret-never-printed-7f3c";

struct AlpacaVenue {
    simulator: SimHandle,
    broker: Alpaca<Paper>,
}

impl Venue for AlpacaVenue {
    type Mode = Paper;
    type Broker = Alpaca<Paper>;

    fn name(&self) -> &'static str {
        "alpaca (loopback simulator)"
    }

    fn broker(&mut self) -> &mut Alpaca<Paper> {
        &mut self.broker
    }

    fn differences(&self) -> Differences {
        Differences {
            cash_pays_for_positions: true,
            checks_buying_power: true,
            identical_resend: IdenticalResend::Acknowledged,
        }
    }

    async fn bar(&mut self, symbol: &Symbol, candle: Candle) {
        self.simulator.feed_candle(symbol, &candle).await;
    }
}

impl Drop for AlpacaVenue {
    fn drop(&mut self) {
        self.simulator.shutdown();
    }
}

async fn alpaca() -> AlpacaVenue {
    let participation: Rate = Setup::STANDARD
        .participation
        .parse()
        .unwrap_or_else(|error| panic!("participation: {error}"));
    let mut config = SimConfig::new(KEY_ID, SecretString::from(SECRET));
    config.cash = money(Setup::STANDARD.cash);
    config.engine = EngineConfig {
        fill_model: FillModel::Close,
        participation: Some(participation),
        ..EngineConfig::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("binding 127.0.0.1:0: {error}"));
    let simulator = airlock_alpaca_sim::start(listener, config)
        .await
        .unwrap_or_else(|error| panic!("starting the simulator: {error}"));
    let symbol =
        Symbol::parse(Setup::STANDARD.symbol).unwrap_or_else(|error| panic!("symbol: {error}"));
    simulator.add_asset(&symbol).await;
    let credentials = Credentials::<Paper>::from_env(&EnvSnapshot::from_pairs([
        ("AIRLOCK_PAPER__ALPACA__KEY_ID", KEY_ID),
        ("AIRLOCK_PAPER__ALPACA__SECRET_KEY", SECRET),
    ]))
    .unwrap_or_else(|error| panic!("credentials: {error}"));
    let endpoint = Endpoint::<Paper>::check(
        EndpointKind::Trading,
        &simulator.base_url(),
        Loopback::AllowedForTests,
    )
    .unwrap_or_else(|error| panic!("endpoint: {error}"));
    let config = AlpacaConfig {
        request_timeout: Duration::from_secs(5),
        ..AlpacaConfig::default()
    };
    let broker = Alpaca::connect_with(credentials, endpoint, config)
        .await
        .unwrap_or_else(|error| panic!("connect: {error}"));
    AlpacaVenue { simulator, broker }
}

contract_suite!(alpaca);
