-- 0007: a one-row table that `/readyz` writes to, to learn whether the database can take a
-- write (a full disk, a read-only file system) without appending anything to the log.
-- Applied migrations are never edited; see README.md.
--
-- The row is overwritten at most about once a second, and only when no append has shown
-- the answer within that second (crates/zcc-store-sqlite/src/writer.rs, `ready`). It is not
-- part of the log: no guard, nothing refers to it.

CREATE TABLE readiness_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL                    -- ms since the Unix epoch
) STRICT;
