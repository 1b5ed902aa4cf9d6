//! The trade-updates WebSocket over a raw client, and the failures a broker must survive:
//! dropped and refused streams, lost responses.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::common::{KEY_ID, SECRET, Sim, candle, sim, symbol};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("the stream is open")
            .expect("a valid frame");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn send(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

/// Connects, authenticates the way alpaca-py does, and listens to trade updates.
async fn listening(sim: &Sim) -> Socket {
    let (mut socket, _) = connect_async(sim.handle.stream_url()).await.unwrap();
    send(
        &mut socket,
        json!({"action": "authenticate", "data": {"key_id": KEY_ID, "secret_key": SECRET}}),
    )
    .await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}})
    );
    send(
        &mut socket,
        json!({"action": "listen", "data": {"streams": ["trade_updates"]}}),
    )
    .await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({"stream": "listening", "data": {"streams": ["trade_updates"]}})
    );
    socket
}

/// True when the server closed the connection (with or without a closing handshake).
async fn closed(socket: &mut Socket) -> bool {
    loop {
        match timeout(Duration::from_secs(10), socket.next()).await {
            Err(_) => return false,
            Ok(None | Some(Err(_) | Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => {}
        }
    }
}

#[tokio::test]
async fn trade_updates_report_new_partial_fill_fill_and_cancel_in_order() {
    let mut settings = crate::common::config();
    settings.engine.participation = Some("0.5".parse().unwrap());
    let sim = crate::common::sim_with(settings).await;
    let aapl = symbol("AAPL");
    sim.handle
        .set_last_price(&aapl, "150".parse().unwrap())
        .await;
    let mut socket = listening(&sim).await;
    let order = sim
        .order(json!({"symbol": "AAPL", "qty": "10", "side": "buy", "type": "limit", "limit_price": "100", "time_in_force": "gtc", "client_order_id": "s-1"}))
        .await;
    let new = next_json(&mut socket).await;
    assert_eq!(new["stream"], json!("trade_updates"));
    assert_eq!(new["data"]["event"], json!("new"));
    assert_eq!(new["data"]["order"]["client_order_id"], json!("s-1"));
    assert_eq!(new["data"]["order"]["status"], json!("new"));
    assert!(new["data"]["timestamp"].is_string());
    assert!(new["data"].get("execution_id").is_none());
    sim.handle
        .feed_candle(&aapl, &candle(0, "101", "102", "99", "100", 12))
        .await;
    let partial = next_json(&mut socket).await;
    assert_eq!(partial["data"]["event"], json!("partial_fill"));
    assert_eq!(partial["data"]["price"], json!("100"));
    assert_eq!(partial["data"]["qty"], json!("6"));
    assert_eq!(partial["data"]["position_qty"], json!("6"));
    assert_eq!(
        partial["data"]["execution_id"],
        json!("00000004-0000-4000-8000-000000000001")
    );
    assert_eq!(
        partial["data"]["timestamp"],
        json!("2021-01-04T00:00:00.000000000Z")
    );
    assert_eq!(
        partial["data"]["order"]["status"],
        json!("partially_filled")
    );
    assert_eq!(partial["data"]["order"]["filled_qty"], json!("6"));
    sim.handle
        .feed_candle(&aapl, &candle(1, "99", "100", "98", "99", 100))
        .await;
    let fill = next_json(&mut socket).await;
    assert_eq!(fill["data"]["event"], json!("fill"));
    assert_eq!(fill["data"]["qty"], json!("4"));
    assert_eq!(fill["data"]["price"], json!("99"));
    assert_eq!(fill["data"]["position_qty"], json!("10"));
    assert_eq!(fill["data"]["order"]["filled_avg_price"], json!("99.6"));
    assert_eq!(fill["data"]["order"]["id"], order.body["id"]);
    let resting = sim
        .order(json!({"symbol": "AAPL", "qty": "1", "side": "sell", "type": "limit", "limit_price": "500", "time_in_force": "gtc"}))
        .await;
    assert_eq!(next_json(&mut socket).await["data"]["event"], json!("new"));
    let path = format!("/v2/orders/{}", resting.text("id"));
    let replaced = sim.patch(&path, json!({"limit_price": "400"})).await;
    let old = next_json(&mut socket).await;
    assert_eq!(old["data"]["event"], json!("replaced"));
    assert_eq!(old["data"]["order"]["replaced_by"], replaced.body["id"]);
    let successor = next_json(&mut socket).await;
    assert_eq!(successor["data"]["event"], json!("new"));
    assert_eq!(successor["data"]["order"]["replaces"], resting.body["id"]);
    sim.delete(&format!("/v2/orders/{}", replaced.text("id")))
        .await;
    let cancelled = next_json(&mut socket).await;
    assert_eq!(cancelled["data"]["event"], json!("canceled"));
    assert_eq!(cancelled["data"]["order"]["status"], json!("canceled"));
}

#[tokio::test]
async fn apcas_auth_form_works_and_wrong_credentials_are_refused_and_closed() {
    let sim = sim().await;
    let (mut socket, _) = connect_async(sim.handle.stream_url()).await.unwrap();
    send(
        &mut socket,
        json!({"action": "auth", "key": KEY_ID, "secret": SECRET}),
    )
    .await;
    assert_eq!(
        next_json(&mut socket).await["data"]["status"],
        json!("authorized")
    );
    send(
        &mut socket,
        json!({"action": "listen", "data": {"streams": []}}),
    )
    .await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({"stream": "listening", "data": {"streams": []}})
    );
    send(&mut socket, json!({"action": "dance"})).await;
    let error = next_json(&mut socket).await;
    assert_eq!(error["stream"], json!("error"));
    let (mut intruder, _) = connect_async(sim.handle.stream_url()).await.unwrap();
    send(
        &mut intruder,
        json!({"action": "auth", "key": KEY_ID, "secret": "guess"}),
    )
    .await;
    assert_eq!(
        next_json(&mut intruder).await,
        json!({"stream": "authorization", "data": {"action": "authenticate", "status": "unauthorized"}})
    );
    assert!(closed(&mut intruder).await);
    let (mut early, _) = connect_async(sim.handle.stream_url()).await.unwrap();
    send(
        &mut early,
        json!({"action": "listen", "data": {"streams": ["trade_updates"]}}),
    )
    .await;
    assert_eq!(
        next_json(&mut early).await["data"]["status"],
        json!("unauthorized")
    );
    assert!(closed(&mut early).await);
}

#[tokio::test]
async fn dropped_streams_disconnect_and_blocked_streams_refuse_upgrades_with_503() {
    let sim = sim().await;
    let mut first = listening(&sim).await;
    let mut second = listening(&sim).await;
    sim.handle.drop_streams().await;
    assert!(closed(&mut first).await);
    assert!(closed(&mut second).await);
    sim.handle.block_streams(true).await;
    let refused = connect_async(sim.handle.stream_url()).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 503);
        }
        other => panic!("expected a 503 refusal, got {other:?}"),
    }
    sim.order(json!({"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day", "client_order_id": "during-outage"}))
        .await;
    sim.handle.block_streams(false).await;
    let mut again = listening(&sim).await;
    sim.order(json!({"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day", "client_order_id": "after-outage"}))
        .await;
    let update = next_json(&mut again).await;
    assert_eq!(
        update["data"]["order"]["client_order_id"],
        json!("after-outage"),
        "only updates after the listen arrive; the outage's are caught up by listing"
    );
    let listed = sim.get("/v2/orders?status=all").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_lost_response_places_the_order_but_the_client_sees_the_connection_drop() {
    let sim = sim().await;
    sim.handle.lose_next_response().await;
    let body = json!({"symbol": "AAPL", "qty": "2", "side": "buy", "type": "market", "time_in_force": "day", "client_order_id": "lost-1"});
    let lost = sim
        .client
        .post(format!("{}/v2/orders", sim.handle.base_url()))
        .header("APCA-API-KEY-ID", KEY_ID)
        .header("APCA-API-SECRET-KEY", SECRET)
        .json(&body)
        .send()
        .await;
    let error = lost.expect_err("no response arrives");
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    let retry = sim.post("/v2/orders", body).await;
    assert_eq!(retry.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(retry.text("message"), "client_order_id must be unique");
    let found = sim
        .get("/v2/orders:by_client_order_id?client_order_id=lost-1")
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.text("status"), "filled", "the order was executed");
    let open = sim
        .order(json!({"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit", "limit_price": "1", "time_in_force": "gtc"}))
        .await;
    sim.handle.lose_next_response().await;
    let replace = sim
        .client
        .patch(format!(
            "{}/v2/orders/{}",
            sim.handle.base_url(),
            open.text("id")
        ))
        .header("APCA-API-KEY-ID", KEY_ID)
        .header("APCA-API-SECRET-KEY", SECRET)
        .json(&json!({"limit_price": "2", "client_order_id": "lost-2"}))
        .send()
        .await;
    assert!(replace.is_err(), "the replace's response is lost too");
    let replacement = sim
        .get("/v2/orders:by_client_order_id?client_order_id=lost-2")
        .await;
    assert_eq!(replacement.text("limit_price"), "2");
    assert_eq!(
        sim.get(&format!("/v2/orders/{}", open.text("id")))
            .await
            .text("status"),
        "replaced"
    );
    let normal = sim.get("/v2/account").await;
    assert_eq!(normal.status, StatusCode::OK, "only one response is lost");
}
