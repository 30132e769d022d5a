-- 0002: generations and their per-engagement projections (SPEC section 6).
-- Twin of migrations/postgres/0002_projections.sql. Applied migrations are never edited.
-- Unlike the log, these tables are derived data: rows are replaced as engagements re-fold.

-- One rule identity's projection over the log.
CREATE TABLE generations (
    id            INTEGER PRIMARY KEY,            -- 1, 2, 3, ... in creation order
    rule_name     TEXT    NOT NULL,               -- registry name (`correlated`)
    rule_identity TEXT    NOT NULL,               -- `correlated@1+3fa2c1`
    params        TEXT    NOT NULL,               -- canonical JSON object of k: v
    state         TEXT    NOT NULL CHECK (state IN ('building', 'ready', 'active', 'retired')),
    checkpoint    INTEGER NOT NULL DEFAULT 0,     -- last log position folded in
    created_at    INTEGER NOT NULL                -- ms since the Unix epoch
) STRICT;

-- At most one active generation.
CREATE UNIQUE INDEX generations_one_active ON generations (state) WHERE state = 'active';

-- One engagement's projection under one generation: the canonical document and the columns
-- queries filter on.
CREATE TABLE projections (
    generation     INTEGER NOT NULL REFERENCES generations (id),
    engagement_id  TEXT    NOT NULL,
    account_id     TEXT,
    started_at     INTEGER,                       -- ms since the Unix epoch
    ended_at       INTEGER,
    has_conference INTEGER NOT NULL CHECK (has_conference IN (0, 1)),
    agents         TEXT    NOT NULL,              -- JSON array of user ids, sorted
    queues         TEXT    NOT NULL,              -- JSON array of queue ids, sorted
    doc            TEXT    NOT NULL,              -- canonical JSON of the CallProjection
    PRIMARY KEY (generation, engagement_id)
) STRICT;

CREATE INDEX projections_started ON projections (generation, started_at, engagement_id);

-- Agent and queue search: one row per (generation, id, engagement), replaced with the document.
CREATE TABLE projection_agents (
    generation    INTEGER NOT NULL,
    user_id       TEXT    NOT NULL,
    engagement_id TEXT    NOT NULL,
    PRIMARY KEY (generation, user_id, engagement_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX projection_agents_engagement ON projection_agents (generation, engagement_id);

CREATE TABLE projection_queues (
    generation    INTEGER NOT NULL,
    queue_id      TEXT    NOT NULL,
    engagement_id TEXT    NOT NULL,
    PRIMARY KEY (generation, queue_id, engagement_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX projection_queues_engagement ON projection_queues (generation, engagement_id);
