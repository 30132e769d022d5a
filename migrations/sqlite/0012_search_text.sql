-- 0012: the text a search's `q` matches, kept beside each projection document.
-- Twin of migrations/postgres/0012_search_text.sql. Applied migrations are never edited.
--
-- `search` holds lower-case lines: the engagement id, then the agents', supervisors' and
-- customer's names and the customer number's digits (crates/zcc-store/src/search.rs). It is
-- written with each document. Rows written before this migration have none (NULL): the server
-- computes it from their documents when it starts, in batches, through the partial index below,
-- which is empty once that is done.
ALTER TABLE projections ADD COLUMN search TEXT;
CREATE INDEX projections_unsearched ON projections (generation, engagement_id)
    WHERE search IS NULL;
