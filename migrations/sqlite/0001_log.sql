-- 0001: the event log, the delivery log and the quarantine (SPEC section 4).
-- Applied migrations are never edited; see README.md.

-- The log. position is the rowid: 1, 2, 3, ... assigned by the single writer, gapless.
CREATE TABLE events (
    position      INTEGER PRIMARY KEY,
    received_at   INTEGER NOT NULL,               -- ms since the Unix epoch
    event_type    TEXT    NOT NULL,
    event_time    INTEGER NOT NULL,               -- ms since the Unix epoch (SPEC I7)
    account_id    TEXT,
    engagement_id TEXT,
    body          TEXT    NOT NULL,               -- the exact bytes received (UTF-8 JSON)
    body_sha256   BLOB    NOT NULL UNIQUE CHECK (length(body_sha256) = 32),
    hash          BLOB    NOT NULL CHECK (length(hash) = 32),  -- chain hash
    source        TEXT    NOT NULL CHECK (source IN ('http', 'import'))
) STRICT;

CREATE INDEX events_engagement ON events (engagement_id, position);
CREATE INDEX events_event_time ON events (event_time);

-- Every HTTP delivery, duplicates and refusals included (SPEC I3).
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,                 -- ms since the Unix epoch
    outcome     TEXT    NOT NULL,                 -- stored, duplicate, url_validation, ...
    status      INTEGER NOT NULL,                 -- the HTTP status answered
    position    INTEGER REFERENCES events (position),
    body_sha256 BLOB CHECK (body_sha256 IS NULL OR length(body_sha256) = 32),
    event_type  TEXT,
    reason      TEXT,
    headers     TEXT    NOT NULL DEFAULT '[]'     -- JSON array of [name, value], allow-listed only
) STRICT;

-- Bodies that are not webhook envelopes, kept byte for byte with the reason.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,                 -- ms since the Unix epoch
    source      TEXT    NOT NULL CHECK (source IN ('http', 'import')),
    origin      TEXT    NOT NULL,                 -- http, or FILE:LINE for imports
    reason      TEXT    NOT NULL,
    body        BLOB    NOT NULL,                 -- the exact bytes, not necessarily UTF-8
    body_sha256 BLOB    NOT NULL CHECK (length(body_sha256) = 32)
) STRICT;

-- SPEC I1: the database itself refuses UPDATE and DELETE on all three.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed'); END;

CREATE TRIGGER deliveries_no_update BEFORE UPDATE ON deliveries
BEGIN SELECT RAISE(ABORT, 'deliveries is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER deliveries_no_delete BEFORE DELETE ON deliveries
BEGIN SELECT RAISE(ABORT, 'deliveries is append-only: DELETE is not allowed'); END;

CREATE TRIGGER quarantine_no_update BEFORE UPDATE ON quarantine
BEGIN SELECT RAISE(ABORT, 'quarantine is append-only: UPDATE is not allowed'); END;
CREATE TRIGGER quarantine_no_delete BEFORE DELETE ON quarantine
BEGIN SELECT RAISE(ABORT, 'quarantine is append-only: DELETE is not allowed'); END;
