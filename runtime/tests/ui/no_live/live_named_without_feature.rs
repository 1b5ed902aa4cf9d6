//! Without the cargo feature `live`, the live mode cannot even be named.
use airlock_core::Live;

fn main() {
    let _ = std::any::type_name::<Live>();
}
