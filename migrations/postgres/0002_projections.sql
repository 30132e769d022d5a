-- Generations and their per-engagement projections (twin of
-- migrations/sqlite/0002_projections.sql). Applied migrations are never edited.
-- Unlike the log, these tables are derived data: rows are replaced as engagements re-fold.

-- One rule identity's projection over the log.
CREATE TABLE generations (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_name     TEXT   NOT NULL,                -- registry name (`correlated`)
    rule_identity TEXT   NOT NULL,                -- `correlated@1+3fa2c1`
    params        TEXT   NOT NULL,                -- canonical JSON object of k: v (kept as text)
    state         TEXT   NOT NULL CHECK (state IN ('building', 'ready', 'active', 'retired')),
    checkpoint    BIGINT NOT NULL DEFAULT 0,      -- last log position folded in
    created_at    BIGINT NOT NULL                 -- ms since the Unix epoch
);

-- At most one active generation.
CREATE UNIQUE INDEX generations_one_active ON generations (state) WHERE state = 'active';

CREATE TABLE projections (
    generation     BIGINT  NOT NULL REFERENCES generations (id),
    engagement_id  TEXT    COLLATE "C" NOT NULL, -- byte order, as in SQLite: stable cursors
    account_id     TEXT,
    started_at     BIGINT,                        -- ms since the Unix epoch
    ended_at       BIGINT,
    has_conference BOOLEAN NOT NULL,
    agents         TEXT    NOT NULL,              -- JSON array of user ids, sorted
    queues         TEXT    NOT NULL,              -- JSON array of queue ids, sorted
    doc            TEXT    NOT NULL,              -- canonical JSON, byte for byte (text, not jsonb)
    PRIMARY KEY (generation, engagement_id)
);

CREATE INDEX projections_started ON projections (generation, started_at, engagement_id);

CREATE TABLE projection_agents (
    generation    BIGINT NOT NULL,
    user_id       TEXT   NOT NULL,
    engagement_id TEXT   NOT NULL,
    PRIMARY KEY (generation, user_id, engagement_id)
);

CREATE INDEX projection_agents_engagement ON projection_agents (generation, engagement_id);

CREATE TABLE projection_queues (
    generation    BIGINT NOT NULL,
    queue_id      TEXT   NOT NULL,
    engagement_id TEXT   NOT NULL,
    PRIMARY KEY (generation, queue_id, engagement_id)
);

CREATE INDEX projection_queues_engagement ON projection_queues (generation, engagement_id);
