//! The trading state and its explicit transition table.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// Whether orders may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TradingState {
    /// Every order that passes the checks is approved.
    Active,
    /// Only orders that reduce a position are approved.
    Reducing,
    /// No order is approved. The manager starts here until the runtime confirms its state.
    Halted,
}

impl TradingState {
    /// `"active"`, `"reducing"` or `"halted"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TradingState::Active => "active",
            TradingState::Reducing => "reducing",
            TradingState::Halted => "halted",
        }
    }
}

impl fmt::Display for TradingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What asks the state to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The runtime confirmed its orders, positions and equity after start (once).
    StateConfirmed,
    /// An operator resumes trading.
    OperatorResume,
    /// An operator allows only reducing orders.
    OperatorReduce,
    /// An operator (or the kill switch) halts trading.
    OperatorHalt,
    /// The fall from the day's peak equity passed `max_drawdown_fraction`.
    DrawdownLimit,
    /// The day's loss passed `max_daily_loss`.
    DailyLossLimit,
}

impl Trigger {
    /// The trigger's stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::StateConfirmed => "state_confirmed",
            Trigger::OperatorResume => "operator_resume",
            Trigger::OperatorReduce => "operator_reduce",
            Trigger::OperatorHalt => "operator_halt",
            Trigger::DrawdownLimit => "drawdown_limit",
            Trigger::DailyLossLimit => "daily_loss_limit",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Every allowed transition: (from, trigger, to). Anything not listed is refused for operator
/// commands and ignored for limit triggers (a limit cannot loosen the state: a drawdown while
/// Reducing or Halted changes nothing).
pub const TRANSITIONS: [(TradingState, Trigger, TradingState); 10] = {
    use TradingState::{Active, Halted, Reducing};
    use Trigger::*;
    [
        (Halted, StateConfirmed, Active),
        (Halted, OperatorResume, Active),
        (Reducing, OperatorResume, Active),
        (Active, OperatorReduce, Reducing),
        (Active, OperatorHalt, Halted),
        (Reducing, OperatorHalt, Halted),
        (Active, DrawdownLimit, Reducing),
        (Active, DailyLossLimit, Halted),
        (Reducing, DailyLossLimit, Halted),
        // Halting an already halted manager is harmless and still recorded.
        (Halted, OperatorHalt, Halted),
    ]
};

/// The state `trigger` leads to from `from`, or `None` if the table has no such transition.
pub fn next_state(from: TradingState, trigger: Trigger) -> Option<TradingState> {
    TRANSITIONS
        .iter()
        .find(|(source, on, _)| *source == from && *on == trigger)
        .map(|(_, _, to)| *to)
}

/// A transition the table does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("no transition from {from} on {trigger}")]
pub struct TransitionError {
    /// The state the manager was in (and stays in).
    pub from: TradingState,
    /// What was asked.
    pub trigger: Trigger,
}

#[cfg(test)]
mod tests {
    use super::*;
    use TradingState::{Active, Halted, Reducing};

    #[test]
    fn the_table_is_exactly_what_is_allowed() {
        let all_triggers = [
            Trigger::StateConfirmed,
            Trigger::OperatorResume,
            Trigger::OperatorReduce,
            Trigger::OperatorHalt,
            Trigger::DrawdownLimit,
            Trigger::DailyLossLimit,
        ];
        let mut allowed = Vec::new();
        for from in [Active, Reducing, Halted] {
            for trigger in all_triggers {
                if let Some(to) = next_state(from, trigger) {
                    allowed.push(format!("{from} --{trigger}--> {to}"));
                }
            }
        }
        assert_eq!(
            allowed,
            [
                "active --operator_reduce--> reducing",
                "active --operator_halt--> halted",
                "active --drawdown_limit--> reducing",
                "active --daily_loss_limit--> halted",
                "reducing --operator_resume--> active",
                "reducing --operator_halt--> halted",
                "reducing --daily_loss_limit--> halted",
                "halted --state_confirmed--> active",
                "halted --operator_resume--> active",
                "halted --operator_halt--> halted",
            ]
        );
    }

    #[test]
    fn limits_never_loosen_the_state() {
        assert_eq!(next_state(Reducing, Trigger::DrawdownLimit), None);
        assert_eq!(next_state(Halted, Trigger::DrawdownLimit), None);
        assert_eq!(next_state(Halted, Trigger::DailyLossLimit), None);
        assert_eq!(next_state(Halted, Trigger::OperatorReduce), None);
        assert_eq!(next_state(Active, Trigger::StateConfirmed), None);
    }
}
