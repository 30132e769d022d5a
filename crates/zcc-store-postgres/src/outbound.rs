//! [`OutboundStore`] for PostgreSQL: subscriptions, the publishing cursor and published state,
//! and the outbox (`migrations/postgres/0010_outbound_delivery.sql`, `docs/DELIVERY.md`).
//!
//! A publication is one transaction: the cursor row is locked (`FOR UPDATE`) and compared with
//! what the publisher read, so two publishers cannot both move it; the published state and the
//! messages are written from `UNNEST`ed arrays, a few statements whatever their number.

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use zcc_store::outbound::{
    Attempt, AttemptOutcome, MessageState, NewMessage, NewSubscription, OutboundStore,
    OutboxMessage, OutboxStats, PublishCursor, PublishedEngagement, SigningSecret, Subscription,
    SubscriptionId, SubscriptionState,
};
use zcc_store::projection::GenerationId;
use zcc_store::{EngagementId, Position, StoreError};

use crate::PostgresLog;
use crate::error::map_sqlx;

/// Pending messages read per step of `due_messages`' walk.
const DUE_WALK_PAGE: i64 = 512;

/// `SELECT <every column of subscriptions> FROM subscriptions <tail>`.
macro_rules! select_subscriptions {
    ($tail:literal) => {
        concat!(
            "SELECT id, url, secret, events, include_raw, account_id, state, created_at \
             FROM subscriptions ",
            $tail
        )
    };
}

/// `SELECT <every column of outbox o> FROM outbox o <tail>`.
macro_rules! select_messages {
    ($tail:literal) => {
        concat!(
            "SELECT o.id, o.subscription_id, o.engagement_key, o.webhook_id, o.event_type, \
             o.body, o.created_at, o.attempts, o.next_attempt_at, o.last_attempt_at, \
             o.last_status, o.state FROM outbox o ",
            $tail
        )
    };
}

fn subscription_row(row: &PgRow, what: &str) -> Result<Subscription, StoreError> {
    let err = |e| map_sqlx(what, e);
    let id: i64 = row.try_get("id").map_err(err)?;
    let events: String = row.try_get("events").map_err(err)?;
    let state: String = row.try_get("state").map_err(err)?;
    let events = serde_json::from_str(&events).map_err(|e| {
        StoreError::Other(format!("{what}: subscription {id}: events {events:?}: {e}"))
    })?;
    let state = SubscriptionState::parse(&state).ok_or_else(|| {
        StoreError::Other(format!(
            "{what}: subscription {id} has unknown state {state:?}"
        ))
    })?;
    Ok(Subscription {
        id: SubscriptionId(id),
        url: row.try_get("url").map_err(err)?,
        secret: SigningSecret::new(row.try_get::<String, _>("secret").map_err(err)?),
        events,
        include_raw: row.try_get("include_raw").map_err(err)?,
        account_id: row.try_get("account_id").map_err(err)?,
        state,
        created_at_ms: row.try_get("created_at").map_err(err)?,
    })
}

fn message_row(row: &PgRow, what: &str) -> Result<OutboxMessage, StoreError> {
    let err = |e| map_sqlx(what, e);
    let id: i64 = row.try_get("id").map_err(err)?;
    let state: String = row.try_get("state").map_err(err)?;
    let state = MessageState::parse(&state).ok_or_else(|| {
        StoreError::Other(format!(
            "{what}: outbox message {id} has unknown state {state:?}"
        ))
    })?;
    Ok(OutboxMessage {
        id,
        subscription: SubscriptionId(row.try_get("subscription_id").map_err(err)?),
        engagement_key: row.try_get("engagement_key").map_err(err)?,
        webhook_id: row.try_get("webhook_id").map_err(err)?,
        event_type: row.try_get("event_type").map_err(err)?,
        body: row.try_get("body").map_err(err)?,
        created_at_ms: row.try_get("created_at").map_err(err)?,
        attempts: row.try_get("attempts").map_err(err)?,
        next_attempt_ms: row.try_get("next_attempt_at").map_err(err)?,
        last_attempt_ms: row.try_get("last_attempt_at").map_err(err)?,
        last_status: row.try_get("last_status").map_err(err)?,
        state,
    })
}

fn cursor_row(row: Option<&PgRow>, what: &str) -> Result<PublishCursor, StoreError> {
    let Some(row) = row else {
        return Ok(PublishCursor::default());
    };
    let err = |e| map_sqlx(what, e);
    Ok(PublishCursor {
        generation: row
            .try_get::<Option<i64>, _>("generation")
            .map_err(err)?
            .map(GenerationId),
        position: Position(row.try_get("position").map_err(err)?),
        rescan_after: row.try_get("rescan_after").map_err(err)?,
    })
}

#[async_trait]
impl OutboundStore for PostgresLog {
    async fn create_subscription(&self, new: NewSubscription) -> Result<Subscription, StoreError> {
        let what = format!("adding a subscription for {}", new.url);
        let events = serde_json::to_string(&new.events).expect("a list of strings serialises");
        let created_at_ms = zcc_store::ingest::now_ms();
        let row = sqlx::query(
            "INSERT INTO subscriptions (url, secret, events, include_raw, account_id, state, \
             created_at) VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id",
        )
        .bind(&new.url)
        .bind(new.secret.expose())
        .bind(events)
        .bind(new.include_raw)
        .bind(&new.account_id)
        .bind(created_at_ms)
        .fetch_one(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        let id: i64 = row.try_get("id").map_err(|e| map_sqlx(&what, e))?;
        Ok(Subscription {
            id: SubscriptionId(id),
            url: new.url,
            secret: new.secret,
            events: new.events,
            include_raw: new.include_raw,
            account_id: new.account_id,
            state: SubscriptionState::Active,
            created_at_ms,
        })
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let what = "listing subscriptions";
        let rows = sqlx::query(select_subscriptions!("ORDER BY id"))
            .fetch_all(self.pool())
            .await
            .map_err(|e| map_sqlx(what, e))?;
        rows.iter().map(|r| subscription_row(r, what)).collect()
    }

    async fn subscription(&self, id: SubscriptionId) -> Result<Option<Subscription>, StoreError> {
        let what = format!("reading subscription {id}");
        let row = sqlx::query(select_subscriptions!("WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await
            .map_err(|e| map_sqlx(&what, e))?;
        row.map(|r| subscription_row(&r, &what)).transpose()
    }

    async fn set_subscription_state(
        &self,
        id: SubscriptionId,
        state: SubscriptionState,
    ) -> Result<bool, StoreError> {
        let what = format!("setting subscription {id} {}", state.as_str());
        let done = sqlx::query("UPDATE subscriptions SET state = $2 WHERE id = $1")
            .bind(id.0)
            .bind(state.as_str())
            .execute(self.pool())
            .await
            .map_err(|e| map_sqlx(&what, e))?;
        Ok(done.rows_affected() > 0)
    }

    async fn remove_subscription(&self, id: SubscriptionId) -> Result<bool, StoreError> {
        let what = format!("removing subscription {id}");
        let err = |e| map_sqlx(&what, e);
        let mut tx = self.pool().begin().await.map_err(err)?;
        sqlx::query("DELETE FROM outbox WHERE subscription_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn publish_cursor(&self) -> Result<PublishCursor, StoreError> {
        let what = "reading the publishing cursor";
        let row = sqlx::query(
            "SELECT generation, position, rescan_after FROM publish_cursor WHERE id = 1",
        )
        .fetch_optional(self.pool())
        .await
        .map_err(|e| map_sqlx(what, e))?;
        cursor_row(row.as_ref(), what)
    }

    async fn published(
        &self,
        engagement_ids: &[EngagementId],
    ) -> Result<Vec<PublishedEngagement>, StoreError> {
        let what = format!(
            "reading the published state of {} engagements",
            engagement_ids.len()
        );
        let err = |e| map_sqlx(&what, e);
        let rows = sqlx::query(
            "SELECT engagement_id, revision, facts FROM published_engagements \
             WHERE engagement_id = ANY($1)",
        )
        .bind(
            engagement_ids
                .iter()
                .map(EngagementId::as_str)
                .collect::<Vec<_>>(),
        )
        .fetch_all(self.pool())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(PublishedEngagement {
                    engagement_id: EngagementId::from(
                        r.try_get::<String, _>("engagement_id").map_err(err)?,
                    ),
                    revision: r.try_get("revision").map_err(err)?,
                    facts: r.try_get("facts").map_err(err)?,
                })
            })
            .collect()
    }

    async fn publish(
        &self,
        expected: &PublishCursor,
        next: PublishCursor,
        engagements: Vec<PublishedEngagement>,
        messages: Vec<NewMessage>,
    ) -> Result<(), StoreError> {
        let what = format!(
            "publishing up to position {} ({} engagements, {} messages)",
            next.position,
            engagements.len(),
            messages.len()
        );
        let err = |e| map_sqlx(&what, e);
        let mut tx = self.pool().begin().await.map_err(err)?;
        sqlx::query(
            "INSERT INTO publish_cursor (id, generation, position, rescan_after) \
             VALUES (1, NULL, 0, NULL) ON CONFLICT (id) DO NOTHING",
        )
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        let row = sqlx::query(
            "SELECT generation, position, rescan_after FROM publish_cursor WHERE id = 1 \
             FOR UPDATE",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(err)?;
        let stored = cursor_row(row.as_ref(), &what)?;
        if &stored != expected {
            return Err(StoreError::Refused(format!(
                "{what}: the publishing cursor moved (another publisher?): expected \
                 {expected:?}, found {stored:?}"
            )));
        }
        sqlx::query(
            "UPDATE publish_cursor SET generation = $1, position = $2, rescan_after = $3 \
             WHERE id = 1",
        )
        .bind(next.generation.map(|g| g.0))
        .bind(next.position.0)
        .bind(&next.rescan_after)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        write_states(&mut tx, &engagements).await.map_err(err)?;
        write_messages(&mut tx, &messages).await.map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn due_messages(
        &self,
        subscription: SubscriptionId,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let what = format!("reading the due messages of subscription {subscription}");
        let err = |e| map_sqlx(&what, e);
        // The pending messages are walked in queue order, a page at a time, in one snapshot:
        // the first message seen of an engagement is its head. Done here rather than as one
        // statement because the planner, without statistics on a freshly filled outbox, chose
        // a plan that scanned every pending message for each candidate (seconds per read).
        let mut tx = self.pool().begin().await.map_err(err)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        let active: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE id = $1 AND state = 'active')",
        )
        .bind(subscription.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(err)?;
        let mut heads: HashSet<String> = HashSet::new();
        let mut chosen: Vec<i64> = Vec::new();
        let mut after = 0_i64;
        while active && chosen.len() < limit {
            let page: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT id, engagement_key, next_attempt_at FROM outbox \
                 WHERE subscription_id = $1 AND state = 'pending' AND id > $2 \
                 ORDER BY id LIMIT $3",
            )
            .bind(subscription.0)
            .bind(after)
            .bind(DUE_WALK_PAGE)
            .fetch_all(&mut *tx)
            .await
            .map_err(err)?;
            let last_page = page.len() < DUE_WALK_PAGE as usize;
            for (id, engagement, next_attempt_ms) in page {
                after = id;
                if heads.insert(engagement) && next_attempt_ms <= now_ms {
                    chosen.push(id);
                    if chosen.len() == limit {
                        break;
                    }
                }
            }
            if last_page {
                break;
            }
        }
        let rows = sqlx::query(select_messages!("WHERE o.id = ANY($1) ORDER BY o.id"))
            .bind(&chosen)
            .fetch_all(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        rows.iter().map(|r| message_row(r, &what)).collect()
    }

    async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        let Some(first) = attempts.first() else {
            return Ok(());
        };
        let what = match attempts.len() {
            1 => format!("recording an attempt at outbox message {}", first.message),
            n => format!(
                "recording {n} attempts (outbox messages {} and more)",
                first.message
            ),
        };
        let err = |e| map_sqlx(&what, e);
        let mut ids = Vec::with_capacity(attempts.len());
        let mut at = Vec::with_capacity(attempts.len());
        let mut statuses = Vec::with_capacity(attempts.len());
        let mut states = Vec::with_capacity(attempts.len());
        let mut next: Vec<Option<i64>> = Vec::with_capacity(attempts.len());
        let mut gone = Vec::new();
        for a in attempts {
            let (state, retry) = match a.outcome {
                AttemptOutcome::Delivered => ("delivered", None),
                AttemptOutcome::RetryAt(t) => ("pending", Some(t)),
                AttemptOutcome::Failed | AttemptOutcome::Gone => ("failed", None),
            };
            ids.push(a.message);
            at.push(a.at_ms);
            statuses.push(a.status.clone());
            states.push(state);
            next.push(retry);
            if a.outcome == AttemptOutcome::Gone {
                gone.push(a.message);
            }
        }
        let mut tx = self.pool().begin().await.map_err(err)?;
        // One statement for the batch: the attempts as arrays, joined by message id.
        sqlx::query(
            "UPDATE outbox o SET attempts = o.attempts + 1, last_attempt_at = a.at, \
             last_status = a.status, state = a.state, \
             next_attempt_at = coalesce(a.next, o.next_attempt_at) \
             FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[]) \
                  AS a (id, at, status, state, next) \
             WHERE o.id = a.id",
        )
        .bind(&ids)
        .bind(&at)
        .bind(&statuses)
        .bind(&states)
        .bind(&next)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if !gone.is_empty() {
            sqlx::query(
                "UPDATE subscriptions SET state = 'disabled' WHERE id IN \
                 (SELECT subscription_id FROM outbox WHERE id = ANY($1))",
            )
            .bind(&gone)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }

    async fn messages(
        &self,
        subscription: SubscriptionId,
        failed_only: bool,
        limit: usize,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let what = format!("listing the messages of subscription {subscription}");
        let rows = sqlx::query(select_messages!(
            "WHERE o.subscription_id = $1 \
             AND (NOT $2 OR o.state = 'failed') ORDER BY o.id DESC LIMIT $3"
        ))
        .bind(subscription.0)
        .bind(failed_only)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        rows.iter().map(|r| message_row(r, &what)).collect()
    }

    async fn redeliver(
        &self,
        subscription: SubscriptionId,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let what = format!("queueing the messages of subscription {subscription} again");
        let done = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $3 \
             WHERE subscription_id = $1 AND CASE WHEN $2::BIGINT IS NULL THEN state = 'failed' \
             ELSE state <> 'pending' AND created_at >= $2 END",
        )
        .bind(subscription.0)
        .bind(since_ms)
        .bind(now_ms)
        .execute(self.pool())
        .await
        .map_err(|e| map_sqlx(&what, e))?;
        Ok(done.rows_affected())
    }

    async fn outbox_stats(&self) -> Result<Vec<OutboxStats>, StoreError> {
        let what = "reading the outbox's statistics";
        let err = |e| map_sqlx(what, e);
        let rows = sqlx::query(
            "SELECT subscription_id, count(*) AS pending, min(created_at) AS oldest FROM outbox \
             WHERE state = 'pending' GROUP BY subscription_id ORDER BY subscription_id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| {
                Ok(OutboxStats {
                    subscription: SubscriptionId(r.try_get("subscription_id").map_err(err)?),
                    pending: r.try_get("pending").map_err(err)?,
                    oldest_pending_ms: r.try_get("oldest").map_err(err)?,
                })
            })
            .collect()
    }
}

async fn write_states(
    tx: &mut sqlx::PgConnection,
    engagements: &[PublishedEngagement],
) -> Result<(), sqlx::Error> {
    if engagements.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = engagements
        .iter()
        .map(|e| e.engagement_id.as_str())
        .collect();
    let revisions: Vec<i64> = engagements.iter().map(|e| e.revision).collect();
    let facts: Vec<&str> = engagements.iter().map(|e| e.facts.as_str()).collect();
    sqlx::query(
        "INSERT INTO published_engagements (engagement_id, revision, facts) \
         SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[]) \
         ON CONFLICT (engagement_id) DO UPDATE SET revision = excluded.revision, \
         facts = excluded.facts",
    )
    .bind(ids)
    .bind(revisions)
    .bind(facts)
    .execute(tx)
    .await?;
    Ok(())
}

async fn write_messages(
    tx: &mut sqlx::PgConnection,
    messages: &[NewMessage],
) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&NewMessage) -> &str| messages.iter().map(f).collect::<Vec<&str>>();
    let subs: Vec<i64> = messages.iter().map(|m| m.subscription.0).collect();
    let created: Vec<i64> = messages.iter().map(|m| m.created_at_ms).collect();
    // WITH ORDINALITY keeps the given order in the ids (queue order).
    sqlx::query(
        "INSERT INTO outbox (subscription_id, engagement_key, webhook_id, event_type, body, \
         created_at, next_attempt_at, state) \
         SELECT s, k, w, t, b, c, c, 'pending' \
         FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[]) \
         WITH ORDINALITY AS m(s, k, w, t, b, c, n) ORDER BY n",
    )
    .bind(subs)
    .bind(col(|m| m.engagement_key.as_str()))
    .bind(col(|m| m.webhook_id.as_str()))
    .bind(col(|m| m.event_type.as_str()))
    .bind(col(|m| m.body.as_str()))
    .bind(created)
    .execute(tx)
    .await?;
    Ok(())
}
