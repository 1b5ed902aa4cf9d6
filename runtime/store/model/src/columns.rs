//! Column conversions shared by both back-ends: instants as `BIGINT` nanoseconds, exact numbers
//! as `BIGINT` counts of 10⁻⁹, enumerations as lowercase text. Every conversion that can fail
//! names the column.

use airlock_core::{
    ClientOrderId, ModeTag, Money, OrderKind, Price, Quantity, Side, Symbol, TimeInForce,
    Timeframe, UnixNanos,
};

use crate::StoreError;

/// An instant as stored.
///
/// # Errors
/// [`StoreError::Invalid`] past year 2262 (beyond `i64` nanoseconds).
pub fn nanos(field: &'static str, at: UnixNanos) -> Result<i64, StoreError> {
    i64::try_from(at.as_u64()).map_err(|_| StoreError::Invalid {
        field,
        reason: format!("{at} is beyond the year 2262"),
    })
}

/// A stored instant.
///
/// # Errors
/// [`StoreError::Corrupt`] for a negative value.
pub fn instant(field: &'static str, stored: i64) -> Result<UnixNanos, StoreError> {
    u64::try_from(stored)
        .map(UnixNanos::new)
        .map_err(|_| StoreError::Corrupt {
            field,
            reason: format!("negative timestamp {stored}"),
        })
}

/// Money as stored (fits any fee or cash amount below 9.2 billion units).
///
/// # Errors
/// [`StoreError::Invalid`] when the amount does not fit 64 bits.
pub fn money(field: &'static str, amount: Money) -> Result<i64, StoreError> {
    i64::try_from(amount.raw()).map_err(|_| StoreError::Invalid {
        field,
        reason: format!("{amount} is beyond ±9,223,372,036 units"),
    })
}

/// A stored mode tag.
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown name.
pub fn mode(field: &'static str, stored: &str) -> Result<ModeTag, StoreError> {
    Ok(match stored {
        "backtest" => ModeTag::Backtest,
        "dry_run" => ModeTag::DryRun,
        "paper" => ModeTag::Paper,
        "live" => ModeTag::Live,
        other => {
            return Err(StoreError::Corrupt {
                field,
                reason: format!("unknown mode {other:?}"),
            });
        }
    })
}

/// A stored side.
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown name.
pub fn side(stored: &str) -> Result<Side, StoreError> {
    match stored {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(StoreError::Corrupt {
            field: "orders.side",
            reason: format!("unknown side {other:?}"),
        }),
    }
}

/// A time in force as stored.
pub fn time_in_force_name(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Day => "day",
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
    }
}

/// A stored time in force.
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown name.
pub fn time_in_force(stored: &str) -> Result<TimeInForce, StoreError> {
    Ok(match stored {
        "day" => TimeInForce::Day,
        "gtc" => TimeInForce::Gtc,
        "ioc" => TimeInForce::Ioc,
        "fok" => TimeInForce::Fok,
        other => {
            return Err(StoreError::Corrupt {
                field: "orders.time_in_force",
                reason: format!("unknown time in force {other:?}"),
            });
        }
    })
}

/// An order kind's columns: name, limit price, stop price.
pub fn kind_columns(kind: &OrderKind) -> (&'static str, Option<i64>, Option<i64>) {
    (
        kind.as_str(),
        kind.limit_price().map(Price::raw),
        kind.stop_price().map(Price::raw),
    )
}

/// An order kind from its columns.
///
/// # Errors
/// [`StoreError::Corrupt`] for an unknown name or a missing price.
pub fn kind(name: &str, limit: Option<i64>, stop: Option<i64>) -> Result<OrderKind, StoreError> {
    let missing = |column: &str| StoreError::Corrupt {
        field: "orders.kind",
        reason: format!("a {name} order without {column}"),
    };
    let limit = limit.map(Price::from_raw);
    let stop = stop.map(Price::from_raw);
    Ok(match name {
        "market" => OrderKind::Market,
        "limit" => OrderKind::Limit {
            limit: limit.ok_or_else(|| missing("limit_price_e9"))?,
        },
        "stop" => OrderKind::Stop {
            stop: stop.ok_or_else(|| missing("stop_price_e9"))?,
        },
        "stop_limit" => OrderKind::StopLimit {
            stop: stop.ok_or_else(|| missing("stop_price_e9"))?,
            limit: limit.ok_or_else(|| missing("limit_price_e9"))?,
        },
        other => {
            return Err(StoreError::Corrupt {
                field: "orders.kind",
                reason: format!("unknown order kind {other:?}"),
            });
        }
    })
}

/// A stored symbol.
///
/// # Errors
/// [`StoreError::Corrupt`] when it is not a valid symbol.
pub fn symbol(field: &'static str, stored: &str) -> Result<Symbol, StoreError> {
    Symbol::parse(stored).map_err(|error| StoreError::Corrupt {
        field,
        reason: error.to_string(),
    })
}

/// A stored client order id.
///
/// # Errors
/// [`StoreError::Corrupt`] when it is not a valid id.
pub fn client_order_id(stored: &str) -> Result<ClientOrderId, StoreError> {
    ClientOrderId::parse(stored).map_err(|error| StoreError::Corrupt {
        field: "orders.client_order_id",
        reason: error.to_string(),
    })
}

/// A stored timeframe.
///
/// # Errors
/// [`StoreError::Corrupt`] when it is not a timeframe.
pub fn timeframe(field: &'static str, stored: &str) -> Result<Timeframe, StoreError> {
    stored
        .parse()
        .map_err(|error: airlock_core::TimeframeError| StoreError::Corrupt {
            field,
            reason: error.to_string(),
        })
}

/// A stored quantity.
pub fn quantity(stored: i64) -> Quantity {
    Quantity::from_raw(stored)
}

/// A stored count (never negative in a valid database).
///
/// # Errors
/// [`StoreError::Corrupt`] for a negative count.
pub fn count(field: &'static str, stored: i64) -> Result<u64, StoreError> {
    u64::try_from(stored).map_err(|_| StoreError::Corrupt {
        field,
        reason: format!("negative count {stored}"),
    })
}

/// A stored candle row of `symbol`/`frame`, validated.
///
/// # Errors
/// [`StoreError::Corrupt`] for a negative timestamp or values that are not a valid candle.
pub fn candle(
    symbol: &airlock_core::Symbol,
    frame: &str,
    ts_ns: i64,
    [open, high, low, close, volume]: [i64; 5],
) -> Result<airlock_core::Candle, StoreError> {
    let ts = instant("candles.ts_ns", ts_ns)?;
    airlock_core::Candle::new(
        ts,
        Price::from_raw(open),
        Price::from_raw(high),
        Price::from_raw(low),
        Price::from_raw(close),
        Quantity::from_raw(volume),
    )
    .map_err(|error| StoreError::Corrupt {
        field: "candles",
        reason: format!("{symbol} {frame} at {ts}: {error}"),
    })
}

/// The columns of one stored audit row, in table order.
#[derive(Debug)]
pub struct AuditRow {
    /// `seq`.
    pub seq: i64,
    /// `at_ns`.
    pub at_ns: i64,
    /// `actor`.
    pub actor: String,
    /// `action`.
    pub action: String,
    /// `subject`.
    pub subject: String,
    /// `detail`.
    pub detail: String,
    /// `prev_hash`.
    pub prev_hash: Vec<u8>,
    /// `hash`.
    pub hash: Vec<u8>,
}

/// A stored audit row as an entry.
///
/// # Errors
/// [`StoreError::Corrupt`] for a negative number or a hash that is not 32 bytes.
pub fn audit_entry(row: AuditRow) -> Result<crate::AuditEntry, StoreError> {
    let hash = |field, bytes: &[u8]| {
        crate::ChainHash::from_slice(bytes).ok_or_else(|| StoreError::Corrupt {
            field,
            reason: "not 32 bytes".into(),
        })
    };
    Ok(crate::AuditEntry {
        seq: count("audit_log.seq", row.seq)?,
        at: instant("audit_log.at_ns", row.at_ns)?,
        prev_hash: hash("audit_log.prev_hash", &row.prev_hash)?,
        hash: hash("audit_log.hash", &row.hash)?,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        detail: row.detail,
    })
}
