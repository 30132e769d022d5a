//! Reconcile against a stand-in Zoom whose engagement dataset is the simulator's truth with a
//! few planted disagreements, a few calls the log never saw and one call Zoom lacks: the
//! report names exactly those.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use serde_json::{Value, json};
use zcc_app::reconcile::{Disagreement, Field, ReconcileRequest, reconcile};
use zcc_sim::truth::TruthRow;
use zcc_sim::{SimConfig, SimItem};
use zcc_store::Source;
use zcc_store::ingest::prepare;
use zcc_store::projection::Backend;
use zcc_zoom::stand_in::{Credentials, StandIn};
use zcc_zoom::{Secret, Window, ZoomClient, ZoomConfig};

fn client(zoom: &StandIn) -> ZoomClient {
    let c = &zoom.credentials;
    let mut config = ZoomConfig::new(&c.account_id, &c.client_id, Secret::new(&c.client_secret));
    config.api_url = zoom.url.clone();
    config.oauth_url = zoom.url.clone();
    ZoomClient::new(config).unwrap()
}

/// Import a simulated corpus and return Zoom's dataset as the truth says it, and the calls
/// with a completed transfer for which Zoom sent no `engagement_transfer_completed`.
async fn ledger_and_truth(
    store: &dyn Backend,
    start_ms: i64,
) -> (BTreeMap<String, Value>, HashSet<String>) {
    let config = SimConfig {
        calls: 80,
        seed: 2626,
        start_ms,
        ..SimConfig::default()
    };
    let mut events = Vec::new();
    let mut zoom: BTreeMap<String, Value> = BTreeMap::new();
    let mut unsent = HashSet::new();
    for item in zcc_sim::generate(&config).unwrap() {
        match item {
            SimItem::Webhook(d) => {
                events.push(
                    prepare(d.body.as_bytes(), Source::Import, d.deliver_at_ms, None).unwrap(),
                );
            }
            SimItem::Truth(row) => match *row {
                TruthRow::Engagements(e) => {
                    let users: Vec<Value> = e
                        .agents
                        .iter()
                        .map(|a| json!({"user_id": a, "user_name": "Agent"}))
                        .collect();
                    zoom.insert(
                        e.engagement_id.clone(),
                        json!({
                            "engagement_id": e.engagement_id, "direction": e.direction,
                            "start_time": e.started_at, "end_time": e.ended_at,
                            "channels": [e.channel], "users": users,
                            "hold_count": 0, "conference_count": 0, "transfer_completed_count": 0,
                        }),
                    );
                }
                TruthRow::Holds(h) => bump(&mut zoom, &h.engagement_id, "hold_count"),
                TruthRow::Conferences(c) => bump(&mut zoom, &c.engagement_id, "conference_count"),
                TruthRow::Transfers(t) if t.outcome == "completed" => {
                    bump(&mut zoom, &t.engagement_id, "transfer_completed_count");
                    if !t.completed_event_sent {
                        unsent.insert(t.engagement_id.clone());
                    }
                }
                _ => {}
            },
        }
    }
    let mut seen = std::collections::HashSet::new();
    events.retain(|e| seen.insert(e.body_sha256));
    store.append_batch(events).await.unwrap();
    zcc_projector::ensure_default_generation(store)
        .await
        .unwrap();
    zcc_projector::catch_up_all(store, &()).await.unwrap();
    (zoom, unsent)
}

fn bump(zoom: &mut BTreeMap<String, Value>, id: &str, field: &str) {
    let e = zoom.get_mut(id).expect("the engagement row comes first");
    e[field] = json!(e[field].as_i64().unwrap() + 1);
}

/// Make Zoom's count of `field` for `id` differ by `delta`, and expect that disagreement.
fn plant(
    dataset: &mut BTreeMap<String, Value>,
    expected: &mut Vec<Disagreement>,
    id: &str,
    field: Field,
    delta: i64,
) {
    let key = field.as_str();
    let ledger = dataset[id][key].as_i64().unwrap();
    dataset.get_mut(id).unwrap()[key] = json!(ledger + delta);
    expected.push(Disagreement {
        engagement_id: id.to_owned(),
        field,
        zoom: json!(ledger + delta),
        ledger: json!(ledger),
    });
}

fn first_with(zoom: &BTreeMap<String, Value>, field: &str, skip: &[&str]) -> String {
    zoom.iter()
        .find(|(id, e)| e[field].as_i64().unwrap() > 0 && !skip.contains(&id.as_str()))
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no call with a {field}"))
}

#[allow(clippy::too_many_lines)] // one scenario, end to end
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_names_exactly_the_planted_disagreements() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Backend> = Arc::new(
        zcc_store_sqlite::SqliteLog::open(dir.path().join("ledger.db").to_str().unwrap()).unwrap(),
    );
    let start = Utc::now() - chrono::Duration::days(3);
    let (mut dataset, unsent) = ledger_and_truth(store.as_ref(), start.timestamp_millis()).await;
    let window = Window::new(
        start - chrono::Duration::minutes(1),
        start + chrono::Duration::days(1),
    )
    .unwrap();

    // The truth as it is. Where the inference and the truth differ, reconcile says so: a
    // transfer whose completed event Zoom never sent is not counted completed by the ledger.
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    zoom.add_engagements(dataset.values().cloned());
    let baseline = reconcile(
        store.as_ref(),
        &client(&zoom),
        &ReconcileRequest {
            window,
            timelines: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(baseline.ledger_engagements, 80);
    assert_eq!(baseline.zoom_engagements, 80);
    for d in &baseline.disagreements {
        assert!(
            matches!(d.field, Field::TransferCompletedCount | Field::Agents),
            "{d:?}"
        );
        if d.field == Field::TransferCompletedCount {
            assert!(unsent.contains(&d.engagement_id), "{d:?}");
        }
    }
    assert!(
        baseline.disagreements.len() <= 8,
        "the default rule agrees with the truth on most calls: {:?}",
        baseline.disagreements
    );
    let differing: Vec<&str> = baseline
        .disagreements
        .iter()
        .map(|d| d.engagement_id.as_str())
        .collect();

    // Planted: a hold, a conference and a transfer count Zoom gives differently, an agent
    // only Zoom lists, two calls only Zoom has, and one call Zoom lacks.
    let held = first_with(&dataset, "hold_count", &differing);
    let conferenced = first_with(
        &dataset,
        "conference_count",
        &[&differing[..], &[&held]].concat(),
    );
    let transferred = first_with(
        &dataset,
        "transfer_completed_count",
        &[&differing[..], &[&held, &conferenced]].concat(),
    );
    let staffed = dataset
        .keys()
        .find(|id| {
            ![&held, &conferenced, &transferred].contains(id) && !differing.contains(&id.as_str())
        })
        .unwrap()
        .clone();
    let dropped = dataset
        .keys()
        .rev()
        .find(|id| !differing.contains(&id.as_str()) && **id != staffed)
        .unwrap()
        .clone();
    let mut expected = Vec::new();
    plant(&mut dataset, &mut expected, &held, Field::HoldCount, 1);
    plant(
        &mut dataset,
        &mut expected,
        &conferenced,
        Field::ConferenceCount,
        -1,
    );
    plant(
        &mut dataset,
        &mut expected,
        &transferred,
        Field::TransferCompletedCount,
        2,
    );
    let mut agents: Vec<String> = dataset[&staffed]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap().to_owned())
        .collect();
    let ledger_agents = json!(agents.clone());
    agents.push("agent-zoom-only".into());
    agents.sort();
    let users: Vec<Value> = agents.iter().map(|a| json!({"user_id": a})).collect();
    dataset.get_mut(&staffed).unwrap()["users"] = json!(users);
    expected.push(Disagreement {
        engagement_id: staffed.clone(),
        field: Field::Agents,
        zoom: json!(agents),
        ledger: ledger_agents,
    });

    let dropped_row = dataset.remove(&dropped).unwrap();
    let zoom_only: Vec<Value> = (1..=2)
        .map(|n| {
            let t = (start + chrono::Duration::hours(n)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
            json!({"engagement_id": format!("ZoomOnly{n}"), "start_time": t, "hold_count": 1, "users": []})
        })
        .collect();
    for row in &zoom_only {
        let id = row["engagement_id"].as_str().unwrap().to_owned();
        expected.push(Disagreement {
            engagement_id: id.clone(),
            field: Field::MissingInLedger,
            zoom: row["start_time"].clone(),
            ledger: Value::Null,
        });
        dataset.insert(id, row.clone());
    }
    let zoom = StandIn::start(Credentials::default()).await.unwrap();
    zoom.add_engagements(dataset.values().cloned());
    let report = reconcile(
        store.as_ref(),
        &client(&zoom),
        &ReconcileRequest {
            window,
            timelines: false,
        },
    )
    .await
    .unwrap();

    let ledger_start = report
        .disagreements
        .iter()
        .find(|d| d.engagement_id == dropped)
        .map(|d| d.ledger.clone())
        .unwrap_or(Value::Null);
    assert!(
        ledger_start.is_string(),
        "the call Zoom lacks is reported with its start"
    );
    assert_eq!(dropped_row["engagement_id"], json!(dropped));
    expected.push(Disagreement {
        engagement_id: dropped.clone(),
        field: Field::MissingInZoom,
        zoom: Value::Null,
        ledger: ledger_start,
    });
    expected.extend(baseline.disagreements.iter().cloned());
    expected.sort_by(|a, b| (&a.engagement_id, a.field).cmp(&(&b.engagement_id, b.field)));
    assert_eq!(report.disagreements, expected);

    let tally = |f: Field| *report.tallies.iter().find(|t| t.field == f).unwrap();
    assert_eq!(
        tally(Field::MissingInLedger).compared,
        81,
        "79 shared and 2 only in Zoom"
    );
    assert_eq!(tally(Field::MissingInLedger).agreed, 79);
    assert_eq!(tally(Field::MissingInZoom).compared, 80);
    assert_eq!(tally(Field::MissingInZoom).agreed, 79);
    assert_eq!(
        tally(Field::HoldCount).agreed,
        tally(Field::HoldCount).compared - 1
    );
    let agents_baseline = baseline
        .disagreements
        .iter()
        .filter(|d| d.field == Field::Agents)
        .count() as u64;
    assert_eq!(
        tally(Field::Agents).agreed,
        tally(Field::Agents).compared - 1 - agents_baseline
    );
}
