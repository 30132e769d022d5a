//! The ingest benchmark: `zcc-ledger serve` on a fresh database, a load generator in this
//! process posting signed webhooks with a fixed number in flight, every answer awaited. Both
//! share the machine's cores, as a receiver and its load do in limits.md row 6c.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};

use crate::target::{FreshDb, ledger_bin, raw_ceiling};
use crate::{Backend, raw};

const SECRET: &str = "bench-secret";

pub async fn run(backend: Backend, events: usize, concurrency: usize) -> anyhow::Result<()> {
    let rows = raw::rows(events);
    let ceiling = raw_ceiling(backend, &rows).await?;
    eprintln!("raw ceiling ({backend:?}): {ceiling:.0} rows/s");
    let bodies: Arc<Vec<String>> = Arc::new(rows.into_iter().map(|r| r.body).collect());

    let db = FreshDb::new(backend).await;
    let mut child = Command::new(ledger_bin()?)
        .args([
            "--database-url",
            &db.url(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("ZCC_WEBHOOK_SECRET", SECRET)
        .env("ZCC_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting zcc-ledger serve")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("serve's stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line from serve: {line:?}"))?
        .to_owned();
    let url = format!("{base}/webhooks/zoom");

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, bodies, next) =
            (client.clone(), url.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_secs();
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes())?;
                mac.update(format!("v0:{ts}:").as_bytes());
                mac.update(body.as_bytes());
                let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
                let sent = Instant::now();
                let resp = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-zm-request-timestamp", ts.to_string())
                    .header("x-zm-signature", sig)
                    .body(body.clone())
                    .send()
                    .await?;
                let status = resp.status();
                resp.bytes().await?;
                latencies.push(sent.elapsed());
                if !status.is_success() {
                    bail!("request {i} answered {status}");
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(events);
    for t in tasks {
        latencies.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let ours = events as f64 / secs;
    println!(
        "| ingest | {backend:?} | {events} | {ceiling:.0} rows/s | {ours:.0} req/s (p50 {:.1} ms, p99 {:.1} ms, {concurrency} in flight) | {:.2} |",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        ours / ceiling
    );
    Ok(())
}
