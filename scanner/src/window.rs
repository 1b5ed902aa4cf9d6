//! A rolling maximum over a fixed number of values.

use std::collections::VecDeque;

/// The maximum of the last `capacity` values (a monotonic queue: amortised O(1) per push).
#[derive(Debug, Clone)]
pub(crate) struct MaxWindow {
    /// (sequence number, value), values strictly decreasing from the front.
    queue: VecDeque<(u64, i64)>,
    capacity: u64,
    pushed: u64,
}

impl MaxWindow {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            capacity: u64::try_from(capacity).unwrap_or(u64::MAX),
            pushed: 0,
        }
    }

    /// The maximum of the window, if it holds anything.
    pub(crate) fn max(&self) -> Option<i64> {
        self.queue.front().map(|(_, value)| *value)
    }

    pub(crate) fn push(&mut self, value: i64) {
        while self.queue.back().is_some_and(|(_, last)| *last <= value) {
            self.queue.pop_back();
        }
        self.queue.push_back((self.pushed, value));
        self.pushed += 1;
        let oldest_kept = self.pushed.saturating_sub(self.capacity);
        while self.queue.front().is_some_and(|(at, _)| *at < oldest_kept) {
            self.queue.pop_front();
        }
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
