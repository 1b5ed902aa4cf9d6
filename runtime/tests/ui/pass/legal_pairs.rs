//! Every mode's runtime takes a broker of the same mode, and credentials feed a broker of the
//! same mode: Alpaca's key pair and the MT5 bridge secret alike.
use airlock::Runtime;
use airlock_brokers::matching::EngineConfig;
use airlock_brokers::{
    AccountBroker, BridgeSecret, Credentials, Endpoint, EndpointKind, Loopback, SimBroker,
};
use airlock_core::{Backtest, Broker, DryRun, EnvSnapshot, Money, Paper};

pub fn paper_runtime<B: Broker<Paper>>(broker: B) -> Runtime<Paper, B> {
    Runtime::new(broker)
}

pub async fn paper_broker<B>(env: &EnvSnapshot) -> Option<B>
where
    B: AccountBroker<Paper, Credentials = Credentials<Paper>>,
{
    let credentials = Credentials::<Paper>::from_env(env).ok()?;
    let endpoint = Endpoint::<Paper>::check(
        EndpointKind::Trading,
        "https://paper-api.alpaca.markets",
        Loopback::Refused,
    )
    .ok()?;
    B::connect(credentials, endpoint).await.ok()
}

pub async fn paper_mt5_broker<B>(env: &EnvSnapshot) -> Option<B>
where
    B: AccountBroker<Paper, Credentials = BridgeSecret<Paper>>,
{
    let secret = BridgeSecret::<Paper>::from_env(env).ok()?;
    let endpoint = Endpoint::<Paper>::check(
        EndpointKind::Mt5Bridge,
        "https://mt5-bridge.example:18900",
        Loopback::Refused,
    )
    .ok()?;
    B::connect(secret, endpoint).await.ok()
}

fn main() {
    let backtest = Runtime::<Backtest, _>::new(SimBroker::<Backtest>::new(
        EngineConfig::default(),
        Money::ZERO,
    ));
    let dry_run = Runtime::<DryRun, _>::new(SimBroker::<DryRun>::new(
        EngineConfig::default(),
        Money::ZERO,
    ));
    let _ = (backtest.mode(), dry_run.mode());
}
