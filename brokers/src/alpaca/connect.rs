//! The one place the Alpaca key pair is read: [`Api`], apca's client built from our typed
//! [`Credentials`] and [`Endpoint`], with a hand-written `Debug` that prints no secret, the rate
//! limiter and timeout every REST call passes through, and the stream's authentication message.
//!
//! apca's `ApiInfo` and `Client` derive `Debug` with the secret inside, and apca's
//! `ApiInfo::from_env` reads ambient `APCA_API_*` variables: neither is ever formatted or called
//! here. Every text that leaves this module from an apca error is passed through [`Api::redact`]
//! first, so even a server echoing the secret back cannot put it in a log line or an error.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use airlock_core::{BrokerAccount, BrokerError};
use apca::{ApiInfo, Client};
use http_endpoint::Endpoint as HttpEndpoint;
use num_decimal::Num;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::config::AlpacaConfig;
use super::error::{CallError, ErrorContext, timeout};
use super::limiter::RateLimiter;
use crate::credentials::{Credentials, mask};
use crate::endpoint::Endpoint;

/// apca's client for one account, with our pacing and our error handling around it.
pub(crate) struct Api {
    client: Client,
    /// The key pair again, only to scrub it from texts we did not write.
    key_id: SecretString,
    secret: SecretString,
    masked_key_id: String,
    base_url: String,
    stream_url: String,
    limiter: Mutex<RateLimiter>,
    request_timeout: Duration,
    context: ErrorContext,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("base_url", &self.base_url)
            .field("stream_url", &self.stream_url)
            .field("key_id", &self.masked_key_id)
            .field("secret_key", &"****")
            .finish_non_exhaustive()
    }
}

impl Api {
    /// Builds the client for `endpoint` with `credentials`: REST at `https://host[:port]`
    /// (`http` for a loopback test server), the trade-updates stream at `wss://host[:port]/stream`
    /// (`ws` for loopback). Sends nothing.
    ///
    /// # Errors
    /// [`BrokerError::Fatal`] if the endpoint does not form a URL apca accepts.
    pub(crate) fn new<M: BrokerAccount>(
        credentials: &Credentials<M>,
        endpoint: &Endpoint<M>,
        config: &AlpacaConfig,
    ) -> Result<Self, BrokerError> {
        let (http_scheme, ws_scheme) = match endpoint.scheme() {
            "https" | "wss" => ("https", "wss"),
            _ => ("http", "ws"),
        };
        let authority = endpoint.authority();
        let base_url = format!("{http_scheme}://{authority}");
        let stream_url = format!("{ws_scheme}://{authority}/stream");
        let (key_id, secret) = credentials.key_pair();
        let fatal = |what: &str| BrokerError::Fatal {
            reason: format!("alpaca endpoint {endpoint}: {what}"),
        };
        let mut api_info =
            ApiInfo::from_parts(&base_url, key_id.expose_secret(), secret.expose_secret())
                .map_err(|_| fatal("not a URL the Alpaca client accepts"))?;
        api_info.api_stream_url =
            url::Url::parse(&stream_url).map_err(|_| fatal("no usable stream URL"))?;
        let now = tokio::time::Instant::now().into_std();
        Ok(Self {
            client: Client::new(api_info),
            key_id: key_id.clone(),
            secret: secret.clone(),
            masked_key_id: mask(key_id),
            base_url,
            stream_url,
            limiter: Mutex::new(RateLimiter::new(
                config.rate_limit_per_minute,
                config.rate_limit_burst,
                now,
            )),
            request_timeout: config.request_timeout,
            context: ErrorContext {
                key_id_variable: Credentials::<M>::key_id_variable(),
                secret_key_variable: Credentials::<M>::secret_key_variable(),
            },
        })
    }

    /// Issues one request: waits for a limiter token, then gives Alpaca `request_timeout` to
    /// answer. A 429 slows the limiter down.
    ///
    /// # Errors
    /// [`CallError`], its texts redacted.
    pub(crate) async fn call<R>(&self, input: &R::Input) -> Result<R::Output, CallError>
    where
        R: HttpEndpoint,
        R::Error: Into<http_endpoint::Error<R::ConversionError>>,
    {
        loop {
            let now = tokio::time::Instant::now().into_std();
            let wait = self.limiter().try_acquire(now);
            match wait {
                Ok(()) => break,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
        let answer =
            tokio::time::timeout(self.request_timeout, self.client.issue::<R>(input)).await;
        let error = match answer {
            Ok(Ok(output)) => return Ok(output),
            Ok(Err(error)) => CallError::from_request::<R>(error),
            Err(_elapsed) => timeout(self.request_timeout),
        };
        if error.status() == Some(429) {
            let now = tokio::time::Instant::now().into_std();
            let wait = self.limiter().on_rate_limited(now);
            tracing::warn!(
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "alpaca answered 429: the client-side limiter slows down"
            );
        }
        Err(error.redacted(|text| self.redact(text)))
    }

    /// Classifies a failed call of `operation` (e.g. `submit o-1`).
    pub(crate) fn fail(&self, error: CallError, operation: &str) -> BrokerError {
        let now = tokio::time::Instant::now().into_std();
        let retry_after = self.limiter().retry_after(now);
        error.into_broker_error(operation, &self.context, retry_after)
    }

    /// `text` with every occurrence of the secret key replaced by `****` and of the key id by
    /// its masked form.
    pub(crate) fn redact(&self, text: String) -> String {
        let mut text = text;
        for (value, masked) in [
            (self.secret.expose_secret(), "****"),
            (self.key_id.expose_secret(), self.masked_key_id.as_str()),
        ] {
            if !value.is_empty() && text.contains(value) {
                text = text.replace(value, masked);
            }
        }
        text
    }

    /// The trade-updates stream URL (`wss://…/stream`, or `ws://` for loopback).
    pub(crate) fn stream_url(&self) -> &str {
        &self.stream_url
    }

    /// The REST base URL.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends the stream's authentication message, `{"action":"auth","key":…,"secret":…}`, on
    /// `socket`. The message is built here and dropped after sending; it is never logged.
    ///
    /// # Errors
    /// The WebSocket error, if the message could not be sent.
    pub(crate) async fn send_stream_auth(
        &self,
        socket: &mut super::stream::Socket,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        use futures_util::SinkExt as _;
        let api_info = self.client.api_info();
        let message = serde_json::json!({
            "action": "auth",
            "key": api_info.key_id,
            "secret": api_info.secret,
        });
        socket
            .send(tokio_tungstenite::tungstenite::Message::text(
                message.to_string(),
            ))
            .await
    }

    /// The variables holding the key pair, for messages.
    pub(crate) fn context(&self) -> &ErrorContext {
        &self.context
    }

    fn limiter(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `GET /v2/account`, read with the fields apca's `Account` leaves out (`account_number`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AccountBody {
    /// Alpaca's account number (not a secret).
    pub(crate) account_number: String,
    /// `ACTIVE`, `ACCOUNT_CLOSED`, …
    pub(crate) status: String,
    /// Cash balance.
    pub(crate) cash: Num,
    /// Cash plus the market value of the positions.
    pub(crate) equity: Num,
    /// Whether Alpaca blocks trading on the account.
    #[serde(default)]
    pub(crate) trading_blocked: bool,
    /// Whether the whole account is blocked.
    #[serde(default)]
    pub(crate) account_blocked: bool,
}

http_endpoint::EndpointDef! {
    /// `GET /v2/account`.
    pub(crate) GetAccount(()),
    Ok => AccountBody, [
        /* 200 */ OK,
    ],
    Err => GetAccountError, [
        /* 401 */ UNAUTHORIZED => AuthenticationFailed,
        /* 403 */ FORBIDDEN => Forbidden,
        /* 429 */ TOO_MANY_REQUESTS => RateLimitExceeded,
    ],
    ConversionErr => serde_json::Error,
    ApiErr => apca::ApiError,

    fn path(_input: &Self::Input) -> http_endpoint::Str {
        "/v2/account".into()
    }

    fn parse(body: &[u8]) -> Result<Self::Output, Self::ConversionError> {
        serde_json::from_slice(body)
    }

    fn parse_err(body: &[u8]) -> Result<Self::ApiError, Vec<u8>> {
        serde_json::from_slice(body).map_err(|_| body.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use airlock_core::{EnvSnapshot, Paper};
    use apca::api::v2::order;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;
    use crate::endpoint::{EndpointKind, Loopback};

    const KEY: &str = "PKECHOTESTKEY00000042";
    const SECRET: &str = "echo-secret-that-must-never-print-7c1d";

    /// How the echo server answers each request.
    #[derive(Clone, Copy)]
    enum Answer {
        /// This status, with the whole request (headers included) as Alpaca's `message`.
        Echo(u16),
        /// 200 with the request as a body that is not JSON.
        Garbage,
        /// Read the request, then close without answering.
        Drop,
        /// Read the request and never answer.
        Silent,
    }

    async fn echo_server(answer: Answer) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0_u8; 4096];
                    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => request.extend_from_slice(&buffer[..read]),
                        }
                    }
                    let text = String::from_utf8_lossy(&request).into_owned();
                    let (status, body) = match answer {
                        Answer::Echo(status) => (
                            status,
                            serde_json::json!({"code": 40010001, "message": text}).to_string(),
                        ),
                        Answer::Garbage => (200, text),
                        Answer::Drop => return,
                        Answer::Silent => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                    };
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: \
                         {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        format!("http://{address}")
    }

    fn api(url: &str) -> Api {
        let env = EnvSnapshot::from_pairs([
            ("AIRLOCK_PAPER__ALPACA__KEY_ID", KEY),
            ("AIRLOCK_PAPER__ALPACA__SECRET_KEY", SECRET),
        ]);
        let credentials = Credentials::<Paper>::from_env(&env).unwrap();
        let endpoint =
            Endpoint::<Paper>::check(EndpointKind::Trading, url, Loopback::AllowedForTests)
                .unwrap();
        let config = AlpacaConfig {
            request_timeout: Duration::from_millis(300),
            ..AlpacaConfig::default()
        };
        Api::new(&credentials, &endpoint, &config).unwrap()
    }

    fn assert_clean(shown: &str) {
        assert!(!shown.contains(SECRET), "the secret leaked: {shown}");
        assert!(!shown.contains(KEY), "the key id leaked: {shown}");
    }

    #[test]
    fn the_client_wrapper_prints_no_key() {
        let api = api("http://127.0.0.1:9");
        let shown = format!("{api:?}");
        assert_clean(&shown);
        assert!(shown.contains("****0042"), "{shown}");
        assert!(shown.contains("ws://127.0.0.1:9/stream"), "{shown}");
        assert_eq!(api.redact(format!("a {SECRET} b")), "a **** b");
        assert_eq!(api.redact("nothing".into()), "nothing");
    }

    #[tokio::test]
    async fn every_error_path_hides_the_secret_even_when_the_server_echoes_it() {
        let request = order::CreateReqInit::default().init(
            "AAPL",
            order::Side::Buy,
            order::Amount::quantity(1),
        );
        let mut shown = Vec::new();
        for answer in [401, 403, 404, 422, 429, 500, 503].map(Answer::Echo) {
            let api = api(&echo_server(answer).await);
            let error = api.call::<GetAccount>(&()).await.unwrap_err();
            assert!(
                matches!(&error, CallError::Status { message, .. } if message.contains("****")),
                "the server echoed the secret and it was scrubbed: {error:?}"
            );
            shown.push(format!("{error:?} {}", api.fail(error.clone(), "account")));
            let error = api.call::<order::Create>(&request).await.unwrap_err();
            shown.push(format!(
                "{error:?} {}",
                api.fail(error.clone(), "submit o-1")
            ));
        }
        for answer in [Answer::Garbage, Answer::Drop, Answer::Silent] {
            let api = api(&echo_server(answer).await);
            let error = api.call::<order::Create>(&request).await.unwrap_err();
            assert!(error.outcome_unknown(), "{error:?}");
            shown.push(format!(
                "{error:?} {}",
                api.fail(error.clone(), "submit o-1")
            ));
        }
        let unreachable = api("http://127.0.0.1:1");
        let error = unreachable.call::<GetAccount>(&()).await.unwrap_err();
        shown.push(format!(
            "{error:?} {}",
            unreachable.fail(error.clone(), "account")
        ));
        let stream = super::super::stream::connect(&unreachable, Duration::from_millis(300))
            .await
            .unwrap_err();
        shown.push(stream);
        let listening = api(&echo_server(Answer::Echo(401)).await);
        shown.push(
            super::super::stream::connect(&listening, Duration::from_millis(300))
                .await
                .unwrap_err(),
        );
        for line in &shown {
            assert_clean(line);
        }
        assert_eq!(shown.len(), 20);
    }
}
