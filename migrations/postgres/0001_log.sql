-- The log, the delivery log and the quarantine (twin of migrations/sqlite/0001_log.sql).
-- Applied migrations are never edited: change the schema with a new numbered file, using the
-- same number as its SQLite twin.

-- The append-only, hash-chained event log. `position` is assigned by the writer while it holds
-- the append lock (a transaction-scoped advisory lock, see docs/POSTGRES.md): no sequence, so
-- no gaps, and commit order equals position order.
CREATE TABLE events (
    position      BIGINT PRIMARY KEY CHECK (position > 0),
    received_at   BIGINT NOT NULL,                -- ms since the Unix epoch
    event_type    TEXT   NOT NULL,
    event_time    BIGINT NOT NULL,                -- ms since the Unix epoch (SPEC I7)
    account_id    TEXT,
    engagement_id TEXT,
    body          TEXT   NOT NULL,                -- the exact bytes received (text, not jsonb)
    body_sha256   BYTEA  NOT NULL UNIQUE CHECK (octet_length(body_sha256) = 32),
    hash          BYTEA  NOT NULL CHECK (octet_length(hash) = 32),
    source        TEXT   NOT NULL CHECK (source IN ('http', 'import'))
);
CREATE INDEX events_engagement ON events (engagement_id, position);
CREATE INDEX events_event_time ON events (event_time);

-- Every HTTP delivery, duplicates and refusals included (SPEC I3).
CREATE TABLE deliveries (
    id          BIGSERIAL PRIMARY KEY,
    received_at BIGINT  NOT NULL,                 -- ms since the Unix epoch
    outcome     TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    position    BIGINT,
    body_sha256 BYTEA,
    event_type  TEXT,
    reason      TEXT,
    headers     JSONB   NOT NULL DEFAULT '[]'     -- allow-listed headers: [[name, value], ...]
);
CREATE INDEX deliveries_received_at ON deliveries (received_at);

-- Bodies that are not webhook envelopes, kept byte for byte with the reason.
CREATE TABLE quarantine (
    id          BIGSERIAL PRIMARY KEY,
    received_at BIGINT NOT NULL,                  -- ms since the Unix epoch
    source      TEXT   NOT NULL CHECK (source IN ('http', 'import')),
    origin      TEXT   NOT NULL,                  -- `http`, or `FILE:LINE` for imports
    reason      TEXT   NOT NULL,
    body        BYTEA  NOT NULL,
    body_sha256 BYTEA  NOT NULL CHECK (octet_length(body_sha256) = 32)
);

-- Immutability (SPEC I1): the database itself refuses UPDATE, DELETE and TRUNCATE.
-- Row triggers do not fire on TRUNCATE, hence the statement triggers. ENABLE ALWAYS makes them
-- fire under `session_replication_role = replica` too. `PostgresLog::missing_guards` checks
-- that all six exist and are enabled this way.
CREATE FUNCTION zcc_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION zcc_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION zcc_refuse_change();
CREATE TRIGGER deliveries_append_only BEFORE UPDATE OR DELETE ON deliveries
    FOR EACH ROW EXECUTE FUNCTION zcc_refuse_change();
CREATE TRIGGER deliveries_no_truncate BEFORE TRUNCATE ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION zcc_refuse_change();
CREATE TRIGGER quarantine_append_only BEFORE UPDATE OR DELETE ON quarantine
    FOR EACH ROW EXECUTE FUNCTION zcc_refuse_change();
CREATE TRIGGER quarantine_no_truncate BEFORE TRUNCATE ON quarantine
    FOR EACH STATEMENT EXECUTE FUNCTION zcc_refuse_change();

ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only;
ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_truncate;
ALTER TABLE deliveries ENABLE ALWAYS TRIGGER deliveries_append_only;
ALTER TABLE deliveries ENABLE ALWAYS TRIGGER deliveries_no_truncate;
ALTER TABLE quarantine ENABLE ALWAYS TRIGGER quarantine_append_only;
ALTER TABLE quarantine ENABLE ALWAYS TRIGGER quarantine_no_truncate;
