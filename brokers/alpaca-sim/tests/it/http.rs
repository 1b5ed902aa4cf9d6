//! The wire format over raw HTTP: authentication, headers, errors, rate limit, injected failures,
//! account, clock, assets and positions.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{KEY_ID, SECRET, config, px, sim, sim_with, symbol};

#[tokio::test]
async fn requests_without_the_key_pair_get_401_with_alpacas_body_and_rate_headers() {
    let sim = sim().await;
    for keys in [None, Some((KEY_ID, "wrong")), Some(("PKOTHER", SECRET))] {
        for path in ["/v2/account", "/v2/no/such/endpoint"] {
            let answer = sim.call_as(Method::GET, path, None, keys).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path} {keys:?}");
            assert_eq!(
                answer.body,
                json!({"code": 40110000, "message": "request is not authorized"})
            );
            assert_eq!(answer.header("x-ratelimit-limit"), "200");
            assert_eq!(
                answer.header("x-ratelimit-remaining"),
                "200",
                "refused credentials do not count"
            );
        }
    }
    let answer = sim.get("/v2/no/such/endpoint").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.body,
        json!({"code": 40410000, "message": "endpoint not found"})
    );
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let sim = sim().await;
    let first = sim.get("/v2/clock").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("x-ratelimit-limit"), "200");
    assert_eq!(first.header("x-ratelimit-remaining"), "199");
    let reset: u64 = first.header("x-ratelimit-reset").parse().unwrap();
    let second = sim.get("/v2/orders/not-an-id").await;
    assert_eq!(second.status, StatusCode::NOT_FOUND);
    assert_eq!(second.header("x-ratelimit-remaining"), "198");
    assert_eq!(second.header("x-ratelimit-reset"), reset.to_string());
    assert!(reset > 1_700_000_000, "a UNIX time in seconds: {reset}");
}

#[tokio::test]
async fn over_the_rate_limit_answers_429_until_the_window_ends() {
    let sim = sim().await;
    sim.handle.set_rate_limit(3).await;
    for remaining in ["2", "1", "0"] {
        let answer = sim.get("/v2/account").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("x-ratelimit-remaining"), remaining);
    }
    let refused = sim.post("/v2/orders", json!({})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.body,
        json!({"code": 42910000, "message": "too many requests"})
    );
    assert_eq!(refused.header("x-ratelimit-limit"), "3");
    assert_eq!(refused.header("x-ratelimit-remaining"), "0");
    sim.handle.set_rate_limit(200).await;
    let answer = sim.get("/v2/orders?status=all").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!([]), "the refused request did nothing");
}

#[tokio::test]
async fn injected_failures_answer_the_status_and_do_nothing() {
    let sim = sim().await;
    sim.handle.fail_next(2, 503).await;
    let order = json!({"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market", "time_in_force": "day"});
    let first = sim.post("/v2/orders", order.clone()).await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        first.body,
        json!({"code": 50310000, "message": "service unavailable"})
    );
    assert_eq!(first.header("x-ratelimit-remaining"), "199");
    let second = sim.get("/v2/orders?status=all").await;
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    let third = sim.get("/v2/orders?status=all").await;
    assert_eq!(third.status, StatusCode::OK);
    assert_eq!(third.body, json!([]));
    sim.handle.fail_next(1, 500).await;
    let failed = sim.get("/v2/account").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        failed.body,
        json!({"code": 50010000, "message": "internal server error"})
    );
    assert_eq!(sim.post("/v2/orders", order).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_account_is_a_cash_account_with_decimal_strings() {
    let mut settings = config();
    settings.cash = "2500.5".parse().unwrap();
    settings.account_number = "PA-SIM-0042".into();
    let sim = sim_with(settings).await;
    sim.handle.set_last_price(&symbol("AAPL"), px("100")).await;
    let account = sim.get("/v2/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.text("id"), "00000001-0000-4000-8000-000000000001");
    assert_eq!(account.text("account_number"), "PA-SIM-0042");
    assert_eq!(account.text("status"), "ACTIVE");
    assert_eq!(account.text("currency"), "USD");
    assert_eq!(account.text("cash"), "2500.5");
    assert_eq!(account.text("buying_power"), "2500.5");
    assert_eq!(account.text("equity"), "2500.5");
    assert_eq!(account.text("multiplier"), "1");
    assert_eq!(account.body["pattern_day_trader"], json!(false));
    assert_eq!(account.body["shorting_enabled"], json!(false));
    sim.order(json!({"symbol": "AAPL", "qty": "10", "side": "buy", "type": "market", "time_in_force": "day"}))
        .await;
    sim.order(json!({"symbol": "AAPL", "qty": "5", "side": "buy", "type": "limit", "limit_price": "90", "time_in_force": "gtc"}))
        .await;
    sim.handle.set_last_price(&symbol("AAPL"), px("110")).await;
    let account = sim.get("/v2/account").await;
    assert_eq!(account.text("cash"), "1500.5");
    assert_eq!(
        account.text("buying_power"),
        "1050.5",
        "the open limit buy holds 5 × 90"
    );
    assert_eq!(account.text("long_market_value"), "1100");
    assert_eq!(account.text("equity"), "2600.5");
    assert_eq!(account.text("portfolio_value"), "2600.5");
    assert_eq!(account.text("last_equity"), "2500.5");
}

#[tokio::test]
async fn the_clock_is_always_open() {
    let sim = sim().await;
    let clock = sim.get("/v2/clock").await;
    assert_eq!(clock.status, StatusCode::OK);
    assert_eq!(clock.body["is_open"], json!(true));
    let timestamp = clock.text("timestamp");
    assert!(
        timestamp.ends_with('Z') && timestamp.len() == 30,
        "{timestamp}"
    );
    assert!(clock.text("next_close").ends_with("T00:00:00.000000000Z"));
    assert_eq!(clock.text("next_open"), clock.text("next_close"));
}

#[tokio::test]
async fn assets_are_the_fed_symbols_and_unknown_ones_are_404() {
    let sim = sim().await;
    let assets = sim
        .get("/v2/assets?status=active&asset_class=us_equity")
        .await;
    assert_eq!(assets.status, StatusCode::OK);
    let symbols: Vec<&str> = assets
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|asset| asset["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["AAPL", "MSFT"]);
    let aapl = sim.get("/v2/assets/AAPL").await;
    assert_eq!(aapl.status, StatusCode::OK);
    assert_eq!(aapl.text("id"), "00000002-0000-4000-8000-000000000001");
    assert_eq!(aapl.text("class"), "us_equity");
    assert_eq!(aapl.text("status"), "active");
    assert_eq!(aapl.body["tradable"], json!(true));
    assert_eq!(aapl.body["fractionable"], json!(true));
    let by_id = sim
        .get("/v2/assets/00000002-0000-4000-8000-000000000002")
        .await;
    assert_eq!(by_id.text("symbol"), "MSFT");
    let unknown = sim.get("/v2/assets/ZZZZ").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["code"], json!(40410000));
    let crypto = sim.get("/v2/assets?asset_class=crypto").await;
    assert_eq!(crypto.body, json!([]));
    let bad = sim.get("/v2/assets?status=sleeping").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text("message").starts_with("status:"));
}

#[tokio::test]
async fn positions_follow_fills_and_closing_sells_them_at_market() {
    let sim = sim().await;
    assert_eq!(sim.get("/v2/positions").await.body, json!([]));
    let flat = sim.get("/v2/positions/AAPL").await;
    assert_eq!(flat.status, StatusCode::NOT_FOUND);
    assert_eq!(
        flat.body,
        json!({"code": 40410000, "message": "position does not exist"})
    );
    sim.order(json!({"symbol": "AAPL", "qty": "10", "side": "buy", "type": "market", "time_in_force": "day"}))
        .await;
    sim.order(json!({"symbol": "AAPL", "qty": 2, "side": "sell", "type": "limit", "limit_price": 200, "time_in_force": "gtc"}))
        .await;
    sim.handle.set_last_price(&symbol("AAPL"), px("160")).await;
    let position = sim.get("/v2/positions/AAPL").await;
    assert_eq!(position.status, StatusCode::OK);
    assert_eq!(position.text("symbol"), "AAPL");
    assert_eq!(position.text("asset_class"), "us_equity");
    assert_eq!(position.text("side"), "long");
    assert_eq!(position.text("qty"), "10");
    assert_eq!(
        position.text("qty_available"),
        "8",
        "2 held by the open sell"
    );
    assert_eq!(position.text("avg_entry_price"), "150");
    assert_eq!(position.text("cost_basis"), "1500");
    assert_eq!(position.text("market_value"), "1600");
    assert_eq!(position.text("current_price"), "160");
    assert_eq!(position.text("lastday_price"), "150");
    assert_eq!(position.text("unrealized_pl"), "100");
    assert_eq!(position.text("unrealized_plpc"), "0.066666667");
    assert_eq!(position.text("change_today"), "0.066666667");
    let list = sim.get("/v2/positions").await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let held = sim.delete("/v2/positions/AAPL").await;
    assert_eq!(held.status, StatusCode::FORBIDDEN, "2 shares are held");
    assert_eq!(
        held.text("message"),
        "insufficient qty available for order (requested: 10, available: 8)"
    );
    let closing = sim.delete("/v2/positions/AAPL?qty=8").await;
    assert_eq!(closing.status, StatusCode::OK, "{}", closing.body);
    assert_eq!(closing.text("side"), "sell");
    assert_eq!(closing.text("type"), "market");
    assert_eq!(closing.text("qty"), "8");
    assert_eq!(closing.text("status"), "filled");
    assert_eq!(closing.text("filled_avg_price"), "160");
    assert_eq!(
        sim.get("/v2/positions/AAPL").await.text("qty"),
        "2",
        "the open sell's 2 remain"
    );
    let both = sim.delete("/v2/positions/AAPL?qty=1&percentage=50").await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    let all = sim.delete("/v2/positions?cancel_orders=true").await;
    assert_eq!(all.status, StatusCode::MULTI_STATUS);
    assert_eq!(all.body[0]["symbol"], json!("AAPL"));
    assert_eq!(all.body[0]["status"], json!(200));
    assert_eq!(all.body[0]["body"]["status"], json!("filled"));
    assert_eq!(sim.get("/v2/positions").await.body, json!([]));
    let cash = sim.get("/v2/account").await;
    assert_eq!(
        cash.text("cash"),
        "100100",
        "bought 10 at 150, sold 10 at 160"
    );
}
