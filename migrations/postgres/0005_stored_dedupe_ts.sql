-- 0005: twin of migrations/sqlite/0005_stored_dedupe_ts.sql, which makes the SQLite log's
-- dedupe_ts (0004) a stored column filled by the writer instead of a generated column
-- computed from each body's JSON at insert. PostgreSQL keeps its unique index on body_sha256:
-- nothing changes here.
SELECT 1;
