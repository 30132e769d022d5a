//! Rebuilding a generation from the log: a streaming window over the log in position order,
//! engagements parsed and folded in parallel as soon as they have been quiet for a window of
//! positions, memory bounded by the window (not the log).
//!
//! Three stages run side by side with no barrier between them: the scan and the window's
//! bookkeeping (a thread of their own, which copies each raw body once, from the scan's
//! borrowed row into its engagement's buffer, and hands on the engagements that went quiet),
//! the folds of closed engagements (the worker pool, several units of work in flight, each body
//! parsed once by the worker that folds it) and the writer (documents in log order, one
//! transaction per batch). Without a fast scan the producer runs the window over pages.
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
use read::Reader;
use window::{Closed, fold_closed};
use write::{Folding, Writer, writer_stopped};

/// Tuning of a rebuild. The defaults suit a 2-core machine with calls of minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildOptions {
    /// An engagement not seen for this many log positions is folded and flushed. Larger
    /// windows re-fold fewer reappearing engagements and hold more raw bodies in memory (about
    /// 1 KB each).
    pub window: u64,
    /// Entries per unit of work (parse, fold).
    pub chunk: usize,
    /// Documents gathered into one write transaction. Bigger batches mean fewer commits, and
    /// each index page a batch touches is written once per batch, which matters for the
    /// indexes keyed by engagement id (random); they hold more memory (about 3 KB a document,
    /// one batch written while the next is gathered).
    pub write_docs: usize,
    /// Parallel parsing and folding: 1 folds each unit of work on one thread; more spreads it
    /// over the shared pool (one thread per core). Default: the available cores.
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
    /// The longest write of a batch of documents, in milliseconds: about the longest an append
    /// (a webhook) queued behind the rebuild's writes could have waited.
    pub longest_write_ms: u64,
    pub elapsed_ms: u64,
    /// Scan entries per second of wall time, scan phase included catch-up excluded.
    pub events_per_second: f64,
}

impl std::fmt::Display for RebuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "generation {} ({}) is {}: {} entries from position {} in {:.1} s ({:.0} events/s), \
             {} documents, {} re-folded, {} entries caught up, longest write {} ms",
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
            self.longest_write_ms,
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
    let reader = match scan {
        Some(scan) => Reader::scan(scan, options, from),
        None => Reader::pages(store, options, from),
    };
    // Documents written so far, for progress reports from the producer.
    let documents = AtomicU64::new(0);
    // Units of work between the producer and the writer, folding or folded, in log order:
    // enough to keep every core folding while the writer commits, and memory stays bounded.
    let (fold_tx, fold_rx) = tokio::sync::mpsc::channel::<Folding>(FOLDS_IN_FLIGHT);
    let producer = Producer {
        id,
        head,
        from,
        threads: options.threads.max(1),
        rule: rule.clone(),
        progress,
        documents: &documents,
    };
    let writer = Writer {
        id,
        rule: &*rule,
        from,
        resuming,
        write_docs: options.write_docs.max(1),
        documents: &documents,
    };
    let ((position, entries), written) =
        tokio::try_join!(producer.run(reader, fold_tx), writer.run(store, fold_rx))?;
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
        longest_write_ms: written.longest_ms,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        events_per_second: entries as f64 / scan_elapsed.as_secs_f64().max(1e-9),
    };
    tracing::info!(%report, "rebuild finished");
    Ok(report)
}

/// Units of work queued for the writer before the producer waits (besides the one the writer
/// is collecting and the one the producer is sending): enough to keep the pool busy during a
/// commit. More only held more memory and was slower (fresh pages, colder caches; 229–258k
/// events/s with 4 against 264–273k with 2, docs/BENCHMARKS.md).
const FOLDS_IN_FLIGHT: usize = 2;

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

/// The producer side of a rebuild: the reader's units of work to the worker pool, and on to the
/// writer in log order.
struct Producer<'a> {
    id: GenerationId,
    head: i64,
    from: Position,
    /// Threads of the worker pool a unit of work is folded on.
    threads: usize,
    rule: Arc<dyn Rule>,
    progress: &'a dyn ProgressSink,
    /// Documents written so far (by the writer), for progress reports.
    documents: &'a AtomicU64,
}

impl Producer<'_> {
    /// The reader runs the window over the log (on the scan's own thread when there is a fast
    /// scan) and hands over what it closed, unit by unit; each unit is parsed and folded on the
    /// worker pool while the next comes in. Returns the last position read and the entries
    /// scanned.
    async fn run<S: Backend + ?Sized>(
        &self,
        mut reader: Reader<'_, S>,
        fold_tx: tokio::sync::mpsc::Sender<Folding>,
    ) -> Result<(i64, u64), ProjectorError> {
        let mut position = self.from.0;
        let mut entries = 0u64;
        while let Some(unit) = reader.next().await? {
            entries += unit.entries;
            position = unit.position;
            // After the last unit only the folds of what was still open and the re-folds remain.
            let phase = if unit.last {
                Phase::Refold
            } else {
                Phase::Scan
            };
            self.report(phase, position);
            self.fold(&fold_tx, unit.closed).await?;
        }
        // The writer ends when the last sender is gone (here, as `fold_tx` drops).
        Ok((position, entries))
    }

    /// Start folding what the window closed, and queue it for the writer.
    async fn fold(
        &self,
        fold_tx: &tokio::sync::mpsc::Sender<Folding>,
        closed: Closed,
    ) -> Result<(), ProjectorError> {
        let folding = if closed.len() == 0 {
            Folding::Ready(fold_closed(&*self.rule, closed, 1))
        } else {
            let rule = self.rule.clone();
            let threads = self.threads;
            Folding::Running(tokio::task::spawn_blocking(move || {
                fold_closed(&*rule, closed, threads)
            }))
        };
        fold_tx
            .send(folding)
            .await
            .map_err(|_| writer_stopped(self.id))
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
