//! Publishing: comparing what the active generation now says about each engagement with what
//! subscribers were told, and queueing the difference for every subscription that wants it
//! (`docs/DELIVERY.md`).
//!
//! The publisher follows the log with a cursor of its own (`publish_cursor`): a step reads the
//! next page of entries the active generation has folded (up to its checkpoint), re-reads each
//! engagement they touch under that generation, runs `zcc_deliver::correct::correct` against
//! its published state, and stores, in one commit, the new published state, the messages for
//! every matching subscription (raw events too, for those that include them) and the cursor.
//! So an entry is published once whichever way it arrived (webhook, import, backfill, another
//! process), and a restart resumes at the cursor. The commit is refused if another publisher
//! moved the cursor in the meantime; the step is then read again.
//!
//! When another generation becomes active, the publisher first re-compares every engagement of
//! the new one (`rescan_after` pages through its projections), then follows the log again.
//!
//! With no subscription (none, or all disabled) a step moves the cursor without comparing:
//! nothing is told, so there is nothing to correct later (the first message about an engagement
//! then carries all its facts).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use zcc_deliver::correct::{Change, Published, correct};
use zcc_deliver::fact::facts;
use zcc_deliver::filter::{Subject, wants};
use zcc_deliver::message;
use zcc_projector::ProjectorError;
use zcc_store::outbound::{
    DeliveryBackend, NewMessage, PublishCursor, PublishedEngagement, Subscription,
    SubscriptionState,
};
use zcc_store::projection::Generation;
use zcc_store::{EngagementId, LogEntry, StoreError};

use crate::call::{Unreadable, decode};

/// Log entries per step.
pub const LOG_PAGE: usize = 500;
/// Engagements per step of a re-comparison after an activation.
pub const RESCAN_PAGE: usize = 200;

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// Engagements compared.
    pub engagements: usize,
    /// Engagements whose facts changed (a new revision).
    pub revised: usize,
    /// Messages queued.
    pub messages: usize,
    /// The cursor after the step.
    pub cursor: PublishCursor,
    /// Nothing more to do until the log or the active generation moves.
    pub caught_up: bool,
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("publishing: {0}")]
    Store(#[from] StoreError),
    #[error("publishing: {0}")]
    Projector(#[from] ProjectorError),
    #[error("publishing: {0}")]
    Unreadable(#[from] Unreadable),
}

/// One step: a page of the log, or of the re-comparison after an activation.
pub async fn step<S: DeliveryBackend + ?Sized>(store: &S) -> Result<StepReport, PublishError> {
    let cursor = store.publish_cursor().await?;
    let Some(active) = zcc_projector::active(store).await? else {
        return Ok(report(cursor, 0, 0, 0, true));
    };
    let subs: Vec<Subscription> = store
        .subscriptions()
        .await?
        .into_iter()
        .filter(|s| s.state != SubscriptionState::Disabled)
        .collect();
    let mut next = cursor.clone();
    if cursor.generation != Some(active.id) {
        // First step ever: follow the log under the active generation. After an activation:
        // re-compare every engagement first.
        next.generation = Some(active.id);
        next.rescan_after = cursor.generation.map(|_| String::new());
        if !subs.is_empty() || next.rescan_after.is_none() {
            store.publish(&cursor, next.clone(), vec![], vec![]).await?;
            return Ok(report(next, 0, 0, 0, false));
        }
    }
    if subs.is_empty() {
        next.rescan_after = None;
        next.position = next.position.max(active.checkpoint);
        let caught_up = next == cursor;
        if !caught_up {
            store.publish(&cursor, next.clone(), vec![], vec![]).await?;
        }
        return Ok(report(next, 0, 0, 0, caught_up));
    }
    if let Some(after) = &cursor.rescan_after {
        let after = (!after.is_empty()).then(|| EngagementId::from(after.as_str()));
        let docs = store
            .scan_projections(active.id, after.as_ref(), RESCAN_PAGE)
            .await?;
        next.rescan_after = (docs.len() == RESCAN_PAGE)
            .then(|| docs.last().map(|d| d.engagement_id.as_str().to_owned()))
            .flatten();
        let ids: Vec<EngagementId> = docs.into_iter().map(|d| d.engagement_id).collect();
        return commit(store, &active, &subs, &cursor, next, &ids, &[]).await;
    }
    let entries: Vec<LogEntry> = store
        .read_after(cursor.position, LOG_PAGE)
        .await?
        .into_iter()
        .filter(|e| e.position <= active.checkpoint)
        .collect();
    let Some(last) = entries.last() else {
        return Ok(report(cursor, 0, 0, 0, true));
    };
    next.position = last.position;
    let mut ids: Vec<EngagementId> = Vec::new();
    for e in &entries {
        if let Some(id) = &e.engagement_id
            && !ids.contains(id)
        {
            ids.push(id.clone());
        }
    }
    commit(store, &active, &subs, &cursor, next, &ids, &entries).await
}

fn report(
    cursor: PublishCursor,
    engagements: usize,
    revised: usize,
    messages: usize,
    caught_up: bool,
) -> StepReport {
    StepReport {
        engagements,
        revised,
        messages,
        cursor,
        caught_up,
    }
}

/// Compare `ids` under `active`, queue the raw `entries` and the revisions, move the cursor.
async fn commit<S: DeliveryBackend + ?Sized>(
    store: &S,
    active: &Generation,
    subs: &[Subscription],
    cursor: &PublishCursor,
    next: PublishCursor,
    ids: &[EngagementId],
    entries: &[LogEntry],
) -> Result<StepReport, PublishError> {
    let now = zcc_store::ingest::now_ms();
    let mut published: HashMap<EngagementId, PublishedEngagement> = store
        .published(ids)
        .await?
        .into_iter()
        .map(|p| (p.engagement_id.clone(), p))
        .collect();
    let mut messages = Vec::new();
    for e in entries {
        let raw_type = message::raw_type(&e.event_type);
        for sub in subs {
            if wants(sub, Subject::Raw(&raw_type), e.account_id.as_deref()) {
                let m = message::raw(sub.id, e, now);
                messages.push(queued(
                    sub,
                    e.engagement_id
                        .as_ref()
                        .map(|id| id.as_str().to_owned())
                        .unwrap_or_default(),
                    m,
                    now,
                ));
            }
        }
    }
    let mut states = Vec::new();
    for id in ids {
        let projection = match store.projection(active.id, id).await? {
            Some(doc) => Some(decode(active.id, &doc)?),
            None => None,
        };
        let current = projection.as_ref().map(facts).unwrap_or_default();
        let previous = match published.remove(id) {
            Some(p) => Some(
                Published::from_stored(p.revision, &p.facts)
                    .map_err(|reason| StoreError::Other(format!("engagement {id}: {reason}")))?,
            ),
            None => None,
        };
        let Some(revision) = correct(previous.as_ref(), &current) else {
            continue;
        };
        let account = projection
            .as_ref()
            .and_then(|p| p.engagement.account_id.clone());
        for change in &revision.changes {
            let subject = match change {
                Change::Stands(f) => Subject::Fact(&f.kind),
                Change::Retracted { kind, .. } => Subject::Retraction(kind),
            };
            for sub in subs
                .iter()
                .filter(|s| wants(s, subject, account.as_deref()))
            {
                let r = revision.published.revision;
                let m = message::change(sub.id, id, account.as_deref(), r, change, now);
                messages.push(queued(sub, id.as_str().to_owned(), m, now));
            }
        }
        states.push(PublishedEngagement {
            engagement_id: id.clone(),
            revision: revision.published.revision,
            facts: revision.published.facts_json(),
        });
    }
    let (revised, queued_count) = (states.len(), messages.len());
    store
        .publish(cursor, next.clone(), states, messages)
        .await?;
    Ok(report(next, ids.len(), revised, queued_count, false))
}

fn queued(
    sub: &Subscription,
    engagement_key: String,
    m: message::Outgoing,
    now: i64,
) -> NewMessage {
    NewMessage {
        subscription: sub.id,
        engagement_key,
        webhook_id: m.webhook_id,
        event_type: m.event_type,
        body: m.body,
        created_at_ms: now,
    }
}

/// Steps until caught up; the number of messages queued.
pub async fn publish_all<S: DeliveryBackend + ?Sized>(store: &S) -> Result<usize, PublishError> {
    let mut queued = 0;
    loop {
        let r = step(store).await?;
        queued += r.messages;
        if r.caught_up {
            return Ok(queued);
        }
    }
}

/// The publisher `serve` runs: [`publish_all`] every `poll`; errors are logged and retried.
pub fn spawn<S: DeliveryBackend + ?Sized>(
    store: Arc<S>,
    poll: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = publish_all(&*store).await {
                tracing::warn!(error = %e, "publishing failed; retrying");
            }
            tokio::time::sleep(poll).await;
        }
    })
}
