//! The outbound delivery benchmark (`docs/DELIVERY.md`), on either backend, against a receiver
//! in this process ([`crate::receiver`]) that verifies every signature:
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
//!   the receiver. Median, p99 and the worst, for every derived event and for the facts told
//!   for the first time; a fact sent again at a later revision (a re-fold moved its `seq`)
//!   is also measured from the webhook that caused the re-fold.
//!
//! Completion is read through the store ([`crate::outbound::Ledger::settle`]): the publishing
//! cursor at the log's last position and nothing pending in the outbox.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::Database;
use crate::ingest::{SECRET, sign};
use crate::load;
use crate::outbound::Ledger;
use crate::pace;
use crate::receiver::{self, Receiver};
use crate::target::{ledger, start_serve};

/// Messages one subscription's worker keeps in flight (`zcc_deliver::worker`'s default).
const WORKER_CONCURRENCY: usize = 32;

/// The targets.
const TARGET_RATE: f64 = 2_000.0;
const TARGET_MEDIAN: Duration = Duration::from_secs(1);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Both measurements, one after the other.
pub async fn run(
    backend: Database,
    calls: usize,
    delay_calls: usize,
    rate: f64,
    seed: u64,
) -> anyhow::Result<()> {
    if calls > 0 {
        throughput(backend, calls, seed).await?;
    }
    if delay_calls > 0 {
        delay(backend, delay_calls, rate, seed).await?;
    }
    Ok(())
}

async fn throughput(backend: Database, calls: usize, seed: u64) -> anyhow::Result<()> {
    let mut db = Ledger::new(backend).await?;
    let corpus = db.simulate(calls, seed)?;
    ledger(
        &db.url(),
        &["import", corpus.to_str().context("a UTF-8 path")?],
    )?;
    let receiver = db.subscribe(0).await?;
    let started = Instant::now();
    let (mut serve, _) = start_serve(&db.url(), SECRET, &["--allow-private-targets"])?;
    let settled = db.settle(&receiver, Duration::from_secs(600)).await;
    let _ = serve.kill();
    let _ = serve.wait();
    let published = settled?;
    let o = db.counts().await?;
    let entries = db.progress().await?.entries;
    let log = receiver.take();
    check_arrivals(&log, o.delivered)?;
    let (Some(first), Some(last)) = (log.arrivals.first(), log.arrivals.last()) else {
        bail!("nothing was delivered: {o:?}");
    };
    let n = log.arrivals.len();
    let window = last.at.duration_since(first.at).as_secs_f64();
    let rate = n as f64 / window;
    let whole = n as f64 / last.at.duration_since(started).as_secs_f64();
    eprintln!(
        "{n} messages from {entries} log entries; first arrival {:.0} ms after serve started, \
         everything published by {:.0} ms, the last arrival at {:.0} ms; \
         {} attempts in all, {} repeated arrivals",
        ms(first.at.duration_since(started)),
        ms(published.duration_since(started)),
        ms(last.at.duration_since(started)),
        o.attempts,
        log.repeats
    );
    let ceiling = ceiling(&log).await?;
    println!(
        "| deliver: messages to a local receiver | {backend:?} | {n} messages ({calls} calls) | {ceiling:.0} msg/s | {rate:.0} msg/s ({whole:.0} msg/s from serve's start) | {:.2} |",
        rate / ceiling
    );
    println!(
        "target: at least {TARGET_RATE:.0} messages/s: {}",
        if rate >= TARGET_RATE { "met" } else { "missed" }
    );
    Ok(())
}

/// Every signature verified, and every message recorded delivered arrived.
fn check_arrivals(log: &receiver::Log, delivered: usize) -> anyhow::Result<()> {
    if let Some(first) = log.bad.first() {
        bail!(
            "{} messages failed verification, the first: {first}",
            log.bad.len()
        );
    }
    if log.arrivals.len() != delivered {
        bail!(
            "the outbox says {delivered} messages were delivered, the receiver accepted {}",
            log.arrivals.len()
        );
    }
    Ok(())
}

/// The raw ceiling: the same bodies, pre-signed, to a fresh receiver with the same kind of key,
/// with as many in flight as the worker keeps; messages per second.
async fn ceiling(log: &receiver::Log) -> anyhow::Result<f64> {
    let messages: Vec<_> = log
        .arrivals
        .iter()
        .map(|a| (a.webhook_id.clone(), a.body.clone()))
        .collect();
    let n = messages.len();
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
    Ok(ceiling)
}

async fn delay(backend: Database, calls: usize, rate: f64, seed: u64) -> anyhow::Result<()> {
    let mut db = Ledger::new(backend).await?;
    let corpus = db.simulate(calls, seed)?;
    let bodies: Vec<String> = std::fs::read_to_string(&corpus)
        .with_context(|| format!("reading {}", corpus.display()))?
        .lines()
        .map(str::to_owned)
        .collect();
    let engagements: Vec<Option<String>> = bodies
        .iter()
        .map(String::as_str)
        .map(engagement_of)
        .collect();
    let receiver = db.subscribe(0).await?;
    let (mut serve, base) = start_serve(&db.url(), SECRET, &["--allow-private-targets"])?;
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let signed: Vec<_> = bodies.into_iter().map(|b| sign(ts, b)).collect();
    let requests = Arc::new(load::render(&base, ts, &signed));
    let webhooks = requests.len();
    let sent = pace::drive_at(&base, requests, rate, 16).await;
    let settled = match &sent {
        Ok(_) => db.settle(&receiver, Duration::from_secs(600)).await,
        Err(_) => Err(anyhow::anyhow!("the load did not finish")),
    };
    let _ = serve.kill();
    let _ = serve.wait();
    let sent = sent?;
    settled?;
    let o = db.counts().await?;
    let log = receiver.take();
    check_arrivals(&log, o.delivered)?;
    let answers = Answers::new(&sent.answers, &engagements);
    let measured = delays(&log.arrivals, &answers)?;
    eprintln!(
        "{webhooks} webhooks in {:.1} s ({:.0}/s achieved, a request at most {:.1} ms late); \
         {} messages queued, {} derived events measured, {} of them sent again at a later revision",
        sent.elapsed.as_secs_f64(),
        webhooks as f64 / sent.elapsed.as_secs_f64(),
        ms(sent.worst_lateness),
        o.queued,
        measured.len(),
        measured.iter().filter(|d| !d.first_told).count()
    );
    let all = Spread::of(measured.iter().map(|d| d.since_evidence));
    let first = Spread::of(
        measured
            .iter()
            .filter(|d| d.first_told)
            .map(|d| d.since_evidence),
    );
    let again = Spread::of(
        measured
            .iter()
            .filter(|d| !d.first_told)
            .filter_map(|d| d.since_trigger),
    );
    let first_trigger = Spread::of(
        measured
            .iter()
            .filter(|d| d.first_told)
            .filter_map(|d| d.since_trigger),
    );
    println!(
        "| deliver: webhook answer to delivery, {rate:.0} webhooks/s | {backend:?} | {webhooks} webhooks ({calls} calls), {} derived events | — | every derived event: {all} | — |",
        measured.len(),
    );
    println!("  facts told for the first time: {first}");
    println!(
        "  the same, from the last webhook of their engagement answered before: {first_trigger}"
    );
    println!("  facts sent again at a later revision, from the webhook that caused it: {again}");
    println!(
        "target: median under {} s: {}",
        TARGET_MEDIAN.as_secs(),
        if all.p50 < TARGET_MEDIAN {
            "met"
        } else {
            "missed"
        }
    );
    Ok(())
}

/// The engagement a webhook body is about.
fn engagement_of(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v["payload"]["object"]["engagement_id"]
        .as_str()
        .map(str::to_owned)
}

/// Median, p99 and worst of some delays.
#[derive(Debug, Clone, Copy, Default)]
struct Spread {
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Spread {
    fn of(delays: impl Iterator<Item = Duration>) -> Spread {
        let mut d: Vec<Duration> = delays.collect();
        d.sort();
        let Some(&max) = d.last() else {
            return Spread::default();
        };
        let pct = |p: f64| d[((d.len() as f64 * p) as usize).min(d.len() - 1)];
        Spread {
            n: d.len(),
            p50: pct(0.50),
            p99: pct(0.99),
            max,
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} measured, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            self.n,
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// The webhooks' answers: when each log position was first answered (a duplicate names the
/// original's), and each engagement's answers in time order.
struct Answers {
    by_position: HashMap<i64, Instant>,
    by_engagement: HashMap<String, Vec<Instant>>,
}

impl Answers {
    fn new(answers: &[pace::Answered], engagements: &[Option<String>]) -> Answers {
        let mut by_position: HashMap<i64, Instant> = HashMap::new();
        let mut by_engagement: HashMap<String, Vec<Instant>> = HashMap::new();
        for a in answers {
            by_position
                .entry(a.position)
                .and_modify(|t| *t = (*t).min(a.at))
                .or_insert(a.at);
            if let Some(Some(e)) = engagements.get(a.request) {
                by_engagement.entry(e.clone()).or_default().push(a.at);
            }
        }
        for times in by_engagement.values_mut() {
            times.sort();
        }
        Answers {
            by_position,
            by_engagement,
        }
    }

    /// The last answer to a webhook of `engagement` before `at`.
    fn last_before(&self, engagement: &str, at: Instant) -> Option<Instant> {
        let times = self.by_engagement.get(engagement)?;
        let n = times.partition_point(|t| *t <= at);
        n.checked_sub(1).map(|i| times[i])
    }
}

/// One derived event's delay.
struct Delay {
    /// From the answer to the newest webhook in its evidence.
    since_evidence: Duration,
    /// Whether this is the first message about its `event_id`.
    first_told: bool,
    /// From the last answer to a webhook of its engagement before it arrived: the latest the
    /// fold that produced it can have been caused (for a fact sent again, the re-fold's cause;
    /// for a fact that a later event made stand without being cited, that event).
    since_trigger: Option<Duration>,
}

/// For each derived event's first arrival: the time since the answer to the newest webhook
/// in its evidence. Retractions and raw events cite none and are left out.
fn delays(arrivals: &[receiver::Arrival], answers: &Answers) -> anyhow::Result<Vec<Delay>> {
    let mut out = Vec::with_capacity(arrivals.len());
    let mut told: HashSet<String> = HashSet::new();
    for a in arrivals {
        let body: serde_json::Value = serde_json::from_slice(&a.body)
            .with_context(|| format!("message {} is not JSON", a.webhook_id))?;
        let data = &body["data"];
        let first_told = data["event_id"]
            .as_str()
            .is_some_and(|id| told.insert(id.to_owned()));
        let newest = data["evidence"]
            .as_array()
            .and_then(|e| e.iter().filter_map(serde_json::Value::as_i64).max());
        let Some(newest) = newest else { continue };
        let at = answers.by_position.get(&newest).with_context(|| {
            format!(
                "message {} cites position {newest}, which no webhook's answer named",
                a.webhook_id
            )
        })?;
        let since_trigger = data["engagement_id"]
            .as_str()
            .and_then(|e| answers.last_before(e, a.at))
            .map(|t| a.at.saturating_duration_since(t));
        out.push(Delay {
            since_evidence: a.at.saturating_duration_since(*at),
            first_told,
            since_trigger,
        });
    }
    Ok(out)
}
