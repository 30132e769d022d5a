//! The ingest benchmark: `zcc-ledger serve` on a fresh database, and a load generator in this
//! process keeping a fixed number of signed webhooks in flight, every answer awaited. Both share
//! the machine's cores, as a receiver and its load do in limits.md row 6c.
//!
//! The load generator ([`crate::load`]) is deliberately lean (one HTTP/1.1 keep-alive
//! connection per in-flight slot, requests rendered to bytes before the clock starts, one
//! thread) so that it takes as little of the shared CPU as possible, like `wrk` in the raw
//! measurement.
//!
//! The raw ceiling is measured just before and just after the ingest, and the ratio is taken
//! against the mean of the two: the virtual disk's speed drifts between runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use crate::load::{self, Signed};
use crate::target::{FreshDb, raw_ceiling, raw_ceiling_of, start_serve};
use crate::{Database, raw};

pub const SECRET: &str = "bench-secret";

/// What one ingest run measured.
struct Run {
    /// The raw ceiling (rows/s), the mean of before and after.
    ceiling: f64,
    /// Answered requests per second.
    rate: f64,
    p50: Duration,
    p99: Duration,
}

impl Run {
    fn ratio(&self) -> f64 {
        self.rate / self.ceiling
    }
}

/// `runs` ingest runs in a row, each against the ceiling measured around it, and (for more
/// than one) their median: on a shared virtual machine one run can land on a slow stretch of
/// the disk or the CPU, and the median of several says what the build does.
pub async fn run(
    backend: Database,
    events: usize,
    concurrency: usize,
    runs: usize,
) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for i in 0..runs.max(1) {
        if runs > 1 {
            eprintln!("run {} of {runs}", i + 1);
        }
        all.push(run_once(backend, events, concurrency).await?);
    }
    if all.len() > 1 {
        let mut ratios: Vec<f64> = all.iter().map(Run::ratio).collect();
        ratios.sort_by(f64::total_cmp);
        let mut p99s: Vec<Duration> = all.iter().map(|r| r.p99).collect();
        p99s.sort();
        let median = |v: &[f64]| (v[(v.len() - 1) / 2] + v[v.len() / 2]) / 2.0;
        let runs_list = all
            .iter()
            .map(|r| format!("{:.2}", r.ratio()))
            .collect::<Vec<_>>()
            .join(" / ");
        println!(
            "| ingest, median of {n} runs | {backend:?} | {events} | ratios {runs_list} | p99 {:.1}–{:.1} ms, median {:.1} ms ({concurrency} in flight) | {:.2} |",
            p99s[0].as_secs_f64() * 1e3,
            p99s[p99s.len() - 1].as_secs_f64() * 1e3,
            p99s[(p99s.len() - 1) / 2].as_secs_f64() * 1e3,
            median(&ratios),
            n = all.len(),
        );
    }
    Ok(())
}

async fn run_once(backend: Database, events: usize, concurrency: usize) -> anyhow::Result<Run> {
    let rows = raw::rows(events);
    let before = raw_ceiling(backend, &rows).await?;
    eprintln!("raw ceiling ({backend:?}) before the ingest: {before:.0} rows/s");

    // Sign everything with one timestamp before the clock starts (a run lasts well under the
    // receiver's 300 s tolerance).
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let signed: Vec<Signed> = rows.into_iter().map(|r| sign(ts, r.body)).collect();

    let db = FreshDb::new(backend).await;
    let (mut child, base) = start_serve(&db.url(), SECRET, &[])?;

    let requests = Arc::new(load::render(&base, ts, &signed));
    drop(signed);
    let started = Instant::now();
    let mut latencies = load::drive(&base, requests, concurrency).await?;
    let secs = started.elapsed().as_secs_f64();
    match scrape(&base).await {
        Ok(m) => eprintln!("{m}"),
        Err(e) => eprintln!("(could not read /metrics: {e})"),
    }
    let _ = child.kill();
    let _ = child.wait();
    // The disk's own speed drifts between runs (±15% here): the ratio is against the mean of
    // the ceiling measured just before and just after the ingest.
    let after = raw_ceiling(backend, &raw::rows(events)).await?;
    eprintln!("raw ceiling ({backend:?}) after the ingest: {after:.0} rows/s");
    let ceiling = (before + after) / 2.0;
    // The log's own index layout (SQLite only): how much of the ratio the layout accounts for.
    let own_layout = if matches!(backend, Database::Sqlite) {
        let r = raw_ceiling_of(backend, &raw::rows(events), raw::SqliteLayout::TimeKeyed).await?;
        eprintln!("raw ceiling ({backend:?}, the log's time-keyed layout): {r:.0} rows/s");
        Some(r)
    } else {
        None
    };
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let run = Run {
        ceiling,
        rate: events as f64 / secs,
        p50: pct(0.50),
        p99: pct(0.99),
    };
    println!(
        "| ingest | {backend:?} | {events} | {ceiling:.0} rows/s | {:.0} req/s (p50 {:.1} ms, p99 {:.1} ms, {concurrency} in flight) | {:.2} |",
        run.rate,
        run.p50.as_secs_f64() * 1e3,
        run.p99.as_secs_f64() * 1e3,
        run.ratio()
    );
    if let Some(own) = own_layout {
        println!(
            "| ingest vs the log's own layout | {backend:?} | {events} | {own:.0} rows/s | {:.0} req/s | {:.2} |",
            run.rate,
            run.rate / own
        );
    }
    Ok(run)
}

/// `body` signed as Zoom signs a webhook, under [`SECRET`], at `ts` (unix seconds).
pub fn sign(ts: u64, body: String) -> Signed {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body.as_bytes());
    Signed {
        signature: format!("v0={}", hex::encode(mac.finalize().into_bytes())),
        body,
    }
}

/// A one-line summary of the server's group commits, from `/metrics`: commits, mean batch size,
/// mean commit time. Printed to stderr so that a slow run can be told apart from a starved one.
async fn scrape(addr: &str) -> anyhow::Result<String> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::get("/metrics")
        .header("host", addr)
        .body(Full::new(Bytes::new()))?;
    let body = sender
        .send_request(req)
        .await?
        .into_body()
        .collect()
        .await?;
    let text = String::from_utf8_lossy(&body.to_bytes()).into_owned();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let commits = value("zcc_append_batch_size_count");
    Ok(format!(
        "server: {commits:.0} group commits, {:.1} events per commit, {:.2} ms per commit, \
         {:.2} ms from hand-off to durable",
        value("zcc_append_batch_size_sum") / commits,
        value("zcc_append_batch_seconds_sum") / commits * 1e3,
        value("zcc_webhook_append_seconds_sum") / value("zcc_webhook_append_seconds_count") * 1e3,
    ))
}
