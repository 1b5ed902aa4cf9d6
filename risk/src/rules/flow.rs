//! Order flow: rates per strategy and per account, and duplicate orders.

use std::collections::{BTreeMap, VecDeque};

use airlock_core::{OrderKind, Quantity, Side, Symbol, UnixNanos};

use crate::limits::Throttle;
use crate::rule::{Refusal, Rule};

const SECOND: u64 = 1_000_000_000;
const MINUTE: u64 = 60 * SECOND;
const NANOS_PER_MS: u64 = 1_000_000;

/// Approval times of the last minute, for the account and per strategy.
#[derive(Debug, Clone, Default)]
pub(crate) struct Throttles {
    account: VecDeque<UnixNanos>,
    strategies: BTreeMap<String, VecDeque<UnixNanos>>,
}

/// How many of `times` lie less than `window` before `now` (later ones count too: a clock that
/// went backwards must not free budget).
fn count_within(times: &VecDeque<UnixNanos>, now: UnixNanos, window: u64) -> u64 {
    let inside = times
        .iter()
        .rev()
        .take_while(|at| now.as_u64().saturating_sub(at.as_u64()) < window)
        .count();
    u64::try_from(inside).unwrap_or(u64::MAX)
}

fn prune(times: &mut VecDeque<UnixNanos>, now: UnixNanos) {
    while times
        .front()
        .is_some_and(|at| now.as_u64().saturating_sub(at.as_u64()) >= MINUTE)
    {
        times.pop_front();
    }
}

/// One window's limits against the counts already in it.
fn judge(
    (rule, limit_name, span): (Rule, &str, &str),
    throttle: Option<Throttle>,
    (by_strategy, by_account): (u64, u64),
    strategy: &str,
) -> Result<(), Refusal> {
    let Some((Some(per_strategy), Some(per_account))) =
        throttle.map(|throttle| (throttle.strategy, throttle.account))
    else {
        return Err(Refusal::not_configured(rule, limit_name));
    };
    if by_strategy >= u64::from(per_strategy) {
        return Err(Refusal::new(
            rule,
            format!(
                "strategy {strategy} already has {by_strategy} orders in the last {span}; the \
                 limit is {per_strategy}"
            ),
        ));
    }
    if by_account >= u64::from(per_account) {
        return Err(Refusal::new(
            rule,
            format!(
                "the account already has {by_account} orders in the last {span}; the limit is \
                 {per_account}"
            ),
        ));
    }
    Ok(())
}

impl Throttles {
    /// Refuses when one more order would pass a per-second or per-minute limit.
    pub(crate) fn check(
        &mut self,
        per_second: Option<Throttle>,
        per_minute: Option<Throttle>,
        strategy: &str,
        now: UnixNanos,
    ) -> Result<(), Refusal> {
        prune(&mut self.account, now);
        if let Some(times) = self.strategies.get_mut(strategy) {
            prune(times, now);
        }
        let counts = |window: u64| {
            let by_strategy = self
                .strategies
                .get(strategy)
                .map_or(0, |times| count_within(times, now, window));
            (by_strategy, count_within(&self.account, now, window))
        };
        judge(
            (Rule::OrdersPerSecond, "orders_per_second", "second"),
            per_second,
            counts(SECOND),
            strategy,
        )?;
        judge(
            (Rule::OrdersPerMinute, "orders_per_minute", "minute"),
            per_minute,
            counts(MINUTE),
            strategy,
        )
    }

    /// Counts an approved order.
    pub(crate) fn record(&mut self, strategy: &str, now: UnixNanos) {
        self.account.push_back(now);
        match self.strategies.get_mut(strategy) {
            Some(times) => times.push_back(now),
            None => {
                self.strategies
                    .insert(strategy.to_owned(), VecDeque::from([now]));
            }
        }
    }
}

/// What makes two orders the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub(crate) symbol: Symbol,
    pub(crate) side: Side,
    pub(crate) kind: OrderKind,
    pub(crate) quantity: Quantity,
}

/// Orders approved within the duplicate window.
#[derive(Debug, Clone, Default)]
pub(crate) struct Duplicates {
    recent: VecDeque<(UnixNanos, Fingerprint)>,
}

impl Duplicates {
    /// Refuses an order identical to one approved less than `window_ms` before `now`.
    pub(crate) fn check(
        &mut self,
        window_ms: Option<u64>,
        order: &Fingerprint,
        now: UnixNanos,
    ) -> Result<(), Refusal> {
        let Some(window_ms) = window_ms else {
            return Err(Refusal::not_configured(
                Rule::DuplicateOrder,
                "duplicate_window_ms",
            ));
        };
        let window = window_ms.saturating_mul(NANOS_PER_MS);
        while self
            .recent
            .front()
            .is_some_and(|(at, _)| now.as_u64().saturating_sub(at.as_u64()) >= window)
        {
            self.recent.pop_front();
        }
        if let Some((at, _)) = self.recent.iter().rev().find(|(at, earlier)| {
            earlier == order && now.as_u64().saturating_sub(at.as_u64()) < window
        }) {
            return Err(Refusal::new(
                Rule::DuplicateOrder,
                format!(
                    "the same order ({} {} {} {}) was approved at {at}, within {window_ms} ms",
                    order.side,
                    order.quantity,
                    order.symbol,
                    order.kind.as_str()
                ),
            ));
        }
        Ok(())
    }

    /// Remembers an approved order.
    pub(crate) fn record(&mut self, order: Fingerprint, now: UnixNanos) {
        self.recent.push_back((now, order));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> UnixNanos {
        UnixNanos::new(1_000 * SECOND + value * NANOS_PER_MS)
    }

    fn throttle(strategy: u32, account: u32) -> Option<Throttle> {
        Some(Throttle {
            strategy: Some(strategy),
            account: Some(account),
        })
    }

    #[test]
    fn exactly_the_limit_per_second_passes_and_one_more_is_refused() {
        let mut throttles = Throttles::default();
        let (second, minute) = (throttle(3, 10), throttle(100, 100));
        for at in [0, 100, 200] {
            assert!(throttles.check(second, minute, "a", ms(at)).is_ok());
            throttles.record("a", ms(at));
        }
        let refusal = throttles.check(second, minute, "a", ms(999)).unwrap_err();
        assert_eq!(refusal.rule, Rule::OrdersPerSecond);
        assert_eq!(
            refusal.reason,
            "strategy a already has 3 orders in the last second; the limit is 3"
        );
        // Another strategy has its own budget; one second after the first order, "a" has room.
        assert!(throttles.check(second, minute, "b", ms(999)).is_ok());
        assert!(throttles.check(second, minute, "a", ms(1_000)).is_ok());
    }

    #[test]
    fn the_account_limit_spans_strategies_and_minutes_are_separate() {
        let mut throttles = Throttles::default();
        let (second, minute) = (throttle(10, 2), throttle(100, 3));
        throttles.record("a", ms(0));
        throttles.record("b", ms(10));
        let refusal = throttles.check(second, minute, "c", ms(20)).unwrap_err();
        assert!(
            refusal.reason.starts_with("the account already has 2"),
            "{}",
            refusal.reason
        );
        throttles.record("c", ms(5_000));
        let refusal = throttles
            .check(second, minute, "c", ms(30_000))
            .unwrap_err();
        assert_eq!(refusal.rule, Rule::OrdersPerMinute);
        assert!(throttles.check(second, minute, "c", ms(60_000)).is_ok());
    }

    #[test]
    fn half_configured_throttles_fail_closed() {
        let mut throttles = Throttles::default();
        let half = Some(Throttle {
            strategy: Some(1),
            account: None,
        });
        assert!(throttles.check(half, throttle(1, 1), "a", ms(0)).is_err());
        assert!(throttles.check(throttle(1, 1), None, "a", ms(0)).is_err());
        // A zero limit refuses every order.
        assert!(
            throttles
                .check(throttle(0, 5), throttle(5, 5), "a", ms(0))
                .is_err()
        );
    }

    fn order(quantity: i64) -> Fingerprint {
        Fingerprint {
            symbol: Symbol::parse("AAPL").unwrap(),
            side: Side::Buy,
            kind: OrderKind::Limit {
                limit: "10".parse().unwrap(),
            },
            quantity: Quantity::from_units(quantity).unwrap(),
        }
    }

    #[test]
    fn duplicates_within_the_window_are_refused_and_at_its_end_pass() {
        let mut duplicates = Duplicates::default();
        duplicates.record(order(5), ms(0));
        let refusal = duplicates
            .check(Some(2_000), &order(5), ms(1_999))
            .unwrap_err();
        assert_eq!(
            refusal.reason,
            "the same order (buy 5 AAPL limit) was approved at 1970-01-01T00:16:40Z, within 2000 ms"
        );
        assert!(duplicates.check(Some(2_000), &order(6), ms(1_999)).is_ok());
        assert!(duplicates.check(Some(2_000), &order(5), ms(2_000)).is_ok());
        // A zero window refuses none; no window fails closed.
        duplicates.record(order(5), ms(3_000));
        assert!(duplicates.check(Some(0), &order(5), ms(3_000)).is_ok());
        assert!(duplicates.check(None, &order(1), ms(3_000)).is_err());
    }
}
