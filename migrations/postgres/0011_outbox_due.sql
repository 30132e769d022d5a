-- 0011: twin of migrations/sqlite/0011_outbox_due.sql: the delivery worker's read of due
-- messages walks pending messages only (docs/DELIVERY.md). Applied migrations are never edited.
--
-- `due_messages` takes a subscription's pending messages in queue order, the first of each
-- engagement that is due. Over 0010's indexes the planner walked the primary key in id order
-- while pending messages were a large share of the outbox, stepping over every delivered one
-- before them. This partial index holds the pending messages alone, in queue order, with what
-- the read tests (the engagement, the due time) carried along, so the planner prefers its
-- index-only walk, which visits about as many entries as the read returns.
CREATE INDEX outbox_due ON outbox (subscription_id, id) INCLUDE (engagement_key, next_attempt_at)
    WHERE state = 'pending';
