//! The protocol's JSON messages, as the runtime sends and reads them (`PROTOCOL.md`). Numbers
//! that are money, prices or volumes stay text here; `convert` parses them exactly.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct LastError {
    pub(crate) code: i64,
    pub(crate) message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub(crate) code: String,
    #[serde(default)]
    pub(crate) field: Option<String>,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) last_error: Option<LastError>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Empty {}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Health {
    pub(crate) protocol: u32,
    pub(crate) terminal: Option<TerminalState>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TerminalState {
    pub(crate) connected: bool,
    pub(crate) trade_allowed: bool,
    pub(crate) tradeapi_disabled: bool,
}

/// `/v1/account` is read as a map so a missing field and a `null` one stay distinguishable.
pub(crate) type Account = Map<String, Value>;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SymbolQuery<'a> {
    pub(crate) symbol: &'a str,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SymbolSpec {
    pub(crate) symbol: String,
    pub(crate) digits: u32,
    pub(crate) trade_tick_size: String,
    pub(crate) trade_contract_size: String,
    pub(crate) volume_min: String,
    pub(crate) volume_max: String,
    pub(crate) volume_step: String,
    pub(crate) trade_mode: i64,
    pub(crate) trade_exemode: i64,
    pub(crate) filling_mode: i64,
}

/// `{request: {...}}` for `/v1/order_send`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Send {
    pub(crate) request: TradeRequest,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct TradeRequest {
    pub(crate) action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) symbol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) volume: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) order_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stoplimit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) deviation: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) type_filling: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) type_time: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) magic: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) order: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) position: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SendAnswer {
    pub(crate) result: Option<SendResult>,
    pub(crate) last_error: LastError,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SendResult {
    pub(crate) retcode: i64,
    pub(crate) retcode_name: String,
    pub(crate) order: u64,
    pub(crate) comment: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct LiveQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ticket: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) magic: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct HistoryQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) to_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) order: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) magic: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TagQuery<'a> {
    pub(crate) magic: u64,
    pub(crate) tag: &'a str,
    pub(crate) since_ms: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OrderRow {
    pub(crate) ticket: u64,
    pub(crate) symbol: String,
    #[serde(rename = "type")]
    pub(crate) order_type: String,
    pub(crate) type_time: String,
    pub(crate) state: String,
    pub(crate) comment: String,
    pub(crate) time_done_ms: i64,
    pub(crate) volume_initial: String,
    pub(crate) volume_current: String,
    pub(crate) price_open: String,
    pub(crate) price_stoplimit: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DealRow {
    pub(crate) ticket: u64,
    pub(crate) order: u64,
    #[serde(rename = "type")]
    pub(crate) deal_type: String,
    pub(crate) time_ms: i64,
    pub(crate) volume: String,
    pub(crate) price: String,
    pub(crate) commission: String,
    pub(crate) fee: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PositionRow {
    pub(crate) ticket: u64,
    pub(crate) symbol: String,
    #[serde(rename = "type")]
    pub(crate) position_type: String,
    pub(crate) time_ms: i64,
    pub(crate) volume: String,
    pub(crate) price_open: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Orders {
    pub(crate) orders: Vec<OrderRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Deals {
    pub(crate) deals: Vec<DealRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Positions {
    pub(crate) positions: Vec<PositionRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TagLookup {
    pub(crate) orders: Vec<OrderRow>,
    pub(crate) history_orders: Vec<OrderRow>,
    pub(crate) deals: Vec<DealRow>,
}
