-- 0011: the delivery worker's read of due messages walks pending messages only (docs/DELIVERY.md).
-- Applied migrations are never edited; see README.md.
--
-- `due_messages` takes a subscription's pending messages in queue order, the first of each
-- engagement that is due. Over 0010's indexes its plan walked `outbox_by_subscription` from the
-- subscription's first message, stepping over every message already delivered, so each read
-- cost more as the outbox grew. This partial index holds the pending messages alone, in queue
-- order, with what the read tests (the engagement, the due time): a read walks it without
-- touching the table until it has its rows, whatever was delivered before.
CREATE INDEX outbox_due ON outbox (subscription_id, id, engagement_key, next_attempt_at)
    WHERE state = 'pending';
