//! Logging: `tracing` events written as text lines to standard error.
//!
//! Commands that run in a mode enter a span carrying `mode` before anything is logged, so every
//! line they write shows `mode=…`. The level comes from `AIRLOCK_LOG` (`error`, `warn`, `info`,
//! `debug`, `trace` or `off`; default `info`).

use airlock_core::{EnvSnapshot, ModeTag};
use tracing::level_filters::LevelFilter;

/// The variable naming the log level.
pub const LOG_LEVEL_VARIABLE: &str = "AIRLOCK_LOG";

/// Installs the text subscriber on standard error. A second call changes nothing.
pub fn init(env: &EnvSnapshot) {
    let level = env
        .get(LOG_LEVEL_VARIABLE)
        .and_then(|text| text.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    // Fails only when a subscriber is already installed, which keeps the first one.
    let _already_installed = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// The span a command running in `mode` enters first: every event inside it carries `mode`.
pub fn mode_span(mode: ModeTag) -> tracing::Span {
    tracing::info_span!("airlock", mode = %mode)
}
