//! `airlock`: run strategies in backtest and check or start dry-run, paper and live environments.
//!
//! Exit codes: 0 success, 1 an error (one line on stderr naming the cause), 2 bad command-line
//! usage, 78 a start-up guard refused (one line naming the rule and the variable or key).

mod cli;

use std::process::ExitCode;

use airlock::guard::GuardRefusal;
use airlock_core::EnvSnapshot;
use clap::Parser;

/// EX_CONFIG from sysexits.h: a guard refused the configuration.
const EXIT_REFUSED: u8 = 78;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // The environment is read here, once; everything else gets this snapshot. Variables whose
    // name or value is not UTF-8 are none of Airlock's.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place the process environment is read"
    )]
    let environment =
        EnvSnapshot::from_pairs(std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        }));
    airlock::logging::init(&environment);
    let _mode = args
        .mode()
        .map(|mode| airlock::logging::mode_span(mode).entered());
    match cli::dispatch(args, &environment) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            if error
                .chain()
                .any(|cause| cause.downcast_ref::<GuardRefusal>().is_some())
            {
                ExitCode::from(EXIT_REFUSED)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
