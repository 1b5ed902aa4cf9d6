//! Simulated modes have no broker credentials.
use airlock_brokers::Credentials;
use airlock_core::{Backtest, EnvSnapshot};

fn main() {
    let _ = Credentials::<Backtest>::from_env(&EnvSnapshot::default());
}
