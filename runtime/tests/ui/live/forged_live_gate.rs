//! The live gate cannot be forged outside the guards.
use airlock::guard::LiveGate;

fn main() {
    let _ = LiveGate { account: String::from("PA0000000001") };
}
