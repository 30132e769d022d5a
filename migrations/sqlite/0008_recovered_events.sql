-- 0008: events recovered from Zoom's webhook delivery logs (`zcc-ledger backfill`) are a source
-- of their own, and their delivery rows say where they were read from.
-- Applied migrations are never edited; see README.md.
--
-- Why: a body Zoom gave up delivering and the ledger later read from Zoom's logs was never
-- signature-checked; an auditor must be able to tell it from a signed delivery (`http`) and
-- from an operator's archive (`import`). The source is covered by the hash chain (format v2),
-- so it is stated when the entry is appended, never inferred later. The delivery row records
-- the attempt it was read from (Zoom's request_id, retry_num, date_time and the status Zoom
-- saw) as JSON in `provenance`, NULL for the receiver's own deliveries (docs/RECONCILE.md).
--
-- SQLite cannot change a CHECK constraint in place, so `events` and `quarantine` are rebuilt
-- as in 0005 (create, copy, drop, rename) with 'backfill' allowed. Every row is copied as it
-- is: positions, bytes, hashes, chain versions and dedupe keys do not change. The runner
-- turns foreign keys off around this file and checks them before it commits.
--
-- The source CHECK is written as equalities, not `IN (...)`: SQLite evaluates an IN list of
-- three constants through an ephemeral b-tree that it opens and closes for every row inserted,
-- which cost the import path about a sixth of its speed (docs/BENCHMARKS.md).

CREATE TABLE events_0008 (
    position      INTEGER PRIMARY KEY,
    received_at   INTEGER NOT NULL,               -- ms since the Unix epoch
    event_type    TEXT    NOT NULL,
    event_time    INTEGER NOT NULL,               -- ms since the Unix epoch (SPEC I7)
    account_id    TEXT,
    engagement_id TEXT,
    body          TEXT    NOT NULL,               -- the exact bytes received (UTF-8 JSON)
    body_sha256   BLOB    NOT NULL CHECK (length(body_sha256) = 32),  -- unique with dedupe_ts
    hash          BLOB    NOT NULL CHECK (length(hash) = 32),  -- chain hash
    source        TEXT    NOT NULL CHECK (source = 'http' OR source = 'import' OR source = 'backfill'),
    dedupe_ts     ANY     NOT NULL,               -- see 0005
    chain_version INTEGER NOT NULL DEFAULT 1 CHECK (chain_version IN (1, 2))  -- see 0006
) STRICT;

INSERT INTO events_0008 (position, received_at, event_type, event_time, account_id,
                         engagement_id, body, body_sha256, hash, source, dedupe_ts,
                         chain_version)
SELECT position, received_at, event_type, event_time, account_id, engagement_id, body,
       body_sha256, hash, source, dedupe_ts, chain_version
FROM events ORDER BY position;

DROP TABLE events;
ALTER TABLE events_0008 RENAME TO events;

CREATE INDEX events_engagement ON events (engagement_id, position);
CREATE UNIQUE INDEX events_dedupe ON events (dedupe_ts, body_sha256);
CREATE INDEX events_event_time ON events (event_time);

-- SPEC I1, as in 0001 (the triggers went with the old table).
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed'); END;

CREATE TABLE quarantine_0008 (
    id          INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,                 -- ms since the Unix epoch
    source      TEXT    NOT NULL CHECK (source = 'http' OR source = 'import' OR source = 'backfill'),
    origin      TEXT    NOT NULL,                 -- http, FILE:LINE for imports, webhook_logs:REQUEST_ID
    reason      TEXT    NOT NULL,
    body        BLOB    NOT NULL,                 -- the exact bytes, not necessarily UTF-8
    body_sha256 BLOB    NOT NULL CHECK (length(body_sha256) = 32)
) STRICT;

INSERT INTO quarantine_0008 (id, received_at, source, origin, reason, body, body_sha256)
SELECT id, received_at, source, origin, reason, body, body_sha256 FROM quarantine ORDER BY id;

DROP TABLE quarantine;
ALTER TABLE quarantine_0008 RENAME TO quarantine;

CREATE TRIGGER quarantine_no_update BEFORE UPDATE ON quarantine
BEGIN SELECT RAISE(ABORT, 'quarantine is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER quarantine_no_delete BEFORE DELETE ON quarantine
BEGIN SELECT RAISE(ABORT, 'quarantine is append-only: DELETE is not allowed'); END;

-- Adding a nullable column rewrites no row; ALTER TABLE is not an UPDATE, so the
-- append-only triggers of the delivery log are not affected.
ALTER TABLE deliveries ADD COLUMN provenance TEXT;  -- JSON object, NULL for HTTP deliveries
