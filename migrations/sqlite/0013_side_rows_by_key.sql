-- 0013: a replaced projection document's agent and queue rows are deleted by primary key.
-- Twin of migrations/postgres/0013_side_rows_by_key.sql. Applied migrations are never edited.
--
-- The writer used to delete them by (generation, engagement_id), through these two indexes.
-- It now reads the old row's `agents` and `queues` lists first and deletes exactly those rows
-- through the tables' primary keys (generation, id, engagement_id), so the indexes only cost:
-- every document written inserted into both, at pages keyed by a random engagement id
-- (docs/BENCHMARKS.md, "Rebuild at the machine's speed").
DROP INDEX projection_agents_engagement;
DROP INDEX projection_queues_engagement;
