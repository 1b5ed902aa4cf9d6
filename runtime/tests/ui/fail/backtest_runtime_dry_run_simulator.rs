//! Even two simulated modes do not mix: a backtest runtime refuses the dry-run simulator.
use airlock::Runtime;
use airlock_brokers::SimBroker;
use airlock_brokers::matching::EngineConfig;
use airlock_core::{Backtest, DryRun, Money};

fn main() {
    let simulator = SimBroker::<DryRun>::new(EngineConfig::default(), Money::ZERO);
    let _ = Runtime::<Backtest, _>::new(simulator);
}
