-- 0004: twin of migrations/sqlite/0004_time_keyed_dedupe.sql, which keys the SQLite log's
-- dedupe index by (the envelope's event_ts, body_sha256) so that appends stop rewriting a
-- random index leaf per event. PostgreSQL keeps its unique index on body_sha256 for now:
-- nothing changes here.
SELECT 1;
