-- 0006: the hash chain covers every column of the log (chain format v2), and each entry
-- records the format its hash was computed in.
-- Applied migrations are never edited; see README.md.
--
-- Why: the v1 chain, SHA-256(hash(n-1) || be64(n) || SHA-256(body(n))), proves the body but
-- not the columns stored beside it: with the triggers dropped, received_at or source could be
-- changed and verify still said OK. Chain v2 (crates/zcc-store/src/chain.rs,
-- docs/ARCHITECTURE.md) also covers received_at, event_time, source, event_type, account_id
-- and engagement_id. Entries appended before this migration keep their v1 hashes (rewriting
-- them would break every checkpoint an auditor holds): they get chain_version 1 here, and
-- verify checks them in format v1. The writer stores 2 for every entry it appends from now on.
--
-- Adding a column with a constant default rewrites no row: the log keeps its bytes, positions
-- and hashes. The append-only triggers are not affected (ALTER TABLE is not an UPDATE). A
-- process of an older release that still has the file open and appends writes v1 entries
-- (the default), which verify checks as such.

ALTER TABLE events ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1
    CHECK (chain_version IN (1, 2));
