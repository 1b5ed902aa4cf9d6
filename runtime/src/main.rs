//! `airlock`: run strategies in backtest (and, as they arrive, dry-run, paper and live).
//!
//! Exit codes: 0 success, 1 an error (one line on stderr naming the cause), 2 bad command-line
//! usage.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
