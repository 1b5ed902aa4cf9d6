//! [`Radar`]: the universe, updated bar by bar, ranked on demand, feeding watchlists.

use std::collections::HashMap;

use airlock_core::{Candle, Symbol, UnixNanos};
use thiserror::Error;

use crate::config::{ConfigError, RadarConfig};
use crate::ranking::{Excluded, Exclusion, Ranking, rank_rows};
use crate::symbol::{Params, SymbolState};
use crate::watchlist::{Subscription, WatchlistChange, WatchlistId};

/// A bar the radar cannot take.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UpdateError {
    /// Not later than the symbol's last bar.
    #[error("{symbol}: bar at {ts} is not after its last bar at {last}")]
    NotAscending {
        /// The symbol.
        symbol: Symbol,
        /// The bar's time.
        ts: UnixNanos,
        /// The symbol's last bar time.
        last: UnixNanos,
    },
    /// A slot number that [`Radar::slot`] did not hand out.
    #[error("no symbol in slot {0}")]
    UnknownSlot(usize),
}

/// Momentum Radar over a universe of symbols.
///
/// Feed it bars as they arrive ([`update`](Self::update), in time order per symbol; symbols may
/// interleave freely); every factor is kept incrementally, so one bar costs O(1) whatever the
/// history. [`rank`](Self::rank) scores the universe as of now. Watchlists
/// ([`subscribe`](Self::subscribe)) follow the top of the ranking.
#[derive(Debug, Clone)]
pub struct Radar {
    config: RadarConfig,
    warm_up: usize,
    params: Params,
    states: Vec<SymbolState>,
    symbols: Vec<Symbol>,
    index: HashMap<Symbol, usize>,
    as_of: Option<UnixNanos>,
    subscriptions: Vec<Subscription>,
}

impl Radar {
    /// An empty radar.
    ///
    /// # Errors
    /// [`ConfigError`] when a window is empty or too long, or a weight is not finite.
    pub fn new(config: RadarConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            warm_up: config.warm_up_bars(),
            params: Params::new(&config),
            config,
            states: Vec::new(),
            symbols: Vec::new(),
            index: HashMap::new(),
            as_of: None,
            subscriptions: Vec::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RadarConfig {
        &self.config
    }

    /// The slot of `symbol`, adding it to the universe if new. Slots make
    /// [`update_slot`](Self::update_slot) skip the symbol lookup.
    pub fn slot(&mut self, symbol: Symbol) -> usize {
        if let Some(&slot) = self.index.get(&symbol) {
            return slot;
        }
        let slot = self.states.len();
        self.states.push(SymbolState::new(&self.config));
        self.symbols.push(symbol);
        self.index.insert(symbol, slot);
        slot
    }

    /// Symbols in the universe.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// True when no symbol has been added.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Takes the next bar of `symbol` (added to the universe if new).
    ///
    /// # Errors
    /// [`UpdateError::NotAscending`] when the bar is not later than the symbol's last one; the
    /// state is unchanged.
    pub fn update(&mut self, symbol: Symbol, candle: &Candle) -> Result<(), UpdateError> {
        let slot = self.slot(symbol);
        self.update_slot(slot, candle)
    }

    /// Takes the next bar of the symbol in `slot`.
    ///
    /// # Errors
    /// [`UpdateError`] for an unknown slot or a bar not later than the symbol's last one.
    #[inline]
    pub fn update_slot(&mut self, slot: usize, candle: &Candle) -> Result<(), UpdateError> {
        let (Some(state), Some(symbol)) = (self.states.get_mut(slot), self.symbols.get(slot))
        else {
            return Err(UpdateError::UnknownSlot(slot));
        };
        if state.bars > 0 && candle.ts() <= state.last_ts {
            return Err(UpdateError::NotAscending {
                symbol: *symbol,
                ts: candle.ts(),
                last: state.last_ts,
            });
        }
        state.update(candle, &self.params);
        if self.as_of.is_none_or(|as_of| candle.ts() > as_of) {
            self.as_of = Some(candle.ts());
        }
        Ok(())
    }

    /// Scores every eligible symbol as of the latest bar. A symbol is eligible when all its
    /// windows are full, its last bar is the universe's latest, its close is at least
    /// `min_price` and its average dollar volume at least `min_avg_dollar_volume`.
    pub fn rank(&self) -> Ranking {
        let mut eligible = Vec::with_capacity(self.states.len());
        let mut excluded = Vec::new();
        for (state, &symbol) in self.states.iter().zip(&self.symbols) {
            let exclude = |why| Excluded { symbol, why };
            let Some(factors) = state.factors(self.warm_up, &self.params) else {
                excluded.push(exclude(Exclusion::WarmingUp {
                    bars: state.bars,
                    needed: self.warm_up,
                }));
                continue;
            };
            if let Some(as_of) = self.as_of
                && state.last_ts < as_of
            {
                excluded.push(exclude(Exclusion::Stale {
                    last: state.last_ts,
                }));
            } else if factors.close < self.config.min_price {
                excluded.push(exclude(Exclusion::BelowMinPrice {
                    close: factors.close,
                }));
            } else if factors.avg_dollar_volume < self.config.min_avg_dollar_volume {
                excluded.push(exclude(Exclusion::BelowMinDollarVolume {
                    average: factors.avg_dollar_volume,
                }));
            } else {
                eligible.push((symbol, factors));
            }
        }
        excluded.sort_by(|a, b| a.symbol.as_str().cmp(b.symbol.as_str()));
        Ranking {
            as_of: self.as_of,
            universe: self.states.len(),
            rows: rank_rows(&eligible, &self.config.weights),
            excluded,
        }
    }

    /// A new watchlist of the top `size` symbols. Strategies poll it with
    /// [`watchlist_changes`](Self::watchlist_changes) after each [`refresh`](Self::refresh).
    pub fn subscribe(&mut self, size: usize) -> WatchlistId {
        self.subscriptions.push(Subscription::new(size));
        WatchlistId(self.subscriptions.len() - 1)
    }

    /// Ranks the universe and moves every watchlist to the new top of the ranking.
    pub fn refresh(&mut self) -> Ranking {
        let ranking = self.rank();
        for subscription in &mut self.subscriptions {
            subscription.follow(&ranking);
        }
        ranking
    }

    /// What changed in a watchlist since its subscriber last asked (`None`: nothing, or an
    /// unknown id).
    pub fn watchlist_changes(&mut self, id: WatchlistId) -> Option<WatchlistChange> {
        self.subscriptions.get_mut(id.0)?.take_change()
    }

    /// A watchlist's current symbols, best first.
    pub fn watchlist(&self, id: WatchlistId) -> &[Symbol] {
        self.subscriptions
            .get(id.0)
            .map_or(&[], |subscription| subscription.symbols())
    }
}

#[cfg(test)]
mod tests;
