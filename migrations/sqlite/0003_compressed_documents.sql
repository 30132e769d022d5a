-- 0003: projection documents are stored compressed (SPEC I4 holds on the decoded bytes).
-- Applied migrations are never edited; see README.md.
--
-- A document is ~3 KB of JSON, so it used to take a 4 KiB page of its own, and the writes of
-- a rebuild or of the live projector were mostly those pages. `doc` is now a BLOB in one of two
-- forms, told apart by the first byte (crates/zcc-store-sqlite/src/doc_codec.rs):
--   0x7B `{`  the canonical JSON itself (documents written before this migration);
--   0x01      LZ4 block, the JSON's length prepended as a little-endian u32.
-- SQLite cannot change a column's type in place: the table is copied, documents as they are.

CREATE TABLE projections_0003 (
    generation     INTEGER NOT NULL REFERENCES generations (id),
    engagement_id  TEXT    NOT NULL,
    account_id     TEXT,
    started_at     INTEGER,                       -- ms since the Unix epoch
    ended_at       INTEGER,
    has_conference INTEGER NOT NULL CHECK (has_conference IN (0, 1)),
    agents         TEXT    NOT NULL,              -- JSON array of user ids, sorted
    queues         TEXT    NOT NULL,              -- JSON array of queue ids, sorted
    doc            BLOB    NOT NULL,              -- the CallProjection's canonical JSON, encoded
    PRIMARY KEY (generation, engagement_id)
) STRICT;

INSERT INTO projections_0003
    SELECT generation, engagement_id, account_id, started_at, ended_at, has_conference,
           agents, queues, CAST(doc AS BLOB)
    FROM projections;

DROP TABLE projections;
ALTER TABLE projections_0003 RENAME TO projections;
CREATE INDEX projections_started ON projections (generation, started_at, engagement_id);
