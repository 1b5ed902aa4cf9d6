//! The REST handlers: Alpaca's paths, one function each. Every handler takes the venue's lock,
//! does its work without awaiting, and answers Alpaca's JSON or an [`ApiError`].

use std::sync::Arc;

use airlock_core::{Quantity, Rate};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::ids::{Uuid, now};
use crate::net::Connection;
use crate::server::Shared;
use crate::state::SimState;
use crate::views::{ListQuery, clock as clock_now};
use crate::wire::{
    AccountJson, AssetJson, ClockJson, CloseResultJson, Fields, OrderJson, PositionJson,
};

type Api<T> = Result<Json<T>, ApiError>;

/// `GET /v2/account`.
pub(crate) async fn account(State(shared): State<Arc<Shared>>) -> Json<AccountJson> {
    Json(shared.state().account_json())
}

/// `GET /v2/clock`.
pub(crate) async fn clock() -> Json<ClockJson> {
    Json(clock_now(now()))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AssetsQuery {
    status: Option<String>,
    asset_class: Option<String>,
}

/// `GET /v2/assets`.
pub(crate) async fn assets(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<AssetsQuery>,
) -> Api<Vec<AssetJson>> {
    shared
        .state()
        .assets_json(query.status.as_deref(), query.asset_class.as_deref())
        .map(Json)
}

/// `GET /v2/assets/{symbol_or_asset_id}`.
pub(crate) async fn asset(
    State(shared): State<Arc<Shared>>,
    Path(symbol_or_id): Path<String>,
) -> Api<AssetJson> {
    let state = shared.state();
    state
        .find_asset(&symbol_or_id)
        .and_then(|index| state.asset_json(index))
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("asset not found for {symbol_or_id}")))
}

/// The order with id `text` (hyphenated or not), or 404.
fn order_index(state: &SimState, text: &str) -> Result<usize, ApiError> {
    Uuid::parse(text)
        .and_then(|id| state.by_id.get(&id).copied())
        .ok_or_else(|| ApiError::not_found("order not found"))
}

/// `POST /v2/orders`. When the handle asked to lose the next response, the order is placed and
/// the connection then closes without an answer.
pub(crate) async fn create_order(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    body: Bytes,
) -> Api<OrderJson> {
    let lose = shared.take_lose_next();
    let result =
        Fields::parse(&body).and_then(|fields| shared.state().create_order(&fields, now()));
    if lose {
        connection.lose_response();
    }
    result.map(Json)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    status: Option<String>,
    limit: Option<String>,
    after: Option<String>,
    until: Option<String>,
    direction: Option<String>,
    symbols: Option<String>,
    side: Option<String>,
}

/// `GET /v2/orders`.
pub(crate) async fn list_orders(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<ListParams>,
) -> Api<Vec<OrderJson>> {
    let query = ListQuery {
        status: params.status,
        limit: params.limit,
        after: params.after,
        until: params.until,
        direction: params.direction,
        symbols: params.symbols,
        side: params.side,
    };
    shared.state().list_orders(&query).map(Json)
}

/// `GET /v2/orders/{order_id}`.
pub(crate) async fn get_order(
    State(shared): State<Arc<Shared>>,
    Path(order_id): Path<String>,
) -> Api<OrderJson> {
    let state = shared.state();
    let index = order_index(&state, &order_id)?;
    state
        .order_json(index)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("order not found"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ClientIdQuery {
    client_order_id: Option<String>,
}

/// `GET /v2/orders:by_client_order_id?client_order_id=…`.
pub(crate) async fn order_by_client_id(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ClientIdQuery>,
) -> Api<OrderJson> {
    let Some(client_order_id) = query.client_order_id else {
        return Err(ApiError::invalid("client_order_id: is required"));
    };
    let state = shared.state();
    state
        .by_client_id
        .get(&client_order_id)
        .and_then(|index| state.order_json(*index))
        .map(Json)
        .ok_or_else(|| ApiError::not_found("order not found"))
}

/// `PATCH /v2/orders/{order_id}`: like `POST`, can lose its response on request.
pub(crate) async fn replace_order(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(order_id): Path<String>,
    body: Bytes,
) -> Api<OrderJson> {
    let lose = shared.take_lose_next();
    let result = Fields::parse(&body).and_then(|fields| {
        let mut state = shared.state();
        let index = order_index(&state, &order_id)?;
        state.replace_order(index, &fields, now())
    });
    if lose {
        connection.lose_response();
    }
    result.map(Json)
}

/// `DELETE /v2/orders/{order_id}`: 204 with no body.
pub(crate) async fn cancel_order(
    State(shared): State<Arc<Shared>>,
    Path(order_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut state = shared.state();
    let index = order_index(&state, &order_id)?;
    state.cancel_order(index, now())?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v2/orders`: 207 Multi-Status, one `{id, status, body}` per open order.
pub(crate) async fn cancel_all(State(shared): State<Arc<Shared>>) -> Response {
    let results = shared.state().cancel_all(now());
    (StatusCode::MULTI_STATUS, Json(results)).into_response()
}

/// `GET /v2/positions`.
pub(crate) async fn positions(State(shared): State<Arc<Shared>>) -> Json<Vec<PositionJson>> {
    Json(shared.state().positions_json())
}

/// `GET /v2/positions/{symbol_or_asset_id}`: 404 when flat.
pub(crate) async fn position(
    State(shared): State<Arc<Shared>>,
    Path(symbol_or_id): Path<String>,
) -> Api<PositionJson> {
    let state = shared.state();
    state
        .find_asset(&symbol_or_id)
        .and_then(|index| state.position_json(index))
        .map(Json)
        .ok_or_else(|| ApiError::not_found("position does not exist"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CloseQuery {
    qty: Option<String>,
    percentage: Option<String>,
}

fn parse_query<T>(field: &str, text: Option<&str>) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.map(|text| {
        text.parse::<T>().map_err(|error| {
            ApiError::invalid(format!(
                "{field}: {text:?} is not a valid decimal ({error})"
            ))
        })
    })
    .transpose()
}

/// `DELETE /v2/positions/{symbol_or_asset_id}?qty=…|percentage=…`: the closing order.
pub(crate) async fn close_position(
    State(shared): State<Arc<Shared>>,
    Path(symbol_or_id): Path<String>,
    Query(query): Query<CloseQuery>,
) -> Api<OrderJson> {
    let quantity = parse_query::<Quantity>("qty", query.qty.as_deref())?;
    let percentage = parse_query::<Rate>("percentage", query.percentage.as_deref())?;
    let mut state = shared.state();
    let asset = state
        .find_asset(&symbol_or_id)
        .ok_or_else(|| ApiError::not_found("position does not exist"))?;
    state
        .close_position(asset, quantity, percentage, now())
        .map(Json)
}

#[derive(Debug, Deserialize)]
pub(crate) struct CloseAllQuery {
    cancel_orders: Option<bool>,
}

/// `DELETE /v2/positions[?cancel_orders=true]`: 207 Multi-Status, one `{symbol, status, body}`
/// per position.
pub(crate) async fn close_all_positions(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<CloseAllQuery>,
) -> Response {
    let at = now();
    let mut state = shared.state();
    if query.cancel_orders == Some(true) {
        state.cancel_all(at);
    }
    let open: Vec<usize> = (0..state.assets.len())
        .filter(|index| state.position_json(*index).is_some())
        .collect();
    let results: Vec<CloseResultJson> = open
        .into_iter()
        .filter_map(|index| {
            let symbol = state.assets.get(index)?.symbol.as_str().to_owned();
            let (status, body) = match state.close_position(index, None, None, at) {
                Ok(order) => (200, json!(order)),
                Err(error) => (
                    error.status.as_u16(),
                    json!({"code": error.code, "message": error.message}),
                ),
            };
            Some(CloseResultJson {
                symbol,
                status,
                body,
            })
        })
        .collect();
    (StatusCode::MULTI_STATUS, Json(results)).into_response()
}

/// Any other path.
pub(crate) async fn unknown_endpoint() -> ApiError {
    ApiError::not_found("endpoint not found")
}
