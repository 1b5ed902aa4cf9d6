//! apca, Alpaca's Rust client, trading against the simulator: every answer must parse into its
//! types, and every refusal must land on its typed error.

use std::time::Duration;

use apca::api::v2::{account, asset, assets, clock, order, orders, position, positions, updates};
use apca::{ApiInfo, Client, RequestError};
use futures_util::StreamExt;
use tokio::time::timeout;

use crate::common::{KEY_ID, Sim, candle, sim, symbol};

fn client(sim: &Sim) -> Client {
    client_with(sim, crate::common::SECRET)
}

fn client_with(sim: &Sim, secret: &str) -> Client {
    let mut info = ApiInfo::from_parts(sim.handle.base_url(), KEY_ID, secret).unwrap();
    // from_parts infers a wss:// stream URL from the base URL; the simulator speaks plain ws.
    info.api_stream_url = sim.handle.stream_url().parse().unwrap();
    Client::new(info)
}

fn create(
    symbol: &str,
    side: order::Side,
    quantity: i64,
    init: order::CreateReqInit,
) -> order::CreateReq {
    init.init(symbol, side, order::Amount::quantity(quantity))
}

fn limit(price: &str) -> order::CreateReqInit {
    order::CreateReqInit {
        type_: order::Type::Limit,
        limit_price: Some(price.parse().unwrap()),
        time_in_force: order::TimeInForce::UntilCanceled,
        ..Default::default()
    }
}

#[tokio::test]
async fn apca_reads_the_account_clock_and_assets() {
    let sim = sim().await;
    let client = client(&sim);
    let account = client.issue::<account::Get>(&()).await.unwrap();
    assert_eq!(account.status, account::Status::Active);
    assert_eq!(account.currency, "USD");
    assert_eq!(account.cash.to_string(), "100000");
    assert_eq!(account.buying_power.to_string(), "100000");
    assert!(!account.trading_blocked && !account.account_blocked);
    let clock = client.issue::<clock::Get>(&()).await.unwrap();
    assert!(clock.open);
    assert!(clock.next_close > clock.current);
    let list = client
        .issue::<assets::List>(&assets::ListReq::default())
        .await
        .unwrap();
    let names: Vec<&str> = list.iter().map(|asset| asset.symbol.as_str()).collect();
    assert_eq!(names, ["AAPL", "MSFT"]);
    let aapl = client
        .issue::<asset::Get>(&asset::Symbol::Sym("AAPL".into()))
        .await
        .unwrap();
    assert_eq!(aapl.class, asset::Class::UsEquity);
    assert!(aapl.tradable && aapl.fractionable);
    let by_id = client
        .issue::<asset::Get>(&asset::Symbol::Id(aapl.id))
        .await
        .unwrap();
    assert_eq!(by_id.symbol, "AAPL");
    let missing = client
        .issue::<asset::Get>(&asset::Symbol::Sym("ZZZZ".into()))
        .await;
    assert!(matches!(
        missing,
        Err(RequestError::Endpoint(asset::GetError::NotFound(_)))
    ));
}

#[tokio::test]
async fn apca_places_gets_lists_replaces_and_cancels_orders() {
    let sim = sim().await;
    let client = client(&sim);
    let mut init = limit("100");
    init.client_order_id = Some("apca-1".into());
    let placed = client
        .issue::<order::Create>(&create("AAPL", order::Side::Buy, 10, init))
        .await
        .unwrap();
    assert_eq!(placed.status, order::Status::New);
    assert_eq!(placed.client_order_id, "apca-1");
    assert_eq!(placed.symbol, "AAPL");
    assert_eq!(placed.class, order::Class::Simple);
    assert_eq!(placed.type_, order::Type::Limit);
    assert_eq!(placed.time_in_force, order::TimeInForce::UntilCanceled);
    assert_eq!(placed.limit_price.as_ref().unwrap().to_string(), "100");
    assert_eq!(placed.filled_quantity.to_string(), "0");
    assert!(placed.legs.is_empty());
    let fetched = client.issue::<order::Get>(&placed.id).await.unwrap();
    assert_eq!(fetched, placed);
    let by_client = client
        .issue::<order::GetByClientId>(&"apca-1".to_string())
        .await
        .unwrap();
    assert_eq!(by_client.id, placed.id);
    let open = client
        .issue::<orders::List>(&orders::ListReq::default())
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    let change = order::ChangeReq {
        quantity: Some(5.into()),
        limit_price: Some("101.5".parse().unwrap()),
        client_order_id: Some("apca-2".into()),
        ..Default::default()
    };
    let replacement = client
        .issue::<order::Change>(&(placed.id, change))
        .await
        .unwrap();
    assert_ne!(replacement.id, placed.id);
    assert_eq!(replacement.client_order_id, "apca-2");
    assert_eq!(
        replacement.limit_price.as_ref().unwrap().to_string(),
        "101.5"
    );
    let old = client.issue::<order::Get>(&placed.id).await.unwrap();
    assert_eq!(old.status, order::Status::Replaced);
    client
        .issue::<order::Delete>(&replacement.id)
        .await
        .unwrap();
    let cancelled = client.issue::<order::Get>(&replacement.id).await.unwrap();
    assert_eq!(cancelled.status, order::Status::Canceled);
    assert!(cancelled.canceled_at.is_some());
    let again = client.issue::<order::Delete>(&replacement.id).await;
    assert!(matches!(
        again,
        Err(RequestError::Endpoint(order::DeleteError::NotCancelable(_)))
    ));
    let closed = client
        .issue::<orders::List>(&orders::ListReq {
            status: orders::Status::Closed,
            symbols: vec!["AAPL".into()],
            limit: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();
    let statuses: Vec<order::Status> = closed.iter().map(|order| order.status).collect();
    assert_eq!(statuses, [order::Status::Canceled, order::Status::Replaced]);
    let stop_limit = order::CreateReqInit {
        type_: order::Type::StopLimit,
        stop_price: Some(160.into()),
        limit_price: Some(161.into()),
        time_in_force: order::TimeInForce::Day,
        ..Default::default()
    };
    let stop_limit = client
        .issue::<order::Create>(&create("AAPL", order::Side::Buy, 1, stop_limit))
        .await
        .unwrap();
    assert_eq!(stop_limit.type_, order::Type::StopLimit);
    assert_eq!(stop_limit.stop_price.as_ref().unwrap().to_string(), "160");
}

#[tokio::test]
async fn apca_maps_every_refusal_to_its_typed_error() {
    let sim = sim().await;
    let client = client(&sim);
    let poor = client
        .issue::<order::Create>(&create("AAPL", order::Side::Buy, 1000, Default::default()))
        .await;
    match poor {
        Err(RequestError::Endpoint(order::CreateError::NotPermitted(Ok(error)))) => {
            assert_eq!(error.message, "insufficient buying power");
        }
        other => panic!("expected NotPermitted, got {other:?}"),
    }
    let short = client
        .issue::<order::Create>(&create("AAPL", order::Side::Sell, 1, Default::default()))
        .await;
    assert!(matches!(
        short,
        Err(RequestError::Endpoint(order::CreateError::NotPermitted(_)))
    ));
    let mut init = order::CreateReqInit {
        client_order_id: Some("dup".into()),
        ..Default::default()
    };
    client
        .issue::<order::Create>(&create("AAPL", order::Side::Buy, 1, init.clone()))
        .await
        .unwrap();
    match client
        .issue::<order::Create>(&create("AAPL", order::Side::Buy, 1, init.clone()))
        .await
    {
        Err(RequestError::Endpoint(order::CreateError::InvalidInput(Ok(error)))) => {
            assert_eq!(error.message, "client_order_id must be unique");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    init.client_order_id = None;
    init.type_ = order::Type::TrailingStop;
    init.trail_percent = Some(1.into());
    assert!(matches!(
        client
            .issue::<order::Create>(&create("AAPL", order::Side::Buy, 1, init))
            .await,
        Err(RequestError::Endpoint(order::CreateError::InvalidInput(_)))
    ));
    let unknown = order::Id("00000003-0000-4000-8000-0000000000ff".parse().unwrap());
    assert!(matches!(
        client.issue::<order::Get>(&unknown).await,
        Err(RequestError::Endpoint(order::GetError::NotFound(_)))
    ));
    assert!(matches!(
        client
            .issue::<order::GetByClientId>(&"never".to_string())
            .await,
        Err(RequestError::Endpoint(order::GetByClientIdError::NotFound(
            _
        )))
    ));
    let stranger = client_with(&sim, "wrong-secret");
    assert!(matches!(
        stranger.issue::<account::Get>(&()).await,
        Err(RequestError::Endpoint(
            account::GetError::AuthenticationFailed(_)
        ))
    ));
    sim.handle.set_rate_limit(0).await;
    assert!(matches!(
        client.issue::<clock::Get>(&()).await,
        Err(RequestError::Endpoint(clock::GetError::RateLimitExceeded(
            _
        )))
    ));
    sim.handle.set_rate_limit(200).await;
    sim.handle.fail_next(1, 503).await;
    match client.issue::<positions::List>(&()).await {
        Err(RequestError::Endpoint(positions::ListError::UnexpectedStatus(status, _))) => {
            assert_eq!(status.as_u16(), 503);
        }
        other => panic!("expected an unexpected status, got {other:?}"),
    }
}

#[tokio::test]
async fn apca_reads_positions_and_closes_one() {
    let sim = sim().await;
    let client = client(&sim);
    let bought = client
        .issue::<order::Create>(&create("MSFT", order::Side::Buy, 4, Default::default()))
        .await
        .unwrap();
    assert_eq!(bought.status, order::Status::Filled);
    assert_eq!(
        bought.average_fill_price.as_ref().unwrap().to_string(),
        "250"
    );
    assert!(bought.filled_at.is_some());
    let all = client.issue::<positions::List>(&()).await.unwrap();
    assert_eq!(all.len(), 1);
    let msft = client
        .issue::<position::Get>(&asset::Symbol::Sym("MSFT".into()))
        .await
        .unwrap();
    assert_eq!(msft.quantity.to_string(), "4");
    assert_eq!(msft.side, position::Side::Long);
    assert_eq!(msft.average_entry_price.to_string(), "250");
    assert_eq!(msft.cost_basis.to_string(), "1000");
    let closing = client
        .issue::<position::Delete>(&asset::Symbol::Sym("MSFT".into()))
        .await
        .unwrap();
    assert_eq!(closing.side, order::Side::Sell);
    assert_eq!(closing.status, order::Status::Filled);
    assert!(matches!(
        client
            .issue::<position::Get>(&asset::Symbol::Sym("MSFT".into()))
            .await,
        Err(RequestError::Endpoint(position::GetError::NotFound(_)))
    ));
}

/// The next order update, within ten seconds.
async fn next_update<S, J, W>(stream: &mut S) -> updates::OrderUpdate
where
    S: futures_util::Stream<Item = Result<Result<updates::OrderUpdate, J>, W>> + Unpin,
    J: std::fmt::Debug,
    W: std::fmt::Debug,
{
    timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an update within 10 s")
        .expect("the stream is open")
        .expect("no websocket error")
        .expect("valid JSON")
}

#[tokio::test]
async fn apca_order_updates_deliver_a_fill_after_a_candle() {
    let sim = sim().await;
    let client = client(&sim);
    let (stream, _subscription) = client.subscribe::<updates::OrderUpdates>().await.unwrap();
    let mut stream = Box::pin(stream);
    let placed = client
        .issue::<order::Create>(&create("AAPL", order::Side::Buy, 3, limit("140")))
        .await
        .unwrap();
    let new = next_update(&mut stream).await;
    assert_eq!(new.event, updates::OrderStatus::New);
    assert_eq!(new.order.id, placed.id);
    sim.handle
        .feed_candle(
            &symbol("AAPL"),
            &candle(0, "141", "142", "139", "140", 1000),
        )
        .await;
    let fill = next_update(&mut stream).await;
    assert_eq!(fill.event, updates::OrderStatus::Filled);
    assert_eq!(fill.order.id, placed.id);
    assert_eq!(fill.order.status, order::Status::Filled);
    assert_eq!(fill.order.filled_quantity.to_string(), "3");
    assert_eq!(fill.order.average_fill_price.unwrap().to_string(), "140");
}
