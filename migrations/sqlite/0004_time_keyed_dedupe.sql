-- 0004: the log's dedupe key is (event_time, body_sha256) instead of body_sha256 alone.
--
-- Why: a unique index keyed by a hash puts every new event on a random leaf, so each append
-- transaction rewrote about one index page per event (the largest share of the WAL after the
-- bodies themselves, and it grows with the log once the index outgrows the page cache). Event
-- time is read from the body, so copies of one body always carry the same event time: keyed
-- by (event_time, body_sha256), the same copies collide, and live traffic, which arrives
-- roughly in event-time order, lands on the few rightmost leaves. The index also serves every
-- query by event time, so it replaces events_event_time.
--
-- A body with no time field of its own takes its arrival time as event time (SPEC I7), which
-- differs between its copies: those rows (event_time = received_at) are also kept unique by
-- body hash alone, in a partial index that holds only them.
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
    body_sha256   BLOB    NOT NULL CHECK (length(body_sha256) = 32),  -- unique: see below
    hash          BLOB    NOT NULL CHECK (length(hash) = 32),  -- chain hash
    source        TEXT    NOT NULL CHECK (source IN ('http', 'import'))
) STRICT;

INSERT INTO events_0004 (position, received_at, event_type, event_time, account_id,
                         engagement_id, body, body_sha256, hash, source)
SELECT position, received_at, event_type, event_time, account_id, engagement_id, body,
       body_sha256, hash, source
FROM events ORDER BY position;

DROP TABLE events;
ALTER TABLE events_0004 RENAME TO events;

CREATE INDEX events_engagement ON events (engagement_id, position);
-- The dedupe key, and the index of every query by event time.
CREATE UNIQUE INDEX events_dedupe ON events (event_time, body_sha256);
-- Bodies without a time of their own: unique by hash alone.
CREATE UNIQUE INDEX events_dedupe_untimed ON events (body_sha256) WHERE event_time = received_at;

-- SPEC I1, as in 0001 (the triggers went with the old table).
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed'); END;
