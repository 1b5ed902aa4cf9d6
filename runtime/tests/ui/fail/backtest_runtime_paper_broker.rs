//! A backtest runtime cannot be given a paper broker.
use airlock::Runtime;
use airlock_core::{Backtest, Broker, Paper};

pub fn wire<B: Broker<Paper>>(broker: B) {
    let _ = Runtime::<Backtest, B>::new(broker);
}

fn main() {}
