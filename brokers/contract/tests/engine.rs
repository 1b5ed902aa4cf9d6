//! The contract suite against the internal matching engine (`SimBroker`, as dry runs use it).

#![allow(clippy::panic, reason = "test set-up: a bad constant fails the test")]

use airlock_broker_contract::{Differences, IdenticalResend, Setup, Venue, contract_suite, money};
use airlock_brokers::SimBroker;
use airlock_brokers::matching::{EngineConfig, FillModel};
use airlock_core::{Candle, DryRun, Rate, Symbol};

struct Engine {
    broker: SimBroker<DryRun>,
}

impl Venue for Engine {
    type Mode = DryRun;
    type Broker = SimBroker<DryRun>;

    fn name(&self) -> &'static str {
        "matching engine"
    }

    fn broker(&mut self) -> &mut SimBroker<DryRun> {
        &mut self.broker
    }

    fn differences(&self) -> Differences {
        Differences {
            cash_pays_for_positions: true,
            checks_buying_power: false,
            identical_resend: IdenticalResend::Rejected,
        }
    }

    async fn bar(&mut self, symbol: &Symbol, candle: Candle) {
        self.broker.set_time(candle.ts());
        self.broker.on_candle(*symbol, &candle);
    }
}

async fn engine() -> Engine {
    let participation: Rate = Setup::STANDARD
        .participation
        .parse()
        .unwrap_or_else(|error| panic!("participation: {error}"));
    let config = EngineConfig {
        fill_model: FillModel::Close,
        participation: Some(participation),
        ..EngineConfig::default()
    };
    Engine {
        broker: SimBroker::new(config, money(Setup::STANDARD.cash)),
    }
}

contract_suite!(engine);
