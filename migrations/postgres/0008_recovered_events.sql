-- 0008: twin of migrations/sqlite/0008_recovered_events.sql. Events recovered from Zoom's
-- webhook delivery logs (`zcc-ledger backfill`) are a source of their own ('backfill'), and
-- their delivery rows say where they were read from (`provenance`, JSON, NULL for the
-- receiver's own deliveries). Applied migrations are never edited.
--
-- The source CHECKs of 0001 are replaced (ADD CONSTRAINT reads each table once; no row is
-- rewritten, no hash changes). The append-only triggers do not fire on ALTER TABLE. 0001
-- declared the CHECKs unnamed, so they carry PostgreSQL's default names.

ALTER TABLE events DROP CONSTRAINT events_source_check;
ALTER TABLE events ADD CONSTRAINT events_source_check
    CHECK (source IN ('http', 'import', 'backfill'));

ALTER TABLE quarantine DROP CONSTRAINT quarantine_source_check;
ALTER TABLE quarantine ADD CONSTRAINT quarantine_source_check
    CHECK (source IN ('http', 'import', 'backfill'));

ALTER TABLE deliveries ADD COLUMN provenance JSONB;
