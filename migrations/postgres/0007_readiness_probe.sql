-- 0007: twin of migrations/sqlite/0007_readiness_probe.sql. A one-row table that `/readyz`
-- writes to, to learn whether the database can take a write (a read-only server or session,
-- a full disk) without appending anything to the log. Applied migrations are never edited.
--
-- With the hardened roles of docs/POSTGRES.md the application role needs INSERT and UPDATE
-- on it, which the grant block there gives every table it is run on.

CREATE TABLE readiness_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at BIGINT  NOT NULL                    -- ms since the Unix epoch
);
