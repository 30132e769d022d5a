//! Rebuild throughput on a log of simulated traffic, SQLite or PostgreSQL.
//!
//! `cargo run --release -p zcc-projector --example rebuild_bench -- [EVENTS] [DB_PATH]`
//! `cargo run --release -p zcc-projector --example rebuild_bench -- [EVENTS] --postgres`
//!
//! SQLite: fills DB_PATH (default: a temp file) with about EVENTS simulated events (default
//! 200000) if it holds fewer, then rebuilds the default rule's generation through the generic
//! `read_after` pages and through SQLite's blocking scan (`ZCC_BENCH_ONLY_SCAN=1` skips the
//! pages path). PostgreSQL (`--postgres`, server from `ZCC_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`): fills a fresh database the same way and
//! rebuilds through `read_after` pages (`ZCC_BENCH_ONLY_SCAN=1` skips it) and through
//! PostgreSQL's fast scan (`EventLog::log_scan`, the path `reproject` takes there); prints
//! the old `read_after` pages ceilings beside the scan's, and the peak memory of each rebuild.
//!
//! Prints events/s for each rebuild, the raw read and read + parse ceilings measured in the
//! same run on one core (through the same read path the rebuild uses) and, for SQLite, scan +
//! parse on every core (the log split into one range per core), and the peak resident
//! memory of the rebuilds themselves (the peak is reset after filling the log and measuring
//! the ceilings).
//!
//! `ZCC_BENCH_RUNS=N` repeats ceilings and rebuild N times (SQLite: on the same log;
//! PostgreSQL: each on a fresh database) and ends with the median and spread;
//! `ZCC_BENCH_SKIP_CEILINGS=1` leaves the ceilings out (for a profile of the rebuild alone).
//! `ZCC_BENCH_PG_TEMPLATE=NAME` (PostgreSQL) keeps the first filled log as the database NAME
//! and starts every later run from a copy of it (`CREATE DATABASE ... TEMPLATE`), the
//! counterpart of copying a SQLite file: each run starts from the same bytes, and the fill
//! is done once.
//!
//! Tuning knobs (defaults otherwise): `ZCC_BENCH_WINDOW`, `ZCC_BENCH_CHUNK`,
//! `ZCC_BENCH_WRITE_DOCS`, `ZCC_BENCH_THREADS` (the [`RebuildOptions`]), `ZCC_BENCH_WRITE_CACHE_KIB` and
//! `ZCC_BENCH_READ_CACHE_KIB` (SQLite page caches of the write and pooled read connections).

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use zcc_projector::{FOLD_PARSE, LogScan, RebuildOptions, RebuildRequest, reproject_with};
use zcc_sim::{SimConfig, SimItem};
use zcc_store::projection::Backend;
use zcc_store::{EventLog, Position, Source, StoreError};
use zcc_store_sqlite::SqliteLog;

/// The allocator of the `zcc-ledger` binary, so that the figures are the command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A `/proc/self/status` figure in KiB (`VmHWM` peak resident, `VmRSS` resident now).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Start a new peak-resident measurement (Linux: `5` to `clear_refs` resets `VmHWM`).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Append simulated traffic until the log holds `events` entries.
async fn fill(log: &dyn EventLog, events: i64) -> Result<(), Box<dyn std::error::Error>> {
    let have = log.head().await?.size;
    if have >= events {
        return Ok(());
    }
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
        let SimItem::Webhook(d) = item else { continue };
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
        "filled the log: {appended} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The ceilings through the generic read path: `read_after` pages of the rebuild's chunk size,
/// then the same pages plus the fold's parse on one core.
async fn page_ceilings(log: &dyn EventLog) -> Result<(f64, f64), StoreError> {
    let chunk = RebuildOptions::default().chunk;
    let mut rates = [0.0; 2];
    for (i, rate) in rates.iter_mut().enumerate() {
        let t = Instant::now();
        let (mut after, mut n) = (Position::START, 0u64);
        loop {
            let page = log.read_after(after, chunk).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            for e in &page {
                if i == 0 || parses(&e.body) {
                    n += 1;
                }
            }
        }
        *rate = n as f64 / t.elapsed().as_secs_f64();
    }
    Ok((rates[0], rates[1]))
}

/// The parse every read + parse ceiling does: the fold's own.
fn parses(body: &str) -> bool {
    zcc_events::parse_event_str_with(body, FOLD_PARSE).is_ok()
}

/// The ceilings through a backend's [`LogScan`], the way the rebuild runs it (on a blocking
/// thread of the runtime): raw, then with the fold's parse, both on one core.
async fn log_scan_ceilings(scan: &Arc<dyn LogScan>) -> Result<(f64, f64), StoreError> {
    let scan = scan.clone();
    tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let mut n = 0u64;
        scan.scan(Position::START, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        })?;
        let raw = n as f64 / t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut parsed = 0u64;
        scan.scan(Position::START, &mut |e| {
            if parses(e.body) {
                parsed += 1;
            }
            ControlFlow::Continue(())
        })?;
        Ok((raw, parsed as f64 / t.elapsed().as_secs_f64()))
    })
    .await
    .map_err(|e| StoreError::Other(format!("the ceiling scan failed: {e}")))?
}

/// Scan + parse on every core: the log split into one position range per core, each range
/// scanned (on a connection of its own) and parsed on its own thread, nothing else done. The
/// ceiling of the two steps a rebuild cannot skip, with no hand-off between threads.
fn parallel_scan_ceiling(log: &SqliteLog, size: i64, threads: usize) -> Result<f64, StoreError> {
    let threads = threads.max(1) as i64;
    let t = Instant::now();
    let parsed = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let (from, to) = (size * i / threads, size * (i + 1) / threads);
                s.spawn(move || {
                    let mut parsed = 0u64;
                    log.scan_blocking(Position(from), |e| {
                        if e.position.0 > to {
                            return ControlFlow::Break(());
                        }
                        if parses(e.body) {
                            parsed += 1;
                        }
                        ControlFlow::Continue(())
                    })
                    .map(|()| parsed)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a ceiling thread panicked"))
            .sum::<Result<u64, StoreError>>()
    })?;
    Ok(parsed as f64 / t.elapsed().as_secs_f64())
}

/// A number from the environment, for the tuning knobs in the module docs.
fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The rebuild's options, defaults unless overridden (module docs).
fn bench_options() -> RebuildOptions {
    let mut options = RebuildOptions::default();
    if let Some(v) = env_number("ZCC_BENCH_WINDOW") {
        options.window = v;
    }
    if let Some(v) = env_number("ZCC_BENCH_CHUNK") {
        options.chunk = v;
    }
    if let Some(v) = env_number("ZCC_BENCH_WRITE_DOCS") {
        options.write_docs = v;
    }
    if let Some(v) = env_number("ZCC_BENCH_THREADS") {
        options.threads = v;
    }
    options
}

/// The ceilings a rebuild is compared with: read + parse on one core, and (SQLite) on all.
#[derive(Clone, Copy)]
struct Ceilings {
    one_core: f64,
    all_cores: Option<(usize, f64)>,
}

async fn rebuild(
    log: &dyn Backend,
    name: &str,
    scan: Option<Arc<dyn LogScan>>,
    ceiling: Ceilings,
) -> Result<f64, Box<dyn std::error::Error>> {
    let report = reproject_with(
        log,
        RebuildRequest {
            rule_name: "correlated",
            params: &[],
            activate: false,
            options: bench_options(),
            scan,
        },
        &(),
    )
    .await?;
    let all_cores = ceiling.all_cores.map_or(String::new(), |(n, rate)| {
        format!(
            ", {:.2} of scan + parse on {n} cores",
            report.events_per_second / rate
        )
    });
    println!(
        "rebuild via {name}: {} events in {:.2} s = {:.0} events/s ({} documents, {} re-folded, \
         longest write {} ms); {:.2} of read + parse on one core{all_cores}",
        report.entries,
        report.elapsed_ms as f64 / 1000.0,
        report.events_per_second,
        report.documents,
        report.refolded,
        report.longest_write_ms,
        report.events_per_second / ceiling.one_core,
    );
    Ok(report.events_per_second)
}

/// One SQLite run: the ceilings, then the rebuild(s) with the peak memory of the rebuilds alone.
/// Returns the fast scan's rebuild rate, its ratio to scan + parse on one core, and the peak.
async fn sqlite_run(
    log: &Arc<SqliteLog>,
    size: i64,
    only_scan: bool,
) -> Result<RunResult, Box<dyn std::error::Error>> {
    let cores = bench_options().threads;
    let (raw, parse, parallel) = if std::env::var_os("ZCC_BENCH_SKIP_CEILINGS").is_some() {
        (f64::NAN, f64::NAN, f64::NAN)
    } else {
        let scan: Arc<dyn LogScan> = log.clone();
        let (raw, parse) = log_scan_ceilings(&scan).await?;
        (raw, parse, parallel_scan_ceiling(log, size, cores)?)
    };
    println!(
        "ceiling: raw scan {raw:.0} rows/s; scan + parse on one core {parse:.0}/s, \
         on {cores} cores {parallel:.0}/s"
    );
    let ceiling = Ceilings {
        one_core: parse,
        all_cores: Some((cores, parallel)),
    };
    println!(
        "resident before the rebuilds: {} MiB",
        status_kib("VmRSS:").unwrap_or(0) / 1024
    );
    reset_peak_rss();
    if !only_scan {
        rebuild(&**log, "read_after pages", None, ceiling).await?;
    }
    let scan = EventLog::log_scan(log.clone());
    let rate = rebuild(&**log, "sqlite blocking scan", scan, ceiling).await?;
    let peak_mib = status_kib("VmHWM:").unwrap_or(0) / 1024;
    println!("peak resident memory during the rebuilds: {peak_mib} MiB");
    Ok(RunResult {
        rate,
        ratio: rate / parse,
        peak_mib,
    })
}

/// A fresh PostgreSQL database holding the filled log: a copy of the template database
/// `ZCC_BENCH_PG_TEMPLATE` when it is set and exists (made from the first fill otherwise),
/// else filled from scratch.
async fn postgres_log(
    events: i64,
) -> Result<(zcc_tests::PgTestDb, Arc<zcc_store_postgres::PostgresLog>), Box<dyn std::error::Error>>
{
    let template = std::env::var("ZCC_BENCH_PG_TEMPLATE").ok();
    if let Some(name) = &template
        && let Some(db) = zcc_tests::database_from_template_async(name).await
    {
        let log = zcc_store_postgres::PostgresLog::connect(&db.url).await?;
        return Ok((db, Arc::new(log)));
    }
    let db = zcc_tests::fresh_database_async().await;
    let log = zcc_store_postgres::PostgresLog::connect(&db.url).await?;
    fill(&log, events).await?;
    // What `import` does after a bulk load: without planner statistics (the bench's server
    // runs no autovacuum) every re-fold's `engagement_events` becomes a parallel bitmap
    // scan and sort, ~30 ms instead of ~1 ms, and the re-folds alone outlast the scan.
    // `ZCC_BENCH_NO_ANALYZE=1` leaves the log without statistics, as builds before this
    // one measured it.
    if std::env::var_os("ZCC_BENCH_NO_ANALYZE").is_none() {
        log.refresh_statistics().await?;
    }
    let log = match &template {
        // A database is copied only with no one connected to it.
        Some(name) => {
            log.close().await;
            zcc_tests::save_as_template_async(&db, name).await;
            eprintln!("kept the filled log as the template database {name}");
            zcc_store_postgres::PostgresLog::connect(&db.url).await?
        }
        None => log,
    };
    Ok((db, Arc::new(log)))
}

/// One PostgreSQL run on a fresh copy of the log: the ceilings, then the rebuild(s) with the
/// peak memory of the rebuilds alone.
async fn postgres_run(
    events: i64,
    only_scan: bool,
) -> Result<RunResult, Box<dyn std::error::Error>> {
    let (_db, log) = postgres_log(events).await?;
    let skip_ceilings = std::env::var_os("ZCC_BENCH_SKIP_CEILINGS").is_some();
    let scan = EventLog::log_scan(log.clone());
    let ((page_raw, page_parse), (raw, parse)) = match &scan {
        _ if skip_ceilings => ((f64::NAN, f64::NAN), (f64::NAN, f64::NAN)),
        Some(scan) => (page_ceilings(&*log).await?, log_scan_ceilings(scan).await?),
        None => return Err("PostgreSQL offers no fast scan".into()),
    };
    println!("log: {} events (PostgreSQL)", log.head().await?.size);
    println!(
        "ceiling: read_after pages {page_raw:.0} rows/s; pages + parse on one core {page_parse:.0}/s"
    );
    println!("ceiling: raw scan {raw:.0} rows/s; scan + parse on one core {parse:.0}/s");
    reset_peak_rss();
    // Both rebuilds against the ceiling of the path the rebuild now takes (the scan).
    let ceiling = Ceilings {
        one_core: parse,
        all_cores: None,
    };
    if !only_scan {
        rebuild(&*log, "read_after pages", None, ceiling).await?;
        if let Some(kib) = status_kib("VmHWM:") {
            println!(
                "peak resident memory during the read_after pages rebuild: {} MiB",
                kib / 1024
            );
        }
        reset_peak_rss();
    }
    let rate = rebuild(&*log, "postgres scan", scan, ceiling).await?;
    let peak_mib = status_kib("VmHWM:").unwrap_or(0) / 1024;
    println!("peak resident memory during the scan rebuild: {peak_mib} MiB");
    log.close().await;
    Ok(RunResult {
        rate,
        ratio: rate / parse,
        peak_mib,
    })
}

/// One run's figures, for the summary of several.
struct RunResult {
    rate: f64,
    ratio: f64,
    peak_mib: u64,
}

/// Median and spread of several runs (`ZCC_BENCH_RUNS`).
fn summary(results: &[RunResult]) {
    fn median_and_range(mut v: Vec<f64>) -> (f64, f64, f64) {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        (median, v[0], v[n - 1])
    }
    let (rate, rate_lo, rate_hi) = median_and_range(results.iter().map(|r| r.rate).collect());
    let (ratio, ratio_lo, ratio_hi) = median_and_range(results.iter().map(|r| r.ratio).collect());
    let (peak, peak_lo, peak_hi) =
        median_and_range(results.iter().map(|r| r.peak_mib as f64).collect());
    println!(
        "summary of {} runs: rebuild median {rate:.0} events/s ({rate_lo:.0}–{rate_hi:.0}); \
         {ratio:.2} of scan + parse on one core ({ratio_lo:.2}–{ratio_hi:.2}); \
         peak {peak:.0} MiB ({peak_lo:.0}–{peak_hi:.0})",
        results.len()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let postgres = std::env::args().any(|a| a == "--postgres");
    let mut args = std::env::args().skip(1).filter(|a| a != "--postgres");
    let events: i64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(200_000);
    let only_scan = std::env::var_os("ZCC_BENCH_ONLY_SCAN").is_some();

    let runs: usize = env_number("ZCC_BENCH_RUNS").unwrap_or(1).max(1);
    let mut results = Vec::with_capacity(runs);
    if postgres {
        for run in 1..=runs {
            if runs > 1 {
                println!("run {run} of {runs}");
            }
            results.push(postgres_run(events, only_scan).await?);
        }
    } else {
        let dir = tempfile::tempdir()?;
        let path = args
            .next()
            .unwrap_or_else(|| dir.path().join("bench.db").display().to_string());
        let mut options = zcc_store_sqlite::SqliteOptions::default();
        if let Some(kib) = env_number("ZCC_BENCH_WRITE_CACHE_KIB") {
            options.cache_size_kib = kib;
        }
        if let Some(kib) = env_number("ZCC_BENCH_READ_CACHE_KIB") {
            options.read_cache_size_kib = kib;
        }
        let log = Arc::new(SqliteLog::open_with(&path, options)?);
        fill(&*log, events).await?;
        let size = log.head().await?.size;
        println!("log: {size} events (SQLite)");
        for run in 1..=runs {
            if runs > 1 {
                println!("run {run} of {runs}");
            }
            results.push(sqlite_run(&log, size, only_scan).await?);
        }
    }
    if runs > 1 {
        summary(&results);
    }
    Ok(())
}
