//! [`RateLimiter`]: the client-side token bucket every REST call passes through.
//!
//! Alpaca allows 200 requests a minute per account and answers 429 past that. The bucket holds
//! `burst` tokens and refills at `(per_minute − burst)` a minute, so no 60-second window ever
//! sees more than `per_minute` requests from us: at most `burst` from a full bucket plus the
//! refill. A 429 (Alpaca counts requests we do not see, from other clients of the account)
//! empties the bucket and halves the refill rate for a minute, down to an eighth; a minute
//! without a 429 restores it.
//!
//! The limiter is pure: it is given the time (`Instant`) by its caller, so its tests run on a
//! fake clock and never sleep.

use std::time::{Duration, Instant};

/// How long a 429 keeps the refill rate reduced.
const PENALTY: Duration = Duration::from_secs(60);
/// The slowest the limiter goes after repeated 429s: an eighth of the configured rate.
const MAX_SLOWDOWN: u32 = 8;
/// One token in credit units: credit is kept in milli-token-nanoseconds per minute, so that a
/// refill of `rate` milli-tokens a minute over `n` nanoseconds adds exactly `rate × n` units and
/// no fraction is ever lost to rounding.
const TOKEN: u128 = 1000 * 60_000_000_000;

/// A token bucket for REST requests.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    per_minute: u32,
    burst: u32,
    /// Tokens in [`TOKEN`] units.
    credit: u128,
    updated: Instant,
    slowdown: u32,
    penalty_until: Option<Instant>,
}

impl RateLimiter {
    /// A full bucket at `now`: up to `per_minute` requests in any minute, `burst` of them at
    /// once. `per_minute` is at least 1; `burst` is at least 1 and less than `per_minute` (when
    /// `per_minute` is 1, the burst is 1 and the refill one a minute).
    pub fn new(per_minute: u32, burst: u32, now: Instant) -> Self {
        let per_minute = per_minute.max(1);
        let burst = burst.clamp(1, per_minute.saturating_sub(1).max(1));
        Self {
            per_minute,
            burst,
            credit: u128::from(burst) * TOKEN,
            updated: now,
            slowdown: 1,
            penalty_until: None,
        }
    }

    /// Takes a token, or says how long to wait for one. Call again after waiting.
    ///
    /// # Errors
    /// The time until the next token, when the bucket is empty.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.credit >= TOKEN {
            self.credit -= TOKEN;
            return Ok(());
        }
        Err(self.wait_for(TOKEN - self.credit))
    }

    /// Alpaca answered 429: empty the bucket and slow the refill for a minute. Returns how long
    /// until the next token.
    pub fn on_rate_limited(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.credit = 0;
        self.slowdown = (self.slowdown * 2).min(MAX_SLOWDOWN);
        self.penalty_until = Some(now + PENALTY);
        self.wait_for(TOKEN)
    }

    /// How long until the next token, without taking one.
    pub fn retry_after(&mut self, now: Instant) -> Duration {
        self.refill(now);
        if self.credit >= TOKEN {
            return Duration::ZERO;
        }
        self.wait_for(TOKEN - self.credit)
    }

    /// The current refill rate in requests per minute (after any 429 slowdown).
    pub fn refill_per_minute(&self) -> u32 {
        self.refill_rate_per_minute() / self.slowdown
    }

    fn refill_rate_per_minute(&self) -> u32 {
        self.per_minute.saturating_sub(self.burst).max(1)
    }

    /// Milli-tokens per minute at the current speed.
    fn milli_rate(&self) -> u128 {
        u128::from(self.refill_rate_per_minute()) * 1000 / u128::from(self.slowdown)
    }

    fn refill(&mut self, now: Instant) {
        if let Some(until) = self.penalty_until
            && now >= until
        {
            // Credit the slow part of the interval at the slow rate, the rest at full speed.
            self.add_elapsed(until);
            self.slowdown = 1;
            self.penalty_until = None;
        }
        self.add_elapsed(now);
    }

    fn add_elapsed(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated);
        if elapsed.is_zero() {
            return;
        }
        let gained = self.milli_rate().saturating_mul(elapsed.as_nanos());
        let cap = u128::from(self.burst) * TOKEN;
        self.credit = self.credit.saturating_add(gained).min(cap);
        self.updated = now;
    }

    fn wait_for(&self, credit: u128) -> Duration {
        // Round up so that waiting this long always yields the token.
        let nanos = credit.div_ceil(self.milli_rate().max(1));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(limiter: &mut RateLimiter, start: Instant, seconds: u64, step: Duration) -> u32 {
        let mut now = start;
        let mut granted = 0;
        while now < start + Duration::from_secs(seconds) {
            if limiter.try_acquire(now).is_ok() {
                granted += 1;
            }
            now += step;
        }
        granted
    }

    #[test]
    fn a_full_bucket_gives_the_burst_then_waits_for_the_refill() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(200, 10, start);
        for _ in 0..10 {
            assert_eq!(limiter.try_acquire(start), Ok(()));
        }
        // 190 a minute: one token every 60/190 s.
        let wait = limiter.try_acquire(start).unwrap_err();
        assert_eq!(wait, Duration::from_nanos(315_789_474));
        assert!(
            limiter
                .try_acquire(start + wait - Duration::from_nanos(1))
                .is_err()
        );
        assert_eq!(limiter.try_acquire(start + wait), Ok(()));
    }

    #[test]
    fn no_minute_ever_sees_more_than_the_limit() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(200, 10, start);
        // Hammer it every millisecond for five minutes: every 60-second window stays within 200.
        let mut grants = Vec::new();
        let mut now = start;
        while now < start + Duration::from_secs(300) {
            if limiter.try_acquire(now).is_ok() {
                grants.push(now);
            }
            now += Duration::from_millis(1);
        }
        let most_in_a_minute = grants
            .iter()
            .map(|from| {
                grants
                    .iter()
                    .filter(|at| **at >= *from && **at < *from + Duration::from_secs(60))
                    .count()
            })
            .max()
            .unwrap();
        assert!(most_in_a_minute <= 200, "{most_in_a_minute}");
        assert!(most_in_a_minute >= 195, "{most_in_a_minute}");
    }

    #[test]
    fn a_429_empties_the_bucket_and_halves_the_rate_for_a_minute() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(130, 10, start);
        assert_eq!(limiter.refill_per_minute(), 120);
        let wait = limiter.on_rate_limited(start);
        assert_eq!(limiter.refill_per_minute(), 60);
        assert_eq!(wait, Duration::from_secs(1));
        assert!(limiter.try_acquire(start).is_err());
        // Within the penalty minute: 60 a minute.
        assert_eq!(
            run(&mut limiter, start, 30, Duration::from_millis(10)),
            29,
            "one token a second, the first after a second"
        );
        limiter.on_rate_limited(start + Duration::from_secs(30));
        limiter.on_rate_limited(start + Duration::from_secs(30));
        limiter.on_rate_limited(start + Duration::from_secs(30));
        assert_eq!(limiter.refill_per_minute(), 15, "an eighth at most");
        // A minute after the last 429 the full rate is back.
        let later = start + Duration::from_secs(91);
        assert_eq!(limiter.retry_after(later), Duration::ZERO);
        assert_eq!(limiter.refill_per_minute(), 120);
    }

    #[test]
    fn degenerate_settings_still_limit() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(0, 0, start);
        assert_eq!(limiter.try_acquire(start), Ok(()));
        assert_eq!(
            limiter.try_acquire(start).unwrap_err(),
            Duration::from_secs(60)
        );
        let mut tight = RateLimiter::new(5, 50, start);
        assert_eq!(tight.refill_per_minute(), 1, "burst clamped below the rate");
        assert_eq!(run(&mut tight, start, 1, Duration::from_millis(1)), 4);
    }
}
