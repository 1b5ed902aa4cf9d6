//! [`AlpacaConfig`]: the Alpaca broker's tunables, each with a documented default.

use std::time::Duration;

/// How the Alpaca broker paces, waits and recovers. [`AlpacaConfig::default`] is what Alpaca's
/// documented limits call for; tests shorten the durations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlpacaConfig {
    /// REST requests allowed per minute by the client-side limiter. Default 200, Alpaca's limit
    /// per account.
    pub rate_limit_per_minute: u32,
    /// How many requests may go at once from a full limiter bucket. Default 10. The bucket
    /// refills at `rate_limit_per_minute − burst` a minute, so no minute exceeds the limit.
    pub rate_limit_burst: u32,
    /// The longest a single REST request may take before it counts as lost. Default 10 s.
    pub request_timeout: Duration,
    /// Reconnect back-off of the trade-updates stream.
    pub reconnect: Backoff,
    /// When the trade-updates stream has been down longer than this, our open orders are
    /// cancelled once, as soon as Alpaca's REST API answers again (Alpaca has no
    /// cancel-on-disconnect of its own). Default 60 s; `None` never cancels.
    pub cancel_open_orders_after: Option<Duration>,
    /// A ping is sent on the stream after this long without a message, and the stream counts as
    /// dead after three times as long without any frame. Default 20 s.
    pub stream_heartbeat: Duration,
    /// How many events may wait for [`Broker::events`](airlock_core::Broker::events) to read
    /// them before the stream reader pauses. Default 4096.
    pub event_buffer: usize,
}

impl Default for AlpacaConfig {
    fn default() -> Self {
        Self {
            rate_limit_per_minute: 200,
            rate_limit_burst: 10,
            request_timeout: Duration::from_secs(10),
            reconnect: Backoff::default(),
            cancel_open_orders_after: Some(Duration::from_secs(60)),
            stream_heartbeat: Duration::from_secs(20),
            event_buffer: 4096,
        }
    }
}

/// Exponential back-off without jitter: `initial`, doubled after every failure, capped at `max`.
/// Deterministic on purpose: one process holds one stream per account, so there is no herd to
/// spread, and tests can predict every delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay. Default 250 ms.
    pub initial: Duration,
    /// The longest delay. Default 30 s.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (0 for the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1_u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// How [`submit_with_retry`](super::submit_with_retry) retries a transient failure: the same
/// request, with the same client order id, at most `attempts` times in all, waiting
/// `backoff.delay(n)` between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. Default 4.
    pub attempts: u32,
    /// Waits between attempts. Default 250 ms doubling to 5 s.
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Backoff {
                initial: Duration::from_millis(250),
                max: Duration::from_secs(5),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_never_overflows() {
        let backoff = Backoff::default();
        let delays: Vec<u128> = (0..10)
            .map(|attempt| backoff.delay(attempt).as_millis())
            .collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(30));
        let defaults = AlpacaConfig::default();
        assert_eq!(defaults.rate_limit_per_minute, 200);
        assert_eq!(
            defaults.cancel_open_orders_after,
            Some(Duration::from_secs(60))
        );
    }
}
