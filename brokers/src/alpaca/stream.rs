//! The trade-updates WebSocket (`wss://…/stream`), spoken directly.
//!
//! apca's `updates::OrderUpdates` keeps only `event` and `order` of each update and drops the
//! fields that make fills exact: `price` and `qty` of the execution, `execution_id` and
//! `timestamp`. So the broker speaks the same protocol itself (authenticate, listen to
//! `trade_updates`, read JSON text or binary frames) over the same tokio-tungstenite as apca, and
//! reads each update's `order` with apca's own `Order` type.

use std::time::Duration;

use apca::api::v2::order;
use chrono::{DateTime, Utc};
use futures_util::{SinkExt as _, StreamExt as _};
use num_decimal::Num;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::book::{Execution, Update};
use super::connect::Api;
use super::convert::{LegSnapshot, nanos, order_time, price, quantity};
use super::status::TradeEvent;

/// A connected, authenticated, listening trade-updates stream.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One frame of the stream, read.
#[derive(Debug)]
pub(crate) enum Frame {
    /// A trade update of one of our orders.
    Update(Box<Update>),
    /// A trade update of an order that is not ours (its client id is not one of our ids).
    Foreign,
    /// Control traffic (pings, pongs, other streams' messages).
    Control,
    /// A trade update that could not be read: something was missed.
    Unreadable(String),
}

#[derive(Deserialize)]
struct Envelope {
    stream: String,
    #[serde(default)]
    data: serde_json::Value,
}

/// A `trade_updates` message, read straight from the frame's bytes (apca's `Order` borrows some
/// of its strings, so it cannot be read from a `serde_json::Value`).
#[derive(Deserialize)]
struct UpdateEnvelope {
    data: UpdateData,
}

#[derive(Deserialize)]
struct UpdateData {
    event: String,
    order: order::Order,
    #[serde(default)]
    timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    price: Option<Num>,
    #[serde(default)]
    qty: Option<Num>,
    #[serde(default)]
    execution_id: Option<String>,
}

/// Opens the stream at `api`'s stream URL, authenticates and subscribes to `trade_updates`,
/// each step within `timeout`.
///
/// # Errors
/// A reason (redacted) naming the step that failed.
pub(crate) async fn connect(api: &Api, timeout: Duration) -> Result<Socket, String> {
    let within = |what: &'static str| move |_| format!("{what}: no answer within {timeout:?}");
    let (mut socket, _response) =
        tokio::time::timeout(timeout, tokio_tungstenite::connect_async(api.stream_url()))
            .await
            .map_err(within("connect"))?
            .map_err(|error| api.redact(format!("connect: {error}")))?;
    api.send_stream_auth(&mut socket)
        .await
        .map_err(|error| api.redact(format!("authenticate: {error}")))?;
    let authorization = tokio::time::timeout(timeout, control(&mut socket, "authorization"))
        .await
        .map_err(within("authenticate"))??;
    if authorization
        .get("status")
        .and_then(serde_json::Value::as_str)
        != Some("authorized")
    {
        let context = api.context();
        return Err(format!(
            "authenticate: the stream refused the API key; check {} and {}",
            context.key_id_variable, context.secret_key_variable
        ));
    }
    let listen = serde_json::json!({"action": "listen", "data": {"streams": ["trade_updates"]}});
    socket
        .send(Message::text(listen.to_string()))
        .await
        .map_err(|error| api.redact(format!("listen: {error}")))?;
    let listening = tokio::time::timeout(timeout, control(&mut socket, "listening"))
        .await
        .map_err(within("listen"))??;
    let streams = listening
        .get("streams")
        .and_then(serde_json::Value::as_array);
    if !streams.is_some_and(|streams| streams.iter().any(|name| name == "trade_updates")) {
        return Err("listen: the server did not subscribe us to trade_updates".into());
    }
    Ok(socket)
}

/// Reads until the control message of stream `name` and returns its `data`.
async fn control(socket: &mut Socket, name: &str) -> Result<serde_json::Value, String> {
    loop {
        let message = socket
            .next()
            .await
            .ok_or_else(|| format!("{name}: the stream closed"))?
            .map_err(|error| format!("{name}: {error}"))?;
        let Some(bytes) = payload(&message) else {
            continue;
        };
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|error| format!("{name}: {error}"))?;
        if envelope.stream == name {
            return Ok(envelope.data);
        }
    }
}

/// The JSON bytes of a text or binary frame.
fn payload(message: &Message) -> Option<&[u8]> {
    match message {
        Message::Text(text) => Some(text.as_bytes()),
        Message::Binary(bytes) => Some(bytes.as_ref()),
        _ => None,
    }
}

/// Reads one frame.
pub(crate) fn read_frame(message: &Message) -> Frame {
    let Some(bytes) = payload(message) else {
        return Frame::Control;
    };
    let envelope: Envelope = match serde_json::from_slice(bytes) {
        Ok(envelope) => envelope,
        Err(error) => return Frame::Unreadable(format!("not a stream message: {error}")),
    };
    if envelope.stream != "trade_updates" {
        return Frame::Control;
    }
    match serde_json::from_slice::<UpdateEnvelope>(bytes) {
        Ok(update) => read_update(update.data),
        Err(error) => Frame::Unreadable(format!("trade update: {error}")),
    }
}

fn read_update(data: UpdateData) -> Frame {
    let snapshot = match LegSnapshot::from_apca(&data.order) {
        Ok(Some(snapshot)) => snapshot,
        Ok(None) => return Frame::Foreign,
        Err(reason) => return Frame::Unreadable(format!("trade update: {reason}")),
    };
    let at = data
        .timestamp
        .as_ref()
        .and_then(|time| nanos(time, "timestamp").ok())
        .unwrap_or_else(|| order_time(&data.order));
    let event = TradeEvent::parse(&data.event);
    let execution = match (event, &data.price, &data.qty) {
        (TradeEvent::Execution, Some(fill_price), Some(fill_quantity)) => {
            match (price(fill_price, "price"), quantity(fill_quantity, "qty")) {
                (Ok(price), Ok(quantity)) => Some(Execution {
                    id: data.execution_id.clone(),
                    price,
                    quantity,
                }),
                (Err(reason), _) | (_, Err(reason)) => {
                    return Frame::Unreadable(format!("trade update: {reason}"));
                }
            }
        }
        _ => None,
    };
    Frame::Update(Box::new(Update {
        event,
        snapshot,
        execution,
        at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alpaca::test_data::order_json;

    fn frame(text: &str) -> Frame {
        read_frame(&Message::text(text))
    }

    #[test]
    fn fills_keep_the_execution_price_quantity_and_id() {
        let order = order_json("o-1", "partially_filled", "10", "4", Some("187.25"));
        let text = format!(
            r#"{{"stream":"trade_updates","data":{{"event":"partial_fill","execution_id":"e-9",
            "timestamp":"2024-05-01T13:30:00.000000001Z","price":"187.25","qty":"4",
            "position_qty":"4","order":{order}}}}}"#
        );
        let Frame::Update(update) = frame(&text) else {
            panic!("{text}")
        };
        assert_eq!(update.event, TradeEvent::Execution);
        let execution = update.execution.clone().unwrap();
        assert_eq!(execution.id.as_deref(), Some("e-9"));
        assert_eq!(execution.price.to_string(), "187.25");
        assert_eq!(execution.quantity.to_string(), "4");
        assert_eq!(update.at.as_u64(), 1_714_570_200_000_000_001);
        assert_eq!(update.snapshot.ours.as_str(), "o-1");
        // The same update as a binary frame, as Alpaca's paper stream sends them.
        let binary = read_frame(&Message::binary(text.into_bytes()));
        assert!(matches!(binary, Frame::Update(same) if *same == *update));
    }

    #[test]
    fn control_foreign_and_unreadable_frames_are_told_apart() {
        assert!(matches!(
            frame(r#"{"stream":"listening","data":{"streams":["trade_updates"]}}"#),
            Frame::Control
        ));
        assert!(matches!(
            read_frame(&Message::Ping(Vec::new().into())),
            Frame::Control
        ));
        let foreign = order_json(&"x".repeat(60), "new", "1", "0", None);
        let text =
            format!(r#"{{"stream":"trade_updates","data":{{"event":"new","order":{foreign}}}}}"#);
        assert!(matches!(frame(&text), Frame::Foreign));
        assert!(matches!(frame("not json"), Frame::Unreadable(_)));
        let Frame::Unreadable(reason) =
            frame(r#"{"stream":"trade_updates","data":{"event":"fill"}}"#)
        else {
            panic!("missing order must be unreadable")
        };
        assert!(reason.contains("order"), "{reason}");
        let nine = order_json("o-2", "filled", "1", "1", Some("1.5"));
        let text = format!(
            r#"{{"stream":"trade_updates","data":{{"event":"fill","price":"1.0000000001",
            "qty":"1","order":{nine}}}}}"#
        );
        let Frame::Unreadable(reason) = frame(&text) else {
            panic!("ten decimals must be refused")
        };
        assert!(reason.contains("price"), "{reason}");
    }
}
