//! A live runtime needs the gate the live start-up guards hand out: `new` does not exist for it.
use airlock::Runtime;
use airlock_core::{Broker, Live};

pub fn wire<B: Broker<Live>>(broker: B) {
    let _ = Runtime::<Live, B>::new(broker);
}

fn main() {}
