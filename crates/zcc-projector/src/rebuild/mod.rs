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

mod read;
mod window;
mod write;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;
use zcc_model::Rule;
use zcc_store::projection::{Backend, Generation, GenerationId, GenerationState};
use zcc_store::{LogScan, Position};

use crate::ProjectorError;
use crate::catch_up::catch_up_with;
use crate::generation::{build_rule, get, params_json, rule_of};
use crate::progress::{Phase, Progress, ProgressSink};
use read::{RawEntry, Reader, spawn_scan};
use window::{Batch, Engine, merge, parse_chunk};
use write::{Written, write_batch};

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
    let reader = match scan {
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
    // Documents written so far, for progress reports from the producer.
    let documents = AtomicU64::new(0);
    // Two batches may wait between producer and writer: enough to keep both sides busy, and
    // memory stays bounded by the batch size.
    let (batch_tx, batch_rx) = tokio::sync::mpsc::channel::<Batch>(2);
    let producer = Producer {
        id,
        head,
        from,
        options,
        rule: rule.clone(),
        progress,
        documents: &documents,
    };
    let writer = write_all(store, id, &*rule, batch_rx, resuming, &documents);
    let ((position, entries), written) = tokio::try_join!(producer.run(reader, batch_tx), writer)?;
    let scan_elapsed = started.elapsed();

    // Events that arrived while the scan ran.
    let caught = catch_up_with(store, id, rule.clone(), Position(position), progress).await?;
    let state = finish_generation(store, id, activate).await?;
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

/// The writer: batches in order, one transaction each, while the producer goes on parsing and
/// folding. Ends when the producer drops its sender.
async fn write_all<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
    rule: &dyn Rule,
    mut batch_rx: tokio::sync::mpsc::Receiver<Batch>,
    resuming: bool,
    documents: &AtomicU64,
) -> Result<Written, ProjectorError> {
    let mut written = Written::default();
    while let Some(batch) = batch_rx.recv().await {
        let w = write_batch(store, id, rule, batch, resuming).await?;
        written.documents += w.documents;
        written.refolded += w.refolded;
        documents.store(written.documents, Ordering::Relaxed);
    }
    Ok(written)
}

/// Mark a scanned and caught-up generation ready, and active if asked. Returns its state.
async fn finish_generation<S: Backend + ?Sized>(
    store: &S,
    id: GenerationId,
    activate: bool,
) -> Result<GenerationState, ProjectorError> {
    store.set_state(id, GenerationState::Ready).await?;
    if activate {
        store.activate(id).await?;
        return Ok(GenerationState::Active);
    }
    Ok(GenerationState::Ready)
}

/// The producer side of a rebuild: chunks of the log through the window, batches to the writer.
struct Producer<'a> {
    id: GenerationId,
    head: i64,
    from: Position,
    options: RebuildOptions,
    rule: Arc<dyn Rule>,
    progress: &'a dyn ProgressSink,
    /// Documents written so far (by the writer), for progress reports.
    documents: &'a AtomicU64,
}

impl Producer<'_> {
    /// The scan (or pages) runs ahead on its own. Chunk i+1 is parsed on the worker pool while
    /// chunk i goes into the window (one thread) and its closed engagements are folded (the
    /// pool again), so the window's serial bookkeeping overlaps the parse instead of leaving
    /// the pool idle between chunks. Returns the last position read and the entries scanned.
    async fn run<S: Backend + ?Sized>(
        &self,
        mut reader: Reader<'_, S>,
        batch_tx: tokio::sync::mpsc::Sender<Batch>,
    ) -> Result<(i64, u64), ProjectorError> {
        let write_docs = self.options.write_docs.max(1);
        let mut engine = Engine::new(self.rule.clone(), self.options, self.from);
        let mut entries = 0u64;
        let mut accumulating: Option<Batch> = None;
        let first = reader.next().await?;
        let mut current = self.parse(first).await?;
        while !current.is_empty() {
            let work = tokio::task::spawn_blocking(move || {
                let batch = engine.absorb(current);
                (engine, batch)
            });
            let next = async {
                let chunk = reader.next().await?;
                self.parse(chunk).await
            };
            let (work, next) = tokio::join!(work, next);
            let (e, batch) = work.map_err(|e| self.worker_failed(&e))?;
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
                self.send(&batch_tx, merged).await?;
            } else {
                accumulating = Some(merged);
            }
            current = next?;
            self.report(Phase::Scan, engine.position);
        }
        if let Some(b) = accumulating.take() {
            self.send(&batch_tx, b).await?;
        }
        let (engine, last) = tokio::task::spawn_blocking(move || {
            let batch = engine.finish();
            (engine, batch)
        })
        .await
        .map_err(|e| self.worker_failed(&e))?;
        self.report(Phase::Refold, engine.position);
        self.send(&batch_tx, last).await?;
        // The writer ends when the last sender is gone (here, as `batch_tx` drops).
        Ok((engine.position, entries))
    }

    /// Parse a chunk on the blocking pool.
    async fn parse(&self, chunk: Vec<RawEntry>) -> Result<Vec<window::Parsed>, ProjectorError> {
        let threads = self.options.threads.max(1);
        tokio::task::spawn_blocking(move || parse_chunk(chunk, threads))
            .await
            .map_err(|e| self.worker_failed(&e))
    }

    async fn send(
        &self,
        batch_tx: &tokio::sync::mpsc::Sender<Batch>,
        batch: Batch,
    ) -> Result<(), ProjectorError> {
        batch_tx
            .send(batch)
            .await
            .map_err(|_| ProjectorError::Worker {
                generation: self.id,
                reason: "the projection writer stopped".to_owned(),
            })
    }

    fn worker_failed(&self, e: &tokio::task::JoinError) -> ProjectorError {
        ProjectorError::Worker {
            generation: self.id,
            reason: e.to_string(),
        }
    }

    fn report(&self, phase: Phase, position: i64) {
        self.progress.report(&Progress {
            generation: self.id,
            phase,
            position,
            head: self.head.max(position),
            documents: self.documents.load(Ordering::Relaxed),
        });
    }
}
