//! What every REST request passes before its handler: authentication, the rate limit, and the
//! failures a test asked for. Every answer, refusals included, carries Alpaca's
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` headers.
//!
//! The rate limit counts authenticated requests in fixed one-minute windows: the first request
//! opens a window, `X-RateLimit-Reset` is the UNIX second it ends, and the request after the
//! limit gets `429 too many requests` until then. Changing the limit starts a new window.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use crate::error::ApiError;
use crate::server::Shared;

const WINDOW: Duration = Duration::from_secs(60);

/// The numbers behind the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset: u64,
}

impl RateHeaders {
    fn apply(self, headers: &mut HeaderMap) {
        for (name, value) in [
            ("x-ratelimit-limit", u64::from(self.limit)),
            ("x-ratelimit-remaining", u64::from(self.remaining)),
            ("x-ratelimit-reset", self.reset),
        ] {
            headers.insert(name, HeaderValue::from(value));
        }
    }
}

/// Requests per fixed one-minute window.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: u32,
    /// When the window opened (monotonic) and the UNIX second it ends.
    window: Option<(Instant, u64)>,
    used: u32,
}

impl RateLimiter {
    pub(crate) fn new(limit: u32) -> Self {
        Self {
            limit,
            window: None,
            used: 0,
        }
    }

    /// A new limit and a fresh window.
    pub(crate) fn set_limit(&mut self, limit: u32) {
        self.limit = limit;
        self.window = None;
        self.used = 0;
    }

    fn roll(&mut self, now: Instant, unix_seconds: u64) -> u64 {
        match self.window {
            Some((opened, reset)) if now.duration_since(opened) < WINDOW => reset,
            _ => {
                let reset = unix_seconds.saturating_add(WINDOW.as_secs());
                self.window = Some((now, reset));
                self.used = 0;
                reset
            }
        }
    }

    /// Counts one request: whether it may pass, and the headers after it.
    pub(crate) fn hit(&mut self, now: Instant, unix_seconds: u64) -> (bool, RateHeaders) {
        let reset = self.roll(now, unix_seconds);
        let allowed = self.used < self.limit;
        if allowed {
            self.used = self.used.saturating_add(1);
        }
        (allowed, self.headers(reset))
    }

    /// The headers now, counting nothing (for refused credentials).
    pub(crate) fn peek(&mut self, now: Instant, unix_seconds: u64) -> RateHeaders {
        let reset = self.roll(now, unix_seconds);
        self.headers(reset)
    }

    fn headers(&self, reset: u64) -> RateHeaders {
        RateHeaders {
            limit: self.limit,
            remaining: self.limit.saturating_sub(self.used),
            reset,
        }
    }
}

/// Failures a test injects through the handle.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// The next `count` authenticated requests answer this status.
    pub(crate) fail: Option<(u32, StatusCode)>,
    /// The next order-creating request is executed and its response dropped.
    pub(crate) lose_next: bool,
}

impl Faults {
    fn take_failure(&mut self) -> Option<StatusCode> {
        let (count, status) = self.fail?;
        let left = count.saturating_sub(1);
        self.fail = (left > 0).then_some((left, status));
        Some(status)
    }
}

/// The rate limiter and the injected faults, behind one mutex.
#[derive(Debug)]
pub(crate) struct GateState {
    pub(crate) limiter: RateLimiter,
    pub(crate) faults: Faults,
}

/// The message of an injected failure: the status's reason in lower case.
fn failure_message(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("simulated failure")
        .to_lowercase()
}

/// The middleware in front of every REST route.
pub(crate) async fn gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let authorized = shared.authorized(request.headers());
    let now = Instant::now();
    let unix_seconds = crate::ids::now().as_u64() / 1_000_000_000;
    let (verdict, headers) = {
        let mut gate = shared.gate();
        if authorized {
            let (allowed, headers) = gate.limiter.hit(now, unix_seconds);
            if !allowed {
                (Err(ApiError::too_many_requests()), headers)
            } else if let Some(status) = gate.faults.take_failure() {
                let error = ApiError::with_status(status, failure_message(status));
                (Err(error), headers)
            } else {
                (Ok(()), headers)
            }
        } else {
            (
                Err(ApiError::unauthorized()),
                gate.limiter.peek(now, unix_seconds),
            )
        }
    };
    let mut response = match verdict {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    };
    headers.apply(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_a_fixed_window_and_a_new_limit_starts_a_new_one() {
        let mut limiter = RateLimiter::new(2);
        let start = Instant::now();
        let (first, headers) = limiter.hit(start, 1_000);
        assert!(first);
        assert_eq!(
            headers,
            RateHeaders {
                limit: 2,
                remaining: 1,
                reset: 1_060
            }
        );
        assert!(limiter.hit(start, 1_001).0);
        let (third, headers) = limiter.hit(start + Duration::from_secs(59), 1_059);
        assert!(!third);
        assert_eq!(headers.remaining, 0);
        assert_eq!(headers.reset, 1_060);
        let (later, headers) = limiter.hit(start + Duration::from_secs(60), 1_060);
        assert!(later, "a new window opens after a minute");
        assert_eq!(headers.reset, 1_120);
        limiter.set_limit(0);
        assert!(!limiter.hit(start + Duration::from_secs(61), 1_061).0);
        assert_eq!(limiter.peek(start, 1_061).limit, 0);
    }

    #[test]
    fn injected_failures_count_down() {
        let mut faults = Faults {
            fail: Some((2, StatusCode::SERVICE_UNAVAILABLE)),
            lose_next: false,
        };
        assert_eq!(faults.take_failure(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(faults.take_failure(), Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(faults.take_failure(), None);
        assert_eq!(
            failure_message(StatusCode::INTERNAL_SERVER_ERROR),
            "internal server error"
        );
    }
}
