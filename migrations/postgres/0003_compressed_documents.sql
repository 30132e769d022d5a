-- 0003: twin of migrations/sqlite/0003_compressed_documents.sql, which stores projection
-- documents compressed. PostgreSQL already compresses large text values itself (TOAST), so
-- `doc` stays the canonical JSON as text and nothing changes here.
SELECT 1;
