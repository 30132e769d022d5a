//! The write side of a rebuild: units of work gathered into batches in log order, one
//! transaction per batch (re-folds resolved from the log first), written while the next is
//! gathered; where the backend writes several transactions side by side
//! ([`ProjectionStore::concurrent_writes`]), that many batches are in flight at once.
//!
//! Overlapping writes keep two promises. Two batches in flight never share an engagement (a
//! batch that does waits for the earlier one to commit), so the later document of an
//! engagement always lands last. And each batch sets a checkpoint that the batches already
//! committed cover: its own when nothing is in flight before it, else the last one committed
//! in order; once all are in, the last checkpoint is written if a lagging one may have
//! committed last. An interrupted rebuild therefore resumes from a position every document
//! before it was written for, as with one write at a time.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use zcc_model::Rule;
use zcc_store::projection::{Backend, GenerationId, ProjectionDoc, ProjectionStore};
use zcc_store::{EngagementId, Position};

use super::window::{Batch, merge};
use crate::ProjectorError;
use crate::document::{fold_engagement, input_events};

/// A unit of work on its way to the writer: folding on the worker pool, or (nothing to fold)
/// ready already.
pub(super) enum Folding {
    Ready(Batch),
    Running(tokio::task::JoinHandle<Batch>),
}

/// The writer: units of work in log order, gathered into batches of about `write_docs`
/// documents, one transaction each, while the producer goes on. Ends when the producer drops
/// its sender.
pub(super) struct Writer<'a> {
    pub(super) id: GenerationId,
    pub(super) rule: &'a dyn Rule,
    /// The generation's checkpoint when the rebuild started (0, or where it resumes).
    pub(super) from: Position,
    pub(super) resuming: bool,
    pub(super) write_docs: usize,
    /// Documents written so far, for the producer's progress reports.
    pub(super) documents: &'a AtomicU64,
}

impl Writer<'_> {
    /// Gather units of work into batches while the previous batches are being written: the
    /// folds go on during a commit instead of waiting for it.
    pub(super) async fn run<S: Backend + ?Sized>(
        &self,
        store: &S,
        fold_rx: tokio::sync::mpsc::Receiver<Folding>,
    ) -> Result<Written, ProjectorError> {
        let (batch_tx, batch_rx) = tokio::sync::mpsc::channel::<Batch>(1);
        let ((), written) = tokio::try_join!(
            self.gather(fold_rx, batch_tx),
            self.write_all(store, batch_rx)
        )?;
        Ok(written)
    }

    /// Write the batches in log order, up to the backend's [`ProjectionStore::concurrent_writes`]
    /// at once, keeping the module's two promises.
    async fn write_all<S: Backend + ?Sized>(
        &self,
        store: &S,
        mut batch_rx: tokio::sync::mpsc::Receiver<Batch>,
    ) -> Result<Written, ProjectorError> {
        let limit = ProjectionStore::concurrent_writes(store).max(1);
        let mut written = Written::default();
        // Each write in flight, oldest first, with the engagements it holds. The writes make
        // progress only while this loop polls them, so it waits for the next batch and for
        // the oldest write at once.
        let mut in_flight = FuturesOrdered::new();
        let mut holding: VecDeque<HashSet<EngagementId>> = VecDeque::new();
        // The next batch, once received, with its engagements, until it may go out.
        let mut next: Option<(Batch, HashSet<EngagementId>)> = None;
        let mut more = true;
        // The checkpoint the committed writes cover (every one before them committed too).
        let mut committed = self.from;
        // Whether the last batch went out while an earlier one was in flight (so with a
        // checkpoint behind its own, and the earlier one may commit after it).
        let mut lagging = false;
        loop {
            if let Some((batch, engagements)) = next.take() {
                if in_flight.len() < limit && holding.iter().all(|h| h.is_disjoint(&engagements)) {
                    let own = Position(batch.checkpoint);
                    lagging = !in_flight.is_empty();
                    let mut batch = batch;
                    if lagging {
                        batch.checkpoint = committed.0;
                    }
                    in_flight.push_back(async move {
                        write_batch(store, self.id, self.rule, batch, self.resuming)
                            .await
                            .map(|w| (w, own))
                    });
                    holding.push_back(engagements);
                } else {
                    next = Some((batch, engagements));
                }
            }
            if !more && next.is_none() && in_flight.is_empty() {
                break;
            }
            // The next batch is taken only with a write free: one taken early would hold its
            // documents in memory besides the one the channel holds.
            let receive = more && next.is_none() && in_flight.len() < limit;
            tokio::select! {
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    let (w, checkpoint): (Written, Position) = done?;
                    holding.pop_front();
                    committed = checkpoint;
                    self.count(&mut written, w);
                }
                batch = batch_rx.recv(), if receive => match batch {
                    Some(batch) => {
                        let engagements = if limit > 1 {
                            engagements_of(&batch)
                        } else {
                            HashSet::new()
                        };
                        next = Some((batch, engagements));
                    }
                    None => more = false,
                },
            }
        }
        if lagging {
            store
                .write_projections(self.id, Vec::new(), committed)
                .await?;
        }
        Ok(written)
    }

    /// Units of work in log order, gathered into batches of about `write_docs` documents.
    async fn gather(
        &self,
        mut fold_rx: tokio::sync::mpsc::Receiver<Folding>,
        batch_tx: tokio::sync::mpsc::Sender<Batch>,
    ) -> Result<(), ProjectorError> {
        let mut gathered: Option<Batch> = None;
        while let Some(folding) = fold_rx.recv().await {
            let batch = match folding {
                Folding::Ready(batch) => batch,
                Folding::Running(job) => job.await.map_err(|e| worker_failed(self.id, &e))?,
            };
            // Small units gathered into one bigger transaction: fewer commits, and a page
            // touched by several documents is written once. The checkpoint is the latest one's.
            let merged = match gathered.take() {
                Some(acc) => merge(acc, batch),
                None => batch,
            };
            if merged.docs.len() + merged.refold.len() >= self.write_docs {
                self.send(&batch_tx, merged).await?;
            } else {
                gathered = Some(merged);
            }
        }
        // The last unit (the end of the scan) always comes, so the last checkpoint is written.
        if let Some(batch) = gathered {
            self.send(&batch_tx, batch).await?;
        }
        Ok(())
    }

    async fn send(
        &self,
        batch_tx: &tokio::sync::mpsc::Sender<Batch>,
        batch: Batch,
    ) -> Result<(), ProjectorError> {
        batch_tx
            .send(batch)
            .await
            .map_err(|_| writer_stopped(self.id))
    }

    /// Add a committed batch's counts.
    fn count(&self, written: &mut Written, w: Written) {
        written.documents += w.documents;
        written.refolded += w.refolded;
        written.longest_ms = written.longest_ms.max(w.longest_ms);
        self.documents.store(written.documents, Ordering::Relaxed);
    }
}

/// The engagements a batch writes: its documents' and its re-folds'.
fn engagements_of(batch: &Batch) -> HashSet<EngagementId> {
    batch
        .docs
        .iter()
        .map(|d| d.engagement_id.clone())
        .chain(batch.refold.iter().cloned())
        .collect()
}

/// The writer ended (with an error of its own, which the rebuild reports) while work was still
/// on its way to it.
pub(super) fn writer_stopped(generation: GenerationId) -> ProjectorError {
    ProjectorError::Worker {
        generation,
        reason: "the projection writer stopped".to_owned(),
    }
}

fn worker_failed(generation: GenerationId, e: &tokio::task::JoinError) -> ProjectorError {
    ProjectorError::Worker {
        generation,
        reason: e.to_string(),
    }
}

/// Counters of the write side.
#[derive(Default, Clone, Copy)]
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
