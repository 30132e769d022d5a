//! The delivery worker `serve` runs: one task per active subscription, so one slow or dead
//! endpoint never delays another. Within a subscription, messages of one engagement go one at a
//! time in queue order (the next waits until the one before is delivered or failed), and up to
//! [`WorkerConfig::concurrency`] engagements are in flight at once.
//!
//! An attempt: sign the stored body with a fresh `webhook-timestamp` (the `webhook-id` is the
//! message's own), POST it with a time-out, and record the outcome (the outcomes that arrived
//! together in one commit): a 2xx is delivered; 410 Gone fails the message and disables the
//! subscription; anything else (another status, a time-out, a refused or failed connection) is
//! retried per [`Backoff`], and fails once the message is older than its give-up time.
//! Everything lives in the database, so a worker killed at any moment resumes with the
//! messages still pending: at least once.
//!
//! Metrics: `zcc_outbound_deliveries_total{outcome}` (`delivered`, `retry`, `failed`, `gone`),
//! `zcc_outbound_pending_messages{subscription}` and
//! `zcc_outbound_oldest_pending_seconds{subscription}`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};
use zcc_store::outbound::{
    Attempt, AttemptOutcome, OutboundStore, OutboxMessage, Subscription, SubscriptionId,
    SubscriptionState,
};

use crate::backoff::Backoff;
use crate::secret;
use crate::sign::{self, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::target::{self, GuardedResolver};

pub const DELIVERIES: &str = "zcc_outbound_deliveries_total";
pub const PENDING: &str = "zcc_outbound_pending_messages";
pub const OLDEST_PENDING: &str = "zcc_outbound_oldest_pending_seconds";

/// How the worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The longest one attempt may take.
    pub timeout: Duration,
    pub backoff: Backoff,
    /// Engagements of one subscription in flight at once.
    pub concurrency: usize,
    /// Whether loopback, private and link-local targets are allowed.
    pub allow_private: bool,
    /// How often an idle subscription looks for due messages, and the worker for new or
    /// changed subscriptions.
    pub poll: Duration,
    /// How often the outbox gauges are refreshed.
    pub stats_every: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            timeout: Duration::from_secs(10),
            backoff: Backoff::default(),
            concurrency: 32,
            allow_private: false,
            poll: Duration::from_millis(200),
            stats_every: Duration::from_secs(5),
        }
    }
}

/// The running worker. Dropping it does not stop it; [`WorkerHandle::shutdown`] does.
pub struct WorkerHandle {
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stop every subscription's task (messages in flight stay pending: they are sent again).
    pub async fn shutdown(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Start the worker on the current tokio runtime.
pub fn spawn<S: OutboundStore + ?Sized>(
    store: Arc<S>,
    config: WorkerConfig,
) -> Result<WorkerHandle, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: config.allow_private,
        }))
        .user_agent(concat!("zcc-ledger/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let task = tokio::spawn(supervise(store, client, Arc::new(config)));
    Ok(WorkerHandle { task })
}

/// Keep one task per active subscription; refresh the outbox gauges.
async fn supervise<S: OutboundStore + ?Sized>(
    store: Arc<S>,
    client: reqwest::Client,
    config: Arc<WorkerConfig>,
) {
    let mut running: HashMap<SubscriptionId, JoinHandle<()>> = HashMap::new();
    let mut stats_due = tokio::time::Instant::now();
    // Aborting the tasks when this one is aborted.
    struct AbortAll<'a>(&'a mut HashMap<SubscriptionId, JoinHandle<()>>);
    impl Drop for AbortAll<'_> {
        fn drop(&mut self) {
            for task in self.0.values() {
                task.abort();
            }
        }
    }
    let guard = AbortAll(&mut running);
    loop {
        match store.subscriptions().await {
            Ok(subscriptions) => {
                let active: HashMap<SubscriptionId, Subscription> = subscriptions
                    .iter()
                    .filter(|s| s.state == SubscriptionState::Active)
                    .map(|s| (s.id, s.clone()))
                    .collect();
                guard.0.retain(|id, task| {
                    let keep = active.contains_key(id) && !task.is_finished();
                    if !keep {
                        task.abort();
                    }
                    keep
                });
                for (id, sub) in active {
                    guard.0.entry(id).or_insert_with(|| {
                        tokio::spawn(deliver(
                            Arc::clone(&store),
                            client.clone(),
                            Arc::clone(&config),
                            sub,
                        ))
                    });
                }
                if tokio::time::Instant::now() >= stats_due {
                    refresh_gauges(&*store, &subscriptions).await;
                    stats_due = tokio::time::Instant::now() + config.stats_every;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "delivery: cannot read the subscriptions; retrying")
            }
        }
        tokio::time::sleep(config.poll).await;
    }
}

async fn refresh_gauges<S: OutboundStore + ?Sized>(store: &S, subscriptions: &[Subscription]) {
    let stats = match store.outbox_stats().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "delivery: cannot read the outbox's statistics");
            return;
        }
    };
    let now = now_ms();
    for sub in subscriptions {
        let id = sub.id.to_string();
        let s = stats.iter().find(|s| s.subscription == sub.id);
        let pending = s.map_or(0, |s| s.pending);
        let oldest = s
            .and_then(|s| s.oldest_pending_ms)
            .map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0);
        metrics::gauge!(PENDING, "subscription" => id.clone()).set(pending as f64);
        metrics::gauge!(OLDEST_PENDING, "subscription" => id).set(oldest);
    }
}

fn now_ms() -> i64 {
    zcc_store::ingest::now_ms()
}

/// One subscription's loop: take due messages (first of their engagement), at most one in
/// flight per engagement and `concurrency` in all. The answers that arrived together are
/// recorded in one commit, and only then are their engagements free for their next message
/// (which must not go before the one ahead of it is recorded delivered).
async fn deliver<S: OutboundStore + ?Sized>(
    store: Arc<S>,
    client: reqwest::Client,
    config: Arc<WorkerConfig>,
    sub: Subscription,
) {
    let key = match secret::key(&sub.secret) {
        Ok(k) => Arc::new(k),
        Err(e) => {
            tracing::error!(subscription = %sub.id, error = %e, "delivery: the subscription's stored secret is unusable; not delivering");
            return;
        }
    };
    let sub = Arc::new(sub);
    let mut in_flight: HashSet<String> = HashSet::new();
    let mut sends: JoinSet<(String, Attempt)> = JoinSet::new();
    let mut done: Vec<(String, Attempt)> = Vec::new();
    loop {
        while let Some(finished) = sends.try_join_next() {
            done.extend(finished.ok());
        }
        if !done.is_empty() {
            let attempts: Vec<Attempt> = done.iter().map(|(_, a)| a.clone()).collect();
            record(&*store, &sub, &attempts).await;
            for (engagement, _) in done.drain(..) {
                in_flight.remove(&engagement);
            }
        }
        let room = config.concurrency.saturating_sub(in_flight.len());
        let mut started = 0;
        if room > 0 {
            match store
                .due_messages(sub.id, now_ms(), config.concurrency * 2)
                .await
            {
                Ok(due) => {
                    for m in due {
                        if started == room || in_flight.contains(&m.engagement_key) {
                            continue;
                        }
                        in_flight.insert(m.engagement_key.clone());
                        started += 1;
                        sends.spawn(attempt(
                            client.clone(),
                            Arc::clone(&config),
                            Arc::clone(&sub),
                            Arc::clone(&key),
                            m,
                        ));
                    }
                }
                Err(e) => {
                    tracing::warn!(subscription = %sub.id, error = %e, "delivery: cannot read the outbox; retrying");
                }
            }
        }
        if started > 0 && in_flight.len() < config.concurrency {
            continue;
        }
        tokio::select! {
            Some(finished) = sends.join_next(), if !sends.is_empty() => {
                done.extend(finished.ok());
            }
            () = tokio::time::sleep(config.poll) => {}
        }
    }
}

/// Record attempts in one commit, trying again a little later if the store refuses. A record
/// lost in the end only means those messages are sent again (at least once).
async fn record<S: OutboundStore + ?Sized>(store: &S, sub: &Subscription, attempts: &[Attempt]) {
    for wait in [0, 100, 1000] {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        match store.record_attempts(attempts).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(subscription = %sub.id, attempts = attempts.len(), error = %e, "delivery: cannot record attempts");
            }
        }
    }
}

/// One attempt at one message: its engagement key and what to record.
async fn attempt(
    client: reqwest::Client,
    config: Arc<WorkerConfig>,
    sub: Arc<Subscription>,
    key: Arc<Vec<u8>>,
    m: OutboxMessage,
) -> (String, Attempt) {
    let status = send(&client, &config, &sub, &key, &m).await;
    let at_ms = now_ms();
    let outcome = match &status {
        Ok(code) if (200..300).contains(code) => AttemptOutcome::Delivered,
        Ok(410) => AttemptOutcome::Gone,
        _ => config
            .backoff
            .next_attempt(m.attempts + 1, m.created_at_ms, at_ms, &mut rand::rng())
            .map_or(AttemptOutcome::Failed, AttemptOutcome::RetryAt),
    };
    let label = match outcome {
        AttemptOutcome::Delivered => "delivered",
        AttemptOutcome::RetryAt(_) => "retry",
        AttemptOutcome::Failed => "failed",
        AttemptOutcome::Gone => "gone",
    };
    metrics::counter!(DELIVERIES, "outcome" => label).increment(1);
    let status = status.map_or_else(|e| e, |c| c.to_string());
    if outcome == AttemptOutcome::Gone {
        tracing::warn!(subscription = %sub.id, url = %sub.url, "delivery: the endpoint answered 410 Gone; subscription disabled");
    }
    let record = Attempt {
        message: m.id,
        at_ms,
        status,
        outcome,
    };
    (m.engagement_key, record)
}

/// POST one message: its HTTP status, or what went wrong.
async fn send(
    client: &reqwest::Client,
    config: &WorkerConfig,
    sub: &Subscription,
    key: &[u8],
    m: &OutboxMessage,
) -> Result<u16, String> {
    let url =
        target::check_url(&sub.url, config.allow_private).map_err(|e| format!("refused: {e}"))?;
    let timestamp = now_ms() / 1000;
    let signature = sign::sign(key, &m.webhook_id, timestamp, m.body.as_bytes());
    let answer = client
        .post(url)
        .header(ID_HEADER, &m.webhook_id)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(m.body.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(answer.status().as_u16())
}

/// A failed request in a few words (`timeout`, `connect: ...`), with its causes.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timeout".to_owned();
    }
    let what = if e.is_connect() { "connect" } else { "request" };
    let mut text = what.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
