//! Orders over raw HTTP: placing, refusals, replace chains, cancels, partial fills, listing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{candle, config, sim, sim_with, symbol};

fn market(symbol: &str, qty: &str, side: &str) -> Value {
    json!({"symbol": symbol, "qty": qty, "side": side, "type": "market", "time_in_force": "day"})
}

fn limit(symbol: &str, qty: &str, side: &str, price: &str) -> Value {
    json!({"symbol": symbol, "qty": qty, "side": side, "type": "limit", "limit_price": price, "time_in_force": "gtc"})
}

#[tokio::test]
async fn a_market_order_fills_at_once_at_the_last_price_with_every_alpaca_field() {
    let sim = sim().await;
    let mut body = market("AAPL", "10", "buy");
    body["client_order_id"] = json!("strategy-run-1");
    let order = sim.order(body).await;
    let expected_keys = [
        "asset_class",
        "asset_id",
        "canceled_at",
        "client_order_id",
        "created_at",
        "expired_at",
        "extended_hours",
        "failed_at",
        "filled_at",
        "filled_avg_price",
        "filled_qty",
        "hwm",
        "id",
        "legs",
        "limit_price",
        "notional",
        "order_class",
        "order_type",
        "position_intent",
        "qty",
        "replaced_at",
        "replaced_by",
        "replaces",
        "side",
        "source",
        "status",
        "stop_price",
        "submitted_at",
        "subtag",
        "symbol",
        "time_in_force",
        "trail_percent",
        "trail_price",
        "type",
        "updated_at",
    ];
    let mut keys: Vec<&str> = order
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, expected_keys);
    assert_eq!(order.text("id"), "00000003-0000-4000-8000-000000000001");
    assert_eq!(order.text("client_order_id"), "strategy-run-1");
    assert_eq!(
        order.text("asset_id"),
        "00000002-0000-4000-8000-000000000001"
    );
    assert_eq!(order.text("status"), "filled");
    assert_eq!(order.text("qty"), "10");
    assert_eq!(order.text("filled_qty"), "10");
    assert_eq!(order.text("filled_avg_price"), "150");
    assert_eq!(order.text("type"), "market");
    assert_eq!(order.text("order_type"), "market");
    assert_eq!(order.text("order_class"), "");
    assert_eq!(order.text("side"), "buy");
    assert_eq!(order.text("position_intent"), "buy_to_open");
    assert_eq!(order.text("time_in_force"), "day");
    assert_eq!(order.body["limit_price"], Value::Null);
    assert_eq!(order.body["notional"], Value::Null);
    assert_eq!(order.body["extended_hours"], json!(false));
    assert!(order.body["filled_at"].is_string());
    assert!(order.body["canceled_at"].is_null());
    let created = order.text("created_at");
    assert!(created.ends_with('Z') && created.len() == 30, "{created}");
    let again = sim
        .get("/v2/orders/00000003-0000-4000-8000-000000000001")
        .await;
    assert_eq!(again.body, order.body);
}

#[tokio::test]
async fn invalid_orders_are_refused_with_422_naming_the_field() {
    let sim = sim().await;
    let base = market("AAPL", "1", "buy");
    let long_id = "x".repeat(129);
    let missing_qty =
        json!({"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "day"});
    let missing_symbol =
        json!({"qty": "1", "side": "buy", "type": "market", "time_in_force": "day"});
    let mut bodies: Vec<(Value, &str)> = vec![
        (missing_qty, "qty: is required"),
        (missing_symbol, "symbol: is required"),
    ];
    let changes: Vec<(Value, &str)> = vec![
        (json!({"qty": "0"}), "qty: must be positive, got 0"),
        (json!({"qty": "-3"}), "qty: must be positive, got -3"),
        (
            json!({"qty": "1.0000000001"}),
            "qty: \"1.0000000001\" is not a valid decimal",
        ),
        (
            json!({"qty": true}),
            "qty: expected a decimal string, got true",
        ),
        (
            json!({"symbol": "ZZZZ"}),
            "symbol: asset \"ZZZZ\" not found",
        ),
        (
            json!({"side": "short"}),
            "side: must be buy or sell, got \"short\"",
        ),
        (
            json!({"type": "limit"}),
            "limit_price: is required for a limit order",
        ),
        (
            json!({"type": "stop_limit", "limit_price": "1"}),
            "stop_price: is required for a stop_limit order",
        ),
        (
            json!({"limit_price": "1"}),
            "limit_price: a market order takes no limit_price",
        ),
        (
            json!({"type": "limit", "limit_price": "-1"}),
            "limit_price: must be positive, got -1",
        ),
        (
            json!({"type": "trailing_stop", "trail_percent": null}),
            "type: trailing_stop is not supported by the simulator",
        ),
        (
            json!({"type": "fancy"}),
            "type: must be one of market, limit, stop, stop_limit; got \"fancy\"",
        ),
        (
            json!({"time_in_force": "opg"}),
            "time_in_force: opg (auction orders) is not supported by the simulator",
        ),
        (
            json!({"notional": "100"}),
            "notional: a dollar amount (notional order) is not supported by the simulator",
        ),
        (
            json!({"order_class": "bracket"}),
            "order_class: order class \"bracket\" is not supported by the simulator",
        ),
        (
            json!({"take_profit": {"limit_price": "200"}}),
            "take_profit: a bracket order's take-profit leg is not supported by the simulator",
        ),
        (
            json!({"extended_hours": true}),
            "extended_hours: trading outside regular hours is not supported by the simulator",
        ),
        (
            json!({"qty": "0.5", "time_in_force": "gtc"}),
            "qty: fractional orders must be day orders",
        ),
        (
            json!({"client_order_id": long_id}),
            "client_order_id: must be at most 128 characters, got 129",
        ),
        (
            json!({"client_order_id": ""}),
            "client_order_id: must not be empty",
        ),
    ];
    for (change, message) in changes {
        let mut body = base.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        bodies.push((body, message));
    }
    for (body, message) in bodies {
        let answer = sim.post("/v2/orders", body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.body["code"], json!(40010001));
        assert!(
            answer.text("message").starts_with(message),
            "{body}: {} does not start with {message}",
            answer.text("message")
        );
    }
    let malformed = sim
        .client
        .post(format!("{}/v2/orders", sim.handle.base_url()))
        .header("APCA-API-KEY-ID", crate::common::KEY_ID)
        .header("APCA-API-SECRET-KEY", crate::common::SECRET)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        sim.get("/v2/orders?status=all").await.body,
        json!([]),
        "nothing was placed"
    );
    let fractional_day = sim.order(market("AAPL", "0.5", "buy")).await;
    assert_eq!(fractional_day.text("filled_qty"), "0.5");
}

#[tokio::test]
async fn a_reused_client_order_id_is_refused_even_after_the_order_was_cancelled() {
    let sim = sim().await;
    let mut body = limit("AAPL", "1", "buy", "100");
    body["client_order_id"] = json!("run-7-1");
    let order = sim.order(body.clone()).await;
    assert_eq!(order.text("status"), "new");
    let path = format!("/v2/orders/{}", order.text("id"));
    let cancelled = sim.delete(&path).await;
    assert_eq!(cancelled.status, StatusCode::NO_CONTENT);
    assert_eq!(cancelled.body, Value::Null, "204 has no body");
    let again = sim.delete(&path).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        again.body,
        json!({"code": 42210000, "message": "order is not cancelable"})
    );
    let reused = sim.post("/v2/orders", body.clone()).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reused.body,
        json!({"code": 40010001, "message": "client_order_id must be unique"})
    );
    let found = sim
        .get("/v2/orders:by_client_order_id?client_order_id=run-7-1")
        .await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.text("id"), order.text("id"));
    assert_eq!(found.text("status"), "canceled");
    assert!(found.body["canceled_at"].is_string());
    let filled = sim.order(json!({"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day", "client_order_id": "run-7-2"})).await;
    assert_eq!(filled.text("status"), "filled");
    let mut reuse_filled = market("AAPL", "1", "buy");
    reuse_filled["client_order_id"] = json!("run-7-2");
    assert_eq!(
        sim.post("/v2/orders", reuse_filled).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let unknown = sim
        .get("/v2/orders:by_client_order_id?client_order_id=nope")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let missing = sim.get("/v2/orders:by_client_order_id").await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        sim.delete("/v2/orders/00000003-0000-4000-8000-0000000000ff")
            .await
            .status
            == StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn buying_power_and_shares_are_checked_with_403() {
    let sim = sim().await;
    let too_big = sim.post("/v2/orders", market("AAPL", "700", "buy")).await;
    assert_eq!(too_big.status, StatusCode::FORBIDDEN);
    assert_eq!(
        too_big.body,
        json!({"code": 40310000, "message": "insufficient buying power"})
    );
    sim.order(limit("AAPL", "600", "buy", "100")).await;
    let now_too_big = sim.post("/v2/orders", market("MSFT", "200", "buy")).await;
    assert_eq!(
        now_too_big.status,
        StatusCode::FORBIDDEN,
        "the open buy holds 60,000"
    );
    sim.order(market("MSFT", "150", "buy")).await;
    let short = sim.post("/v2/orders", market("AAPL", "1", "sell")).await;
    assert_eq!(short.status, StatusCode::FORBIDDEN);
    assert_eq!(
        short.text("message"),
        "insufficient qty available for order (requested: 1, available: 0)"
    );
    sim.order(limit("MSFT", "100", "sell", "300")).await;
    let over = sim.post("/v2/orders", market("MSFT", "51", "sell")).await;
    assert_eq!(over.status, StatusCode::FORBIDDEN);
    assert_eq!(
        over.text("message"),
        "insufficient qty available for order (requested: 51, available: 50)"
    );
    assert_eq!(
        sim.order(market("MSFT", "50", "sell")).await.text("status"),
        "filled"
    );
}

#[tokio::test]
async fn a_replace_creates_a_new_order_and_ends_the_old_one_replaced() {
    let sim = sim().await;
    let old = sim.order(limit("AAPL", "10", "buy", "100")).await;
    let old_id = old.text("id").to_owned();
    let generated = old.text("client_order_id").to_owned();
    assert_eq!(generated, "00000005-0000-4000-8000-000000000001");
    let path = format!("/v2/orders/{old_id}");
    let new = sim
        .patch(
            &path,
            json!({"qty": "5", "limit_price": "101", "client_order_id": "replacement-1"}),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    assert_ne!(new.text("id"), old_id);
    assert_eq!(new.text("replaces"), old_id);
    assert_eq!(new.text("client_order_id"), "replacement-1");
    assert_eq!(new.text("qty"), "5");
    assert_eq!(new.text("limit_price"), "101");
    assert_eq!(new.text("time_in_force"), "gtc");
    assert_eq!(new.text("status"), "new");
    let ended = sim.get(&path).await;
    assert_eq!(ended.text("status"), "replaced");
    assert_eq!(ended.text("replaced_by"), new.text("id"));
    assert!(ended.body["replaced_at"].is_string());
    assert!(ended.body["canceled_at"].is_null());
    let again = sim.patch(&path, json!({"qty": "6"})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        again.text("message"),
        "order is not replaceable: it is replaced"
    );
    let new_path = format!("/v2/orders/{}", new.text("id"));
    let marketable = sim
        .patch(
            &new_path,
            json!({"limit_price": "150", "time_in_force": "day"}),
        )
        .await;
    assert_eq!(marketable.status, StatusCode::OK);
    assert_eq!(
        marketable.text("status"),
        "filled",
        "a re-priced limit trades like a new order"
    );
    assert_eq!(marketable.text("filled_avg_price"), "150");
    assert_eq!(marketable.text("qty"), "5", "qty defaults to what was left");
    let refusals = [
        (json!({}), "replace: give at least one of"),
        (
            json!({"stop_price": "90"}),
            "stop_price: a limit order has no stop price",
        ),
        (json!({"qty": "0"}), "qty: must be positive"),
        (
            json!({"client_order_id": "replacement-1"}),
            "client_order_id must be unique",
        ),
    ];
    let open = sim.order(limit("AAPL", "3", "buy", "90")).await;
    let open_path = format!("/v2/orders/{}", open.text("id"));
    for (body, message) in refusals {
        let answer = sim.patch(&open_path, body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            answer.text("message").starts_with(message),
            "{}",
            answer.body
        );
    }
    let unaffordable = sim.patch(&open_path, json!({"qty": "2000"})).await;
    assert_eq!(unaffordable.status, StatusCode::FORBIDDEN);
    assert_eq!(
        sim.get(&open_path).await.text("status"),
        "new",
        "a refused replace changes nothing"
    );
    let chain = sim.get("/v2/orders?status=closed&direction=asc").await;
    let statuses: Vec<&str> = chain
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["replaced", "replaced", "filled"]);
}

#[tokio::test]
async fn cancel_all_answers_207_with_one_entry_per_open_order() {
    let sim = sim().await;
    let first = sim.order(limit("AAPL", "1", "buy", "100")).await;
    let second = sim.order(limit("MSFT", "1", "buy", "200")).await;
    sim.order(market("AAPL", "1", "buy")).await;
    let answer = sim.delete("/v2/orders").await;
    assert_eq!(answer.status, StatusCode::MULTI_STATUS);
    let entries = answer.body.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["id"], first.body["id"]);
    assert_eq!(entries[1]["id"], second.body["id"]);
    for entry in entries {
        assert_eq!(entry["status"], json!(200));
        assert_eq!(entry["body"]["status"], json!("canceled"));
    }
    assert_eq!(sim.get("/v2/orders").await.body, json!([]));
    let none = sim.delete("/v2/orders").await;
    assert_eq!(none.status, StatusCode::MULTI_STATUS);
    assert_eq!(none.body, json!([]));
}

#[tokio::test]
async fn candles_fill_working_orders_partially_under_the_participation_cap() {
    let mut settings = config();
    settings.engine.participation = Some("0.1".parse().unwrap());
    let sim = sim_with(settings).await;
    let aapl = symbol("AAPL");
    sim.handle
        .feed_candle(&aapl, &candle(0, "10", "10", "10", "10", 100))
        .await;
    let order = sim.order(market("AAPL", "25", "buy")).await;
    assert_eq!(
        order.text("status"),
        "partially_filled",
        "the bar's budget is 10"
    );
    assert_eq!(order.text("filled_qty"), "10");
    let path = format!("/v2/orders/{}", order.text("id"));
    sim.handle
        .feed_candle(&aapl, &candle(1, "11", "11", "11", "11", 100))
        .await;
    let after_second = sim.get(&path).await;
    assert_eq!(after_second.text("filled_qty"), "20");
    assert_eq!(after_second.text("filled_avg_price"), "10.5");
    sim.handle
        .feed_candle(&aapl, &candle(2, "12", "12", "12", "12", 100))
        .await;
    let done = sim.get(&path).await;
    assert_eq!(done.text("status"), "filled");
    assert_eq!(done.text("filled_qty"), "25");
    assert_eq!(
        done.text("filled_avg_price"),
        "10.8",
        "(100 + 110 + 60) / 25"
    );
    assert_eq!(
        done.text("filled_at"),
        "2021-01-04T00:02:00.000000000Z",
        "stamped with the candle"
    );
    let ioc = sim
        .order(json!({"symbol": "AAPL", "qty": "20", "side": "sell", "type": "market", "time_in_force": "ioc"}))
        .await;
    assert_eq!(
        ioc.text("status"),
        "canceled",
        "IOC: what the bar had left filled, the rest cancelled"
    );
    assert_eq!(ioc.text("filled_qty"), "5");
    let thirds = sim.order(limit("AAPL", "3", "buy", "13")).await;
    assert_eq!(thirds.text("status"), "new", "the bar's budget is spent");
    let thirds_path = format!("/v2/orders/{}", thirds.text("id"));
    sim.handle
        .feed_candle(&aapl, &candle(3, "10", "10", "10", "10", 10))
        .await;
    sim.handle
        .feed_candle(&aapl, &candle(4, "10", "10", "10", "10", 10))
        .await;
    sim.handle
        .feed_candle(&aapl, &candle(5, "11", "11", "11", "11", 10))
        .await;
    let averaged = sim.get(&thirds_path).await;
    assert_eq!(averaged.text("filled_qty"), "3");
    assert_eq!(
        averaged.text("filled_avg_price"),
        "10.333333333",
        "31 / 3, rounded"
    );
}

#[tokio::test]
async fn day_orders_expire_on_a_candle_of_a_later_day() {
    let sim = sim().await;
    let aapl = symbol("AAPL");
    let order = sim
        .order(json!({"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit", "limit_price": "100", "time_in_force": "day"}))
        .await;
    let path = format!("/v2/orders/{}", order.text("id"));
    sim.handle
        .feed_candle(&aapl, &candle(0, "150", "151", "149", "150", 1000))
        .await;
    assert_eq!(sim.get(&path).await.text("status"), "new");
    sim.handle
        .feed_candle(&aapl, &candle(1440, "150", "151", "149", "150", 1000))
        .await;
    let expired = sim.get(&path).await;
    assert_eq!(expired.text("status"), "expired");
    assert_eq!(expired.text("expired_at"), "2021-01-05T00:00:00.000000000Z");
    let stop = sim
        .order(json!({"symbol": "AAPL", "qty": "2", "side": "buy", "type": "stop", "stop_price": "155", "time_in_force": "gtc"}))
        .await;
    assert_eq!(stop.text("stop_price"), "155");
    assert_eq!(stop.text("status"), "new", "stops wait for a candle");
    sim.handle
        .feed_candle(&aapl, &candle(2880, "151", "156", "150", "154", 1000))
        .await;
    let triggered = sim.get(&format!("/v2/orders/{}", stop.text("id"))).await;
    assert_eq!(triggered.text("status"), "filled");
    assert_eq!(triggered.text("filled_avg_price"), "155");
}

#[tokio::test]
async fn orders_list_with_alpacas_filters_and_ids_work_with_or_without_hyphens() {
    let sim = sim().await;
    let first = sim.order(limit("AAPL", "1", "buy", "100")).await;
    let second = sim.order(market("MSFT", "1", "buy")).await;
    let third = sim.order(limit("MSFT", "1", "sell", "300")).await;
    let ids = |answer: &crate::common::Answer| -> Vec<String> {
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let open = sim.get("/v2/orders").await;
    assert_eq!(
        ids(&open),
        [third.text("id"), first.text("id")],
        "open, newest first"
    );
    let all = sim.get("/v2/orders?status=all&direction=asc").await;
    assert_eq!(
        ids(&all),
        [first.text("id"), second.text("id"), third.text("id")]
    );
    let limited = sim.get("/v2/orders?status=all&limit=1").await;
    assert_eq!(ids(&limited), [third.text("id")]);
    let msft = sim
        .get("/v2/orders?status=all&symbols=MSFT,TSLA&side=buy")
        .await;
    assert_eq!(ids(&msft), [second.text("id")]);
    let closed = sim.get("/v2/orders?status=closed").await;
    assert_eq!(ids(&closed), [second.text("id")]);
    let after = sim
        .get(&format!(
            "/v2/orders?status=all&after={}",
            second.text("submitted_at")
        ))
        .await;
    assert_eq!(ids(&after), [third.text("id")], "after is exclusive");
    let until = sim.get("/v2/orders?status=all&until=2000-01-01").await;
    assert_eq!(until.body, json!([]));
    for (query, field) in [
        ("status=pending", "status:"),
        ("limit=0", "limit:"),
        ("limit=501", "limit:"),
        ("direction=up", "direction:"),
        ("after=yesterday", "after:"),
        ("side=both", "side:"),
    ] {
        let answer = sim.get(&format!("/v2/orders?{query}")).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(answer.text("message").starts_with(field), "{}", answer.body);
    }
    let hyphenated = first.text("id");
    let simple = hyphenated.replace('-', "");
    assert_eq!(
        sim.get(&format!("/v2/orders/{simple}")).await.body,
        first.body
    );
    let upper = hyphenated.to_uppercase();
    assert_eq!(
        sim.get(&format!("/v2/orders/{upper}")).await.body,
        first.body
    );
    assert_eq!(
        sim.delete(&format!("/v2/orders/{simple}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sim.get("/v2/orders/not-a-uuid").await.status,
        StatusCode::NOT_FOUND
    );
}
