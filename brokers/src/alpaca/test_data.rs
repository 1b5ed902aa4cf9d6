//! Alpaca JSON for unit tests, written from the field tables of Alpaca's order object.

/// A day limit buy of AAPL at 187.25 under client id `client_id`, with `qty`, `filled_qty`,
/// `filled_avg_price` and `status` as given. The Alpaca id is derived from the client id, so
/// each leg has its own.
pub(crate) fn order_json(
    client_id: &str,
    status: &str,
    qty: &str,
    filled: &str,
    average: Option<&str>,
) -> String {
    let average = average.map_or_else(|| "null".to_owned(), |price| format!("\"{price}\""));
    format!(
        r#"{{"id":"{id}","client_order_id":"{client_id}","created_at":"2024-05-01T13:30:00Z",
        "updated_at":"2024-05-01T13:30:01.5Z","submitted_at":"2024-05-01T13:30:00Z",
        "filled_at":null,"expired_at":null,"canceled_at":null,"failed_at":null,
        "replaced_at":null,"replaced_by":null,"replaces":null,
        "asset_id":"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415","symbol":"AAPL",
        "asset_class":"us_equity","notional":null,"qty":"{qty}","filled_qty":"{filled}",
        "filled_avg_price":{average},"order_class":"","order_type":"limit","type":"limit",
        "side":"buy","time_in_force":"day","limit_price":"187.25","stop_price":null,
        "status":"{status}","extended_hours":false,"legs":null,"trail_percent":null,
        "trail_price":null,"hwm":null}}"#,
        id = uuid_for(client_id),
    )
}

/// A deterministic UUID-shaped id for a client id (FNV-1a of the text).
pub(crate) fn uuid_for(client_id: &str) -> String {
    let hash = client_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("00000000-0000-4000-8000-{:012x}", hash & 0xffff_ffff_ffff)
}
