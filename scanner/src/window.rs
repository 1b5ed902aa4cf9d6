//! A rolling maximum over a fixed number of values.

/// The maximum of the last `capacity` values: a monotonic queue (values strictly decreasing from
/// the front) in a fixed ring, so a push is amortised O(1) and never allocates.
#[derive(Debug, Clone)]
pub(crate) struct MaxWindow {
    /// (sequence number, value); the queue is `len` entries from `head`, wrapping.
    ring: Vec<(u64, i64)>,
    head: usize,
    len: usize,
    capacity: u64,
    pushed: u64,
}

impl MaxWindow {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            ring: vec![(0, 0); capacity.max(1)],
            head: 0,
            len: 0,
            capacity: u64::try_from(capacity).unwrap_or(u64::MAX),
            pushed: 0,
        }
    }

    #[inline]
    fn at(&self, offset: usize) -> (u64, i64) {
        let index = self.head + offset;
        let index = if index >= self.ring.len() {
            index - self.ring.len()
        } else {
            index
        };
        self.ring.get(index).copied().unwrap_or_default()
    }

    /// The maximum of the window, if it holds anything.
    #[inline]
    pub(crate) fn max(&self) -> Option<i64> {
        (self.len > 0).then(|| self.at(0).1)
    }

    #[inline]
    pub(crate) fn push(&mut self, value: i64) {
        while self.len > 0 && self.at(self.len - 1).1 <= value {
            self.len -= 1;
        }
        // Expire the front before adding, so the queue never holds more than `capacity`.
        let oldest_kept = (self.pushed + 1).saturating_sub(self.capacity);
        while self.len > 0 && self.at(0).0 < oldest_kept {
            self.head = if self.head + 1 == self.ring.len() {
                0
            } else {
                self.head + 1
            };
            self.len -= 1;
        }
        let index = self.head + self.len;
        let index = if index >= self.ring.len() {
            index - self.ring.len()
        } else {
            index
        };
        if let Some(slot) = self.ring.get_mut(index) {
            *slot = (self.pushed, value);
            self.len += 1;
        }
        self.pushed += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_maximum_agrees_with_recomputing_from_scratch(
            values in proptest::collection::vec(-1_000i64..1_000, 1..200),
            capacity in 1usize..30,
        ) {
            let mut maxima = MaxWindow::new(capacity);
            for (index, value) in values.iter().enumerate() {
                maxima.push(*value);
                let start = (index + 1).saturating_sub(capacity);
                let tail = &values[start..=index];
                prop_assert_eq!(maxima.max(), tail.iter().copied().max());
            }
        }
    }
}
