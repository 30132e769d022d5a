-- 0010: outbound delivery of derived call events as Standard Webhooks (docs/DELIVERY.md).
-- Applied migrations are never edited; see README.md.
--
-- Four tables, none of them under the hash chain or its immutability guards: they are the
-- delivery's working state, not evidence. `subscriptions` holds each endpoint with its signing
-- secret (stored: the server signs with it; shown once, at creation). `publish_cursor` is the
-- one row that says how far publishing has compared the log with what subscribers were told,
-- so a restart resumes there. `published_engagements` is what subscribers were told per
-- engagement: its revision and its facts by event_id (JSON written by zcc-deliver).
-- `outbox` is every queued message per subscription, with its attempts; messages of one
-- (subscription, engagement_key) are delivered in id order.

CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY,
    url         TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    events      TEXT    NOT NULL,                 -- JSON list of type globs; [] = every type
    include_raw INTEGER NOT NULL CHECK (include_raw = 0 OR include_raw = 1),
    account_id  TEXT,                             -- NULL = every account
    state       TEXT    NOT NULL CHECK (state = 'active' OR state = 'paused' OR state = 'disabled'),
    created_at  INTEGER NOT NULL                  -- ms since the Unix epoch
) STRICT;

CREATE TABLE publish_cursor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    generation   INTEGER,                         -- the generation last compared against
    position     INTEGER NOT NULL,                -- the last log position compared
    rescan_after TEXT                             -- set while re-comparing after an activation
) STRICT;

CREATE TABLE published_engagements (
    engagement_id TEXT    PRIMARY KEY,
    revision      INTEGER NOT NULL,
    facts         TEXT    NOT NULL                -- JSON object: event_id -> {kind, digest}
) STRICT;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    engagement_key  TEXT    NOT NULL,             -- '' for events of no engagement
    webhook_id      TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    body            TEXT    NOT NULL,             -- the exact body signed and sent
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_status     TEXT,                         -- an HTTP status or what went wrong
    state           TEXT    NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed')
) STRICT;

-- The head of each engagement's queue, and the due messages, per subscription.
CREATE INDEX outbox_pending ON outbox (subscription_id, engagement_key, id) WHERE state = 'pending';
-- A subscription's messages, newest first (`subscriptions deliveries`), and redelivery.
CREATE INDEX outbox_by_subscription ON outbox (subscription_id, id);
