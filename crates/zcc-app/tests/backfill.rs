//! Backfill end to end: a simulated corpus of which 10% never reached the receiver (Zoom's
//! logs show four failed attempts of each) ends complete after one backfill from the stand-in
//! Zoom, on a real SQLite file and on PostgreSQL; a second backfill writes nothing.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use zcc_app::backfill::{BackfillRequest, BackfillSummary, VIA_WEBHOOK_LOGS, backfill};
use zcc_model::CallProjection;
use zcc_sim::{SimConfig, SimItem};
use zcc_store::ingest::prepare;
use zcc_store::projection::{Backend, GenerationState};
use zcc_store::{DeliveryMeta, Digest, Source};
use zcc_zoom::stand_in::{Credentials, StandIn, webhook_log};
use zcc_zoom::{Retry, Secret, Window, ZoomClient, ZoomConfig};

/// A body Zoom could not deliver that is not a webhook envelope.
const NOT_AN_ENVELOPE: &str = "{\"event\":\"contact_center.engagement_started\"}";

/// The distinct bodies of a simulated day that started two days ago, in delivery order.
fn corpus() -> Vec<(String, i64)> {
    let start = Utc::now() - chrono::Duration::days(2);
    let config = SimConfig {
        calls: 120,
        seed: 26,
        start_ms: start.timestamp_millis(),
        ..SimConfig::default()
    };
    let mut seen = HashSet::new();
    zcc_sim::generate(&config)
        .unwrap()
        .filter_map(|item| match item {
            SimItem::Webhook(d) => Some((d.body, d.deliver_at_ms)),
            SimItem::Truth(_) => None,
        })
        .filter(|(body, _)| seen.insert(body.clone()))
        .collect()
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

pub fn client(zoom: &StandIn) -> ZoomClient {
    let c = &zoom.credentials;
    let mut config = ZoomConfig::new(&c.account_id, &c.client_id, Secret::new(&c.client_secret));
    config.api_url = zoom.url.clone();
    config.oauth_url = zoom.url.clone();
    config.app_id = Some(c.app_id.clone());
    config.retry = Retry {
        base: std::time::Duration::from_millis(10),
        ..Retry::default()
    };
    ZoomClient::new(config).unwrap()
}

/// Deliver 90% of the corpus to `store` as the receiver would, and give the stand-in Zoom's
/// logs of every attempt: one success for each delivered body, four failures (the first try
/// and three retries) for each of the others. Returns the bodies never delivered.
async fn deliver_most(
    store: &dyn Backend,
    zoom: &StandIn,
    corpus: &[(String, i64)],
) -> Vec<String> {
    let mut delivered = Vec::new();
    let mut dropped = Vec::new();
    let mut logs = Vec::new();
    for (i, (body, ms)) in corpus.iter().enumerate() {
        let request_id = format!("req-{i}");
        if i % 10 == 3 {
            for (retry, minutes) in [0, 5, 25, 85].into_iter().enumerate() {
                let t = at(ms + minutes * 60_000).min(Utc::now());
                logs.push(webhook_log(body, t, 503, retry as i64, &request_id));
            }
            dropped.push(body.clone());
        } else {
            logs.push(webhook_log(body, at(*ms), 200, 0, &request_id));
            let meta = DeliveryMeta {
                received_at_ms: *ms,
                headers: vec![("x-zm-request-id".into(), request_id)],
                provenance: None,
            };
            delivered.push(prepare(body.as_bytes(), Source::Http, *ms, Some(meta)).unwrap());
        }
    }
    let t = at(corpus[0].1);
    for retry in 0..4 {
        logs.push(webhook_log(NOT_AN_ENVELOPE, t, -1, retry, "req-bad"));
    }
    for chunk in delivered.chunks(500) {
        store.append_batch(chunk.to_vec()).await.unwrap();
    }
    zoom.add_webhook_logs(logs);
    dropped
}

fn last_week() -> Window {
    let now = Utc::now();
    Window::new(
        now - chrono::Duration::days(7) + chrono::Duration::minutes(1),
        now,
    )
    .unwrap()
}

/// Each engagement's conferences, without evidence (positions differ between two logs).
async fn conferences(
    store: &dyn Backend,
) -> BTreeMap<String, Vec<(i64, Option<i64>, Vec<String>)>> {
    let generation = store
        .generations()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.state == GenerationState::Active)
        .expect("an active generation");
    let mut out = BTreeMap::new();
    let mut after: Option<zcc_store::EngagementId> = None;
    loop {
        let page = store
            .scan_projections(generation.id, after.as_ref(), 500)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.engagement_id.clone());
        for doc in page {
            let p: CallProjection = serde_json::from_str(&doc.doc).unwrap();
            let list = p
                .conferences
                .iter()
                .map(|c| (c.started_at, c.ended_at, c.participants.clone()))
                .collect();
            out.insert(doc.engagement_id.to_string(), list);
        }
    }
    out
}

async fn scenario(store: Arc<dyn Backend>, complete: Arc<dyn Backend>) {
    let corpus = corpus();
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    let dropped = deliver_most(store.as_ref(), &zoom, &corpus).await;
    assert_eq!(
        dropped.len(),
        (0..corpus.len()).filter(|i| i % 10 == 3).count()
    );
    let deliveries_before = store.deliveries(1_000_000).await.unwrap().len();
    let client = client(&zoom);
    let request = BackfillRequest {
        window: last_week(),
        all: false,
        project: true,
    };

    let first = backfill(store.as_ref(), &client, &request, &|_| {})
        .await
        .unwrap();
    let dropped_n = dropped.len() as u64;
    assert_eq!(
        first,
        BackfillSummary {
            read: 4 * dropped_n + 4,
            recovered: dropped_n,
            already_present: 3 * dropped_n,
            rejected: 4,
            skipped: 0,
        }
    );

    // Every distinct body exactly once.
    let head = store.head().await.unwrap();
    assert_eq!(head.size as usize, corpus.len());
    let entries = store
        .read_after(zcc_store::Position(0), 1_000_000)
        .await
        .unwrap();
    let stored: HashSet<Digest> = entries.iter().map(|e| e.body_sha256).collect();
    let expected: HashSet<Digest> = corpus
        .iter()
        .map(|(b, _)| Digest::of(b.as_bytes()))
        .collect();
    assert_eq!(stored, expected);
    let recovered: HashSet<&str> = entries
        .iter()
        .filter(|e| e.source == Source::Backfill)
        .map(|e| e.body.as_str())
        .collect();
    assert_eq!(
        recovered,
        dropped.iter().map(String::as_str).collect::<HashSet<_>>()
    );

    // Each recovered event's delivery names the attempt it was read from.
    let deliveries = store.deliveries(1_000_000).await.unwrap();
    let recovered_rows: Vec<_> = deliveries
        .iter()
        .filter(|d| d.meta.provenance.is_some())
        .collect();
    assert_eq!(recovered_rows.len(), dropped.len());
    for d in &recovered_rows {
        let p = d.meta.provenance.as_ref().unwrap();
        assert_eq!(p.via, VIA_WEBHOOK_LOGS);
        assert_eq!(p.status, Some(503));
        assert_eq!(p.retry_num, Some(0), "the first attempt read");
        assert!(
            p.request_id
                .as_deref()
                .is_some_and(|r| r.starts_with("req-"))
        );
        assert!(p.date_time.is_some());
    }
    let bad: Vec<_> = store
        .quarantined(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|q| q.source == Source::Backfill)
        .collect();
    assert_eq!(
        bad.len(),
        1,
        "the body that is not an envelope, quarantined once"
    );
    assert_eq!(bad[0].origin, "webhook_logs:req-bad");
    assert_eq!(bad[0].body, NOT_AN_ENVELOPE.as_bytes());

    let report = zcc_store::verify::verify(store.as_ref(), None, |_| {})
        .await
        .unwrap();
    assert!(report.ok(), "{report:?}");

    // Conferences as with full delivery.
    let all: Vec<_> = corpus
        .iter()
        .map(|(b, ms)| prepare(b.as_bytes(), Source::Import, *ms, None).unwrap())
        .collect();
    complete.append_batch(all).await.unwrap();
    zcc_projector::ensure_default_generation(complete.as_ref())
        .await
        .unwrap();
    zcc_projector::catch_up_all(complete.as_ref(), &())
        .await
        .unwrap();
    let recovered_conferences = conferences(store.as_ref()).await;
    assert!(
        recovered_conferences.values().any(|c| !c.is_empty()),
        "the corpus has conferences"
    );
    assert_eq!(recovered_conferences, conferences(complete.as_ref()).await);

    // A second backfill appends nothing and records nothing.
    let second = backfill(store.as_ref(), &client, &request, &|_| {})
        .await
        .unwrap();
    assert_eq!(second.recovered, 0);
    assert_eq!(second.already_present, 4 * dropped_n);
    assert_eq!(store.head().await.unwrap(), head);
    assert_eq!(
        store.deliveries(1_000_000).await.unwrap().len(),
        deliveries_before + dropped.len()
    );
    let bad_after = store.quarantined(100).await.unwrap().len();
    assert_eq!(bad_after, 1);
    let conferences = recovered_conferences.values().map(Vec::len).sum();
    say(corpus.len(), dropped.len(), &first, &second, conferences);
}

/// What the scenario measured, for the record.
fn say(
    bodies: usize,
    dropped: usize,
    first: &BackfillSummary,
    second: &BackfillSummary,
    conferences: usize,
) {
    eprintln!(
        "{bodies} distinct bodies, {dropped} never delivered; first backfill {first:?}; \
         second {second:?}; {conferences} conferences as with full delivery; verify ok"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_completes_a_sqlite_log_once() {
    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str| -> Arc<dyn Backend> {
        Arc::new(
            zcc_store_sqlite::SqliteLog::open(dir.path().join(name).to_str().unwrap()).unwrap(),
        )
    };
    scenario(open("ledger.db"), open("complete.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_completes_a_postgres_log_once() {
    let db = zcc_tests::fresh_database_async().await;
    let complete = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    let full = zcc_store_postgres::PostgresLog::connect(&complete.url)
        .await
        .unwrap();
    scenario(Arc::new(store), Arc::new(full)).await;
}
