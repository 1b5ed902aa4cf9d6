//! The internal matching engine cannot pose as a paper broker.
use airlock_brokers::SimBroker;
use airlock_brokers::matching::EngineConfig;
use airlock_core::{Money, Paper};

fn main() {
    let _ = SimBroker::<Paper>::new(EngineConfig::default(), Money::ZERO);
}
