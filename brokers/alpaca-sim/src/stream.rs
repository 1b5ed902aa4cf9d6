//! `GET /stream`: the trade-updates WebSocket, spoken as Alpaca speaks it.
//!
//! 1. The client authenticates with either form Alpaca accepts:
//!    `{"action":"auth","key":…,"secret":…}` (apca) or
//!    `{"action":"authenticate","data":{"key_id":…,"secret_key":…}}` (alpaca-py). The answer is
//!    `{"stream":"authorization","data":{"action":"authenticate","status":"authorized"}}`, or
//!    `"unauthorized"` and the connection closes.
//! 2. `{"action":"listen","data":{"streams":["trade_updates"]}}` is answered with
//!    `{"stream":"listening","data":{"streams":["trade_updates"]}}`.
//! 3. From then on every order event arrives as
//!    `{"stream":"trade_updates","data":{"event":…,"timestamp":…,"order":{…}}}` (fills add
//!    `execution_id`, `price`, `qty` and `position_qty`), as text frames.
//!
//! A client that has not authenticated within 30 seconds is disconnected. A client too slow to
//! keep up with the updates is disconnected too (and should catch up by listing orders, as after
//! any reconnect).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::time::sleep;

use crate::error::ApiError;
use crate::server::Shared;

const AUTH_DEADLINE: Duration = Duration::from_secs(30);

/// The upgrade: refused with 503 while the handle blocks streams.
pub(crate) async fn upgrade(
    State(shared): State<Arc<Shared>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if shared.streams_blocked() {
        return ApiError::with_status(StatusCode::SERVICE_UNAVAILABLE, "service unavailable")
            .into_response();
    }
    upgrade.on_upgrade(move |socket| session(shared, socket))
}

/// What one client message asks for.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Authenticate { key_id: String, secret: String },
    Listen { trade_updates: bool },
    Invalid(String),
}

fn parse_action(text: &str) -> Action {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Action::Invalid("message: not JSON".into());
    };
    let text_at = |pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match value.get("action").and_then(Value::as_str) {
        Some("auth") => Action::Authenticate {
            key_id: text_at("/key").unwrap_or_default(),
            secret: text_at("/secret").unwrap_or_default(),
        },
        Some("authenticate") => Action::Authenticate {
            key_id: text_at("/data/key_id").unwrap_or_default(),
            secret: text_at("/data/secret_key").unwrap_or_default(),
        },
        Some("listen") => {
            let streams = value.pointer("/data/streams").and_then(Value::as_array);
            match streams {
                Some(streams) => Action::Listen {
                    trade_updates: streams
                        .iter()
                        .any(|stream| stream.as_str() == Some("trade_updates")),
                },
                None => Action::Invalid("data.streams: must be a list of stream names".into()),
            }
        }
        Some(other) => Action::Invalid(format!(
            "action: must be auth, authenticate or listen, got {other:?}"
        )),
        None => Action::Invalid("action: is required".into()),
    }
}

fn authorization(action: &str, authorized: bool) -> String {
    let status = if authorized {
        "authorized"
    } else {
        "unauthorized"
    };
    json!({"stream": "authorization", "data": {"action": action, "status": status}}).to_string()
}

/// Waits for the next update, or forever when the client does not listen.
async fn next_update(
    updates: &mut Option<broadcast::Receiver<Arc<str>>>,
) -> Result<Arc<str>, broadcast::error::RecvError> {
    match updates {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

async fn send(socket: &mut WebSocket, text: String) -> bool {
    socket.send(Message::Text(text.into())).await.is_ok()
}

async fn session(shared: Arc<Shared>, mut socket: WebSocket) {
    let mut dropped = shared.drop_signal();
    let mut shutdown = shared.shutdown_signal();
    let mut updates: Option<broadcast::Receiver<Arc<str>>> = None;
    let mut authorized = false;
    let deadline = sleep(AUTH_DEADLINE);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            message = socket.recv() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
                    Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                };
                match parse_action(&text) {
                    Action::Authenticate { key_id, secret } => {
                        authorized = shared.credentials_match(&key_id, &secret);
                        if !send(&mut socket, authorization("authenticate", authorized)).await
                            || !authorized
                        {
                            return;
                        }
                    }
                    Action::Listen { .. } if !authorized => {
                        let _ = send(&mut socket, authorization("listen", false)).await;
                        return;
                    }
                    Action::Listen { trade_updates } => {
                        let streams: Vec<&str> = if trade_updates { vec!["trade_updates"] } else { Vec::new() };
                        updates = trade_updates.then(|| shared.subscribe_updates());
                        let reply = json!({"stream": "listening", "data": {"streams": streams}});
                        if !send(&mut socket, reply.to_string()).await {
                            return;
                        }
                    }
                    Action::Invalid(reason) => {
                        let reply = json!({"stream": "error", "data": {"message": reason}});
                        if !send(&mut socket, reply.to_string()).await {
                            return;
                        }
                    }
                }
            }
            update = next_update(&mut updates) => match update {
                Ok(text) => {
                    if !send(&mut socket, text.as_ref().to_owned()).await {
                        return;
                    }
                }
                // Too slow to keep up, or the server is going away: the client reconnects.
                Err(_) => return,
            },
            // The handle dropped every stream: close the TCP connection without a goodbye.
            _ = dropped.changed() => return,
            _ = shutdown.changed() => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            () = &mut deadline, if !authorized => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_authentication_forms_and_listen_are_understood() {
        assert_eq!(
            parse_action(r#"{"action":"auth","key":"K","secret":"S"}"#),
            Action::Authenticate {
                key_id: "K".into(),
                secret: "S".into()
            }
        );
        assert_eq!(
            parse_action(r#"{"action":"authenticate","data":{"key_id":"K","secret_key":"S"}}"#),
            Action::Authenticate {
                key_id: "K".into(),
                secret: "S".into()
            }
        );
        assert_eq!(
            parse_action(r#"{"action":"listen","data":{"streams":["trade_updates"]}}"#),
            Action::Listen {
                trade_updates: true
            }
        );
        assert_eq!(
            parse_action(r#"{"action":"listen","data":{"streams":[]}}"#),
            Action::Listen {
                trade_updates: false
            }
        );
        assert_eq!(
            parse_action(r#"{"action":"subscribe"}"#),
            Action::Invalid(
                r#"action: must be auth, authenticate or listen, got "subscribe""#.into()
            )
        );
        assert_eq!(
            parse_action("{"),
            Action::Invalid("message: not JSON".into())
        );
    }
}
