//! Rebuild throughput on a SQLite log of simulated traffic.
//!
//! `cargo run --release -p zcc-projector --example rebuild_bench -- [EVENTS] [DB_PATH]`
//!
//! Fills DB_PATH (default: a temp file) with about EVENTS simulated events (default 200000) if
//! it holds fewer, then rebuilds the default rule's generation twice: through the generic
//! `read_after` pages and through SQLite's blocking scan. Prints events/s for each, the raw
//! scan and parse ceilings measured in the same run, and the peak resident memory.
//! `ZCC_BENCH_ONLY_SCAN=1` skips the pages path.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use zcc_projector::{LogScan, RebuildOptions, RebuildRequest, ScanEntry, reproject_with};
use zcc_sim::{SimConfig, SimItem};
use zcc_store::{EventLog, Position, Source, StoreError};
use zcc_store_sqlite::SqliteLog;

struct Scan(Arc<SqliteLog>);

impl LogScan for Scan {
    fn scan(
        &self,
        after: Position,
        f: &mut dyn FnMut(ScanEntry<'_>) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        self.0.scan_blocking(after, |e| {
            f(ScanEntry {
                position: e.position,
                engagement_id: e.engagement_id,
                body: e.body,
                body_sha256: e.body_sha256,
            })
        })
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let events: i64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200_000);
    let dir = tempfile::tempdir()?;
    let path = args
        .next()
        .unwrap_or_else(|| dir.path().join("bench.db").display().to_string());
    let log = Arc::new(SqliteLog::open(&path)?);

    let have = log.head().await?.size;
    if have < events {
        let started = Instant::now();
        let config = SimConfig {
            calls: u64::MAX,
            calls_per_minute: 40.0,
            seed: 42,
            ..SimConfig::default()
        };
        let mut batch = Vec::with_capacity(1000);
        let mut appended = have;
        for item in zcc_sim::generate(&config)? {
            let SimItem::Delivery(d) = item else { continue };
            batch.push(zcc_store::ingest::prepare(
                d.body.as_bytes(),
                Source::Import,
                d.deliver_at_ms,
                None,
            )?);
            if batch.len() == 1000 {
                let out = log.append_batch(std::mem::take(&mut batch)).await?;
                appended += out.iter().filter(|a| !a.is_duplicate()).count() as i64;
                if appended >= events {
                    break;
                }
            }
        }
        eprintln!(
            "filled {path}: {appended} events in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let size = log.head().await?.size;

    // Ceilings in the same run: the raw scan, and the scan plus parse_event on one core.
    let t = Instant::now();
    let mut n = 0u64;
    log.scan_blocking(Position::START, |_| {
        n += 1;
        ControlFlow::Continue(())
    })?;
    let raw = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut parsed = 0u64;
    log.scan_blocking(Position::START, |e| {
        if zcc_events::parse_event(e.body.as_bytes()).is_ok() {
            parsed += 1;
        }
        ControlFlow::Continue(())
    })?;
    let parse_one_core = parsed as f64 / t.elapsed().as_secs_f64();
    println!("log: {size} events");
    println!(
        "ceiling: raw scan {raw:.0} rows/s; scan + parse_event on one core {parse_one_core:.0}/s"
    );

    // ZCC_BENCH_ONLY_SCAN=1: skip the read_after pages path (the slow generic one).
    let only_scan = std::env::var_os("ZCC_BENCH_ONLY_SCAN").is_some();
    for (name, scan) in [
        ("read_after pages", None),
        (
            "sqlite blocking scan",
            Some(Arc::new(Scan(log.clone())) as Arc<dyn LogScan>),
        ),
    ] {
        if only_scan && scan.is_none() {
            continue;
        }
        let report = reproject_with(
            &*log,
            RebuildRequest {
                rule_name: "correlated",
                params: &[],
                activate: false,
                options: RebuildOptions::default(),
                scan,
            },
            &(),
        )
        .await?;
        println!(
            "rebuild via {name}: {} events in {:.2} s = {:.0} events/s ({} documents, {} re-folded)",
            report.entries,
            report.elapsed_ms as f64 / 1000.0,
            report.events_per_second,
            report.documents,
            report.refolded
        );
    }
    if let Some(kib) = peak_rss_kib() {
        println!("peak resident memory: {} MiB", kib / 1024);
    }
    Ok(())
}
