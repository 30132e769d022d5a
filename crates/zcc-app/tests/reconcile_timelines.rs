//! Reconcile with Zoom's engagement timelines, against a stand-in Zoom whose dataset and
//! timelines are the ledger's own calls (each participant's conference segment a second or two
//! off, within the tolerance) with a few planted differences: the report names exactly those,
//! on a real SQLite file and on PostgreSQL.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use zcc_app::call::decode;
use zcc_app::reconcile::{BOUNDS_TOLERANCE_MS, Field, ReconcileRequest, reconcile};
use zcc_app::select::{Selector, choose};
use zcc_model::{CallProjection, TransferOutcome};
use zcc_sim::{SimConfig, SimItem};
use zcc_store::Source;
use zcc_store::ingest::prepare;
use zcc_store::projection::{Backend, SearchFilter};
use zcc_zoom::stand_in::{Credentials, StandIn};
use zcc_zoom::{Secret, Window, ZoomClient, ZoomConfig};

fn client(zoom: &StandIn) -> ZoomClient {
    let c = &zoom.credentials;
    let mut config = ZoomConfig::new(&c.account_id, &c.client_id, Secret::new(&c.client_secret));
    config.api_url = zoom.url.clone();
    config.oauth_url = zoom.url.clone();
    ZoomClient::new(config).unwrap()
}

fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn segment(kind: &str, start: i64, end: Option<i64>) -> Value {
    let mut s = json!({"segment_type": kind, "start_time": time(start), "end_reason": "ended"});
    if let Some(end) = end {
        s["end_time"] = json!(time(end));
    }
    s
}

/// Import a simulated corpus; return every call's projection in the active generation.
async fn ledger(store: &dyn Backend, start_ms: i64) -> Vec<(i64, CallProjection)> {
    let config = SimConfig {
        calls: 60,
        seed: 2727,
        start_ms,
        ..SimConfig::default()
    };
    let mut events = Vec::new();
    let mut seen = BTreeSet::new();
    for item in zcc_sim::generate(&config).unwrap() {
        if let SimItem::Webhook(d) = item
            && seen.insert(d.body.clone())
        {
            events.push(prepare(d.body.as_bytes(), Source::Import, d.deliver_at_ms, None).unwrap());
        }
    }
    store.append_batch(events).await.unwrap();
    zcc_projector::ensure_default_generation(store)
        .await
        .unwrap();
    zcc_projector::catch_up_all(store, &()).await.unwrap();
    let generation = choose(store, &Selector::Active).await.unwrap();
    let docs = store
        .search(generation.id, &SearchFilter::default(), None, 1000)
        .await
        .unwrap();
    docs.iter()
        .map(|doc| {
            let start = doc.started_at_ms.expect("a simulated call has a start");
            (start, decode(generation.id, doc).unwrap())
        })
        .collect()
}

/// Zoom's dataset row of a call: the ledger's own counts, so only the bounds can differ.
fn dataset_row(start: i64, p: &CallProjection) -> Value {
    let completed = p
        .transfers
        .iter()
        .filter(|t| t.outcome == TransferOutcome::Completed)
        .count();
    let users: Vec<Value> = p.agents().iter().map(|a| json!({"user_id": a})).collect();
    json!({
        "engagement_id": p.engagement.engagement_id, "start_time": time(start),
        "hold_count": p.holds.len(), "conference_count": p.conferences.len(),
        "transfer_completed_count": completed, "users": users,
    })
}

/// Zoom's timeline of a call: a queue segment at its start, each hold as the holding agent's
/// segment, each conference as one segment per participant, a second or two off each other.
fn timeline(start: i64, p: &CallProjection) -> Value {
    let mut entities = vec![json!({
        "entity": {"entity_id": "queue-1", "entity_type": "Queue"},
        "segments": [segment("queue_waiting_segment", start, Some(start + 1_000))],
    })];
    for h in &p.holds {
        entities.push(json!({
            "entity": {"entity_id": h.user_id.clone().unwrap_or_default(), "entity_type": "Agent"},
            "segments": [segment("agent_hold_segment", h.started_at, h.ended_at)],
        }));
    }
    for c in &p.conferences {
        let mut who = c.participants.clone();
        if who.is_empty() {
            who.push("agent-alone".into());
        }
        for (i, agent) in who.iter().enumerate() {
            let kind = if i % 2 == 0 {
                "agent_conference_segment"
            } else {
                "agent_warm_conference_segment"
            };
            let off = i as i64 % 3 * 1_000;
            entities.push(json!({
                "entity": {"entity_id": agent, "entity_type": "Agent"},
                "segments": [segment(kind, c.started_at + off, c.ended_at.map(|e| e - off / 2))],
            }));
        }
    }
    json!({"engagement_id": p.engagement.engagement_id, "channels": ["voice"], "entity_timelines": entities})
}

fn id(p: &CallProjection) -> String {
    p.engagement.engagement_id.to_string()
}

#[allow(clippy::too_many_lines)] // one scenario, end to end
async fn scenario(store: Arc<dyn Backend>) {
    let start = Utc::now() - chrono::Duration::days(3);
    let calls = ledger(store.as_ref(), start.timestamp_millis()).await;
    assert_eq!(calls.len(), 60);
    let window = Window::new(
        start - chrono::Duration::minutes(1),
        start + chrono::Duration::days(1),
    )
    .unwrap();
    let request = ReconcileRequest {
        window,
        timelines: true,
    };
    let mut timelines: Vec<Value> = calls.iter().map(|(s, p)| timeline(*s, p)).collect();
    let dataset: Vec<Value> = calls.iter().map(|(s, p)| dataset_row(*s, p)).collect();

    // As the ledger has it: everything agrees, and the bounds were compared for every call.
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    zoom.add_engagements(dataset.clone());
    zoom.add_engagement_timelines(timelines.clone());
    let agreed = reconcile(store.as_ref(), &client(&zoom), &request)
        .await
        .unwrap();
    assert_eq!(agreed.disagreements, vec![], "nothing planted yet");
    assert_eq!(agreed.zoom_timelines, 60);
    for field in Field::TIMELINE {
        let t = agreed.tallies.iter().find(|t| t.field == field).unwrap();
        assert_eq!((t.compared, t.agreed), (60, 60), "{field:?}");
    }

    // Planted: a hold Zoom starts 30 s later, a conference Zoom has no segments of, and a
    // conference only Zoom has. Within the tolerance, a hold Zoom ends 3 s earlier agrees.
    let with = |f: &dyn Fn(&CallProjection) -> bool, skip: &[usize]| {
        (0..calls.len())
            .find(|i| !skip.contains(i) && f(&calls[*i].1))
            .expect("the corpus has such a call")
    };
    let held = with(
        &|p| p.holds.len() == 1 && p.holds[0].ended_at.is_some(),
        &[],
    );
    let near = with(
        &|p| p.holds.len() == 1 && p.holds[0].ended_at.is_some(),
        &[held],
    );
    let conferenced = with(&|p| !p.conferences.is_empty(), &[held, near]);
    let plain = with(&|p| p.conferences.is_empty(), &[held, near, conferenced]);

    let hold = &calls[held].1.holds[0];
    let shifted = hold.started_at + 30_000;
    for e in timelines[held]["entity_timelines"].as_array_mut().unwrap() {
        for s in e["segments"].as_array_mut().unwrap() {
            if s["segment_type"] == "agent_hold_segment" {
                s["start_time"] = json!(time(shifted));
            }
        }
    }
    let near_end = calls[near].1.holds[0].ended_at.unwrap() - (BOUNDS_TOLERANCE_MS - 2_000);
    for e in timelines[near]["entity_timelines"].as_array_mut().unwrap() {
        for s in e["segments"].as_array_mut().unwrap() {
            if s["segment_type"] == "agent_hold_segment" {
                s["end_time"] = json!(time(near_end));
            }
        }
    }
    for e in timelines[conferenced]["entity_timelines"]
        .as_array_mut()
        .unwrap()
    {
        e["segments"]
            .as_array_mut()
            .unwrap()
            .retain(|s| !s["segment_type"].as_str().unwrap().contains("conference"));
    }
    let (plain_start, _) = calls[plain];
    let extra = (plain_start + 60_000, plain_start + 120_000);
    timelines[plain]["entity_timelines"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "entity": {"entity_id": "agent-zoom-only", "entity_type": "Agent"},
            "segments": [segment("agent_warm_conference_segment", extra.0, Some(extra.1))],
        }));
    // A timeline of a call neither side lists in its dataset is not compared.
    timelines.push(timeline(plain_start, &{
        let mut other = calls[plain].1.clone();
        other.engagement.engagement_id = "TimelineOnly".into();
        other
    }));

    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    zoom.add_engagements(dataset);
    zoom.add_engagement_timelines(timelines);
    let report = reconcile(store.as_ref(), &client(&zoom), &request)
        .await
        .unwrap();
    let found: BTreeSet<(String, Field)> = report
        .disagreements
        .iter()
        .map(|d| (d.engagement_id.clone(), d.field))
        .collect();
    let expected: BTreeSet<(String, Field)> = [
        (id(&calls[held].1), Field::HoldBounds),
        (id(&calls[conferenced].1), Field::ConferenceBounds),
        (id(&calls[plain].1), Field::ConferenceBounds),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected, "{:#?}", report.disagreements);

    let row = |engagement: &str, field: Field| {
        report
            .disagreements
            .iter()
            .find(|d| d.engagement_id == engagement && d.field == field)
            .unwrap()
            .clone()
    };
    let hold_row = row(&id(&calls[held].1), Field::HoldBounds);
    assert_eq!(hold_row.zoom[0]["start"], json!(time(shifted)));
    assert_eq!(hold_row.ledger[0]["start"], json!(time(hold.started_at)));
    assert_eq!(
        hold_row.ledger[0]["end"],
        json!(time(hold.ended_at.unwrap()))
    );
    let dropped = row(&id(&calls[conferenced].1), Field::ConferenceBounds);
    assert_eq!(dropped.zoom, json!([]));
    assert_eq!(
        dropped.ledger.as_array().unwrap().len(),
        calls[conferenced].1.conferences.len()
    );
    let added = row(&id(&calls[plain].1), Field::ConferenceBounds);
    assert_eq!(
        added.zoom,
        json!([{"start": time(extra.0), "end": time(extra.1)}])
    );
    assert_eq!(added.ledger, json!([]));
    let tally = |f: Field| *report.tallies.iter().find(|t| t.field == f).unwrap();
    assert_eq!(
        (
            tally(Field::HoldBounds).compared,
            tally(Field::HoldBounds).agreed
        ),
        (60, 59)
    );
    assert_eq!(
        (
            tally(Field::ConferenceBounds).compared,
            tally(Field::ConferenceBounds).agreed
        ),
        (60, 58)
    );

    // Without `timelines`, the bounds are neither read nor compared.
    let counts_only = reconcile(
        store.as_ref(),
        &client(&zoom),
        &ReconcileRequest {
            window,
            timelines: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(counts_only.disagreements, vec![]);
    assert!(
        counts_only
            .tallies
            .iter()
            .all(|t| !Field::TIMELINE.contains(&t.field))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timelines_name_exactly_the_planted_bound_disagreements_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        zcc_store_sqlite::SqliteLog::open(dir.path().join("ledger.db").to_str().unwrap()).unwrap();
    scenario(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timelines_name_exactly_the_planted_bound_disagreements_on_postgres() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    scenario(Arc::new(store)).await;
}
