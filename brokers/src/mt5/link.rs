//! The authenticated HTTP link to the bridge: every request signed, every answer verified.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::auth::{
    NONCE_HEADER, SIGNATURE_HEADER, SigningKey, TIMESTAMP_HEADER, request_canonical,
    response_canonical, same_signature,
};
use super::wire::{ErrorBody, LastError};

/// Why a call over the link failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// No answer. `maybe_delivered` is false only when the connection was never made, so the
    /// bridge cannot have acted on the request.
    NoAnswer {
        reason: String,
        maybe_delivered: bool,
    },
    /// An answer whose signature does not verify with our secret.
    Unsigned { status: u16 },
    /// A signed error answer (4xx, 5xx).
    Refused {
        status: u16,
        code: String,
        field: Option<String>,
        message: String,
        last_error: Option<LastError>,
    },
    /// A signed answer that is not the JSON the protocol promises.
    Malformed { reason: String },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NoAnswer { reason, .. } => write!(f, "no answer from the bridge: {reason}"),
            LinkError::Unsigned { status } => write!(
                f,
                "the answer (HTTP {status}) is not signed with our shared secret: the bridge \
                 holds another secret, or what answered is not an Airlock MT5 bridge"
            ),
            LinkError::Refused {
                status,
                code,
                field,
                message,
                last_error,
            } => {
                write!(f, "bridge refused (HTTP {status} {code}")?;
                if let Some(field) = field {
                    write!(f, ", field {field}")?;
                }
                write!(f, "): {message}")?;
                if let Some(error) = last_error {
                    write!(f, " (MT5 last_error {} {})", error.code, error.message)?;
                }
                Ok(())
            }
            LinkError::Malformed { reason } => {
                write!(f, "the bridge's answer is not protocol JSON: {reason}")
            }
        }
    }
}

/// The bridge's clock as of its last answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BridgeClock {
    /// The bridge host's UTC clock, epoch milliseconds.
    pub(crate) now_ms: i64,
    /// How far the trade server's clock runs ahead of UTC.
    pub(crate) server_offset_ms: i64,
}

pub(crate) struct Link {
    client: reqwest::Client,
    base: String,
    key: SigningKey,
    nonce_prefix: u64,
    counter: u64,
    clock: BridgeClock,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The wall clock, epoch milliseconds: request timestamps are the one thing the bridge client
/// needs it for.
#[expect(
    clippy::disallowed_methods,
    reason = "the signed request timestamp is wall-clock time by definition"
)]
fn wall_clock_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|elapsed| i64::try_from(elapsed.as_millis()).ok())
        .unwrap_or(0)
}

/// 64 random bits from the standard library's randomly seeded hasher (nonces must be unique,
/// not secret).
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(u64::try_from(wall_clock_ms()).unwrap_or(0));
    hasher.finish()
}

impl Link {
    pub(crate) fn new(
        base: String,
        key: SigningKey,
        timeout: Duration,
        root_certificate_pem: Option<&[u8]>,
    ) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(pem) = root_certificate_pem {
            let certificate = reqwest::Certificate::from_pem(pem)
                .map_err(|error| format!("root_certificate_pem: not a PEM certificate: {error}"))?;
            builder = builder.add_root_certificate(certificate);
        }
        let client = builder
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Self {
            client,
            base,
            key,
            nonce_prefix: random_u64(),
            counter: 0,
            clock: BridgeClock::default(),
        })
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The bridge's clock as of its last answer (our own clock before the first).
    pub(crate) fn clock(&self) -> BridgeClock {
        if self.clock.now_ms == 0 {
            return BridgeClock {
                now_ms: wall_clock_ms(),
                server_offset_ms: 0,
            };
        }
        self.clock
    }

    fn next_nonce(&mut self) -> String {
        self.counter = self.counter.wrapping_add(1);
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(self.counter);
        format!(
            "{:016x}{:08x}{:08x}",
            self.nonce_prefix,
            self.counter & 0xffff_ffff,
            hasher.finish() & 0xffff_ffff
        )
    }

    /// POSTs `body` to `path` and decodes the verified answer as `T`.
    pub(crate) async fn call<B, T>(&mut self, path: &str, body: &B) -> Result<T, LinkError>
    where
        B: Serialize + Sync,
        T: DeserializeOwned,
    {
        let payload = serde_json::to_vec(body).map_err(|error| LinkError::Malformed {
            reason: format!("cannot encode the request: {error}"),
        })?;
        let nonce = self.next_nonce();
        let timestamp = wall_clock_ms().to_string();
        let signature = self.key.sign(&request_canonical(
            "POST", path, &timestamp, &nonce, &payload,
        ));
        let sent = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(NONCE_HEADER, &nonce)
            .header(SIGNATURE_HEADER, signature)
            .body(payload)
            .send()
            .await;
        let response = sent.map_err(|error| LinkError::NoAnswer {
            reason: describe(&error),
            maybe_delivered: !error.is_connect(),
        })?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let answer_timestamp = header(TIMESTAMP_HEADER).unwrap_or_default();
        let answer_signature = header(SIGNATURE_HEADER).unwrap_or_default();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| LinkError::NoAnswer {
                reason: describe(&error),
                maybe_delivered: true,
            })?;
        let expected = self.key.sign(&response_canonical(
            status,
            &nonce,
            &answer_timestamp,
            &bytes,
        ));
        if !same_signature(&expected, &answer_signature) {
            return Err(LinkError::Unsigned { status });
        }
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|error| LinkError::Malformed {
                reason: format!("{path}: {error}"),
            })?;
        if let (Some(now_ms), Some(offset)) = (
            value.get("now_ms").and_then(Value::as_i64),
            value.get("server_time_offset_ms").and_then(Value::as_i64),
        ) {
            self.clock = BridgeClock {
                now_ms,
                server_offset_ms: offset,
            };
        }
        if status != 200 {
            let error: ErrorBody = value
                .get("error")
                .cloned()
                .and_then(|error| serde_json::from_value(error).ok())
                .unwrap_or_default();
            return Err(LinkError::Refused {
                status,
                code: error.code,
                field: error.field,
                message: error.message,
                last_error: error.last_error,
            });
        }
        serde_json::from_value(value).map_err(|error| LinkError::Malformed {
            reason: format!("{path}: {error}"),
        })
    }
}

fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "connection failed"
    };
    // reqwest's message names the URL (scheme, host, port, path): no secret is in it.
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
