//! `sma_cross`: trade the crosses of a fast and a slow simple moving average of closes.

use std::cmp::Ordering;
use std::num::NonZeroUsize;

use airlock_core::{Candle, PortfolioView, Signal, Strategy, Symbol, Target};

use crate::error::StrategyError;
use crate::indicators::{Sma, compare_means};
use crate::params::{ParamInfo, Params, StrategyInfo};
use crate::slot_mut;

/// The catalogue entry of `sma_cross`.
pub(crate) const INFO: StrategyInfo = StrategyInfo {
    name: "sma_cross",
    summary: "long when the fast SMA of closes crosses above the slow one; flat (or short) on \
              the cross below",
    params: &[
        ParamInfo {
            name: "fast",
            default: "10",
            help: "bars in the fast simple moving average of closes",
        },
        ParamInfo {
            name: "slow",
            default: "30",
            help: "bars in the slow simple moving average; must be greater than fast",
        },
        ParamInfo {
            name: "short",
            default: "false",
            help: "true: go short on the cross below (long-short reversal) instead of flat",
        },
    ],
};

/// Validated parameters of [`SmaCross`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmaCrossParams {
    /// Bars in the fast average.
    pub fast: NonZeroUsize,
    /// Bars in the slow average (greater than `fast`).
    pub slow: NonZeroUsize,
    /// Reverse to short on the cross below instead of going flat.
    pub short: bool,
}

impl SmaCrossParams {
    /// Reads `name=value` pairs, filling in the catalogue defaults.
    ///
    /// # Errors
    /// [`StrategyError`] for an unknown or repeated name, a value that does not parse, or
    /// `slow ≤ fast`.
    pub fn parse(params: &[(String, String)]) -> Result<Self, StrategyError> {
        let params = Params::parse(&INFO, params)?;
        Self {
            fast: params.period("fast")?,
            slow: params.period("slow")?,
            short: params.flag("short")?,
        }
        .validated()
    }

    fn validated(self) -> Result<Self, StrategyError> {
        if self.slow <= self.fast {
            return Err(StrategyError::Constraint {
                strategy: INFO.name,
                reason: format!(
                    "slow ({}) must be greater than fast ({})",
                    self.slow, self.fast
                ),
            });
        }
        Ok(self)
    }

    /// Every parameter with its value, in catalogue order, for reports.
    pub fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("fast".into(), self.fast.to_string()),
            ("slow".into(), self.slow.to_string()),
            ("short".into(), self.short.to_string()),
        ]
    }
}

/// Moving-average crossover on closes.
///
/// Per symbol it keeps a fast and a slow [`Sma`] of closes and on which side of the slow
/// average the fast one last was (ties keep the previous side). A *cross* is a change of side:
/// above → `Long` ("fast sma crossed above slow"); below → `Flat`, or `Short` with
/// `short = true`. The first bar on which both averages exist only records the side, so the
/// earliest possible signal is on bar `slow + 1`. Every symbol starts flat, and a signal is
/// emitted only when the wanted target changes. No stop is set. Exact: the averages are compared
/// as `fast_sum × slow` against `slow_sum × fast` in `i128`.
#[derive(Debug, Clone)]
pub struct SmaCross {
    params: SmaCrossParams,
    slots: Vec<SmaSlot>,
}

#[derive(Debug, Clone)]
struct SmaSlot {
    fast: Sma,
    slow: Sma,
    side: Option<Ordering>,
    target: Target,
}

impl TryFrom<SmaCrossParams> for SmaCross {
    type Error = StrategyError;

    /// # Errors
    /// [`StrategyError::Constraint`] when `slow ≤ fast`.
    fn try_from(params: SmaCrossParams) -> Result<Self, StrategyError> {
        Ok(Self {
            params: params.validated()?,
            slots: Vec::new(),
        })
    }
}

impl SmaCross {
    /// The parameters it runs with.
    pub fn params(&self) -> SmaCrossParams {
        self.params
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> &'static str {
        INFO.name
    }

    #[inline]
    fn on_candle(
        &mut self,
        slot: usize,
        symbol: Symbol,
        candle: &Candle,
        _view: &PortfolioView,
        signals: &mut Vec<Signal>,
    ) {
        let SmaCrossParams { fast, slow, short } = self.params;
        let state = slot_mut(&mut self.slots, slot, || SmaSlot {
            fast: Sma::new(fast),
            slow: Sma::new(slow),
            side: None,
            target: Target::Flat,
        });
        let close = candle.close();
        state.fast.push(close);
        state.slow.push(close);
        let (Some(fast_sum), Some(slow_sum)) = (state.fast.sum(), state.slow.sum()) else {
            return;
        };
        let side = compare_means(fast_sum, fast, slow_sum, slow);
        if side == Ordering::Equal {
            return;
        }
        let previous = state.side.replace(side);
        let (target, reason) = match (previous, side) {
            (Some(Ordering::Less), Ordering::Greater) => {
                (Target::Long, "fast sma crossed above slow")
            }
            (Some(Ordering::Greater), Ordering::Less) if short => {
                (Target::Short, "fast sma crossed below slow")
            }
            (Some(Ordering::Greater), Ordering::Less) => {
                (Target::Flat, "fast sma crossed below slow")
            }
            _ => return,
        };
        if target != state.target {
            state.target = target;
            signals.push(Signal {
                symbol,
                target,
                stop: None,
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests;
