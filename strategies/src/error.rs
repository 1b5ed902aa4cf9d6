//! [`StrategyError`]: why a strategy could not be built from its name and parameters.

use thiserror::Error;

use crate::registry::{parameter_names, strategy_names};

/// Why `build`/`describe` refused a strategy name or its parameters. Every message names the
/// strategy, the parameter and the reason, so an operator can fix the command line from it alone.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StrategyError {
    /// No built-in strategy has this name.
    #[error("unknown strategy {name:?}; known strategies: {}", strategy_names())]
    UnknownStrategy {
        /// The name asked for.
        name: String,
    },
    /// The strategy has no parameter of this name.
    #[error(
        "unknown parameter {parameter:?} for strategy {strategy}; its parameters are: {}",
        parameter_names(strategy)
    )]
    UnknownParameter {
        /// The strategy.
        strategy: &'static str,
        /// The parameter name given.
        parameter: String,
    },
    /// The same parameter was given more than once.
    #[error(
        "parameter {parameter} of strategy {strategy} is given twice ({first:?} and {second:?})"
    )]
    DuplicateParameter {
        /// The strategy.
        strategy: &'static str,
        /// The parameter.
        parameter: &'static str,
        /// The first value given.
        first: String,
        /// The second value given.
        second: String,
    },
    /// A value that does not parse or is out of the parameter's range.
    #[error("bad value {value:?} for parameter {parameter} of strategy {strategy}: {reason}")]
    BadValue {
        /// The strategy.
        strategy: &'static str,
        /// The parameter.
        parameter: &'static str,
        /// The value given.
        value: String,
        /// What was expected ("expected a whole number ≥ 1").
        reason: &'static str,
    },
    /// Values that are fine alone but not together ("slow (5) must be greater than fast (10)").
    #[error("invalid parameters for strategy {strategy}: {reason}")]
    Constraint {
        /// The strategy.
        strategy: &'static str,
        /// The broken relation, naming each parameter and its value.
        reason: String,
    },
}
