-- The trading state (active, reducing, halted): every change appended, the last row is current.
-- PostgreSQL (or SQLite for local runs) is the source of truth; Redis only broadcasts it.
CREATE TABLE trading_state_changes (
    version  INTEGER PRIMARY KEY AUTOINCREMENT,
    state    TEXT NOT NULL CHECK (state IN ('active', 'reducing', 'halted')),
    reason   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at_ns    INTEGER NOT NULL
) STRICT;

CREATE TRIGGER trading_state_changes_no_update BEFORE UPDATE ON trading_state_changes
BEGIN SELECT RAISE(ABORT, 'airlock: UPDATE on trading_state_changes is refused: trading state changes are append-only'); END;
CREATE TRIGGER trading_state_changes_no_delete BEFORE DELETE ON trading_state_changes
BEGIN SELECT RAISE(ABORT, 'airlock: DELETE on trading_state_changes is refused: trading state changes are append-only'); END;
