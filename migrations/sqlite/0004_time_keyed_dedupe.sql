-- 0004: the log's dedupe key is (dedupe_ts, body_sha256) instead of body_sha256 alone.
--
-- Why: a unique index keyed by a hash puts every new event on a random leaf, so each append
-- transaction rewrote about one index page per event (the largest share of the WAL after the
-- bodies themselves, and it grows with the log once the index outgrows the page cache).
--
-- The key's time is the envelope's `event_ts` (Zoom's send time of the event, an integer of
-- ms), read by SQLite itself from the stored bytes in a generated column: copies of one body
-- always have the same one, so (dedupe_ts, body_sha256) collides exactly where the hash alone
-- did, whatever a later build reads as the event's time (`event_time`, SPEC I7). Live traffic
-- arrives roughly in `event_ts` order, so inserts land on the rightmost leaves. A body without
-- an integer `event_ts` has 0 there: those are unique by hash within that one key.
--
-- SQLite cannot drop a table's UNIQUE constraint, so the table is rebuilt as SQLite documents
-- for schema changes (create, copy, drop, rename), every row copied as it is: positions,
-- bytes and chain hashes do not change. The runner turns foreign keys off around this file
-- (the delivery log refers to events) and checks them before it commits.

CREATE TABLE events_0004 (
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
    -- The dedupe key's time (see above); the writer's DEDUPE_TS_OF_BODY_PARAM is the same.
    dedupe_ts     INTEGER GENERATED ALWAYS AS (CASE WHEN json_valid(body) THEN CASE WHEN json_type(body, '$.event_ts') = 'integer' THEN json_extract(body, '$.event_ts') ELSE 0 END ELSE 0 END) VIRTUAL
) STRICT;

INSERT INTO events_0004 (position, received_at, event_type, event_time, account_id,
                         engagement_id, body, body_sha256, hash, source)
SELECT position, received_at, event_type, event_time, account_id, engagement_id, body,
       body_sha256, hash, source
FROM events ORDER BY position;

DROP TABLE events;
ALTER TABLE events_0004 RENAME TO events;

CREATE INDEX events_engagement ON events (engagement_id, position);
-- The dedupe key (SPEC I3: one event per body), in place of the UNIQUE on body_sha256.
CREATE UNIQUE INDEX events_dedupe ON events (dedupe_ts, body_sha256);
-- Queries by event time (the fold's time, SPEC I7), as before.
CREATE INDEX events_event_time ON events (event_time);

-- SPEC I1, as in 0001 (the triggers went with the old table).
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed'); END;
