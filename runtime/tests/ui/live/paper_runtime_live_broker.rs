//! A paper runtime cannot be given a live broker.
use airlock::Runtime;
use airlock_core::{Broker, Live, Paper};

pub fn wire<B: Broker<Live>>(broker: B) {
    let _ = Runtime::<Paper, B>::new(broker);
}

fn main() {}
