//! `zcc-ledger import FILE...` (SPEC 3.2).
//!
//! A reader thread reads and checks bodies while the log commits the previous batch, so parsing
//! and durable appends overlap. Bad bodies go to the quarantine with `FILE:LINE` and the reason,
//! and the import goes on. Exit status: 0 all appended or duplicate, 1 some rejected, 2 fatal.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use flate2::read::MultiGzDecoder;
use indicatif::ProgressBar;
use tokio::sync::mpsc;
use zcc_store::ingest::{now_ms, prepare};
use zcc_store::projection::Backend;
use zcc_store::{Digest, NewEvent, QuarantineEntry, Source};

use crate::cli::ImportArgs;
use crate::progress;

/// An import that appended at least this many entries is a bulk load: the planner statistics
/// are refreshed after it ([`zcc_store::EventLog::refresh_statistics`]).
const BULK_LOAD: u64 = 10_000;

/// What the reader hands to the writer: one batch of good events and the rejects met on the way.
struct Batch {
    events: Vec<NewEvent>,
    rejects: Vec<QuarantineEntry>,
}

#[derive(Debug, Default)]
struct Summary {
    read: u64,
    appended: u64,
    duplicates: u64,
    rejected: u64,
}

pub async fn run(log: Arc<dyn Backend>, args: ImportArgs) -> anyhow::Result<ExitCode> {
    for f in &args.files {
        if f.as_os_str() != "-" && !f.is_file() {
            bail!("cannot import {}: no such file", f.display());
        }
    }
    let total: u64 = args
        .files
        .iter()
        .filter(|f| f.as_os_str() != "-")
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress::bytes(Some(total), "importing");
    let (tx, mut rx) = mpsc::channel::<anyhow::Result<Batch>>(2);
    let files = args.files.clone();
    let batch_size = args.batch_size.max(1);
    let reader_bar = bar.clone();
    let reader = tokio::task::spawn_blocking(move || {
        for file in files {
            if let Err(e) = read_file(&file, batch_size, &tx, &reader_bar) {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    });

    let mut summary = Summary::default();
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        summary.read += (batch.events.len() + batch.rejects.len()) as u64;
        if !batch.rejects.is_empty() {
            for q in &batch.rejects {
                bar.suspend(|| eprintln!("{}: {}", q.origin, q.reason));
            }
            summary.rejected += batch.rejects.len() as u64;
            log.quarantine(batch.rejects)
                .await
                .context("writing rejected bodies to the quarantine")?;
        }
        if !batch.events.is_empty() {
            let outcomes = log
                .append_batch(batch.events)
                .await
                .context("appending to the log")?;
            let dups = outcomes.iter().filter(|o| o.is_duplicate()).count() as u64;
            summary.duplicates += dups;
            summary.appended += outcomes.len() as u64 - dups;
        }
    }
    reader.await.context("the import reader failed")?;
    bar.finish_and_clear();
    if !args.no_project {
        // Every generation that is not retired folds what was appended (SPEC 6), once, after
        // the appends: folding alongside them only contends for SQLite's single write lock.
        zcc_projector::ensure_default_generation(log.as_ref())
            .await
            .context("creating the default generation")?;
        let head = log.head().await?.size;
        let fold_bar = progress::items(Some(head as u64), "projecting");
        zcc_projector::catch_up_all(log.as_ref(), &|p: &zcc_projector::Progress| {
            fold_bar.set_position(p.position.max(0) as u64)
        })
        .await
        .context("projecting the imported events")?;
        fold_bar.finish_and_clear();
    }
    if summary.appended >= BULK_LOAD {
        log.refresh_statistics()
            .await
            .context("refreshing the planner statistics after a bulk load")?;
    }
    println!(
        "read {}, appended {}, duplicates {}, rejected {}",
        summary.read, summary.appended, summary.duplicates, summary.rejected
    );
    Ok(if summary.rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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

fn open(path: &Path, bar: &ProgressBar) -> anyhow::Result<Box<dyn BufRead>> {
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Box::new(bar.wrap_read(f))
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
    tx: &mpsc::Sender<anyhow::Result<Batch>>,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let name = display_name(path);
    let mut input = open(path, bar)?;
    let mut batch = Batch {
        events: Vec::with_capacity(batch_size),
        rejects: Vec::new(),
    };
    let flush = |batch: &mut Batch| -> anyhow::Result<()> {
        let full = std::mem::replace(
            batch,
            Batch {
                events: Vec::with_capacity(batch_size),
                rejects: Vec::new(),
            },
        );
        tx.blocking_send(Ok(full))
            .map_err(|_| anyhow::anyhow!("the import writer stopped"))
    };
    if is_single_body(path) {
        let mut body = Vec::new();
        input
            .read_to_end(&mut body)
            .with_context(|| format!("reading {name}"))?;
        take(&body, name, &mut batch);
        return flush(&mut batch);
    }
    let mut line = Vec::with_capacity(4096);
    let mut number = 0u64;
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {name} after line {number}"))?;
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
