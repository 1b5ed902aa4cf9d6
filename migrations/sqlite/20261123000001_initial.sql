-- Airlock's SQLite schema (the embedded default), version 1. Forward-only: never edit an applied migration; add one.
--
-- Conventions, identical in the PostgreSQL schema:
--   * instants are UTC nanoseconds since the Unix epoch (`*_ns INTEGER`);
--   * prices, quantities and money are exact fixed-point integers in units of 10^-9 (`*_e9 INTEGER`),
--     the same representation as airlock-core's Price, Quantity and Money;
--   * enumerations are lowercase TEXT with a CHECK listing the allowed values.

-- The environment this database belongs to: one row, written once, checked at every start-up.
CREATE TABLE environment_tag (
    id         INTEGER PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    tag        TEXT NOT NULL CHECK (tag IN ('backtest', 'dry_run', 'paper', 'live')),
    set_at_ns  INTEGER NOT NULL
) STRICT;

CREATE TRIGGER environment_tag_no_update BEFORE UPDATE ON environment_tag
BEGIN SELECT RAISE(ABORT, 'airlock: UPDATE on environment_tag is refused: the environment tag is set once'); END;
CREATE TRIGGER environment_tag_no_delete BEFORE DELETE ON environment_tag
BEGIN SELECT RAISE(ABORT, 'airlock: DELETE on environment_tag is refused: the environment tag is set once'); END;

CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    broker       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('simulated', 'paper', 'live')),
    created_ns   INTEGER NOT NULL,
    UNIQUE (broker, external_id)
) STRICT;

CREATE TABLE strategies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_ns  INTEGER NOT NULL
) STRICT;

-- A version is the SHA-256 of the strategy's name, its parameters and the binary's version.
CREATE TABLE strategy_versions (
    hash            TEXT PRIMARY KEY CHECK (length(hash) = 64),
    strategy_id     INTEGER NOT NULL REFERENCES strategies (id),
    params          TEXT NOT NULL,
    binary_version  TEXT NOT NULL,
    created_ns      INTEGER NOT NULL
) STRICT;

CREATE TABLE runs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    mode              TEXT NOT NULL CHECK (mode IN ('backtest', 'dry_run', 'paper', 'live')),
    state             TEXT NOT NULL CHECK (state IN ('running', 'completed', 'failed', 'interrupted')),
    strategy_version  TEXT NOT NULL REFERENCES strategy_versions (hash),
    binary_version    TEXT NOT NULL,
    account_id        INTEGER REFERENCES accounts (id),
    started_ns        INTEGER NOT NULL,
    ended_ns          INTEGER,
    detail            TEXT,
    CHECK ((state = 'running') = (ended_ns IS NULL))
) STRICT;
CREATE INDEX runs_state ON runs (state);

-- Orders are written ahead, in state pending_submit, before they leave the process.
CREATE TABLE orders (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id           INTEGER NOT NULL REFERENCES runs (id),
    client_order_id  TEXT NOT NULL UNIQUE CHECK (length(client_order_id) BETWEEN 1 AND 48),
    broker_order_id  TEXT,
    symbol           TEXT NOT NULL,
    side             TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    kind             TEXT NOT NULL CHECK (kind IN ('market', 'limit', 'stop', 'stop_limit')),
    time_in_force    TEXT NOT NULL CHECK (time_in_force IN ('day', 'gtc', 'ioc', 'fok')),
    quantity_e9      INTEGER NOT NULL CHECK (quantity_e9 > 0),
    limit_price_e9   INTEGER CHECK (limit_price_e9 > 0),
    stop_price_e9    INTEGER CHECK (stop_price_e9 > 0),
    state            TEXT NOT NULL CHECK (state IN ('pending_submit', 'new', 'accepted', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired')),
    filled_e9        INTEGER NOT NULL DEFAULT 0 CHECK (filled_e9 >= 0),
    created_ns       INTEGER NOT NULL,
    updated_ns       INTEGER NOT NULL
) STRICT;
CREATE INDEX orders_run ON orders (run_id);
CREATE INDEX orders_state ON orders (state);

-- Every state an order went through, in order.
CREATE TABLE order_states (
    order_id  INTEGER NOT NULL REFERENCES orders (id),
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    state     TEXT NOT NULL CHECK (state IN ('pending_submit', 'new', 'accepted', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired')),
    at_ns     INTEGER NOT NULL,
    reason    TEXT,
    PRIMARY KEY (order_id, seq)
) STRICT;

CREATE TABLE fills (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    broker_fill_id  TEXT NOT NULL,
    quantity_e9     INTEGER NOT NULL CHECK (quantity_e9 > 0),
    price_e9        INTEGER NOT NULL CHECK (price_e9 > 0),
    fee_e9          INTEGER NOT NULL CHECK (fee_e9 >= 0),
    at_ns           INTEGER NOT NULL,
    UNIQUE (order_id, broker_fill_id)
) STRICT;

CREATE TABLE position_snapshots (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id            INTEGER NOT NULL REFERENCES runs (id),
    symbol            TEXT NOT NULL,
    quantity_e9       INTEGER NOT NULL,
    average_price_e9  INTEGER NOT NULL CHECK (average_price_e9 >= 0),
    source            TEXT NOT NULL CHECK (source IN ('ours', 'broker')),
    at_ns             INTEGER NOT NULL
) STRICT;
CREATE INDEX position_snapshots_run ON position_snapshots (run_id, at_ns);

CREATE TABLE risk_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  INTEGER REFERENCES runs (id),
    kind    TEXT NOT NULL CHECK (kind IN ('rejection', 'transition')),
    rule    TEXT NOT NULL,
    detail  TEXT NOT NULL,
    at_ns   INTEGER NOT NULL
) STRICT;

CREATE TABLE signals (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    source           TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'rejected')),
    reason           TEXT,
    received_ns      INTEGER NOT NULL,
    UNIQUE (source, idempotency_key)
) STRICT;

CREATE TABLE promotions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    strategy_version  TEXT NOT NULL REFERENCES strategy_versions (hash),
    from_mode         TEXT NOT NULL CHECK (from_mode IN ('backtest', 'dry_run', 'paper')),
    to_mode           TEXT NOT NULL CHECK (to_mode IN ('dry_run', 'paper', 'live')),
    approved_by       TEXT NOT NULL,
    evidence          TEXT NOT NULL,
    at_ns             INTEGER NOT NULL
) STRICT;

-- Append-only: each row's hash is SHA-256 over the previous row's hash and this row's fields
-- (see airlock_store::audit). `airlock db verify-audit` recomputes the chain.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY CHECK (seq >= 1),
    at_ns      INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash       BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'airlock: UPDATE on audit_log is refused: the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'airlock: DELETE on audit_log is refused: the audit log is append-only'); END;

-- Candles imported with `airlock data import --to postgres`; a re-import of the same rows
-- changes nothing (primary key, and updates only when a value differs).
CREATE TABLE candles (
    symbol     TEXT NOT NULL,
    timeframe  TEXT NOT NULL,
    ts_ns      INTEGER NOT NULL,
    open_e9    INTEGER NOT NULL,
    high_e9    INTEGER NOT NULL,
    low_e9     INTEGER NOT NULL,
    close_e9   INTEGER NOT NULL,
    volume_e9  INTEGER NOT NULL,
    PRIMARY KEY (symbol, timeframe, ts_ns)
) STRICT;
