//! Rebuilding a generation from the log: a streaming window over the log in position order,
//! bodies parsed once and in parallel, engagements folded in parallel as soon as they have
//! been quiet for a window of positions, memory bounded by the window (not the log).
//!
//! Correctness first: a document written here must equal the live-maintained one byte for
//! byte (I4). An engagement is folded from its buffer only when the buffer holds every one of
//! its events read so far; an engagement that shows up again after it was flushed is re-folded
//! from [`zcc_store::EventLog::engagement_events`] (all its events) when its new buffer closes.
//! The checkpoint written with each batch is the position before the oldest open buffer's first
//! event, so an interrupted rebuild resumes from there and loses nothing.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;
use zcc_model::{InputEvent, Rule};
use zcc_store::projection::{Backend, Generation, GenerationId, GenerationState, ProjectionDoc};
use zcc_store::{LogEntry, LogScan, Position, StoreError};

use crate::ProjectorError;
use crate::catch_up::catch_up_with;
use crate::fold::{fold_engagement, input_event, input_events};
use crate::generation::{build_rule, get, params_json, rule_of};
use crate::par::par_map_owned;
use crate::progress::{Phase, Progress, ProgressSink};

/// Tuning of a rebuild. The defaults suit a 2-core machine with calls of minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildOptions {
    /// An engagement not seen for this many log positions is folded and flushed. Larger
    /// windows re-fold fewer reappearing engagements and hold more events in memory (about
    /// 2 KB each).
    pub window: u64,
    /// Entries per unit of work (parse, fold).
    pub chunk: usize,
    /// Documents gathered into one write transaction. Bigger batches mean fewer commits and
    /// more memory in flight (about 3 KB a document, up to four batches at once).
    pub write_docs: usize,
    /// Parallel parsing and folding: 1 runs them on the calling thread; more runs them on the
    /// shared pool (one thread per core). Default: the available cores.
    pub threads: usize,
}

impl Default for RebuildOptions {
    fn default() -> Self {
        RebuildOptions {
            window: 20_000,
            chunk: 4_096,
            write_docs: 2_048,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RebuildReport {
    pub generation: GenerationId,
    pub rule_identity: String,
    pub state: GenerationState,
    /// Where the scan started (0, or the checkpoint of a resumed rebuild).
    pub resumed_from: Position,
    /// Log entries streamed by the scan.
    pub entries: u64,
    /// Documents written by the scan (each engagement once, plus re-folds).
    pub documents: u64,
    /// Engagements re-folded from the log because they reappeared after being flushed.
    pub refolded: u64,
    /// Entries folded by the final catch-up (events that arrived during the scan).
    pub caught_up: u64,
    pub elapsed_ms: u64,
    /// Scan entries per second of wall time, scan phase included catch-up excluded.
    pub events_per_second: f64,
}

impl std::fmt::Display for RebuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "generation {} ({}) is {}: {} entries from position {} in {:.1} s ({:.0} events/s), \
             {} documents, {} re-folded, {} entries caught up",
            self.generation,
            self.rule_identity,
            self.state.as_str(),
            self.entries,
            self.resumed_from,
            self.elapsed_ms as f64 / 1000.0,
            self.events_per_second,
            self.documents,
            self.refolded,
            self.caught_up,
        )
    }
}

/// What to rebuild and how.
pub struct RebuildRequest<'a> {
    pub rule_name: &'a str,
    /// `k=v` parameters.
    pub params: &'a [String],
    /// Activate the generation once it is ready.
    pub activate: bool,
    pub options: RebuildOptions,
    /// A faster scan than paging, when the backend has one.
    pub scan: Option<Arc<dyn LogScan>>,
}

/// `zcc-ledger reproject --rule NAME [--param k=v]... [--activate]`: create a generation
/// (building), rebuild it from position 1 while the active one keeps serving, catch up with
/// events that arrived meanwhile, mark it ready and activate it if asked. Generic path (pages
/// of `read_after`) with default options; see [`reproject_with`].
pub async fn reproject<S: Backend + ?Sized>(
    store: &S,
    rule_name: &str,
    params: &[String],
    activate: bool,
    progress: &dyn ProgressSink,
) -> Result<RebuildReport, ProjectorError> {
    reproject_with(
        store,
        RebuildRequest {
            rule_name,
            params,
            activate,
            options: RebuildOptions::default(),
            scan: None,
        },
        progress,
    )
    .await
}

/// [`reproject`] with options and an optional fast scan.
pub async fn reproject_with<S: Backend + ?Sized>(
    store: &S,
    request: RebuildRequest<'_>,
    progress: &dyn ProgressSink,
) -> Result<RebuildReport, ProjectorError> {
    let rule = build_rule(request.rule_name, request.params)?;
    let identity = rule.identity();
    let generation = store
        .create_generation(
            &identity.name,
            &identity.to_string(),
            &params_json(&identity),
        )
        .await?;
    tracing::info!(generation = %generation.id, rule = %identity, "rebuilding a generation");
    run(
        store,
        generation,
        Arc::from(rule),
        request.activate,
        request.options,
        request.scan,
        progress,
    )
    .await
}

/// Resume an interrupted rebuild (a generation still `building`) from its checkpoint.
pub async fn resume<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
    activate: bool,
    options: RebuildOptions,
    scan: Option<Arc<dyn LogScan>>,
    progress: &dyn ProgressSink,
) -> Result<RebuildReport, ProjectorError> {
    let generation = get(store, id).await?;
    if generation.state != GenerationState::Building {
        return Err(ProjectorError::WrongState {
            id,
            state: generation.state,
            why: "only a generation that is still building can be resumed".to_owned(),
        });
    }
    let rule = rule_of(&generation)?;
    run(
        store,
        generation,
        Arc::from(rule),
        activate,
        options,
        scan,
        progress,
    )
    .await
}

/// An owned log entry travelling from the reader to the workers.
struct RawEntry {
    position: i64,
    engagement_id: Option<String>,
    body: String,
    body_sha256: [u8; 32],
}

impl From<LogEntry> for RawEntry {
    fn from(e: LogEntry) -> Self {
        RawEntry {
            position: e.position.0,
            engagement_id: e.engagement_id,
            body: e.body,
            body_sha256: e.body_sha256.0,
        }
    }
}

/// Where chunks of the log come from.
enum Reader<'s, S: ?Sized> {
    Pages {
        store: &'s S,
        after: Position,
        chunk: usize,
    },
    Scan {
        rx: tokio::sync::mpsc::Receiver<Result<Vec<RawEntry>, StoreError>>,
        thread: Option<tokio::task::JoinHandle<()>>,
    },
}

impl<S: Backend + ?Sized> Reader<'_, S> {
    async fn next(&mut self) -> Result<Vec<RawEntry>, StoreError> {
        match self {
            Reader::Pages {
                store,
                after,
                chunk,
            } => {
                let page = store.read_after(*after, *chunk).await?;
                if let Some(last) = page.last() {
                    *after = last.position;
                }
                Ok(page.into_iter().map(RawEntry::from).collect())
            }
            Reader::Scan { rx, thread } => match rx.recv().await {
                Some(chunk) => chunk,
                None => {
                    if let Some(t) = thread.take() {
                        t.await.map_err(|e| {
                            StoreError::Other(format!("the log scan thread failed: {e}"))
                        })?;
                    }
                    Ok(Vec::new())
                }
            },
        }
    }
}

fn spawn_scan(
    scan: Arc<dyn LogScan>,
    after: Position,
    chunk: usize,
) -> (
    tokio::sync::mpsc::Receiver<Result<Vec<RawEntry>, StoreError>>,
    tokio::task::JoinHandle<()>,
) {
    // Two chunks in flight: the scan runs ahead of the workers, memory stays bounded.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let thread = tokio::task::spawn_blocking(move || {
        let mut buf: Vec<RawEntry> = Vec::with_capacity(chunk);
        let mut closed = false;
        let result = scan.scan(after, &mut |e| {
            buf.push(RawEntry {
                position: e.position.0,
                engagement_id: e.engagement_id.map(str::to_owned),
                body: e.body.to_owned(),
                body_sha256: e.body_sha256.0,
            });
            if buf.len() >= chunk {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(chunk));
                if tx.blocking_send(Ok(full)).is_err() {
                    closed = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if closed {
            return;
        }
        let last = match result {
            Ok(()) if buf.is_empty() => return,
            Ok(()) => Ok(buf),
            Err(e) => Err(e),
        };
        let _ = tx.blocking_send(last);
    });
    (rx, thread)
}

/// What one unit of work produced: documents to write (or to re-fold first) and the
/// checkpoint that is safe once they are written.
#[derive(Default)]
struct Batch {
    docs: Vec<ProjectionDoc>,
    /// Engagements to fold from all their logged events (they reappeared after a flush).
    refold: Vec<String>,
    checkpoint: i64,
    entries: u64,
}

struct Buffer {
    first: i64,
    last: i64,
    events: Vec<InputEvent>,
    /// Flushed before: fold from the log, not from this buffer.
    refold: bool,
}

/// One log entry parsed: position, engagement, the rule's input (none if the body does not
/// parse).
type Parsed = (i64, Option<String>, Option<InputEvent>);

/// Parse a chunk in parallel; each body is parsed and freed on the worker that reads it.
fn parse_chunk(chunk: Vec<RawEntry>, threads: usize) -> Vec<Parsed> {
    par_map_owned(chunk, threads, |e| {
        let event = input_event(e.position, &e.body, e.body_sha256);
        (e.position, e.engagement_id, event)
    })
}

/// The streaming window: per-engagement buffers for engagements still open.
struct Engine {
    rule: Arc<dyn Rule>,
    threads: usize,
    window: i64,
    /// Keyed by a shared id: the queues below hold clones of the key, not copies of the text.
    buffers: HashMap<Arc<str>, Buffer>,
    /// (position of a push, engagement), in push order: closes quiet engagements.
    by_last: VecDeque<(i64, Arc<str>)>,
    /// (first position, engagement), in opening order: the safe checkpoint.
    by_first: VecDeque<(i64, Arc<str>)>,
    /// Hashes of engagements already flushed (8 bytes each). A collision only costs a re-fold.
    flushed: HashSet<u64>,
    position: i64,
}

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Engine {
    fn new(rule: Arc<dyn Rule>, options: RebuildOptions, start: Position) -> Engine {
        Engine {
            rule,
            threads: options.threads.max(1),
            window: i64::try_from(options.window).unwrap_or(i64::MAX).max(1),
            buffers: HashMap::new(),
            by_last: VecDeque::new(),
            by_first: VecDeque::new(),
            flushed: HashSet::new(),
            position: start.0,
        }
    }

    /// Parse a chunk in parallel, add it to the buffers, fold the engagements that went quiet.
    #[cfg(test)]
    fn process(&mut self, chunk: Vec<RawEntry>) -> Batch {
        let parsed = parse_chunk(chunk, self.threads);
        self.absorb(parsed)
    }

    /// Add a parsed chunk to the buffers and fold the engagements that went quiet.
    fn absorb(&mut self, parsed: Vec<Parsed>) -> Batch {
        let entries = parsed.len() as u64;
        for (position, engagement_id, event) in parsed {
            self.position = position;
            let Some(id) = engagement_id else {
                continue;
            };
            let id: Arc<str> = match self.buffers.get_key_value(id.as_str()) {
                Some((key, _)) => key.clone(),
                None => Arc::from(id),
            };
            self.by_last.push_back((position, id.clone()));
            match self.buffers.get_mut(&id) {
                Some(b) => {
                    b.last = position;
                    b.events.extend(event);
                }
                None => {
                    let refold = self.flushed.contains(&id_hash(&id));
                    self.by_first.push_back((position, id.clone()));
                    self.buffers.insert(
                        id,
                        Buffer {
                            first: position,
                            last: position,
                            events: event.into_iter().collect(),
                            refold,
                        },
                    );
                }
            }
        }
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
        let mut batch = self.flush(closed);
        batch.entries = entries;
        batch
    }

    /// Close every open buffer (end of the scan).
    fn finish(&mut self) -> Batch {
        let closed: Vec<(Arc<str>, Buffer)> = self.buffers.drain().collect();
        self.by_last.clear();
        self.by_first.clear();
        self.flush(closed)
    }

    fn flush(&mut self, closed: Vec<(Arc<str>, Buffer)>) -> Batch {
        let mut refold = Vec::new();
        let mut fold = Vec::with_capacity(closed.len());
        for (id, b) in closed {
            self.flushed.insert(id_hash(&id));
            if b.refold {
                refold.push(id.to_string());
            } else {
                fold.push((id, b.events));
            }
        }
        let rule = &*self.rule;
        // Folded and freed on the workers.
        let docs = par_map_owned(fold, self.threads, |(id, events)| {
            fold_engagement(rule, &id, &events)
        });
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
        Batch {
            docs,
            refold,
            checkpoint,
            entries: 0,
        }
    }
}

/// Counters of the write side.
#[derive(Default)]
struct Written {
    documents: u64,
    refolded: u64,
}

/// Write one batch: re-fold the engagements that need their whole history first (and, when
/// resuming, any engagement that already has a document), then documents and checkpoint in one
/// transaction.
async fn write_batch<S: Backend + ?Sized>(
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
    for engagement_id in refold {
        let entries = store.engagement_events(&engagement_id).await?;
        let events = input_events(&entries);
        batch
            .docs
            .push(fold_engagement(rule, &engagement_id, &events));
        written.refolded += 1;
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
    store
        .write_projections(id, batch.docs, Position(batch.checkpoint))
        .await?;
    Ok(written)
}

async fn run<S: Backend + ?Sized>(
    store: &S,
    generation: Generation,
    rule: Arc<dyn Rule>,
    activate: bool,
    options: RebuildOptions,
    scan: Option<Arc<dyn LogScan>>,
    progress: &dyn ProgressSink,
) -> Result<RebuildReport, ProjectorError> {
    let id = generation.id;
    let started = Instant::now();
    let from = generation.checkpoint;
    let resuming = from > Position::START;
    let head = store.head().await?.size;
    let chunk = options.chunk.max(1);
    let write_docs = options.write_docs.max(1);
    let mut reader = match scan {
        Some(scan) => {
            let (rx, thread) = spawn_scan(scan, from, chunk);
            Reader::Scan {
                rx,
                thread: Some(thread),
            }
        }
        None => Reader::Pages {
            store,
            after: from,
            chunk,
        },
    };
    let worker_failed = |e: tokio::task::JoinError| ProjectorError::Worker {
        generation: id,
        reason: e.to_string(),
    };
    // Documents written so far, for progress reports from the producer.
    let documents = AtomicU64::new(0);

    // The writer: batches in order, one transaction each, while the producer below goes on
    // parsing and folding. Two batches may wait: enough to keep both sides busy, and memory
    // stays bounded by the batch size.
    let (batch_tx, mut batch_rx) = tokio::sync::mpsc::channel::<Batch>(2);
    let writer = async {
        let mut written = Written::default();
        while let Some(batch) = batch_rx.recv().await {
            let w = write_batch(store, id, &*rule, batch, resuming).await?;
            written.documents += w.documents;
            written.refolded += w.refolded;
            documents.store(written.documents, Ordering::Relaxed);
        }
        Ok::<_, ProjectorError>(written)
    };

    // The producer: the scan (or pages) runs ahead on its own. Chunk i+1 is parsed on the worker
    // pool while chunk i goes into the window (one thread) and its closed engagements are
    // folded (the pool again), so the window's serial bookkeeping overlaps the parse instead
    // of leaving the pool idle between chunks.
    let threads = options.threads.max(1);
    let parse = move |chunk: Vec<RawEntry>| {
        tokio::task::spawn_blocking(move || parse_chunk(chunk, threads))
    };
    let producer = async {
        let mut engine = Engine::new(rule.clone(), options, from);
        let mut entries = 0u64;
        let mut accumulating: Option<Batch> = None;
        let closed = |_| ProjectorError::Worker {
            generation: id,
            reason: "the projection writer stopped".to_owned(),
        };
        let first = reader.next().await?;
        let mut current = parse(first).await.map_err(worker_failed)?;
        while !current.is_empty() {
            let work = tokio::task::spawn_blocking(move || {
                let batch = engine.absorb(current);
                (engine, batch)
            });
            let next = async {
                let chunk = reader.next().await?;
                parse(chunk).await.map_err(worker_failed)
            };
            let (work, next) = tokio::join!(work, next);
            let (e, batch) = work.map_err(worker_failed)?;
            engine = e;
            entries += batch.entries;
            // Gather small batches into one bigger transaction: fewer commits, and a page
            // touched by several documents is written once. The checkpoint is the latest
            // batch's.
            let merged = match accumulating.take() {
                Some(acc) => merge(acc, batch),
                None => batch,
            };
            if merged.docs.len() + merged.refold.len() >= write_docs {
                batch_tx.send(merged).await.map_err(closed)?;
            } else {
                accumulating = Some(merged);
            }
            current = next?;
            progress.report(&Progress {
                generation: id,
                phase: Phase::Scan,
                position: engine.position,
                head: head.max(engine.position),
                documents: documents.load(Ordering::Relaxed),
            });
        }
        if let Some(b) = accumulating.take() {
            batch_tx.send(b).await.map_err(closed)?;
        }
        let (engine, last) = tokio::task::spawn_blocking(move || {
            let batch = engine.finish();
            (engine, batch)
        })
        .await
        .map_err(worker_failed)?;
        progress.report(&Progress {
            generation: id,
            phase: Phase::Refold,
            position: engine.position,
            head: head.max(engine.position),
            documents: documents.load(Ordering::Relaxed),
        });
        batch_tx.send(last).await.map_err(closed)?;
        // The writer ends when the last sender is gone.
        drop(batch_tx);
        Ok::<_, ProjectorError>((engine.position, entries))
    };
    let ((position, entries), written) = tokio::try_join!(producer, writer)?;
    let scan_elapsed = started.elapsed();

    // Events that arrived while the scan ran.
    let caught = catch_up_with(store, id, rule.clone(), Position(position), progress).await?;
    store.set_state(id, GenerationState::Ready).await?;
    let mut state = GenerationState::Ready;
    if activate {
        store.activate(id).await?;
        state = GenerationState::Active;
    }
    let report = RebuildReport {
        generation: id,
        rule_identity: rule.identity().to_string(),
        state,
        resumed_from: from,
        entries,
        documents: written.documents,
        refolded: written.refolded,
        caught_up: caught.entries,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        events_per_second: entries as f64 / scan_elapsed.as_secs_f64().max(1e-9),
    };
    tracing::info!(%report, "rebuild finished");
    Ok(report)
}

/// `b` after `a`: documents and re-folds of both, the later checkpoint.
fn merge(mut a: Batch, b: Batch) -> Batch {
    a.docs.extend(b.docs);
    a.refold.extend(b.refold);
    a.checkpoint = b.checkpoint;
    a.entries += b.entries;
    a
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;
    use zcc_model::rules;
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
            let zcc_sim::SimItem::Delivery(d) = item else {
                continue;
            };
            let sha = Digest::of(d.body.as_bytes()).0;
            if !seen.insert(sha) {
                continue;
            }
            let summary = zcc_events::read_envelope(d.body.as_bytes()).unwrap();
            out.push(RawEntry {
                position: out.len() as i64 + 1,
                engagement_id: summary.engagement_id,
                body: d.body,
                body_sha256: sha,
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
        let mut by_engagement: BTreeMap<String, Vec<InputEvent>> = BTreeMap::new();
        for e in &entries {
            if let Some(id) = &e.engagement_id {
                by_engagement
                    .entry(id.clone())
                    .or_default()
                    .extend(input_event(e.position, &e.body, e.body_sha256));
            }
        }
        let expected: BTreeMap<String, ProjectionDoc> = by_engagement
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
            let mut engine = Engine::new(rule.clone(), options, Position::START);
            let mut got: BTreeMap<String, ProjectionDoc> = BTreeMap::new();
            let mut refolds = 0;
            let mut apply = |batch: Batch, got: &mut BTreeMap<String, ProjectionDoc>| {
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
                        position: e.position,
                        engagement_id: e.engagement_id.clone(),
                        body: e.body.clone(),
                        body_sha256: e.body_sha256,
                    })
                    .collect();
                let batch = engine.process(owned);
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
            let last = engine.finish();
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
