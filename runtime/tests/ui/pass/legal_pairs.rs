//! Every mode's runtime takes a broker of the same mode, and credentials feed a broker of the
//! same mode.
use airlock::Runtime;
use airlock_brokers::matching::EngineConfig;
use airlock_brokers::{AccountBroker, Credentials, Endpoint, EndpointKind, Loopback, SimBroker};
use airlock_core::{Backtest, Broker, DryRun, EnvSnapshot, Money, Paper};

pub fn paper_runtime<B: Broker<Paper>>(broker: B) -> Runtime<Paper, B> {
    Runtime::new(broker)
}

pub async fn paper_broker<B: AccountBroker<Paper>>(env: &EnvSnapshot) -> Option<B> {
    let credentials = Credentials::<Paper>::from_env(env).ok()?;
    let endpoint = Endpoint::<Paper>::check(
        EndpointKind::Trading,
        "https://paper-api.alpaca.markets",
        Loopback::Refused,
    )
    .ok()?;
    B::connect(credentials, endpoint).await.ok()
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
