//! The streaming window: per-engagement buffers of raw bodies in log order, closed once their
//! engagement has been quiet for a window of positions, with the checkpoint that is safe once
//! their documents are written. Closed engagements are parsed and folded together
//! ([`fold_closed`]), on the worker that folds them: each body is read once, and its parsed
//! form lives only as long as the fold that reads it.
//!
//! The window runs where the log is read: on the scan's own thread when the backend has a fast
//! scan (each body is copied once, from the database's page straight into its engagement's
//! buffer), else in the producer over pages of owned entries.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use zcc_model::Rule;
use zcc_store::projection::ProjectionDoc;
use zcc_store::{EngagementId, Position};

use super::RebuildOptions;
use super::read::RawEntry;
use crate::document::{fold_engagement, input_event};
use crate::par::par_map_owned;

/// What one unit of work produced: documents to write (or to re-fold first) and the
/// checkpoint that is safe once they are written.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) docs: Vec<ProjectionDoc>,
    /// Engagements to fold from all their logged events (they reappeared after a flush).
    pub(super) refold: Vec<EngagementId>,
    pub(super) checkpoint: i64,
}

/// Engagements the window closed: the bodies to fold, the engagements to re-fold from the log,
/// and the checkpoint that is safe once both are written.
pub(super) struct Closed {
    fold: Vec<(Arc<str>, Bodies)>,
    refold: Vec<EngagementId>,
    checkpoint: i64,
}

impl Closed {
    /// Documents in this unit of work (folds and re-folds).
    pub(super) fn len(&self) -> usize {
        self.fold.len() + self.refold.len()
    }
}

/// Room for a typical call's bodies (about twenty of ~1 KB) in a new buffer, so that most
/// calls never grow theirs.
const BUFFER_BYTES: usize = 16 * 1024;

/// Where one logged body lies in its engagement's [`Bodies`].
struct Span {
    position: Position,
    body_sha256: [u8; 32],
    start: usize,
    end: usize,
}

/// An engagement's raw bodies, kept unparsed until it is folded: their texts back to back in
/// one string (one allocation that grows, not one per body), in log order.
pub(super) struct Bodies {
    text: String,
    spans: Vec<Span>,
}

impl Bodies {
    fn new() -> Bodies {
        Bodies {
            text: String::with_capacity(BUFFER_BYTES),
            spans: Vec::with_capacity(32),
        }
    }

    fn push(&mut self, position: Position, body_sha256: [u8; 32], body: &str) {
        let start = self.text.len();
        self.text.push_str(body);
        self.spans.push(Span {
            position,
            body_sha256,
            start,
            end: self.text.len(),
        });
    }

    /// (position, body SHA-256, body), in log order.
    fn iter(&self) -> impl Iterator<Item = (Position, [u8; 32], &str)> {
        self.spans
            .iter()
            .map(|s| (s.position, s.body_sha256, &self.text[s.start..s.end]))
    }
}

struct Buffer {
    /// The buffer's key, for the queues.
    id: Arc<str>,
    first: i64,
    last: i64,
    bodies: Bodies,
    /// Flushed before: fold from the log, not from this buffer.
    refold: bool,
}

/// The streaming window: per-engagement buffers for engagements still open.
pub(super) struct Engine {
    window: i64,
    /// Keyed by a shared id: the queues below hold clones of the key, not copies of the text.
    buffers: HashMap<Arc<str>, Buffer>,
    /// (position of a push, engagement), in push order: closes quiet engagements.
    by_last: VecDeque<(i64, Arc<str>)>,
    /// (first position, engagement), in opening order: the safe checkpoint.
    by_first: VecDeque<(i64, Arc<str>)>,
    /// Hashes of engagements already flushed (8 bytes each). A collision only costs a re-fold.
    flushed: HashSet<u64>,
    pub(super) position: i64,
}

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Engine {
    pub(super) fn new(options: RebuildOptions, start: Position) -> Engine {
        Engine {
            window: i64::try_from(options.window).unwrap_or(i64::MAX).max(1),
            buffers: HashMap::new(),
            by_last: VecDeque::new(),
            by_first: VecDeque::new(),
            flushed: HashSet::new(),
            position: start.0,
        }
    }

    /// Take one log entry: its body is copied into its engagement's buffer (an entry outside
    /// every call only moves the position). Only bookkeeping: no body is parsed here.
    pub(super) fn push(
        &mut self,
        position: Position,
        engagement_id: Option<&str>,
        body_sha256: [u8; 32],
        body: &str,
    ) {
        let at = position.get();
        self.position = at;
        let Some(id) = engagement_id else {
            return;
        };
        if let Some(b) = self.buffers.get_mut(id) {
            b.last = at;
            b.bodies.push(position, body_sha256, body);
            self.by_last.push_back((at, b.id.clone()));
            return;
        }
        let key: Arc<str> = Arc::from(id);
        let refold = self.flushed.contains(&id_hash(id));
        let mut bodies = Bodies::new();
        bodies.push(position, body_sha256, body);
        self.by_last.push_back((at, key.clone()));
        self.by_first.push_back((at, key.clone()));
        self.buffers.insert(
            key.clone(),
            Buffer {
                id: key,
                first: at,
                last: at,
                bodies,
                refold,
            },
        );
    }

    /// Close the engagements that have been quiet for the window.
    pub(super) fn close_quiet(&mut self) -> Closed {
        let horizon = self.position - self.window;
        let mut closed = Vec::new();
        while let Some((at, _)) = self.by_last.front() {
            if *at >= horizon {
                break;
            }
            let (at, id) = self.by_last.pop_front().expect("front exists");
            if self.buffers.get(&id).is_some_and(|b| b.last == at) {
                let b = self.buffers.remove(&id).expect("buffer exists");
                closed.push((id, b));
            }
        }
        self.close(closed)
    }

    /// [`Engine::push`] a chunk of owned entries, then [`Engine::close_quiet`].
    pub(super) fn absorb(&mut self, chunk: Vec<RawEntry>) -> Closed {
        for e in chunk {
            self.push(
                e.position,
                e.engagement_id.as_deref(),
                e.body_sha256,
                &e.body,
            );
        }
        self.close_quiet()
    }

    /// Close every open buffer (end of the scan).
    pub(super) fn finish(&mut self) -> Closed {
        let closed: Vec<(Arc<str>, Buffer)> = self.buffers.drain().collect();
        self.by_last.clear();
        self.by_first.clear();
        self.close(closed)
    }

    fn close(&mut self, closed: Vec<(Arc<str>, Buffer)>) -> Closed {
        let mut refold = Vec::new();
        let mut fold = Vec::with_capacity(closed.len());
        for (id, b) in closed {
            self.flushed.insert(id_hash(&id));
            if b.refold {
                refold.push(EngagementId::from(&*id));
            } else {
                fold.push((id, b.bodies));
            }
        }
        // The oldest open buffer's first event bounds what is fully written.
        while let Some((first, id)) = self.by_first.front() {
            if self.buffers.get(id).is_some_and(|b| b.first == *first) {
                break;
            }
            self.by_first.pop_front();
        }
        let checkpoint = match self.by_first.front() {
            Some((first, _)) => first - 1,
            None => self.position,
        };
        Closed {
            fold,
            refold,
            checkpoint,
        }
    }
}

/// Parse and fold the closed engagements, in parallel on `threads`: each engagement's bodies
/// are parsed, folded and freed on the worker that takes it.
pub(super) fn fold_closed(rule: &dyn Rule, closed: Closed, threads: usize) -> Batch {
    let docs = par_map_owned(closed.fold, threads, |(id, bodies)| {
        let mut events = Vec::with_capacity(bodies.spans.len());
        events.extend(
            bodies
                .iter()
                .filter_map(|(position, sha, body)| input_event(position, body, sha)),
        );
        fold_engagement(rule, &EngagementId::from(&*id), &events)
    });
    Batch {
        docs,
        refold: closed.refold,
        checkpoint: closed.checkpoint,
    }
}

/// `b` after `a`: documents and re-folds of both, the later checkpoint.
pub(super) fn merge(mut a: Batch, b: Batch) -> Batch {
    a.docs.extend(b.docs);
    a.refold.extend(b.refold);
    a.checkpoint = b.checkpoint;
    a
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;
    use zcc_model::{InputEvent, rules};
    use zcc_store::Digest;

    /// Simulated traffic as a log would hold it: duplicates dropped, positions 1, 2, 3, ...
    fn log(calls: u64) -> Vec<RawEntry> {
        let config = zcc_sim::SimConfig {
            calls,
            seed: 3,
            reorder_rate: 0.3,
            late_retry_rate: 0.05,
            ..zcc_sim::SimConfig::default()
        };
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for item in zcc_sim::generate(&config).unwrap() {
            let zcc_sim::SimItem::Webhook(d) = item else {
                continue;
            };
            let sha = Digest::of(d.body.as_bytes()).0;
            if !seen.insert(sha) {
                continue;
            }
            let summary = zcc_events::read_envelope(d.body.as_bytes()).unwrap();
            out.push(RawEntry {
                engagement_id: summary.engagement_id,
                position: Position(out.len() as i64 + 1),
                body_sha256: sha,
                body: d.body,
            });
        }
        out
    }

    /// The engine's documents, with re-folds resolved from the whole log, equal a fold of each
    /// engagement's complete event set, for any window and chunk size; checkpoints never pass
    /// an open engagement's first event.
    #[test]
    fn streaming_window_equals_folding_everything() {
        let entries = log(25);
        let rule: Arc<dyn Rule> = Arc::from(rules::default_rule());
        let mut by_engagement: BTreeMap<EngagementId, Vec<InputEvent>> = BTreeMap::new();
        for e in &entries {
            if let Some(id) = &e.engagement_id {
                by_engagement
                    .entry(id.clone())
                    .or_default()
                    .extend(input_event(e.position, &e.body, e.body_sha256));
            }
        }
        let expected: BTreeMap<EngagementId, ProjectionDoc> = by_engagement
            .iter()
            .map(|(id, evs)| (id.clone(), fold_engagement(&*rule, id, evs)))
            .collect();
        for (window, chunk, threads) in [(20_000, 4_096, 2), (25, 7, 2), (1, 1, 1), (3, 50, 3)] {
            let options = RebuildOptions {
                window,
                chunk,
                threads,
                ..RebuildOptions::default()
            };
            let mut engine = Engine::new(options, Position::START);
            let mut got: BTreeMap<EngagementId, ProjectionDoc> = BTreeMap::new();
            let mut refolds = 0;
            let mut apply = |batch: Batch, got: &mut BTreeMap<EngagementId, ProjectionDoc>| {
                for d in batch.docs {
                    got.insert(d.engagement_id.clone(), d);
                }
                for id in batch.refold {
                    refolds += 1;
                    got.insert(
                        id.clone(),
                        fold_engagement(&*rule, &id, &by_engagement[&id]),
                    );
                }
            };
            let mut last_checkpoint = 0;
            for part in entries.chunks(chunk) {
                let owned: Vec<RawEntry> = part
                    .iter()
                    .map(|e| RawEntry {
                        engagement_id: e.engagement_id.clone(),
                        position: e.position,
                        body_sha256: e.body_sha256,
                        body: e.body.clone(),
                    })
                    .collect();
                let batch = fold_closed(&*rule, engine.absorb(owned), threads);
                assert!(
                    batch.checkpoint >= last_checkpoint,
                    "checkpoints only move forward"
                );
                last_checkpoint = batch.checkpoint;
                // Every engagement with an event at or before the checkpoint is complete.
                for (id, b) in &engine.buffers {
                    assert!(
                        b.first > batch.checkpoint,
                        "{id} open across the checkpoint"
                    );
                }
                apply(batch, &mut got);
            }
            let last = fold_closed(&*rule, engine.finish(), threads);
            assert_eq!(last.checkpoint, entries.len() as i64);
            apply(last, &mut got);
            assert_eq!(got.len(), expected.len(), "window {window}");
            for (id, doc) in &expected {
                assert_eq!(got.get(id), Some(doc), "engagement {id}, window {window}");
            }
            if window <= 3 {
                assert!(
                    refolds > 0,
                    "window {window} re-folds reappearing engagements"
                );
            }
        }
    }
}
