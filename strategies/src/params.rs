//! Parameter metadata ([`ParamInfo`], [`StrategyInfo`]) and the exact parsing of
//! `name=value` pairs into typed values.

use std::num::NonZeroUsize;

use airlock_core::Rate;

use crate::error::StrategyError;

/// One parameter of a built-in strategy, as the CLI lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// The name used on the command line (`fast` in `--param fast=10`).
    pub name: &'static str,
    /// The value used when the parameter is not given, as text.
    pub default: &'static str,
    /// One line for operators: what it controls and its unit.
    pub help: &'static str,
}

/// A built-in strategy: its registered name, a one-line summary and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyInfo {
    /// The registered name (`sma_cross`), a CLI contract.
    pub name: &'static str,
    /// One line for operators: what the strategy does.
    pub summary: &'static str,
    /// Every parameter, in the order reports list them.
    pub params: &'static [ParamInfo],
}

/// The largest window any indicator accepts (10⁶ bars), which keeps every exact sum and
/// cross-multiplication far inside `i128`.
pub const MAX_PERIOD: usize = 1_000_000;

/// Parameter values for one strategy, in catalogue order, defaults filled in. Names are checked
/// against the catalogue and duplicates refused when it is built.
pub(crate) struct Params<'a> {
    info: &'static StrategyInfo,
    values: Vec<&'a str>,
}

impl<'a> Params<'a> {
    /// Checks names and duplicates and fills in defaults.
    pub(crate) fn parse(
        info: &'static StrategyInfo,
        given: &'a [(String, String)],
    ) -> Result<Self, StrategyError> {
        let mut values: Vec<Option<&'a str>> = vec![None; info.params.len()];
        for (name, value) in given {
            let Some(index) = info.params.iter().position(|param| param.name == name) else {
                return Err(StrategyError::UnknownParameter {
                    strategy: info.name,
                    parameter: name.clone(),
                });
            };
            if let (Some(slot), Some(param)) = (values.get_mut(index), info.params.get(index))
                && let Some(first) = slot.replace(value.as_str())
            {
                return Err(StrategyError::DuplicateParameter {
                    strategy: info.name,
                    parameter: param.name,
                    first: first.to_owned(),
                    second: value.clone(),
                });
            }
        }
        let values = values
            .into_iter()
            .zip(info.params)
            .map(|(value, param)| value.unwrap_or(param.default))
            .collect();
        Ok(Self { info, values })
    }

    /// The text of a parameter (given or default) and its static name.
    fn text(&self, name: &str) -> Result<(&'static str, &'a str), StrategyError> {
        self.info
            .params
            .iter()
            .zip(&self.values)
            .find(|(param, _)| param.name == name)
            .map(|(param, value)| (param.name, *value))
            .ok_or_else(|| StrategyError::UnknownParameter {
                strategy: self.info.name,
                parameter: name.to_owned(),
            })
    }

    fn bad(&self, parameter: &'static str, value: &str, reason: &'static str) -> StrategyError {
        StrategyError::BadValue {
            strategy: self.info.name,
            parameter,
            value: value.to_owned(),
            reason,
        }
    }

    /// A window length: a whole number from 1 to [`MAX_PERIOD`].
    pub(crate) fn period(&self, name: &str) -> Result<NonZeroUsize, StrategyError> {
        const AT_LEAST_ONE: &str = "expected a whole number ≥ 1";
        const AT_MOST: &str = "expected a whole number ≤ 1000000";
        let (parameter, text) = self.text(name)?;
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(self.bad(parameter, text, AT_LEAST_ONE));
        }
        let digits = text.trim_start_matches('0');
        if digits.len() > 7 {
            return Err(self.bad(parameter, text, AT_MOST));
        }
        match digits.parse::<usize>().ok().and_then(NonZeroUsize::new) {
            Some(period) if period.get() <= MAX_PERIOD => Ok(period),
            Some(_) => Err(self.bad(parameter, text, AT_MOST)),
            None => Err(self.bad(parameter, text, AT_LEAST_ONE)),
        }
    }

    /// A switch: exactly `true` or `false`.
    pub(crate) fn flag(&self, name: &str) -> Result<bool, StrategyError> {
        let (parameter, text) = self.text(name)?;
        match text {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.bad(parameter, text, "expected true or false")),
        }
    }

    /// A positive exact decimal (at most nine decimals), such as a multiplier.
    pub(crate) fn positive_decimal(&self, name: &str) -> Result<Rate, StrategyError> {
        let (parameter, text) = self.text(name)?;
        match text.parse::<Rate>() {
            Ok(value) if value.is_positive() => Ok(value),
            _ => Err(self.bad(
                parameter,
                text,
                "expected a positive decimal number with at most 9 decimals",
            )),
        }
    }

    /// A level on the 0–100 oscillator scale, strictly between 0 and 100.
    pub(crate) fn level(&self, name: &str) -> Result<Rate, StrategyError> {
        let (parameter, text) = self.text(name)?;
        let hundred = Rate::from_units(100);
        match text.parse::<Rate>() {
            Ok(value) if value.is_positive() && Some(value) < hundred => Ok(value),
            _ => Err(self.bad(
                parameter,
                text,
                "expected a decimal number strictly between 0 and 100",
            )),
        }
    }
}
