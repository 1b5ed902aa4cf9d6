-- The trading state (active, reducing, halted): every change appended, the last row is current.
-- PostgreSQL (or SQLite for local runs) is the source of truth; Redis only broadcasts it.
CREATE TABLE trading_state_changes (
    version  BIGSERIAL PRIMARY KEY,
    state    TEXT NOT NULL CHECK (state IN ('active', 'reducing', 'halted')),
    reason   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at_ns    BIGINT NOT NULL
);

CREATE TRIGGER trading_state_changes_append_only
    BEFORE UPDATE OR DELETE ON trading_state_changes
    FOR EACH ROW EXECUTE FUNCTION airlock_refuse_change('trading state changes are append-only');
