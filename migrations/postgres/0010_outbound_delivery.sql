-- 0010: twin of migrations/sqlite/0010_outbound_delivery.sql: outbound delivery of derived call
-- events as Standard Webhooks (docs/DELIVERY.md). Applied migrations are never edited.
--
-- Four tables, none of them under the hash chain or its immutability guards: they are the
-- delivery's working state, not evidence. See the SQLite file for what each holds. With the
-- hardened roles of docs/POSTGRES.md the application role needs SELECT, INSERT, UPDATE and
-- DELETE on them, and USAGE on their sequences.

CREATE TABLE subscriptions (
    id          BIGSERIAL PRIMARY KEY,
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    events      TEXT    NOT NULL,                 -- JSON list of type globs; [] = every type
    include_raw BOOLEAN NOT NULL,
    account_id  TEXT,                             -- NULL = every account
    state       TEXT    NOT NULL CHECK (state IN ('active', 'paused', 'disabled')),
    created_at  BIGINT  NOT NULL                  -- ms since the Unix epoch
);

CREATE TABLE publish_cursor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    generation   BIGINT,                          -- the generation last compared against
    position     BIGINT NOT NULL,                 -- the last log position compared
    rescan_after TEXT                             -- set while re-comparing after an activation
);

CREATE TABLE published_engagements (
    engagement_id TEXT   PRIMARY KEY,
    revision      BIGINT NOT NULL,
    facts         TEXT   NOT NULL                 -- JSON object: event_id -> {kind, digest}
);

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    subscription_id BIGINT  NOT NULL REFERENCES subscriptions (id),
    engagement_key  TEXT    NOT NULL,             -- '' for events of no engagement
    webhook_id      TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    body            TEXT    NOT NULL,             -- the exact body signed and sent
    created_at      BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_attempt_at BIGINT,
    last_status     TEXT,                         -- an HTTP status or what went wrong
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed'))
);

CREATE INDEX outbox_pending ON outbox (subscription_id, engagement_key, id) WHERE state = 'pending';
CREATE INDEX outbox_by_subscription ON outbox (subscription_id, id);
