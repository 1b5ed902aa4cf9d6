//! [`submit_with_retry`]: the bounded retry the runtime uses for a transient submit failure.

use airlock_core::{Broker, BrokerError, Mode, OrderRequest, SubmitAck};

use super::config::RetryPolicy;

/// Submits `order`, and on a [`BrokerError::Transient`] resends the very same request (same
/// client order id, never a new one) after `policy.backoff.delay(n)`, at most `policy.attempts`
/// times in all. A rejection or a fatal error is returned at once, as is the last transient
/// error when the attempts run out.
///
/// Resending is safe with any broker that deduplicates by client order id: the Alpaca broker
/// looks a duplicate up and acknowledges the existing order.
///
/// # Errors
/// The first non-transient error, or the last transient one.
pub async fn submit_with_retry<M: Mode, B: Broker<M>>(
    broker: &mut B,
    order: OrderRequest,
    policy: RetryPolicy,
) -> Result<SubmitAck, BrokerError> {
    let mut attempt = 0_u32;
    loop {
        match broker.submit(order.clone()).await {
            Err(error) if error.is_retryable() && attempt.saturating_add(1) < policy.attempts => {
                let delay = policy.backoff.delay(attempt);
                tracing::warn!(
                    client_order_id = %order.client_order_id(),
                    attempt,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    %error,
                    "submit failed transiently; resending with the same client order id"
                );
                tokio::time::sleep(delay).await;
                attempt = attempt.saturating_add(1);
            }
            outcome => return outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use airlock_core::{
        AccountSnapshot, BrokerEvent, BrokerOrderId, ClientOrderId, OrderKind, OrderReport,
        OrderStatus, Paper, Position, Quantity, ReplaceRequest, Side, Symbol, TimeInForce,
    };
    use futures_core::Stream;

    use super::*;
    use crate::alpaca::Backoff;

    /// Fails transiently `failures` times, then acknowledges; records every id it was sent.
    struct Flaky {
        failures: u32,
        final_error: Option<BrokerError>,
        seen: Vec<ClientOrderId>,
    }

    impl Broker<Paper> for Flaky {
        async fn submit(&mut self, order: OrderRequest) -> Result<SubmitAck, BrokerError> {
            self.seen.push(order.client_order_id().clone());
            if self.failures > 0 {
                self.failures -= 1;
                return Err(BrokerError::Transient {
                    reason: "503".into(),
                });
            }
            if let Some(error) = self.final_error.take() {
                return Err(error);
            }
            Ok(SubmitAck {
                client_order_id: order.client_order_id().clone(),
                broker_order_id: BrokerOrderId::new("b-1"),
                status: OrderStatus::Accepted,
            })
        }
        async fn cancel(&mut self, _: &ClientOrderId) -> Result<(), BrokerError> {
            Ok(())
        }
        async fn replace(
            &mut self,
            _: &ClientOrderId,
            _: ReplaceRequest,
        ) -> Result<OrderReport, BrokerError> {
            Err(BrokerError::Rejected {
                reason: "not in this test".into(),
            })
        }
        async fn open_orders(&mut self) -> Result<Vec<OrderReport>, BrokerError> {
            Ok(Vec::new())
        }
        async fn positions(&mut self) -> Result<Vec<Position>, BrokerError> {
            Ok(Vec::new())
        }
        async fn account(&mut self) -> Result<AccountSnapshot, BrokerError> {
            Err(BrokerError::Rejected {
                reason: "not in this test".into(),
            })
        }
        fn events(&mut self) -> impl Stream<Item = BrokerEvent> + Send + '_ {
            futures_util::stream::empty()
        }
    }

    fn order() -> OrderRequest {
        OrderRequest::new(
            ClientOrderId::parse("o-7").unwrap(),
            Symbol::parse("AAPL").unwrap(),
            Side::Buy,
            OrderKind::Market,
            Quantity::ONE,
            TimeInForce::Day,
        )
        .unwrap()
    }

    fn policy(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            backoff: Backoff {
                initial: Duration::from_millis(100),
                max: Duration::from_millis(400),
            },
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_with_the_same_id_and_backoff() {
        let mut broker = Flaky {
            failures: 3,
            final_error: None,
            seen: Vec::new(),
        };
        let start = tokio::time::Instant::now();
        let ack = submit_with_retry(&mut broker, order(), policy(4))
            .await
            .unwrap();
        assert_eq!(ack.client_order_id.as_str(), "o-7");
        assert_eq!(broker.seen.len(), 4);
        assert!(broker.seen.iter().all(|id| id.as_str() == "o-7"));
        // 100 + 200 + 400 ms of back-off on the paused clock.
        assert_eq!(start.elapsed(), Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_run_out_and_rejections_stop_at_once() {
        let mut broker = Flaky {
            failures: 10,
            final_error: None,
            seen: Vec::new(),
        };
        let error = submit_with_retry(&mut broker, order(), policy(3))
            .await
            .unwrap_err();
        assert!(error.is_retryable());
        assert_eq!(broker.seen.len(), 3);
        let mut broker = Flaky {
            failures: 1,
            final_error: Some(BrokerError::Rejected {
                reason: "403".into(),
            }),
            seen: Vec::new(),
        };
        let error = submit_with_retry(&mut broker, order(), policy(5))
            .await
            .unwrap_err();
        assert!(!error.is_retryable());
        assert_eq!(broker.seen.len(), 2);
    }
}
