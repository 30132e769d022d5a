//! Publishing on both real backends: what subscribers are queued when a call is folded, when a
//! late event re-folds it (a conference that no longer stands is retracted), and when another
//! generation is activated; filters; and the rule that keeping, per `event_id`, the message of
//! the highest revision gives the engagement's current facts.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use zcc_app::publish::publish_all;
use zcc_app::subscriptions::{AddRequest, add};
use zcc_store::Source;
use zcc_store::ingest::{now_ms, prepare};
use zcc_store::outbound::{DeliveryBackend, OutboxMessage, Subscription, SubscriptionId};

const ENG: &str = "EngPublish00000000001";
const ACCT: &str = "AcctPublish0000000001";
/// 2026-05-04T14:00:00.000Z
const T0: i64 = 1_777_903_200_000;

fn body(event: &str, t: f64, user: Option<&str>) -> String {
    let at = T0 + (t * 1000.0) as i64;
    let mut object = json!({
        "engagement_id": ENG, "channel": "voice", "engagement_direction": "inbound",
        "cc_queue_id": "QueSupport", "queue_name": "Support",
    });
    if let Some(u) = user {
        object["user_id"] = u.into();
    }
    json!({
        "event": format!("contact_center.{event}"),
        "event_ts": at,
        "payload": {"account_id": ACCT, "object": object},
    })
    .to_string()
}

async fn append(store: &dyn DeliveryBackend, bodies: &[String]) {
    let events = bodies
        .iter()
        .map(|b| prepare(b.as_bytes(), Source::Import, now_ms(), None).unwrap())
        .collect();
    store.append_batch(events).await.unwrap();
    zcc_projector::catch_up_all(store, &()).await.unwrap();
}

async fn subscribe(store: &dyn DeliveryBackend, events: &[&str]) -> Subscription {
    add(
        store,
        AddRequest {
            url: "https://hooks.example.com/zcc".into(),
            secret: None,
            events: events.iter().map(|s| (*s).to_owned()).collect(),
            include_raw: false,
            account_id: None,
            allow_private_targets: false,
        },
    )
    .await
    .unwrap()
}

async fn queued(store: &dyn DeliveryBackend, sub: SubscriptionId) -> Vec<Value> {
    let mut messages: Vec<OutboxMessage> = store.messages(sub, false, 10_000).await.unwrap();
    messages.sort_by_key(|m| m.id);
    messages
        .iter()
        .map(|m| serde_json::from_str(&m.body).unwrap())
        .collect()
}

/// The subscriber's state by the documented rule: per `event_id`, the message with the highest
/// revision; a retraction removes the fact. Returns kind by event_id.
fn subscriber_state(messages: &[Value]) -> BTreeMap<String, String> {
    let mut best: BTreeMap<String, (i64, Value)> = BTreeMap::new();
    for m in messages {
        let id = m["data"]["event_id"].as_str().unwrap().to_owned();
        let rev = m["data"]["revision"].as_i64().unwrap();
        if best.get(&id).is_none_or(|(r, _)| rev > *r) {
            best.insert(id, (rev, m.clone()));
        }
    }
    best.into_iter()
        .filter(|(_, (_, m))| m["type"] != "derived_event.retracted")
        .map(|(id, (_, m))| (id, m["type"].as_str().unwrap().to_owned()))
        .collect()
}

/// The engagement's current facts under the active generation, kind by event_id.
async fn current(store: &dyn DeliveryBackend) -> BTreeMap<String, String> {
    let active = zcc_projector::active(store).await.unwrap().unwrap();
    let doc = store
        .projection(active.id, &ENG.into())
        .await
        .unwrap()
        .unwrap();
    let p = zcc_app::call::decode(active.id, &doc).unwrap();
    zcc_deliver::fact::facts(&p)
        .into_iter()
        .map(|f| (f.event_id, f.kind))
        .collect()
}

fn types(messages: &[Value]) -> Vec<&str> {
    messages
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect()
}

#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn scenario(store: &dyn DeliveryBackend) {
    zcc_app::prepare_store(store).await.unwrap();
    let all = subscribe(store, &[]).await;
    let conf = subscribe(store, &["conference_*"]).await;
    // Alice answers at 5 s, Bob at 20 s: the customer and two agents, a conference.
    append(
        store,
        &[
            body("engagement_started", 0.0, None),
            body("engagement_consumer_answered", 1.0, None),
            body("engagement_user_answered", 5.0, Some("alice")),
            body("engagement_user_answered", 20.0, Some("bob")),
        ],
    )
    .await;
    publish_all(store).await.unwrap();
    let first = queued(store, all.id).await;
    assert!(types(&first).contains(&"conference_started"), "{first:#?}");
    assert!(first.iter().all(|m| m["data"]["revision"] == 1));
    assert_eq!(subscriber_state(&first), current(store).await);
    let conf_first = queued(store, conf.id).await;
    assert_eq!(types(&conf_first), vec!["conference_started"]);
    let conference_id = conf_first[0]["data"]["event_id"].clone();
    for key in [
        "engagement_id",
        "account_id",
        "seq",
        "at",
        "kind",
        "agents",
        "rule",
        "evidence",
    ] {
        assert!(conf_first[0]["data"].get(key).is_some(), "data has {key}");
    }

    // Publishing again changes nothing: the facts are what was told.
    publish_all(store).await.unwrap();
    assert_eq!(queued(store, all.id).await.len(), first.len());

    // A late event: Alice had left at 10 s, before Bob came. No conference any more.
    append(store, &[body("engagement_user_ended", 10.0, Some("alice"))]).await;
    publish_all(store).await.unwrap();
    let second = queued(store, all.id).await;
    let revision2: Vec<&Value> = second[first.len()..].iter().collect();
    assert!(
        revision2.iter().all(|m| m["data"]["revision"] == 2),
        "{revision2:#?}"
    );
    assert!(
        revision2
            .iter()
            .any(|m| m["type"] == "derived_event.retracted"
                && m["data"]["event_id"] == conference_id
                && m["data"]["kind"] == "conference_started"),
        "the conference is retracted: {revision2:#?}"
    );
    assert_eq!(subscriber_state(&second), current(store).await);
    let conf_second = queued(store, conf.id).await;
    assert_eq!(
        types(&conf_second[1..]),
        vec!["derived_event.retracted"],
        "the conference subscriber hears its conference retracted, and nothing else"
    );
    assert!(subscriber_state(&conf_second).is_empty());

    // Another generation (party-count) activated: every fact is compared again; its rule
    // differs, so each standing fact is sent again at the next revision.
    let rebuilt = zcc_projector::reproject(store, "party-count", &[], true, &())
        .await
        .unwrap();
    publish_all(store).await.unwrap();
    let third = queued(store, all.id).await;
    assert!(third.len() > second.len());
    assert!(
        third[second.len()..]
            .iter()
            .all(|m| m["data"]["revision"] == 3),
        "one new revision"
    );
    let active = zcc_projector::active(store).await.unwrap().unwrap();
    assert_eq!(active.id, rebuilt.generation);
    assert_eq!(subscriber_state(&third), current(store).await);
    let cursor = store.publish_cursor().await.unwrap();
    assert_eq!(cursor.generation, Some(rebuilt.generation));
    assert_eq!(cursor.rescan_after, None, "the re-comparison finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_corrects_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        zcc_store_sqlite::SqliteLog::open(dir.path().join("l.db").to_str().unwrap()).unwrap();
    scenario(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_corrects_on_postgres() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    scenario(&store).await;
}
