//! The write side of a rebuild: one transaction per batch, re-folds resolved from the log first.

use zcc_model::Rule;
use zcc_store::Position;
use zcc_store::projection::{Backend, GenerationId, ProjectionDoc};

use super::window::Batch;
use crate::ProjectorError;
use crate::document::{fold_engagement, input_events};

/// Counters of the write side.
#[derive(Default)]
pub(super) struct Written {
    pub(super) documents: u64,
    pub(super) refolded: u64,
    /// The longest `write_projections` call (encoding, the wait for the writer, the
    /// transaction).
    pub(super) longest_ms: u64,
}

/// Write one batch: re-fold the engagements that need their whole history first (and, when
/// resuming, any engagement that already has a document), then documents and checkpoint in one
/// transaction.
pub(super) async fn write_batch<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
    rule: &dyn Rule,
    mut batch: Batch,
    resuming: bool,
) -> Result<Written, ProjectorError> {
    let mut written = Written::default();
    let mut refold = std::mem::take(&mut batch.refold);
    if resuming {
        // Engagements seen before the resume point were flushed by the interrupted run, and
        // their buffer here misses those events.
        let mut kept = Vec::with_capacity(batch.docs.len());
        for doc in batch.docs {
            if store.projection(id, &doc.engagement_id).await?.is_some() {
                refold.push(doc.engagement_id);
            } else {
                kept.push(doc);
            }
        }
        batch.docs = kept;
    }
    if !refold.is_empty() {
        // Every re-fold of the batch in one read (one query, not one per engagement), each
        // engagement's whole history up to the head.
        let head = Position(store.head().await?.size);
        let entries = store.engagements_events(&refold, head).await?;
        // Each engagement's entries are contiguous.
        let by_engagement: std::collections::HashMap<_, _> = entries
            .chunk_by(|a, b| a.engagement_id == b.engagement_id)
            .filter_map(|group| Some((group[0].engagement_id.as_ref()?, group)))
            .collect();
        for engagement_id in &refold {
            let history = by_engagement
                .get(engagement_id)
                .copied()
                .unwrap_or_default();
            let events = input_events(history);
            batch
                .docs
                .push(fold_engagement(rule, engagement_id, &events));
            written.refolded += 1;
        }
    }
    // In key order: neighbouring documents share b-tree pages. Stable, so a re-fold (pushed
    // last) still lands after an earlier document of the same engagement.
    batch
        .docs
        .sort_by(|a, b| a.engagement_id.cmp(&b.engagement_id));
    // One document per engagement per transaction (PostgreSQL's multi-row upsert refuses a
    // repeated key): the last one, the re-fold from the whole log, wins.
    let mut docs: Vec<ProjectionDoc> = Vec::with_capacity(batch.docs.len());
    for d in batch.docs {
        match docs.last_mut() {
            Some(prev) if prev.engagement_id == d.engagement_id => *prev = d,
            _ => docs.push(d),
        }
    }
    batch.docs = docs;
    written.documents = batch.docs.len() as u64;
    let started = std::time::Instant::now();
    store
        .write_projections(id, batch.docs, Position(batch.checkpoint))
        .await?;
    written.longest_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(written)
}
