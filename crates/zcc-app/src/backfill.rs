//! Recover what Zoom gave up delivering: read Zoom's webhook delivery logs for a window and
//! append every `request_body` the log does not yet hold.
//!
//! Each body goes through the receiver's own preparation (`zcc_store::ingest::prepare`) and
//! append, with source [`Source::Backfill`] and a delivery row whose [`Provenance`] names the
//! attempt it was read from (`webhook_logs`, Zoom's `request_id`, `retry_num`, `date_time`
//! and the status Zoom saw). A recovered body was not signature-checked: it is Zoom's own
//! record of what it sent, read over an authenticated API. A body that is not a webhook
//! envelope goes to the quarantine with its reason, as in import.
//!
//! Idempotent: a body the log already holds is counted as already present and records
//! nothing (`DeliveryMeta::is_recorded`), and a body already quarantined by an earlier
//! recovery is not quarantined again; a second run over the same window writes nothing.

use std::collections::{HashMap, HashSet};

use zcc_store::ingest::{now_ms, prepare};
use zcc_store::projection::Backend;
use zcc_store::{DeliveryMeta, Digest, NewEvent, Provenance, QuarantineEntry, Source, StoreError};
use zcc_zoom::{WebhookLog, Window, ZoomClient, ZoomError};

/// `provenance.via` of a recovered body.
pub const VIA_WEBHOOK_LOGS: &str = "webhook_logs";

/// Zoom's handshake event: a delivery, never an event of the log (SPEC 3.1).
const URL_VALIDATION_EVENT: &str = "endpoint.url_validation";

/// How many recent quarantine entries are read, once a run meets a body that is not an
/// envelope, to recognise one an earlier recovery put there (such bodies are rare).
const QUARANTINE_LOOKBACK: usize = 1_000;

/// What to recover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackfillRequest {
    pub window: Window,
    /// Every delivery attempt (a completeness audit), not only the failed ones.
    pub all: bool,
    /// Fold what was appended into every generation that is not retired, before returning.
    /// A caller that runs a live projector (`serve`) leaves it to that.
    pub project: bool,
}

/// What a recovery did. `read` = `recovered` + `already_present` + `rejected` + `skipped`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BackfillSummary {
    /// Delivery attempts read from Zoom.
    pub read: u64,
    /// Bodies appended to the log now.
    pub recovered: u64,
    /// Attempts whose body the log already held (delivered, recovered before, or another
    /// attempt of the same event).
    pub already_present: u64,
    /// Attempts whose body is not a webhook envelope (quarantined, once).
    pub rejected: u64,
    /// Attempts with nothing to recover: no body, or Zoom's URL validation handshake.
    pub skipped: u64,
}

/// Why a recovery stopped. What was appended before it stopped stays appended (each page is
/// one commit); running it again goes on where it stopped.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("reading Zoom's webhook logs: {0}")]
    Zoom(#[from] ZoomError),
    #[error("{what}: {source}")]
    Store {
        what: &'static str,
        #[source]
        source: StoreError,
    },
    #[error("folding the recovered events: {0}")]
    Project(#[from] zcc_projector::ProjectorError),
}

fn store(what: &'static str) -> impl FnOnce(StoreError) -> BackfillError {
    move |source| BackfillError::Store { what, source }
}

/// Run one recovery; `progress` is called after each page with the counts so far.
pub async fn backfill<S: Backend + ?Sized>(
    store_: &S,
    zoom: &ZoomClient,
    request: &BackfillRequest,
    progress: &(dyn Fn(&BackfillSummary) + Send + Sync),
) -> Result<BackfillSummary, BackfillError> {
    // Bodies an earlier recovery quarantined: read only when this run meets such a body.
    let mut quarantined: Option<HashSet<Digest>> = None;
    // Each body read in this run, and what it came to: the other attempts of one event count
    // the same way.
    let mut seen: HashMap<Digest, Kind> = HashMap::new();
    let mut summary = BackfillSummary::default();
    let mut pages = zoom.webhook_logs(request.window, request.all)?;
    while let Some(page) = pages.next().await? {
        summary.read += (page.items.len() + page.unreadable) as u64;
        summary.skipped += page.unreadable as u64;
        let mut events = Vec::new();
        let mut rejects = Vec::new();
        for log in page.items {
            let body = log.request_body.as_bytes();
            let sha = Digest::of(body);
            if let Some(kind) = seen.get(&sha) {
                match kind {
                    Kind::Event => summary.already_present += 1,
                    Kind::Handshake => summary.skipped += 1,
                    Kind::Reject => summary.rejected += 1,
                }
                continue;
            }
            match recovered(&log, sha) {
                Recovered::Event(event) => {
                    seen.insert(sha, Kind::Event);
                    events.push(*event);
                }
                Recovered::Handshake => {
                    seen.insert(sha, Kind::Handshake);
                    summary.skipped += 1;
                }
                Recovered::Reject(entry) => {
                    seen.insert(sha, Kind::Reject);
                    summary.rejected += 1;
                    rejects.push(entry);
                }
            }
        }
        quarantine_once(store_, &mut quarantined, rejects).await?;
        if !events.is_empty() {
            let outcomes = store_
                .append_batch(events)
                .await
                .map_err(store("appending recovered events to the log"))?;
            let present = outcomes.iter().filter(|o| o.is_duplicate()).count() as u64;
            summary.already_present += present;
            summary.recovered += outcomes.len() as u64 - present;
        }
        progress(&summary);
    }
    if request.project && summary.recovered > 0 {
        zcc_projector::ensure_default_generation(store_).await?;
        zcc_projector::catch_up_all(store_, &()).await?;
    }
    Ok(summary)
}

/// Quarantine the bodies of `rejects` that an earlier recovery has not, reading which it has
/// the first time a run needs to know.
async fn quarantine_once<S: Backend + ?Sized>(
    store_: &S,
    known: &mut Option<HashSet<Digest>>,
    mut rejects: Vec<QuarantineEntry>,
) -> Result<(), BackfillError> {
    if rejects.is_empty() {
        return Ok(());
    }
    if known.is_none() {
        let earlier = store_
            .quarantined(QUARANTINE_LOOKBACK)
            .await
            .map_err(store("reading the quarantine"))?;
        *known = Some(
            earlier
                .into_iter()
                .filter(|q| q.source == Source::Backfill)
                .map(|q| q.body_sha256)
                .collect(),
        );
    }
    let known = known.get_or_insert_with(HashSet::new);
    rejects.retain(|q| known.insert(q.body_sha256));
    if rejects.is_empty() {
        return Ok(());
    }
    store_.quarantine(rejects).await.map_err(store(
        "writing recovered bodies that are not envelopes to the quarantine",
    ))
}

#[derive(Clone, Copy)]
enum Kind {
    Event,
    Handshake,
    Reject,
}

enum Recovered {
    Event(Box<NewEvent>),
    Handshake,
    Reject(QuarantineEntry),
}

/// The provenance recorded for a body read from `log`.
pub fn provenance(log: &WebhookLog) -> Provenance {
    Provenance {
        via: VIA_WEBHOOK_LOGS.to_owned(),
        request_id: log.request_id.clone(),
        retry_num: log.retry_num,
        date_time: log.date_time.clone(),
        status: log.status,
        failed_reason_type: log.failed_reason_type,
    }
}

fn recovered(log: &WebhookLog, sha: Digest) -> Recovered {
    let now = now_ms();
    let meta = DeliveryMeta {
        received_at_ms: now,
        headers: Vec::new(),
        provenance: Some(provenance(log)),
    };
    match prepare(
        log.request_body.as_bytes(),
        Source::Backfill,
        now,
        Some(meta),
    ) {
        Ok(event) if event.event_type == URL_VALIDATION_EVENT => Recovered::Handshake,
        Ok(event) => Recovered::Event(Box::new(event)),
        Err(not_envelope) => Recovered::Reject(QuarantineEntry {
            received_at_ms: now,
            source: Source::Backfill,
            origin: format!(
                "{VIA_WEBHOOK_LOGS}:{}",
                log.request_id.as_deref().unwrap_or("?")
            ),
            reason: not_envelope.to_string(),
            body: log.request_body.as_bytes().to_vec(),
            body_sha256: sha,
        }),
    }
}
