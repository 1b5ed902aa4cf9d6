//! Starting a simulator and talking to it with reqwest.

use airlock_alpaca_sim::{SimConfig, SimHandle, start};
use airlock_core::{Candle, Price, Quantity, Symbol, UnixNanos};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use tokio::net::TcpListener;

pub(crate) const KEY_ID: &str = "PKTESTKEY";
pub(crate) const SECRET: &str = "test-secret-not-real";

pub(crate) fn config() -> SimConfig {
    SimConfig::new(KEY_ID, SecretString::from(SECRET))
}

pub(crate) async fn sim_with(config: SimConfig) -> Sim {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = start(listener, config).await.unwrap();
    Sim {
        handle,
        client: reqwest::Client::new(),
    }
}

/// A simulator with AAPL at 150 and MSFT at 250.
pub(crate) async fn sim() -> Sim {
    let sim = sim_with(config()).await;
    sim.handle.set_last_price(&symbol("AAPL"), px("150")).await;
    sim.handle.set_last_price(&symbol("MSFT"), px("250")).await;
    sim
}

pub(crate) fn symbol(text: &str) -> Symbol {
    Symbol::parse(text).unwrap()
}

pub(crate) fn px(text: &str) -> Price {
    text.parse().unwrap()
}

/// A candle `minutes` after 2021-01-04T00:00Z (1440 minutes is the next day).
pub(crate) fn candle(
    minutes: u64,
    open: &str,
    high: &str,
    low: &str,
    close: &str,
    volume: i64,
) -> Candle {
    let start = UnixNanos::from_civil(2021, 1, 4, 0, 0, 0, 0).unwrap();
    Candle::new(
        UnixNanos::new(start.as_u64() + minutes * 60_000_000_000),
        px(open),
        px(high),
        px(low),
        px(close),
        Quantity::from_units(volume).unwrap(),
    )
    .unwrap()
}

/// One answer: status, headers, and the body as JSON (`Null` when empty).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    /// The body's `field` as a string.
    pub(crate) fn text(&self, field: &str) -> &str {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} is not a string in {}", self.body))
    }
}

pub(crate) struct Sim {
    pub(crate) handle: SimHandle,
    pub(crate) client: reqwest::Client,
}

impl Sim {
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call_as(method, path, body, Some((KEY_ID, SECRET)))
            .await
    }

    pub(crate) async fn call_as(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        keys: Option<(&str, &str)>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.handle.base_url()));
        if let Some((key_id, secret)) = keys {
            request = request
                .header("APCA-API-KEY-ID", key_id)
                .header("APCA-API-SECRET-KEY", secret);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|error| panic!("{path}: not JSON ({error}): {bytes:?}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Places an order and insists on 200.
    pub(crate) async fn order(&self, body: Value) -> Answer {
        let answer = self.post("/v2/orders", body).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer
    }
}
