//! Issue 27's acceptance run (`zcc-bench deliver-acceptance`): a realistic corpus (`simulate`,
//! with its duplicates, reordering and hours-late retries) sent over HTTP to `serve`, which is
//! killed with SIGKILL once mid-stream and started again; the webhooks it did not answer are
//! sent again, as Zoom does. One subscription's receiver verifies every signature and answers
//! 500 to the first attempt at a share of the messages. At the end the subscriber's state,
//! built by the documented rule (`zcc_deliver::subscriber`), must equal every engagement's
//! final `derived_events` export; any difference, bad signature, failed or missing message is
//! an error (a non-zero exit).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use zcc_deliver::subscriber::{self, Subscriber};

use crate::Database;
use crate::ingest::{SECRET, sign};
use crate::load::{self, Signed, read_answer_body};
use crate::outbound::Ledger;
use crate::target::{ledger, start_serve};

/// How the run goes.
pub struct Plan {
    pub backend: Database,
    pub calls: usize,
    pub seed: u64,
    /// Answer 500 to the first attempt at one message in this many.
    pub fail_one_in: u32,
    /// Kill the server once this share of the webhooks has been answered.
    pub kill_at: f64,
    /// `serve --delivery-retry-base-ms`.
    pub retry_base_ms: u64,
    /// Connections sending webhooks at once.
    pub connections: usize,
}

/// Webhooks sent so far: which were answered 200.
struct Sending {
    bodies: Vec<String>,
    answered: Vec<bool>,
    /// Requests sent in all (first sends and resends).
    requests: usize,
}

impl Sending {
    fn unanswered(&self) -> Vec<usize> {
        (0..self.answered.len())
            .filter(|&i| !self.answered[i])
            .collect()
    }

    /// Send the unanswered webhooks to `base` (signed now, in corpus order); when `kill` is
    /// given, kill that server once `kill_after` of them are answered. Each connection stops
    /// at its first failure; what it did not get answered stays unanswered.
    async fn round(
        &mut self,
        base: &str,
        kill: Option<(&mut std::process::Child, usize)>,
        connections: usize,
    ) -> anyhow::Result<usize> {
        let order = self.unanswered();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let signed: Vec<Signed> = self.bodies.iter().map(|b| sign(ts, b.clone())).collect();
        let rendered = Arc::new(load::render(base, ts, &signed));
        let order = Arc::new(order);
        let next = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections {
            let (base, rendered, order, next, done) = (
                base.to_owned(),
                Arc::clone(&rendered),
                Arc::clone(&order),
                Arc::clone(&next),
                Arc::clone(&done),
            );
            tasks.push(tokio::spawn(async move {
                connection(&base, &rendered, &order, &next, &done).await
            }));
        }
        if let Some((child, after)) = kill {
            while done.load(Ordering::Relaxed) < after && !tasks.iter().all(|t| t.is_finished()) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            child.kill().context("killing serve")?;
            let _ = child.wait();
        }
        for t in tasks {
            for i in t.await.context("a sending connection panicked")? {
                self.answered[i] = true;
            }
        }
        self.requests += next.load(Ordering::Relaxed).min(order.len());
        Ok(done.load(Ordering::Relaxed))
    }
}

/// One keep-alive connection sending the next request of `order` until none is left or the
/// server fails it; the indices answered 200.
async fn connection(
    addr: &str,
    rendered: &[Vec<u8>],
    order: &[usize],
    next: &AtomicUsize,
    done: &AtomicUsize,
) -> Vec<usize> {
    let mut answered = Vec::new();
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return answered;
    };
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(&i) = order.get(k) else { break };
        if stream.write_all(&rendered[i]).await.is_err() {
            break;
        }
        match read_answer_body(&mut stream, &mut buf).await {
            Ok((200, _)) => {
                answered.push(i);
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    answered
}

/// The whole run; an error on any mismatch.
pub async fn run(plan: Plan) -> anyhow::Result<()> {
    let mut db = Ledger::new(plan.backend).await?;
    let corpus = db.simulate(plan.calls, plan.seed)?;
    let bodies: Vec<String> = std::fs::read_to_string(&corpus)
        .with_context(|| format!("reading {}", corpus.display()))?
        .lines()
        .map(str::to_owned)
        .collect();
    let webhooks = bodies.len();
    let receiver = db.subscribe(plan.fail_one_in).await?;
    let retry = plan.retry_base_ms.to_string();
    let flags = [
        "--allow-private-targets",
        "--delivery-retry-base-ms",
        retry.as_str(),
    ];
    let mut sending = Sending {
        bodies,
        answered: vec![false; webhooks],
        requests: 0,
    };
    let started = Instant::now();
    let (mut serve, base) = start_serve(&db.url(), SECRET, &flags)?;
    let kill_after = (webhooks as f64 * plan.kill_at) as usize;
    let before_kill = sending
        .round(&base, Some((&mut serve, kill_after)), plan.connections)
        .await?;
    let killed_at = started.elapsed();
    let (mut serve, base) = start_serve(&db.url(), SECRET, &flags)?;
    let mut rounds = 1;
    while !sending.unanswered().is_empty() {
        if rounds > 5 {
            let _ = serve.kill();
            bail!(
                "{} webhooks still unanswered after {rounds} rounds",
                sending.unanswered().len()
            );
        }
        sending.round(&base, None, plan.connections).await?;
        rounds += 1;
    }
    let all_answered = started.elapsed();
    let settled = db.settle(&receiver, Duration::from_secs(900)).await;
    let _ = serve.kill();
    let _ = serve.wait();
    settled?;
    let finished = started.elapsed();
    eprintln!(
        "{webhooks} webhooks ({} requests with the resends); serve killed after {before_kill} \
         answers at {:.1} s, all answered by {:.1} s, everything delivered by {:.1} s",
        sending.requests,
        killed_at.as_secs_f64(),
        all_answered.as_secs_f64(),
        finished.as_secs_f64()
    );
    check(&mut db, &receiver, &plan).await
}

/// Compare what the subscriber holds with the export, engagement by engagement.
async fn check(
    db: &mut Ledger,
    receiver: &crate::receiver::Receiver,
    plan: &Plan,
) -> anyhow::Result<()> {
    let counts = db.counts().await?;
    let entries = db.progress().await?.entries;
    let log = receiver.take();
    let mut problems = Vec::new();
    if let Some(first) = log.bad.first() {
        problems.push(format!(
            "{} messages failed verification, the first: {first}",
            log.bad.len()
        ));
    }
    if counts.failed > 0 || counts.pending > 0 || counts.delivered != log.arrivals.len() {
        problems.push(format!(
            "the outbox: {counts:?}, the receiver accepted {}",
            log.arrivals.len()
        ));
    }
    let mut subscriber = Subscriber::default();
    let mut retractions = 0;
    for a in &log.arrivals {
        let body: serde_json::Value = serde_json::from_slice(&a.body)
            .with_context(|| format!("message {} is not JSON", a.webhook_id))?;
        retractions += usize::from(body["type"] == "derived_event.retracted");
        subscriber
            .accept(&body)
            .map_err(|e| anyhow::anyhow!("the receiver's message {}: {e}", a.webhook_id))?;
    }
    let exported = ledger(
        &db.url(),
        &["export", "derived_events", "--format", "jsonl"],
    )?;
    let expected = subscriber::group(
        exported
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<Vec<serde_json::Value>, _>>()
            .context("the derived_events export is not JSON Lines")?,
    );
    let held = subscriber.by_engagement();
    let engagements: BTreeSet<&String> = expected.keys().chain(held.keys()).collect();
    let mut differ = Vec::new();
    for e in &engagements {
        if expected.get(*e) != held.get(*e) {
            differ.push((*e).clone());
        }
    }
    let conferences = |rows: &std::collections::BTreeMap<String, Vec<serde_json::Value>>| {
        rows.values()
            .flatten()
            .filter(|r| r["kind"] == "conference_started")
            .count()
    };
    println!(
        "| deliver-acceptance | {:?} | {} calls, {entries} log entries | {} messages queued, {} attempts, {} first attempts answered 500, {} arrived again | {} retractions; {} engagements, {} facts exported, {} held; conference starts {} exported, {} held | {} engagements differ |",
        plan.backend,
        plan.calls,
        counts.queued,
        counts.attempts,
        log.failed_first,
        log.repeats,
        retractions,
        engagements.len(),
        expected.values().map(Vec::len).sum::<usize>(),
        held.values().map(Vec::len).sum::<usize>(),
        conferences(&expected),
        conferences(&held),
        differ.len()
    );
    for e in differ.iter().take(3) {
        problems.push(format!(
            "engagement {e}: exported {:?}, the subscriber holds {:?}",
            expected.get(e),
            held.get(e)
        ));
    }
    if differ.len() > 3 {
        problems.push(format!("and {} more engagements differ", differ.len() - 3));
    }
    if log.failed_first == 0 {
        problems.push("no first attempt was answered 500: the retries were not exercised".into());
    }
    if !problems.is_empty() {
        bail!("acceptance failed:\n- {}", problems.join("\n- "));
    }
    println!("acceptance: every signature verified; the subscriber's state equals the export");
    Ok(())
}
