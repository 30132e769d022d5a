//! The outbound delivery benchmark (`docs/DELIVERY.md`), on SQLite, against a receiver in this
//! process ([`crate::receiver`]) that verifies every signature:
//!
//! - **Throughput**: a simulated corpus imported, one subscription added, then `serve` started
//!   with `--allow-private-targets`; it publishes the whole log and delivers it. Messages per
//!   second from the first arrival to the last (and from serve's start), against the raw
//!   ceiling measured right after on the same receiver: the same bodies, signed before the
//!   clock starts, posted by the lean load generator with as many in flight as the worker
//!   allows itself (32): the HTTP round trip with nothing behind it.
//! - **Delay**: on a fresh database with a subscription, `serve` takes a simulated corpus as
//!   signed webhooks at a steady rate; for each derived event, the time from the 200 answer to
//!   the webhook that made it (the newest position in its `evidence`) to its first arrival at
//!   the receiver. Median, p99 and the worst.
//!
//! Completion is read from the database itself (read-only, beside the server): the publishing
//! cursor at the log's last position, nothing pending in the outbox, and every queued message
//! arrived.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::ingest::{SECRET, sign};
use crate::load;
use crate::pace;
use crate::receiver::{self, Receiver};
use crate::target::{ledger, start_serve};

/// Messages one subscription's worker keeps in flight (`zcc_deliver::worker`'s default).
const WORKER_CONCURRENCY: usize = 32;

/// The targets.
const TARGET_RATE: f64 = 2_000.0;
const TARGET_MEDIAN: Duration = Duration::from_secs(1);

/// A SQLite ledger in a temporary directory of the working directory.
struct Ledger {
    dir: tempfile::TempDir,
}

impl Ledger {
    fn new() -> anyhow::Result<Ledger> {
        Ok(Ledger {
            dir: tempfile::tempdir_in(".").context("a temporary directory here")?,
        })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("ledger.db")
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.path().display())
    }

    /// `simulate --calls N --seed S` into a file of this directory; its path.
    fn simulate(&self, calls: usize, seed: u64) -> anyhow::Result<PathBuf> {
        let file = self.dir.path().join("corpus.jsonl");
        let file_arg = file.to_str().context("a UTF-8 temporary path")?;
        ledger(
            &self.url(),
            &[
                "simulate",
                "--calls",
                &calls.to_string(),
                "--seed",
                &seed.to_string(),
                "--output",
                file_arg,
            ],
        )?;
        Ok(file)
    }

    /// One subscription (a fresh secret) to a receiver started here.
    async fn subscribe(&self) -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}{}", listener.local_addr()?, receiver::PATH);
        let secret = zcc_deliver::secret::generate();
        let key = zcc_deliver::secret::key(&secret)
            .map_err(|e| anyhow::anyhow!("the generated secret: {e}"))?;
        ledger(
            &self.url(),
            &[
                "subscriptions",
                "add",
                &url,
                "--secret",
                secret.expose(),
                "--allow-private-targets",
            ],
        )?;
        Ok(Receiver::start(listener, key))
    }
}

/// The outbox as the database says.
#[derive(Debug)]
struct Outbox {
    cursor: i64,
    last_position: i64,
    queued: i64,
    pending: i64,
    attempts: i64,
}

fn outbox(db: &Path) -> anyhow::Result<Outbox> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {} read-only", db.display()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.query_row(
        "SELECT COALESCE((SELECT position FROM publish_cursor), -1),
                COALESCE((SELECT max(position) FROM events), 0),
                (SELECT count(*) FROM outbox),
                (SELECT count(*) FROM outbox WHERE state = 'pending'),
                (SELECT COALESCE(sum(attempts), 0) FROM outbox)",
        [],
        |r| {
            Ok(Outbox {
                cursor: r.get(0)?,
                last_position: r.get(1)?,
                queued: r.get(2)?,
                pending: r.get(3)?,
                attempts: r.get(4)?,
            })
        },
    )
    .with_context(|| format!("reading the outbox of {}", db.display()))
}

/// Wait until everything in the log is published and every message delivered; the outbox
/// then, and when publishing was first seen caught up with the log.
async fn settle(
    db: &Path,
    receiver: &Receiver,
    within: Duration,
) -> anyhow::Result<(Outbox, Instant)> {
    let deadline = Instant::now() + within;
    let mut published = None;
    loop {
        let o = outbox(db)?;
        if o.cursor >= o.last_position {
            published.get_or_insert_with(Instant::now);
        }
        if let Some(published) = published
            && o.pending == 0
            && usize::try_from(o.queued).is_ok_and(|q| receiver.distinct() >= q)
        {
            return Ok((o, published));
        }
        if Instant::now() > deadline {
            bail!(
                "delivery did not finish within {within:?}: {o:?}, {} distinct messages received",
                receiver.distinct()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Both measurements, one after the other.
pub async fn run(calls: usize, delay_calls: usize, rate: f64, seed: u64) -> anyhow::Result<()> {
    throughput(calls, seed).await?;
    delay(delay_calls, rate, seed).await
}

async fn throughput(calls: usize, seed: u64) -> anyhow::Result<()> {
    let db = Ledger::new()?;
    let corpus = db.simulate(calls, seed)?;
    ledger(
        &db.url(),
        &["import", corpus.to_str().context("a UTF-8 path")?],
    )?;
    let receiver = db.subscribe().await?;
    let started = Instant::now();
    let (mut serve, _) = start_serve(&db.url(), SECRET, &["--allow-private-targets"])?;
    let settled = settle(&db.path(), &receiver, Duration::from_secs(600)).await;
    let _ = serve.kill();
    let _ = serve.wait();
    let (o, published) = settled?;
    let log = receiver.take();
    if !log.bad.is_empty() {
        bail!(
            "{} messages failed verification, the first: {}",
            log.bad.len(),
            log.bad[0]
        );
    }
    let (Some(first), Some(last)) = (log.arrivals.first(), log.arrivals.last()) else {
        bail!("nothing was delivered: {o:?}");
    };
    let n = log.arrivals.len();
    let window = last.at.duration_since(first.at).as_secs_f64();
    let rate = n as f64 / window;
    let whole = n as f64 / last.at.duration_since(started).as_secs_f64();
    eprintln!(
        "{n} messages from {} log entries; first arrival {:.0} ms after serve started, \
         everything published by {:.0} ms, the last arrival at {:.0} ms; \
         {} attempts in all, {} repeated arrivals",
        o.last_position,
        ms(first.at.duration_since(started)),
        ms(published.duration_since(started)),
        ms(last.at.duration_since(started)),
        o.attempts,
        log.repeats
    );

    // The ceiling: the same bodies, pre-signed, to a fresh receiver with the same key.
    let messages: Vec<_> = log
        .arrivals
        .iter()
        .map(|a| (a.webhook_id.clone(), a.body.clone()))
        .collect();
    drop(log);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let host = listener.local_addr()?.to_string();
    let key = zcc_deliver::secret::key(&zcc_deliver::secret::generate())
        .map_err(|e| anyhow::anyhow!("a generated secret: {e}"))?;
    let plain = Receiver::start(listener, key.clone());
    let requests = Arc::new(receiver::presigned(&host, &key, &messages));
    let clock = Instant::now();
    load::drive(&host, requests, WORKER_CONCURRENCY).await?;
    let ceiling = n as f64 / clock.elapsed().as_secs_f64();
    let plain = plain.take();
    if plain.arrivals.len() != n || !plain.bad.is_empty() {
        bail!(
            "the ceiling's receiver verified {} of {n} messages ({} refused)",
            plain.arrivals.len(),
            plain.bad.len()
        );
    }
    println!(
        "| deliver: messages to a local receiver | Sqlite | {n} messages ({calls} calls) | {ceiling:.0} msg/s | {rate:.0} msg/s ({whole:.0} msg/s from serve's start) | {:.2} |",
        rate / ceiling
    );
    println!(
        "target: at least {TARGET_RATE:.0} messages/s: {}",
        if rate >= TARGET_RATE { "met" } else { "missed" }
    );
    Ok(())
}

async fn delay(calls: usize, rate: f64, seed: u64) -> anyhow::Result<()> {
    let db = Ledger::new()?;
    let corpus = db.simulate(calls, seed)?;
    let bodies: Vec<String> = std::fs::read_to_string(&corpus)
        .with_context(|| format!("reading {}", corpus.display()))?
        .lines()
        .map(str::to_owned)
        .collect();
    let receiver = db.subscribe().await?;
    let (mut serve, base) = start_serve(&db.url(), SECRET, &["--allow-private-targets"])?;
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let signed: Vec<_> = bodies.into_iter().map(|b| sign(ts, b)).collect();
    let requests = Arc::new(load::render(&base, ts, &signed));
    let webhooks = requests.len();
    let sent = pace::drive_at(&base, requests, rate, 16).await;
    let settled = match &sent {
        Ok(_) => settle(&db.path(), &receiver, Duration::from_secs(600)).await,
        Err(_) => Err(anyhow::anyhow!("the load did not finish")),
    };
    let _ = serve.kill();
    let _ = serve.wait();
    let sent = sent?;
    let (o, _) = settled?;
    let log = receiver.take();
    if !log.bad.is_empty() {
        bail!(
            "{} messages failed verification, the first: {}",
            log.bad.len(),
            log.bad[0]
        );
    }
    // When each log position was first answered (a duplicate names the original's).
    let mut answered: HashMap<i64, Instant> = HashMap::new();
    for a in &sent.answers {
        answered
            .entry(a.position)
            .and_modify(|t| *t = (*t).min(a.at))
            .or_insert(a.at);
    }
    let mut delays = delays(&log.arrivals, &answered)?;
    delays.sort();
    let Some(&worst) = delays.last() else {
        bail!("no derived event was delivered: {o:?}");
    };
    let pct = |p: f64| delays[((delays.len() as f64 * p) as usize).min(delays.len() - 1)];
    eprintln!(
        "{webhooks} webhooks in {:.1} s ({:.0}/s achieved, a request at most {:.1} ms late); \
         {} messages queued, {} measured",
        sent.elapsed.as_secs_f64(),
        webhooks as f64 / sent.elapsed.as_secs_f64(),
        ms(sent.worst_lateness),
        o.queued,
        delays.len()
    );
    println!(
        "| deliver: webhook answer to delivery, {rate:.0} webhooks/s | Sqlite | {webhooks} webhooks ({calls} calls), {} derived events | — | p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms | — |",
        delays.len(),
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(worst)
    );
    println!(
        "target: median under {} s: {}",
        TARGET_MEDIAN.as_secs(),
        if pct(0.50) < TARGET_MEDIAN {
            "met"
        } else {
            "missed"
        }
    );
    Ok(())
}

/// For each derived event's first arrival: the time since the answer to the newest webhook
/// in its evidence. Retractions and raw events cite none and are left out.
fn delays(
    arrivals: &[receiver::Arrival],
    answered: &HashMap<i64, Instant>,
) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(arrivals.len());
    for a in arrivals {
        let body: serde_json::Value = serde_json::from_slice(&a.body)
            .with_context(|| format!("message {} is not JSON", a.webhook_id))?;
        let newest = body["data"]["evidence"]
            .as_array()
            .and_then(|e| e.iter().filter_map(serde_json::Value::as_i64).max());
        let Some(newest) = newest else { continue };
        let at = answered.get(&newest).with_context(|| {
            format!(
                "message {} cites position {newest}, which no webhook's answer named",
                a.webhook_id
            )
        })?;
        out.push(a.at.saturating_duration_since(*at));
    }
    Ok(out)
}
