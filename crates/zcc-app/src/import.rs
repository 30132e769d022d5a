//! Importing archived webhook bodies (SPEC 3.2).
//!
//! A reader thread reads and checks bodies while the log commits the previous batch, so parsing
//! and durable appends overlap. Bad bodies go to the quarantine with `FILE:LINE` and the reason,
//! and the import goes on. After the appends every generation that is not retired folds what
//! arrived, once (folding alongside the appends only contends for SQLite's single write lock);
//! an import that appended at least [`BULK_LOAD`] entries then refreshes the planner statistics.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use tokio::sync::mpsc;
use zcc_projector::ProjectorError;
use zcc_store::ingest::{now_ms, prepare};
use zcc_store::projection::Backend;
use zcc_store::{Digest, NewEvent, QuarantineEntry, Source, StoreError};

/// An import that appended at least this many entries is a bulk load: the planner statistics
/// are refreshed after it ([`zcc_store::EventLog::refresh_statistics`]).
pub const BULK_LOAD: u64 = 10_000;

/// Where bodies come from: files (JSON Lines, or one body per `.json` file; `.gz` read
/// transparently) and `-` for standard input.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub files: Vec<PathBuf>,
    /// Bodies appended per durable commit.
    pub batch_size: usize,
    /// Fold what was appended into every generation that is not retired.
    pub project: bool,
}

/// What the import did, for its one summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub read: u64,
    pub appended: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {}, appended {}, duplicates {}, rejected {}",
            self.read, self.appended, self.duplicates, self.rejected
        )
    }
}

/// What an import reports as it goes. Every method has a default that does nothing.
pub trait ImportProgress: Send + Sync {
    /// `n` more bytes of input read (files only; standard input has no size).
    fn read(&self, _n: u64) {}
    /// A body was refused and quarantined.
    fn rejected(&self, _origin: &str, _reason: &str) {}
    /// The appends are done; folding starts, up to log position `head`.
    fn projecting(&self, _head: u64) {}
    /// Folding has reached log position `position`.
    fn projected(&self, _position: u64) {}
}

/// No progress to report.
impl ImportProgress for () {}

/// Why an import stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot import {}: no such file", .0.display())]
    NoSuchFile(PathBuf),
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reading {name} after line {line}: {source}")]
    Read {
        name: String,
        line: u64,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Store {
        what: &'static str,
        source: StoreError,
    },
    #[error("projecting the imported events: {0}")]
    Project(#[from] ProjectorError),
    #[error("the import reader stopped: {0}")]
    Reader(String),
}

/// The total size of the named files (standard input excluded), for a progress bar; and the
/// first name that is not a file, which is an error before anything is read.
pub fn total_bytes(files: &[PathBuf]) -> Result<u64, ImportError> {
    let mut total = 0;
    for f in files.iter().filter(|f| f.as_os_str() != "-") {
        if !f.is_file() {
            return Err(ImportError::NoSuchFile(f.clone()));
        }
        total += std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
    }
    Ok(total)
}

/// One batch of good events and the rejects met on the way.
struct Batch {
    events: Vec<NewEvent>,
    rejects: Vec<QuarantineEntry>,
}

impl Batch {
    fn with_capacity(n: usize) -> Batch {
        Batch {
            events: Vec::with_capacity(n),
            rejects: Vec::new(),
        }
    }
}

/// Import `options.files` into `store`.
pub async fn import(
    store: Arc<dyn Backend>,
    options: ImportOptions,
    progress: Arc<dyn ImportProgress>,
) -> Result<ImportSummary, ImportError> {
    total_bytes(&options.files)?;
    let (tx, mut rx) = mpsc::channel::<Result<Batch, ImportError>>(2);
    let batch_size = options.batch_size.max(1);
    let files = options.files.clone();
    let reader_progress = progress.clone();
    let reader = tokio::task::spawn_blocking(move || {
        for file in files {
            if let Err(e) = read_file(&file, batch_size, &tx, reader_progress.as_ref()) {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    });
    let mut summary = ImportSummary::default();
    while let Some(batch) = rx.recv().await {
        write_batch(store.as_ref(), batch?, &mut summary, progress.as_ref()).await?;
    }
    reader
        .await
        .map_err(|e| ImportError::Reader(e.to_string()))?;
    let store_err = |what| move |source| ImportError::Store { what, source };
    // A database that was only ever imported into still has its default generation.
    zcc_projector::ensure_default_generation(store.as_ref()).await?;
    if options.project {
        let head = store
            .head()
            .await
            .map_err(store_err("reading the log's head"))?;
        progress.projecting(head.size.max(0) as u64);
        zcc_projector::catch_up_all(store.as_ref(), &|p: &zcc_projector::Progress| {
            progress.projected(p.position.max(0) as u64)
        })
        .await?;
    }
    if summary.appended >= BULK_LOAD {
        store.refresh_statistics().await.map_err(store_err(
            "refreshing the planner statistics after a bulk load",
        ))?;
    }
    Ok(summary)
}

/// Quarantine a batch's rejects and append its events.
async fn write_batch(
    store: &dyn Backend,
    batch: Batch,
    summary: &mut ImportSummary,
    progress: &dyn ImportProgress,
) -> Result<(), ImportError> {
    summary.read += (batch.events.len() + batch.rejects.len()) as u64;
    if !batch.rejects.is_empty() {
        for q in &batch.rejects {
            progress.rejected(&q.origin, &q.reason);
        }
        summary.rejected += batch.rejects.len() as u64;
        store
            .quarantine(batch.rejects)
            .await
            .map_err(|source| ImportError::Store {
                what: "writing rejected bodies to the quarantine",
                source,
            })?;
    }
    if !batch.events.is_empty() {
        let outcomes =
            store
                .append_batch(batch.events)
                .await
                .map_err(|source| ImportError::Store {
                    what: "appending to the log",
                    source,
                })?;
        let dups = outcomes.iter().filter(|o| o.is_duplicate()).count() as u64;
        summary.duplicates += dups;
        summary.appended += outcomes.len() as u64 - dups;
    }
    Ok(())
}

fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Whether a file holds one whole body (`.json`, `.json.gz`) rather than JSON Lines.
fn is_single_body(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.ends_with(".json") || name.ends_with(".json.gz")
}

/// A reader that reports the bytes it reads.
struct Counting<'p, R> {
    inner: R,
    progress: &'p dyn ImportProgress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.read(n as u64);
        Ok(n)
    }
}

fn open<'p>(
    path: &Path,
    progress: &'p dyn ImportProgress,
) -> Result<Box<dyn BufRead + 'p>, ImportError> {
    let raw: Box<dyn Read + 'p> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = File::open(path).map_err(|source| ImportError::Open {
            path: path.to_owned(),
            source,
        })?;
        Box::new(Counting { inner: f, progress })
    };
    let gz = path.extension().is_some_and(|e| e == "gz");
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(BufReader::new(raw)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, raw))
    })
}

fn read_file(
    path: &Path,
    batch_size: usize,
    tx: &mpsc::Sender<Result<Batch, ImportError>>,
    progress: &dyn ImportProgress,
) -> Result<(), ImportError> {
    let name = display_name(path);
    let mut input = open(path, progress)?;
    let mut batch = Batch::with_capacity(batch_size);
    let flush = |batch: &mut Batch| -> Result<(), ImportError> {
        let full = std::mem::replace(batch, Batch::with_capacity(batch_size));
        tx.blocking_send(Ok(full))
            .map_err(|_| ImportError::Reader("the import writer stopped".to_owned()))
    };
    // Only a failed read names the file: nothing is copied per line.
    let read_err = |line, source| ImportError::Read {
        name: name.clone(),
        line,
        source,
    };
    if is_single_body(path) {
        let mut body = Vec::new();
        input.read_to_end(&mut body).map_err(|e| read_err(0, e))?;
        take(&body, name.clone(), &mut batch);
        return flush(&mut batch);
    }
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| read_err(number, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        let mut body: &[u8] = &line;
        if let Some(rest) = body.strip_suffix(b"\n") {
            body = rest.strip_suffix(b"\r").unwrap_or(rest);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            continue; // blank lines separate nothing and are not bodies
        }
        take(body, format!("{name}:{number}"), &mut batch);
        if batch.events.len() + batch.rejects.len() >= batch_size {
            flush(&mut batch)?;
        }
    }
    flush(&mut batch)
}

/// Check one body and put it in the batch, or among the rejects with its origin and reason.
fn take(body: &[u8], origin: String, batch: &mut Batch) {
    let now = now_ms();
    match prepare(body, Source::Import, now, None) {
        Ok(event) => batch.events.push(event),
        Err(e) => batch.rejects.push(QuarantineEntry {
            received_at_ms: now,
            source: Source::Import,
            reason: e.to_string(),
            origin,
            body_sha256: Digest::of(body),
            body: body.to_vec(),
        }),
    }
}
