//! Paper credentials cannot build a live broker.
use airlock_brokers::{AccountBroker, Credentials, Endpoint, EndpointKind, Loopback};
use airlock_core::{EnvSnapshot, Live, Paper};

pub async fn connect<B>(env: &EnvSnapshot) -> Option<B>
where
    B: AccountBroker<Live, Credentials = Credentials<Live>>,
{
    let credentials = Credentials::<Paper>::from_env(env).ok()?;
    let endpoint = Endpoint::<Live>::check(
        EndpointKind::Trading,
        "https://api.alpaca.markets",
        Loopback::Refused,
    )
    .ok()?;
    B::connect(credentials, endpoint).await.ok()
}

fn main() {}
