//! `breakout`: Donchian channel breakouts with a trailing ATR stop.

use std::num::NonZeroUsize;

use airlock_core::{Candle, PortfolioView, Price, Rate, SCALE, Signal, Strategy, Symbol, Target};

use crate::error::StrategyError;
use crate::indicators::{Atr, RollingMax, RollingMin};
use crate::params::{ParamInfo, Params, StrategyInfo};
use crate::slot_mut;

/// The catalogue entry of `breakout`.
pub(crate) const INFO: StrategyInfo = StrategyInfo {
    name: "breakout",
    summary: "long when the close breaks above the highest high of the previous `entry` bars, \
              with a trailing ATR stop; flat below the lowest low of the previous `exit` bars",
    params: &[
        ParamInfo {
            name: "entry",
            default: "20",
            help: "bars in the entry channel (highest high / lowest low before the bar)",
        },
        ParamInfo {
            name: "exit",
            default: "10",
            help: "bars in the exit channel (lowest low / highest high before the bar)",
        },
        ParamInfo {
            name: "atr",
            default: "14",
            help: "bars in Wilder's average true range used for the stop",
        },
        ParamInfo {
            name: "atr_mult",
            default: "2",
            help: "stop distance from the close in ATRs (decimal > 0)",
        },
        ParamInfo {
            name: "short",
            default: "false",
            help: "true: also trade the mirror image (short below the entry channel)",
        },
    ],
};

/// Validated parameters of [`Breakout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakoutParams {
    /// Bars in the entry channel.
    pub entry: NonZeroUsize,
    /// Bars in the exit channel.
    pub exit: NonZeroUsize,
    /// Bars in the ATR.
    pub atr: NonZeroUsize,
    /// Stop distance in ATRs (positive).
    pub atr_mult: Rate,
    /// Also trade short breakouts.
    pub short: bool,
}

impl BreakoutParams {
    /// Reads `name=value` pairs, filling in the catalogue defaults.
    ///
    /// # Errors
    /// [`StrategyError`] for an unknown or repeated name or a value that does not parse.
    pub fn parse(params: &[(String, String)]) -> Result<Self, StrategyError> {
        let params = Params::parse(&INFO, params)?;
        Self {
            entry: params.period("entry")?,
            exit: params.period("exit")?,
            atr: params.period("atr")?,
            atr_mult: params.positive_decimal("atr_mult")?,
            short: params.flag("short")?,
        }
        .validated()
    }

    fn validated(self) -> Result<Self, StrategyError> {
        if !self.atr_mult.is_positive() {
            return Err(StrategyError::Constraint {
                strategy: INFO.name,
                reason: format!("atr_mult ({}) must be greater than 0", self.atr_mult),
            });
        }
        Ok(self)
    }

    /// Every parameter with its value, in catalogue order, for reports.
    pub fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("entry".into(), self.entry.to_string()),
            ("exit".into(), self.exit.to_string()),
            ("atr".into(), self.atr.to_string()),
            ("atr_mult".into(), self.atr_mult.to_string()),
            ("short".into(), self.short.to_string()),
        ]
    }
}

/// Donchian channel breakout with a trailing ATR stop (a turtle-style trend follower).
///
/// Per symbol, on each bar, with channels over the bars *before* this one:
/// - flat: `close > highest high of the previous entry bars` → `Long` with
///   `stop = close − atr_mult × ATR(atr)`; with `short = true`, `close < lowest low of the
///   previous entry bars` → `Short` with `stop = close + atr_mult × ATR`. No entry until the
///   entry channel and the ATR both exist: the first possible entry is bar `max(entry, atr) + 1`
///   (counting from 1).
/// - long: `low ≤ stop` → `Flat` ("stop hit": the engine's stop order has filled; the signal
///   keeps the strategy and the engine in step, and a new entry waits for the next bar);
///   otherwise `close < lowest low of the previous exit bars` → `Flat`, or `Short` directly when
///   `short = true` and the close is also below the entry channel; otherwise the stop trails:
///   when `close − atr_mult × ATR` is above the current stop, a new `Long` signal carries the
///   higher stop. The stop never moves down. Shorts are the mirror image.
///
/// A stop that would not be a positive price (or overflows) is left out (`None`). All arithmetic
/// is exact on fixed-point prices.
#[derive(Debug, Clone)]
pub struct Breakout {
    params: BreakoutParams,
    slots: Vec<BreakoutSlot>,
}

#[derive(Debug, Clone)]
struct BreakoutSlot {
    /// Highest high of the previous `entry` bars (long entries).
    entry_high: RollingMax,
    /// Lowest low of the previous `exit` bars (long exits).
    exit_low: RollingMin,
    /// Lowest low of the previous `entry` bars (short entries), kept only with `short = true`.
    entry_low: Option<RollingMin>,
    /// Highest high of the previous `exit` bars (short exits), kept only with `short = true`.
    exit_high: Option<RollingMax>,
    atr: Atr,
    target: Target,
    stop: Option<Price>,
}

impl TryFrom<BreakoutParams> for Breakout {
    type Error = StrategyError;

    /// # Errors
    /// [`StrategyError::Constraint`] when `atr_mult` is not positive.
    fn try_from(params: BreakoutParams) -> Result<Self, StrategyError> {
        Ok(Self {
            params: params.validated()?,
            slots: Vec::new(),
        })
    }
}

impl Breakout {
    /// The parameters it runs with.
    pub fn params(&self) -> BreakoutParams {
        self.params
    }
}

/// `close ∓ mult × atr` for a long (`-`) or short (`+`) stop; `None` when not a positive price.
fn stop_for(target: Target, close: Price, atr: Option<Price>, mult: Rate) -> Option<Price> {
    let distance = atr?.checked_mul_rate(mult)?;
    let stop = match target {
        Target::Long => close.checked_sub(distance)?,
        Target::Short => close.checked_add(distance)?,
        Target::Flat => return None,
    };
    stop.is_positive().then_some(stop)
}

/// Whether `close ∓ mult × atr`, computed exactly at 10⁻¹⁸ without dividing, is strictly
/// tighter (higher for a long, lower for a short) than `current`. The per-bar trailing test: the
/// rounded stop is computed only when this holds.
#[inline]
fn tightens(target: Target, close: Price, atr: Price, mult: Rate, current: Price) -> bool {
    const SCALE_WIDE: i128 = SCALE as i128;
    // |atr × mult| < 2¹²⁶ and |price × 10⁹| < 2⁹³: the saturating sums stay ordered.
    let distance = i128::from(atr.raw()) * i128::from(mult.raw());
    let close = i128::from(close.raw()) * SCALE_WIDE;
    let current = i128::from(current.raw()) * SCALE_WIDE;
    match target {
        Target::Long => close.saturating_sub(distance) > current,
        Target::Short => close.saturating_add(distance) < current,
        Target::Flat => false,
    }
}

impl Strategy for Breakout {
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
        let state = slot_mut(&mut self.slots, slot, || BreakoutSlot {
            entry_high: RollingMax::new(params.entry),
            exit_low: RollingMin::new(params.exit),
            entry_low: params.short.then(|| RollingMin::new(params.entry)),
            exit_high: params.short.then(|| RollingMax::new(params.exit)),
            atr: Atr::new(params.atr),
            target: Target::Flat,
            stop: None,
        });
        let (high, low, close) = (candle.high(), candle.low(), candle.close());
        // Channels over the previous bars, read before this bar joins them.
        let entry_high = state.entry_high.value();
        let exit_low = state.exit_low.value();
        let entry_low = state.entry_low.as_ref().and_then(RollingMin::value);
        let exit_high = state.exit_high.as_ref().and_then(RollingMax::value);
        state.entry_high.push(high);
        state.exit_low.push(low);
        if let Some(channel) = &mut state.entry_low {
            channel.push(low);
        }
        if let Some(channel) = &mut state.exit_high {
            channel.push(high);
        }
        state.atr.push(high, low, close);
        let atr = state.atr.value();
        let above = |level: Option<Price>| level.is_some_and(|level| close > level);
        let below = |level: Option<Price>| level.is_some_and(|level| close < level);

        let decision = match state.target {
            Target::Flat if atr.is_none() => None,
            Target::Flat if above(entry_high) => {
                Some((Target::Long, "close broke above the entry channel"))
            }
            Target::Flat if below(entry_low) => {
                Some((Target::Short, "close broke below the entry channel"))
            }
            Target::Flat => None,
            Target::Long if state.stop.is_some_and(|stop| low <= stop) => {
                Some((Target::Flat, "stop hit"))
            }
            Target::Long if below(exit_low) => {
                if below(entry_low) {
                    Some((Target::Short, "close broke below the entry channel"))
                } else {
                    Some((Target::Flat, "close broke below the exit channel"))
                }
            }
            Target::Short if state.stop.is_some_and(|stop| high >= stop) => {
                Some((Target::Flat, "stop hit"))
            }
            Target::Short if above(exit_high) => {
                if above(entry_high) {
                    Some((Target::Long, "close broke above the entry channel"))
                } else {
                    Some((Target::Flat, "close broke above the exit channel"))
                }
            }
            Target::Long | Target::Short => {
                // Exact test first (no division); round only when the stop really moves.
                let may_tighten = match (atr, state.stop) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(atr), Some(current)) => {
                        tightens(state.target, close, atr, params.atr_mult, current)
                    }
                };
                let trailed = if may_tighten {
                    stop_for(state.target, close, atr, params.atr_mult)
                } else {
                    None
                };
                let tighter = match (state.target, trailed, state.stop) {
                    (_, None, _) => false,
                    (_, Some(_), None) => true,
                    (Target::Long, Some(new), Some(old)) => new > old,
                    (_, Some(new), Some(old)) => new < old,
                };
                if tighter {
                    state.stop = trailed;
                    signals.push(Signal {
                        symbol,
                        target: state.target,
                        stop: trailed,
                        reason: "trailing stop moved",
                    });
                }
                None
            }
        };
        if let Some((target, reason)) = decision {
            let stop = stop_for(target, close, atr, params.atr_mult);
            state.target = target;
            state.stop = stop;
            signals.push(Signal {
                symbol,
                target,
                stop,
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests;
