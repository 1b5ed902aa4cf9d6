//! Watchlists: the top of the ranking, followed over time, with changes for subscribers.

use airlock_core::{Symbol, UnixNanos};
use serde::Serialize;

use crate::ranking::Ranking;

/// A watchlist handed out by [`Radar::subscribe`](crate::Radar::subscribe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatchlistId(pub(crate) usize);

/// What changed in a watchlist since its subscriber last looked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchlistChange {
    /// The ranking time of the current list.
    pub as_of: Option<UnixNanos>,
    /// The list now, best first.
    pub symbols: Vec<Symbol>,
    /// Symbols that joined.
    pub added: Vec<Symbol>,
    /// Symbols that left.
    pub removed: Vec<Symbol>,
}

#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    size: usize,
    current: Vec<Symbol>,
    as_of: Option<UnixNanos>,
    delivered: Vec<Symbol>,
    pending: bool,
}

impl Subscription {
    pub(crate) fn new(size: usize) -> Self {
        Self {
            size,
            current: Vec::new(),
            as_of: None,
            delivered: Vec::new(),
            pending: false,
        }
    }

    pub(crate) fn follow(&mut self, ranking: &Ranking) {
        let next: Vec<Symbol> = ranking
            .rows
            .iter()
            .take(self.size)
            .map(|row| row.symbol)
            .collect();
        if next != self.current {
            self.current = next;
            self.pending = true;
        }
        self.as_of = ranking.as_of;
    }

    pub(crate) fn symbols(&self) -> &[Symbol] {
        &self.current
    }

    pub(crate) fn take_change(&mut self) -> Option<WatchlistChange> {
        if !self.pending {
            return None;
        }
        self.pending = false;
        let added = self
            .current
            .iter()
            .filter(|symbol| !self.delivered.contains(symbol))
            .copied()
            .collect();
        let removed = self
            .delivered
            .iter()
            .filter(|symbol| !self.current.contains(symbol))
            .copied()
            .collect();
        self.delivered.clone_from(&self.current);
        Some(WatchlistChange {
            as_of: self.as_of,
            symbols: self.current.clone(),
            added,
            removed,
        })
    }
}
