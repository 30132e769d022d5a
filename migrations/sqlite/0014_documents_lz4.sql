-- 0014: twin of migrations/postgres/0014_documents_lz4.sql, which has PostgreSQL compress
-- projection documents with lz4. SQLite stores them compressed by the application already
-- (lz4, `doc_codec`), so nothing changes here.
SELECT 1;
