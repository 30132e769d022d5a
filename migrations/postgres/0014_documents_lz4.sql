-- 0014: projection documents are compressed with lz4 rather than pglz when they are TOASTed.
-- Twin of migrations/sqlite/0014_documents_lz4.sql. Applied migrations are never edited.
--
-- A document is the canonical JSON of a call (~4 KB), past the 2 KB at which PostgreSQL
-- compresses a value, and the default method (pglz) was the largest single cost of writing
-- one: a rebuild's batch inserts ran markedly faster with lz4 (docs/BENCHMARKS.md, "Rebuild
-- at the machine's speed"). Only values written from now on use it; older ones stay readable
-- as they are. A server built without lz4 keeps pglz: the change is skipped with a notice.
DO $$
BEGIN
    ALTER TABLE projections ALTER COLUMN doc SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no lz4 compression; projection documents keep pglz';
END
$$;
