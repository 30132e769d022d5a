-- 0006: twin of migrations/sqlite/0006_chain_v2.sql. The hash chain covers every column of the
-- log (chain format v2), and each entry records the format its hash was computed in.
-- Applied migrations are never edited.
--
-- Entries appended before this migration keep their v1 hashes (rewriting them would break
-- every checkpoint an auditor holds) and get chain_version 1; the writer stores 2 for every
-- entry it appends from now on. A constant default rewrites no row (PostgreSQL 11 and later);
-- the CHECK reads the table once. The append-only triggers do not fire on ALTER TABLE.
-- A process of an older release still appending afterwards writes v1 entries (the default),
-- which verify checks as such.

ALTER TABLE events ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1
    CHECK (chain_version IN (1, 2));
