-- 0005: the dedupe key's time (`dedupe_ts`, see 0004) is a stored column that the writer fills,
-- no longer a generated column that SQLite computes from the body.
--
-- Why: SQLite computes every generated column of a row on each INSERT, so the VIRTUAL column
-- of 0004 parsed each body's JSON inside the log's one writer: about a third of its insert time
-- (docs/BENCHMARKS.md). The value is the same as before, the envelope's `event_ts` when it is
-- an integer, else 0. The application reads it while it checks the envelope, where the body is
-- parsed anyway, and hands it over only when that reading is certain to agree with the
-- expression below (one top-level `event_ts`, not spelled with escapes, a plain 64-bit integer
-- or not a number at all); otherwise the writer has SQLite compute it with that same expression
-- (`dedupe_ts_of` in `crates/zcc-store-sqlite/src/writer.rs`). A copy of a body
-- stored before this migration therefore collides with it as before.
--
-- As in 0004 the table is rebuilt (create, copy, drop, rename) and every row is copied as it
-- is, with the value 0004 computed for it; positions, bytes and chain hashes do not change.
-- The runner turns foreign keys off around this file and checks them before it commits.

CREATE TABLE events_0005 (
    position      INTEGER PRIMARY KEY,
    received_at   INTEGER NOT NULL,               -- ms since the Unix epoch
    event_type    TEXT    NOT NULL,
    event_time    INTEGER NOT NULL,               -- ms since the Unix epoch (SPEC I7)
    account_id    TEXT,
    engagement_id TEXT,
    body          TEXT    NOT NULL,               -- the exact bytes received (UTF-8 JSON)
    body_sha256   BLOB    NOT NULL CHECK (length(body_sha256) = 32),  -- unique with dedupe_ts
    hash          BLOB    NOT NULL CHECK (length(hash) = 32),  -- chain hash
    source        TEXT    NOT NULL CHECK (source IN ('http', 'import')),
    -- The envelope's integer event_ts, else 0 (see above). ANY: SQLite's JSON reading of an
    -- integer literal beyond 64 bits is a real, and the copy keeps whatever 0004 computed.
    dedupe_ts     ANY     NOT NULL
) STRICT;

INSERT INTO events_0005 (position, received_at, event_type, event_time, account_id,
                         engagement_id, body, body_sha256, hash, source, dedupe_ts)
SELECT position, received_at, event_type, event_time, account_id, engagement_id, body,
       body_sha256, hash, source, dedupe_ts
FROM events ORDER BY position;

DROP TABLE events;
ALTER TABLE events_0005 RENAME TO events;

CREATE INDEX events_engagement ON events (engagement_id, position);
CREATE UNIQUE INDEX events_dedupe ON events (dedupe_ts, body_sha256);
CREATE INDEX events_event_time ON events (event_time);

-- SPEC I1, as in 0001 (the triggers went with the old table).
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed'); END;
