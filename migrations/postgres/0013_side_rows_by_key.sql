-- 0013: twin of migrations/sqlite/0013_side_rows_by_key.sql, which drops the side tables'
-- (generation, engagement_id) indexes once SQLite deletes a replaced document's side rows by
-- primary key. PostgreSQL deletes a whole batch's side rows in one statement by engagement
-- (`engagement_id = ANY(...)`), which needs those indexes, so nothing changes here.
SELECT 1;
