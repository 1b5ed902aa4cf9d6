//! The paper MT5 bridge secret cannot build a live MT5 broker.
use airlock_brokers::{AccountBroker, BridgeSecret, Endpoint, EndpointKind, Loopback};
use airlock_core::{EnvSnapshot, Live, Paper};

pub async fn connect<B>(env: &EnvSnapshot) -> Option<B>
where
    B: AccountBroker<Live, Credentials = BridgeSecret<Live>>,
{
    let secret = BridgeSecret::<Paper>::from_env(env).ok()?;
    let endpoint = Endpoint::<Live>::check(
        EndpointKind::Mt5Bridge,
        "https://mt5-bridge.example:18900",
        Loopback::Refused,
    )
    .ok()?;
    B::connect(secret, endpoint).await.ok()
}

fn main() {}
