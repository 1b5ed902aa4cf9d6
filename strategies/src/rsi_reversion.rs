//! `rsi_reversion`: buy oversold, sell overbought, on Wilder's RSI of closes.

use std::cmp::Ordering;
use std::num::NonZeroUsize;

use airlock_core::{Candle, PortfolioView, Rate, Signal, Strategy, Symbol, Target};

use crate::error::StrategyError;
use crate::indicators::Rsi;
use crate::params::{ParamInfo, Params, StrategyInfo};
use crate::slot_mut;

/// The catalogue entry of `rsi_reversion`.
pub(crate) const INFO: StrategyInfo = StrategyInfo {
    name: "rsi_reversion",
    summary: "long when Wilder's RSI falls below `lower`, flat when it rises above `upper` \
              (and the mirror image for shorts)",
    params: &[
        ParamInfo {
            name: "period",
            default: "14",
            help: "closes in Wilder's RSI",
        },
        ParamInfo {
            name: "lower",
            default: "30",
            help: "oversold level, strictly between 0 and 100 and below upper",
        },
        ParamInfo {
            name: "upper",
            default: "70",
            help: "overbought level, strictly between 0 and 100 and above lower",
        },
        ParamInfo {
            name: "short",
            default: "false",
            help: "true: also go short when RSI rises above upper, and cover below lower",
        },
    ],
};

/// Validated parameters of [`RsiReversion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RsiReversionParams {
    /// Closes in the RSI.
    pub period: NonZeroUsize,
    /// Oversold level on the 0–100 scale.
    pub lower: Rate,
    /// Overbought level on the 0–100 scale (above `lower`).
    pub upper: Rate,
    /// Also trade the short side.
    pub short: bool,
}

impl RsiReversionParams {
    /// Reads `name=value` pairs, filling in the catalogue defaults.
    ///
    /// # Errors
    /// [`StrategyError`] for an unknown or repeated name, a value that does not parse, a level
    /// outside (0, 100), or `lower ≥ upper`.
    pub fn parse(params: &[(String, String)]) -> Result<Self, StrategyError> {
        let params = Params::parse(&INFO, params)?;
        Self {
            period: params.period("period")?,
            lower: params.level("lower")?,
            upper: params.level("upper")?,
            short: params.flag("short")?,
        }
        .validated()
    }

    fn validated(self) -> Result<Self, StrategyError> {
        let hundred = Rate::from_units(100);
        for (name, level) in [("lower", self.lower), ("upper", self.upper)] {
            if !level.is_positive() || Some(level) >= hundred {
                return Err(StrategyError::Constraint {
                    strategy: INFO.name,
                    reason: format!("{name} ({level}) must be strictly between 0 and 100"),
                });
            }
        }
        if self.lower >= self.upper {
            return Err(StrategyError::Constraint {
                strategy: INFO.name,
                reason: format!(
                    "lower ({}) must be less than upper ({})",
                    self.lower, self.upper
                ),
            });
        }
        Ok(self)
    }

    /// Every parameter with its value, in catalogue order, for reports.
    pub fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("period".into(), self.period.to_string()),
            ("lower".into(), self.lower.to_string()),
            ("upper".into(), self.upper.to_string()),
            ("short".into(), self.short.to_string()),
        ]
    }
}

/// RSI mean reversion.
///
/// Per symbol it keeps Wilder's [`Rsi`] of closes and the zone of the previous reading (below
/// `lower`, between, above `upper`). Signals fire when the RSI *enters* a zone:
/// - falls below `lower`: flat → `Long`; short → `Flat` (cover);
/// - rises above `upper`: long → `Flat`; flat → `Short` when `short = true`.
///
/// Entering a zone both closes the opposite position and would open a new one, so it closes
/// only: after a cover the next entry waits for the next fresh cross. The first defined reading
/// (bar `period + 1`) only records its zone; a reading that is undefined (no price moves at all)
/// forgets it. Every symbol starts flat, and a signal is emitted only when the target changes.
/// No stop is set. Exact: thresholds are compared by cross-multiplication, never by dividing.
#[derive(Debug, Clone)]
pub struct RsiReversion {
    params: RsiReversionParams,
    slots: Vec<RsiSlot>,
}

#[derive(Debug, Clone)]
struct RsiSlot {
    rsi: Rsi,
    zone: Option<Ordering>,
    target: Target,
}

impl TryFrom<RsiReversionParams> for RsiReversion {
    type Error = StrategyError;

    /// # Errors
    /// [`StrategyError::Constraint`] when a level is outside (0, 100) or `lower ≥ upper`.
    fn try_from(params: RsiReversionParams) -> Result<Self, StrategyError> {
        Ok(Self {
            params: params.validated()?,
            slots: Vec::new(),
        })
    }
}

impl RsiReversion {
    /// The parameters it runs with.
    pub fn params(&self) -> RsiReversionParams {
        self.params
    }
}

impl Strategy for RsiReversion {
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
        let params = self.params;
        let state = slot_mut(&mut self.slots, slot, || RsiSlot {
            rsi: Rsi::new(params.period),
            zone: None,
            target: Target::Flat,
        });
        state.rsi.push(candle.close());
        // Less: below lower; Greater: above upper; Equal: in between (levels included).
        let zone = match (
            state.rsi.is_below(params.lower),
            state.rsi.is_above(params.upper),
        ) {
            (Some(true), _) => Some(Ordering::Less),
            (_, Some(true)) => Some(Ordering::Greater),
            (Some(false), Some(false)) => Some(Ordering::Equal),
            _ => None,
        };
        let previous = std::mem::replace(&mut state.zone, zone);
        let (Some(previous), Some(zone)) = (previous, zone) else {
            return;
        };
        if previous == zone {
            return;
        }
        let decision = match (zone, state.target) {
            (Ordering::Less, Target::Flat) => (Target::Long, "rsi fell below lower"),
            (Ordering::Less, Target::Short) => (Target::Flat, "rsi fell below lower"),
            (Ordering::Greater, Target::Long) => (Target::Flat, "rsi rose above upper"),
            (Ordering::Greater, Target::Flat) if params.short => {
                (Target::Short, "rsi rose above upper")
            }
            _ => return,
        };
        let (target, reason) = decision;
        state.target = target;
        signals.push(Signal {
            symbol,
            target,
            stop: None,
            reason,
        });
    }
}

#[cfg(test)]
mod tests;
