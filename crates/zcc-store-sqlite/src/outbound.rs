//! [`OutboundStore`] for SQLite: subscriptions, the publishing cursor and published state, and
//! the outbox (`migrations/sqlite/0010_outbound_delivery.sql`, `docs/DELIVERY.md`).
//!
//! Reads use the read-only pool; writes run on the log's writer thread, each in one
//! `BEGIN IMMEDIATE` transaction between appends. Publishing and attempts commit without an
//! fsync of their own ([`Durability::Deferred`]): losing the last of them to a power cut only
//! sends a message again (publishing redoes the same revision; an attempt is repeated), which
//! at-least-once delivery allows. Subscription changes are `FULL`.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};
use zcc_store::outbound::{
    Attempt, AttemptOutcome, MessageState, NewMessage, NewSubscription, OutboundStore,
    OutboxMessage, OutboxStats, PublishCursor, PublishedEngagement, SigningSecret, Subscription,
    SubscriptionId, SubscriptionState,
};
use zcc_store::projection::GenerationId;
use zcc_store::{EngagementId, Position, StoreError};

use crate::SqliteLog;
use crate::error;
use crate::rows::{collect, query_all};
use crate::writer::Durability;

const SUBSCRIPTION_COLUMNS: &str =
    "id, url, secret, events, include_raw, account_id, state, created_at";
const MESSAGE_COLUMNS: &str = "o.id, o.subscription_id, o.engagement_key, o.webhook_id, \
     o.event_type, o.body, o.created_at, o.attempts, o.next_attempt_at, o.last_attempt_at, \
     o.last_status, o.state";

fn subscription_row(row: &Row<'_>) -> rusqlite::Result<Result<Subscription, String>> {
    let id: i64 = row.get(0)?;
    let events: String = row.get(3)?;
    let state: String = row.get(6)?;
    let events = match serde_json::from_str(&events) {
        Ok(e) => e,
        Err(e) => return Ok(Err(format!("subscription {id}: events {events:?}: {e}"))),
    };
    let Some(state) = SubscriptionState::parse(&state) else {
        return Ok(Err(format!(
            "subscription {id} has unknown state {state:?}"
        )));
    };
    Ok(Ok(Subscription {
        id: SubscriptionId(id),
        url: row.get(1)?,
        secret: SigningSecret::new(row.get::<_, String>(2)?),
        events,
        include_raw: row.get::<_, i64>(4)? != 0,
        account_id: row.get(5)?,
        state,
        created_at_ms: row.get(7)?,
    }))
}

fn message_row(row: &Row<'_>) -> rusqlite::Result<Result<OutboxMessage, String>> {
    let id: i64 = row.get(0)?;
    let state: String = row.get(11)?;
    let Some(state) = MessageState::parse(&state) else {
        return Ok(Err(format!(
            "outbox message {id} has unknown state {state:?}"
        )));
    };
    Ok(Ok(OutboxMessage {
        id,
        subscription: SubscriptionId(row.get(1)?),
        engagement_key: row.get(2)?,
        webhook_id: row.get(3)?,
        event_type: row.get(4)?,
        body: row.get(5)?,
        created_at_ms: row.get(6)?,
        attempts: row.get(7)?,
        next_attempt_ms: row.get(8)?,
        last_attempt_ms: row.get(9)?,
        last_status: row.get(10)?,
        state,
    }))
}

fn read_cursor(
    conn: &rusqlite::Connection,
    what: &str,
    path: &std::path::Path,
) -> Result<PublishCursor, StoreError> {
    let row = conn
        .query_row(
            "SELECT generation, position, rescan_after FROM publish_cursor WHERE id = 1",
            [],
            |r| {
                Ok(PublishCursor {
                    generation: r.get::<_, Option<i64>>(0)?.map(GenerationId),
                    position: Position(r.get(1)?),
                    rescan_after: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(error::at(what, path))?;
    Ok(row.unwrap_or_default())
}

#[async_trait]
impl OutboundStore for SqliteLog {
    async fn create_subscription(&self, new: NewSubscription) -> Result<Subscription, StoreError> {
        let events = serde_json::to_string(&new.events).expect("a list of strings serialises");
        self.writer
            .transaction(
                format!("adding a subscription for {}", new.url),
                Durability::Full,
                move |tx, path, what| {
                    let created_at_ms = zcc_store::ingest::now_ms();
                    tx.execute(
                        "INSERT INTO subscriptions (url, secret, events, include_raw, account_id, \
                         state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6)",
                        params![
                            new.url,
                            new.secret.expose(),
                            events,
                            i64::from(new.include_raw),
                            new.account_id,
                            created_at_ms
                        ],
                    )
                    .map_err(error::at(what, path))?;
                    Ok(Subscription {
                        id: SubscriptionId(tx.last_insert_rowid()),
                        url: new.url,
                        secret: new.secret,
                        events: new.events,
                        include_raw: new.include_raw,
                        account_id: new.account_id,
                        state: SubscriptionState::Active,
                        created_at_ms,
                    })
                },
            )
            .await
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.readers
            .run(|conn, path| {
                let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY id");
                query_all(
                    conn,
                    path,
                    "listing subscriptions",
                    &sql,
                    [],
                    subscription_row,
                )
            })
            .await
    }

    async fn subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        self.readers
            .run(move |conn, path| {
                let what = format!("reading subscription {id}");
                let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?1");
                let rows = query_all(conn, path, &what, &sql, [id.0], subscription_row)?;
                Ok(rows.into_iter().next())
            })
            .await
    }

    async fn set_subscription_state(
        &self,
        id: SubscriptionId,
        state: SubscriptionState,
    ) -> Result<bool, StoreError> {
        self.writer
            .transaction(
                format!("setting subscription {id} {}", state.as_str()),
                Durability::Full,
                move |tx, path, what| {
                    let n = tx
                        .execute(
                            "UPDATE subscriptions SET state = ?2 WHERE id = ?1",
                            params![id.0, state.as_str()],
                        )
                        .map_err(error::at(what, path))?;
                    Ok(n > 0)
                },
            )
            .await
    }

    async fn remove_subscription(&self, id: SubscriptionId) -> Result<bool, StoreError> {
        self.writer
            .transaction(
                format!("removing subscription {id}"),
                Durability::Full,
                move |tx, path, what| {
                    tx.execute("DELETE FROM outbox WHERE subscription_id = ?1", [id.0])
                        .map_err(error::at(what, path))?;
                    let n = tx
                        .execute("DELETE FROM subscriptions WHERE id = ?1", [id.0])
                        .map_err(error::at(what, path))?;
                    Ok(n > 0)
                },
            )
            .await
    }

    async fn publish_cursor(&self) -> Result<PublishCursor, StoreError> {
        self.readers
            .run(|conn, path| read_cursor(conn, "reading the publishing cursor", path))
            .await
    }

    async fn published(
        &self,
        engagement_ids: &[EngagementId],
    ) -> Result<Vec<PublishedEngagement>, StoreError> {
        let ids = engagement_ids.to_vec();
        self.readers
            .run(move |conn, path| {
                let what = format!("reading the published state of {} engagements", ids.len());
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT engagement_id, revision, facts FROM published_engagements \
                         WHERE engagement_id = ?1",
                    )
                    .map_err(error::at(&what, path))?;
                let mut out = Vec::new();
                for id in &ids {
                    let row = stmt
                        .query_row([id.as_str()], |r| {
                            Ok(PublishedEngagement {
                                engagement_id: EngagementId::from(r.get::<_, String>(0)?),
                                revision: r.get(1)?,
                                facts: r.get(2)?,
                            })
                        })
                        .optional()
                        .map_err(error::at(&what, path))?;
                    out.extend(row);
                }
                Ok(out)
            })
            .await
    }

    async fn publish(
        &self,
        expected: &PublishCursor,
        next: PublishCursor,
        engagements: Vec<PublishedEngagement>,
        messages: Vec<NewMessage>,
    ) -> Result<(), StoreError> {
        let expected = expected.clone();
        self.writer
            .transaction(
                format!(
                    "publishing up to position {} ({} engagements, {} messages)",
                    next.position,
                    engagements.len(),
                    messages.len()
                ),
                Durability::Deferred,
                move |tx, path, what| {
                    let stored = read_cursor(tx, what, path)?;
                    if stored != expected {
                        return Err(StoreError::Refused(format!(
                            "{what} ({}): the publishing cursor moved (another publisher?): \
                             expected {expected:?}, found {stored:?}",
                            path.display()
                        )));
                    }
                    write_publication(tx, &next, &engagements, &messages)
                        .map_err(error::at(what, path))
                },
            )
            .await
    }

    async fn due_messages(
        &self,
        subscription: SubscriptionId,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.readers
            .run(move |conn, path| {
                let what = format!("reading the due messages of subscription {subscription}");
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {MESSAGE_COLUMNS} FROM outbox o JOIN ( \
                           SELECT d.id FROM outbox d \
                           WHERE d.subscription_id = ?1 AND d.state = 'pending' \
                             AND d.next_attempt_at <= ?2 \
                             AND EXISTS (SELECT 1 FROM subscriptions s \
                                         WHERE s.id = ?1 AND s.state = 'active') \
                             AND NOT EXISTS (SELECT 1 FROM outbox p \
                                             WHERE p.subscription_id = ?1 \
                                               AND p.engagement_key = d.engagement_key \
                                               AND p.state = 'pending' AND p.id < d.id) \
                           ORDER BY d.id LIMIT ?3) due ON due.id = o.id \
                         ORDER BY o.id"
                    ))
                    .map_err(error::at(&what, path))?;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let rows = stmt
                    .query_map(params![subscription.0, now_ms, limit], message_row)
                    .map_err(error::at(&what, path))?;
                collect(rows, &what, path)
            })
            .await
    }

    async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        let Some(first) = attempts.first() else {
            return Ok(());
        };
        let label = match attempts.len() {
            1 => format!("recording an attempt at outbox message {}", first.message),
            n => format!(
                "recording {n} attempts (outbox messages {} and more)",
                first.message
            ),
        };
        let attempts = attempts.to_vec();
        self.writer
            .transaction(label, Durability::Deferred, move |tx, path, what| {
                write_attempts(tx, &attempts).map_err(error::at(what, path))
            })
            .await
    }

    async fn messages(
        &self,
        subscription: SubscriptionId,
        failed_only: bool,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        self.readers
            .run(move |conn, path| {
                let what = format!("listing the messages of subscription {subscription}");
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {MESSAGE_COLUMNS} FROM outbox o WHERE o.subscription_id = ?1 \
                         AND (?2 = 0 OR o.state = 'failed') ORDER BY o.id DESC LIMIT ?3"
                    ))
                    .map_err(error::at(&what, path))?;
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                let rows = stmt
                    .query_map(
                        params![subscription.0, i64::from(failed_only), limit],
                        message_row,
                    )
                    .map_err(error::at(&what, path))?;
                collect(rows, &what, path)
            })
            .await
    }

    async fn redeliver(
        &self,
        subscription: SubscriptionId,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        self.writer
            .transaction(
                format!("queueing the messages of subscription {subscription} again"),
                Durability::Full,
                move |tx, path, what| {
                    let n = tx
                        .execute(
                            "UPDATE outbox SET state = 'pending', attempts = 0, \
                             next_attempt_at = ?3 WHERE subscription_id = ?1 AND \
                             CASE WHEN ?2 IS NULL THEN state = 'failed' \
                                  ELSE state <> 'pending' AND created_at >= ?2 END",
                            params![subscription.0, since_ms, now_ms],
                        )
                        .map_err(error::at(what, path))?;
                    Ok(n as u64)
                },
            )
            .await
    }

    async fn outbox_stats(&self) -> Result<Vec<OutboxStats>, StoreError> {
        self.readers
            .run(|conn, path| {
                let what = "reading the outbox's statistics";
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT subscription_id, count(*), min(created_at) FROM outbox \
                         WHERE state = 'pending' GROUP BY subscription_id ORDER BY subscription_id",
                    )
                    .map_err(error::at(what, path))?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok(Ok(OutboxStats {
                            subscription: SubscriptionId(r.get(0)?),
                            pending: r.get(1)?,
                            oldest_pending_ms: r.get(2)?,
                        }))
                    })
                    .map_err(error::at(what, path))?;
                collect(rows, what, path)
            })
            .await
    }
}

/// The writes of one publication, after the cursor check.
fn write_publication(
    tx: &rusqlite::Transaction<'_>,
    next: &PublishCursor,
    engagements: &[PublishedEngagement],
    messages: &[NewMessage],
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO publish_cursor (id, generation, position, rescan_after) \
         VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, \
         position = excluded.position, rescan_after = excluded.rescan_after",
        params![
            next.generation.map(|g| g.0),
            next.position.0,
            next.rescan_after
        ],
    )?;
    let mut state = tx.prepare_cached(
        "INSERT INTO published_engagements (engagement_id, revision, facts) VALUES (?1, ?2, ?3) \
         ON CONFLICT (engagement_id) DO UPDATE SET revision = excluded.revision, \
         facts = excluded.facts",
    )?;
    for e in engagements {
        state.execute(params![e.engagement_id.as_str(), e.revision, e.facts])?;
    }
    let mut queue = tx.prepare_cached(
        "INSERT INTO outbox (subscription_id, engagement_key, webhook_id, event_type, body, \
         created_at, next_attempt_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 'pending')",
    )?;
    for m in messages {
        queue.execute(params![
            m.subscription.0,
            m.engagement_key,
            m.webhook_id,
            m.event_type,
            m.body,
            m.created_at_ms
        ])?;
    }
    Ok(())
}

/// The writes of recorded attempts: each message's next state; a 410 disables its subscription.
fn write_attempts(tx: &rusqlite::Transaction<'_>, attempts: &[Attempt]) -> rusqlite::Result<()> {
    let mut update = tx.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2, last_status = ?3, \
         state = ?4, next_attempt_at = coalesce(?5, next_attempt_at) WHERE id = ?1",
    )?;
    for attempt in attempts {
        let (state, next) = match attempt.outcome {
            AttemptOutcome::Delivered => ("delivered", None),
            AttemptOutcome::RetryAt(at) => ("pending", Some(at)),
            AttemptOutcome::Failed | AttemptOutcome::Gone => ("failed", None),
        };
        update.execute(params![
            attempt.message,
            attempt.at_ms,
            attempt.status,
            state,
            next
        ])?;
        if attempt.outcome == AttemptOutcome::Gone {
            tx.execute(
                "UPDATE subscriptions SET state = 'disabled' WHERE id = \
                 (SELECT subscription_id FROM outbox WHERE id = ?1)",
                [attempt.message],
            )?;
        }
    }
    Ok(())
}
