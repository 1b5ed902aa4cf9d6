//! Alpaca's failures, classified: every REST call ends in a [`CallError`], and
//! [`CallError::into_broker_error`] turns it into our [`BrokerError`] by what the caller should do.
//!
//! | Alpaca answer | ours | why |
//! |---|---|---|
//! | 401 unauthorized | `Fatal` | the key pair is wrong; naming the variables, never the values |
//! | 403 forbidden (buying power, shares) | `Rejected` | this order cannot be placed as it is |
//! | 404 not found | `Rejected` | no such order at Alpaca |
//! | 422 unprocessable (invalid, not cancelable, duplicate id) | `Rejected` | Alpaca's message is kept |
//! | 429 too many requests | `Transient` | retry after the limiter's estimate |
//! | 5xx | `Transient` | Alpaca's trouble; retry with the same client order id |
//! | other 4xx | `Rejected` | |
//! | no connection, timeout, connection dropped | `Transient` | the request may or may not have arrived |
//! | an answer apca cannot read | `Fatal` | the venue speaks another protocol; retrying will not help |
//!
//! A submit or replace whose outcome is unknown (a timeout, a dropped connection, a duplicate id)
//! is not mapped here: the broker first looks the order up by its client order id.

use std::time::Duration;

use airlock_core::BrokerError;
use apca::RequestError;
use http_endpoint::Endpoint;

/// Whether a request that failed in transit may have reached Alpaca.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// The connection could not be opened: Alpaca never saw the request.
    NotSent,
    /// The request may have been received and executed (a timeout or a dropped answer).
    Unknown,
}

/// A failed REST call, before classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// Alpaca answered with an error status; `message` is its `message` field (or the raw body).
    Status {
        /// The HTTP status.
        status: u16,
        /// Alpaca's message.
        message: String,
    },
    /// No answer: the connection failed, was dropped, or timed out.
    Transport {
        /// What happened.
        reason: String,
        /// Whether the request may have arrived.
        delivery: Delivery,
    },
    /// A success status with a body apca could not read.
    Malformed {
        /// What could not be read.
        reason: String,
    },
    /// The request could not be built (a bug on our side, or a value apca cannot encode).
    Request {
        /// What went wrong.
        reason: String,
    },
}

/// What the caller of an operation needs to explain a 401 and a 429.
#[derive(Debug, Clone)]
pub(crate) struct ErrorContext {
    /// `AIRLOCK_<MODE>__ALPACA__KEY_ID`.
    pub(crate) key_id_variable: String,
    /// `AIRLOCK_<MODE>__ALPACA__SECRET_KEY`.
    pub(crate) secret_key_variable: String,
}

impl CallError {
    /// Reads apca's error for endpoint `R`.
    pub(crate) fn from_request<R>(error: RequestError<R::Error>) -> Self
    where
        R: Endpoint,
        R::Error: Into<http_endpoint::Error<R::ConversionError>>,
    {
        match error {
            RequestError::Endpoint(endpoint) => match endpoint.into() {
                http_endpoint::Error::HttpStatus(status, body) => CallError::Status {
                    status: status.as_u16(),
                    message: message_of(&body),
                },
                http_endpoint::Error::Conversion(error) => CallError::Malformed {
                    reason: chain(&error),
                },
                http_endpoint::Error::Http(error) => CallError::Request {
                    reason: chain(&error),
                },
            },
            RequestError::HyperUtil(error) => CallError::Transport {
                delivery: if error.is_connect() {
                    Delivery::NotSent
                } else {
                    Delivery::Unknown
                },
                reason: chain(&error),
            },
            RequestError::Hyper(error) => CallError::Transport {
                reason: chain(&error),
                delivery: Delivery::Unknown,
            },
            RequestError::Io(error) => CallError::Transport {
                reason: chain(&error),
                delivery: Delivery::Unknown,
            },
        }
    }

    /// The HTTP status, when Alpaca answered with one.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            CallError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when a create or replace may have been executed even though we got no order back.
    pub(crate) fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            CallError::Transport {
                delivery: Delivery::Unknown,
                ..
            } | CallError::Malformed { .. }
        )
    }

    /// True for Alpaca's refusal of a client order id it has seen before.
    pub(crate) fn is_duplicate_client_order_id(&self) -> bool {
        match self {
            CallError::Status { status, message } => {
                // Alpaca's text is "client_order_id must be unique"; the status is undocumented
                // (422 in practice), so any 4xx carrying that message counts.
                (400..500).contains(status) && message.contains("client_order_id must be unique")
            }
            _ => false,
        }
    }

    /// Our classification. `operation` names what was attempted (`submit x`, `cancel x`), and
    /// `retry_after` is the limiter's estimate of when a token is free again.
    pub(crate) fn into_broker_error(
        self,
        operation: &str,
        context: &ErrorContext,
        retry_after: Duration,
    ) -> BrokerError {
        match self {
            CallError::Status {
                status: 401,
                message,
            } => BrokerError::Fatal {
                reason: format!(
                    "{operation}: Alpaca refused the API key (401 unauthorized: {message}); check \
                     {} and {}",
                    context.key_id_variable, context.secret_key_variable
                ),
            },
            CallError::Status {
                status: 429,
                message,
            } => BrokerError::Transient {
                reason: format!(
                    "{operation}: rate limit reached (429 too many requests: {message}); retry in \
                     {} ms with the same client order id",
                    retry_after.as_millis()
                ),
            },
            CallError::Status {
                status: 403,
                message,
            } => BrokerError::Rejected {
                reason: format!("{operation}: {message} (403 forbidden)"),
            },
            CallError::Status {
                status: 404,
                message,
            } => BrokerError::Rejected {
                reason: format!("{operation}: unknown at Alpaca (404 not found: {message})"),
            },
            CallError::Status {
                status: 422,
                message,
            } => BrokerError::Rejected {
                reason: format!("{operation}: {message} (422 unprocessable)"),
            },
            CallError::Status { status, message } if status >= 500 => BrokerError::Transient {
                reason: format!(
                    "{operation}: Alpaca server error {status}: {message}; retry with the same \
                     client order id"
                ),
            },
            CallError::Status { status, message } => BrokerError::Rejected {
                reason: format!("{operation}: {message} (HTTP {status})"),
            },
            CallError::Transport { reason, delivery } => BrokerError::Transient {
                reason: match delivery {
                    Delivery::NotSent => format!("{operation}: Alpaca unreachable: {reason}"),
                    Delivery::Unknown => format!(
                        "{operation}: no answer from Alpaca ({reason}); the request may have \
                         arrived"
                    ),
                },
            },
            CallError::Malformed { reason } => BrokerError::Fatal {
                reason: format!("{operation}: Alpaca's answer could not be read: {reason}"),
            },
            CallError::Request { reason } => BrokerError::Fatal {
                reason: format!("{operation}: the request could not be built: {reason}"),
            },
        }
    }

    /// Applies `redact` to every text the error carries (the server's message could echo
    /// anything it was sent).
    pub(crate) fn redacted(self, redact: impl Fn(String) -> String) -> Self {
        match self {
            CallError::Status { status, message } => CallError::Status {
                status,
                message: redact(message),
            },
            CallError::Transport { reason, delivery } => CallError::Transport {
                reason: redact(reason),
                delivery,
            },
            CallError::Malformed { reason } => CallError::Malformed {
                reason: redact(reason),
            },
            CallError::Request { reason } => CallError::Request {
                reason: redact(reason),
            },
        }
    }
}

/// Alpaca's error body: `{"code": …, "message": "…"}`; apca has already reduced a parsed body to
/// its message, so anything else is shown as text (cut to 300 characters).
fn message_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "no message".to_owned();
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(serde_json::Value::String(message)) = map.get("message")
    {
        return message.clone();
    }
    text.chars().take(300).collect()
}

/// An error and its sources, joined with `: `.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A timeout of a request that may have been sent.
pub(crate) fn timeout(after: Duration) -> CallError {
    CallError::Transport {
        reason: format!("timed out after {} ms", after.as_millis()),
        delivery: Delivery::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ErrorContext {
        ErrorContext {
            key_id_variable: "AIRLOCK_PAPER__ALPACA__KEY_ID".into(),
            secret_key_variable: "AIRLOCK_PAPER__ALPACA__SECRET_KEY".into(),
        }
    }

    fn classify(error: CallError) -> String {
        let error = error.into_broker_error("submit o-1", &context(), Duration::from_millis(300));
        format!(
            "{}: {error}",
            if error.is_retryable() {
                "retry"
            } else {
                "stop"
            }
        )
    }

    fn status(status: u16, message: &str) -> CallError {
        CallError::Status {
            status,
            message: message.into(),
        }
    }

    #[test]
    fn every_status_class_maps_to_what_the_caller_should_do() {
        let lines = [
            status(401, "request is not authorized"),
            status(403, "insufficient buying power"),
            status(404, "order not found"),
            status(422, "qty must be > 0"),
            status(429, "rate limit exceeded"),
            status(500, "internal server error"),
            status(503, "service unavailable"),
            status(409, "conflict"),
            CallError::Transport {
                reason: "connection refused".into(),
                delivery: Delivery::NotSent,
            },
            timeout(Duration::from_secs(10)),
            CallError::Malformed {
                reason: "missing field `id`".into(),
            },
            CallError::Request {
                reason: "invalid uri".into(),
            },
        ]
        .into_iter()
        .map(classify)
        .collect::<Vec<_>>()
        .join("\n");
        expect_test::expect![[r#"
            stop: fatal broker error: submit o-1: Alpaca refused the API key (401 unauthorized: request is not authorized); check AIRLOCK_PAPER__ALPACA__KEY_ID and AIRLOCK_PAPER__ALPACA__SECRET_KEY
            stop: rejected by broker: submit o-1: insufficient buying power (403 forbidden)
            stop: rejected by broker: submit o-1: unknown at Alpaca (404 not found: order not found)
            stop: rejected by broker: submit o-1: qty must be > 0 (422 unprocessable)
            retry: transient broker error: submit o-1: rate limit reached (429 too many requests: rate limit exceeded); retry in 300 ms with the same client order id
            retry: transient broker error: submit o-1: Alpaca server error 500: internal server error; retry with the same client order id
            retry: transient broker error: submit o-1: Alpaca server error 503: service unavailable; retry with the same client order id
            stop: rejected by broker: submit o-1: conflict (HTTP 409)
            retry: transient broker error: submit o-1: Alpaca unreachable: connection refused
            retry: transient broker error: submit o-1: no answer from Alpaca (timed out after 10000 ms); the request may have arrived
            stop: fatal broker error: submit o-1: Alpaca's answer could not be read: missing field `id`
            stop: fatal broker error: submit o-1: the request could not be built: invalid uri"#]]
        .assert_eq(&lines);
    }

    #[test]
    fn duplicate_ids_and_unknown_outcomes_are_recognised() {
        assert!(status(422, "client_order_id must be unique").is_duplicate_client_order_id());
        assert!(!status(422, "qty must be > 0").is_duplicate_client_order_id());
        assert!(!status(500, "client_order_id must be unique").is_duplicate_client_order_id());
        assert!(timeout(Duration::from_secs(1)).outcome_unknown());
        assert!(
            CallError::Malformed {
                reason: String::new()
            }
            .outcome_unknown()
        );
        let refused = CallError::Transport {
            reason: "refused".into(),
            delivery: Delivery::NotSent,
        };
        assert!(!refused.outcome_unknown());
        assert!(!status(503, "busy").outcome_unknown());
        assert_eq!(status(503, "busy").status(), Some(503));
        assert_eq!(refused.status(), None);
    }

    #[test]
    fn bodies_are_read_as_alpaca_error_json_or_cut_text() {
        assert_eq!(
            message_of(br#"{"code":40310000,"message":"insufficient buying power"}"#),
            "insufficient buying power"
        );
        assert_eq!(message_of(b"  "), "no message");
        assert_eq!(message_of(b"upstream timeout"), "upstream timeout");
        assert_eq!(message_of(&[b'x'; 1000]).len(), 300);
    }

    #[test]
    fn redaction_reaches_every_text() {
        let hide = |text: String| text.replace("hunter2", "****");
        for error in [
            status(422, "echo hunter2"),
            CallError::Transport {
                reason: "hunter2".into(),
                delivery: Delivery::Unknown,
            },
            CallError::Malformed {
                reason: "hunter2".into(),
            },
            CallError::Request {
                reason: "hunter2".into(),
            },
        ] {
            let shown = format!("{:?}", error.redacted(hide));
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("****"), "{shown}");
        }
    }
}
