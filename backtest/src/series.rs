//! Loaded candle series and the k-way merge by timestamp.

use airlock_core::{Candle, CandleSource, Symbol, TimeRange, UnixNanos};

/// The candles of one symbol, ascending by timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The instrument.
    pub symbol: Symbol,
    /// Its candles, ascending, no duplicate timestamps.
    pub candles: Vec<Candle>,
}

/// Loads `symbols` (or every symbol the source has, when `symbols` is empty) within `range`.
///
/// # Errors
/// The source's error for the first symbol that cannot be loaded.
pub fn load_series<S: CandleSource>(
    source: &mut S,
    symbols: &[Symbol],
    range: TimeRange,
) -> Result<Vec<Series>, S::Error> {
    let wanted = if symbols.is_empty() {
        source.symbols()
    } else {
        symbols.to_vec()
    };
    wanted
        .into_iter()
        .map(|symbol| {
            Ok(Series {
                symbol,
                candles: source.load(&symbol, range)?,
            })
        })
        .collect()
}

/// Walks several series in timestamp order. Ties go to the series listed first, so the order is
/// deterministic.
pub(crate) struct Merge<'a> {
    series: &'a [Series],
    cursors: Vec<usize>,
}

impl<'a> Merge<'a> {
    pub(crate) fn new(series: &'a [Series]) -> Self {
        Self {
            series,
            cursors: vec![0; series.len()],
        }
    }

    /// The next (slot, candle), or `None` when every series is exhausted.
    #[inline]
    pub(crate) fn next_bar(&mut self) -> Option<(usize, &'a Candle)> {
        let series = self.series;
        if series.len() == 1 {
            let cursor = self.cursors.first_mut()?;
            let candle = series.first()?.candles.get(*cursor)?;
            *cursor += 1;
            return Some((0, candle));
        }
        let mut best: Option<(usize, UnixNanos)> = None;
        for (slot, (one, cursor)) in series.iter().zip(&self.cursors).enumerate() {
            if let Some(candle) = one.candles.get(*cursor)
                && best.is_none_or(|(_, ts)| candle.ts() < ts)
            {
                best = Some((slot, candle.ts()));
            }
        }
        let (slot, _) = best?;
        let cursor = self.cursors.get_mut(slot)?;
        let candle = series.get(slot)?.candles.get(*cursor)?;
        *cursor += 1;
        Some((slot, candle))
    }

    /// The timestamp of the next bar, without consuming it.
    pub(crate) fn peek_ts(&self) -> Option<UnixNanos> {
        self.series
            .iter()
            .zip(&self.cursors)
            .filter_map(|(one, cursor)| one.candles.get(*cursor).map(Candle::ts))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_core::{Price, Quantity};

    fn candle(ts: u64) -> Candle {
        let price = Price::ONE;
        Candle::new(
            UnixNanos::new(ts),
            price,
            price,
            price,
            price,
            Quantity::ZERO,
        )
        .unwrap()
    }

    #[test]
    fn merge_orders_by_time_then_by_listing() {
        let series = vec![
            Series {
                symbol: Symbol::parse("A").unwrap(),
                candles: vec![candle(1), candle(3), candle(4)],
            },
            Series {
                symbol: Symbol::parse("B").unwrap(),
                candles: vec![candle(2), candle(3)],
            },
        ];
        let mut merge = Merge::new(&series);
        let mut order = Vec::new();
        while let Some((slot, candle)) = merge.next_bar() {
            order.push((slot, candle.ts().as_u64()));
        }
        assert_eq!(order, vec![(0, 1), (1, 2), (0, 3), (1, 3), (0, 4)]);
        assert_eq!(merge.peek_ts(), None);
    }
}
