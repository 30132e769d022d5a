//! Where each raw event came from, as the real server (127.0.0.1:0) says it on SQLite and on
//! PostgreSQL: the raw-events resource and the engagement detail carry `source`,
//! `signature_verified` and `provenance`, and the call page marks an event recovered from
//! Zoom's webhook logs. The recovered event is appended as `zcc-ledger backfill` appends it:
//! prepared with source `backfill` and a delivery carrying its provenance, in one append.

mod api_support;

use std::sync::Arc;

use api_support::{Server, TOKEN};
use serde_json::Value;
use zcc_store::ingest::{now_ms, prepare};
use zcc_store::projection::Backend;
use zcc_store::{DeliveryMeta, Provenance, Source};

const ENGAGEMENT: &str = "EngProvenanceApi";

fn body(event: &str, ts: i64) -> String {
    format!(
        r#"{{"event":"contact_center.{event}","event_ts":{ts},"payload":{{"account_id":"A","object":{{"engagement_id":"{ENGAGEMENT}","date_time_ms":{ts},"user_id":"U1"}}}}}}"#
    )
}

fn provenance() -> Provenance {
    Provenance {
        via: zcc_app::backfill::VIA_WEBHOOK_LOGS.to_owned(),
        request_id: Some("req-api-2".into()),
        retry_num: Some(2),
        date_time: Some("2026-05-04T14:03:00Z".into()),
        status: Some(502),
        failed_reason_type: Some(7),
    }
}

/// A webhook, an imported body and a recovered one, in one engagement, folded.
async fn three_origins(server: &Server) {
    let t0 = now_ms() - 3_600_000;
    server.webhook(&body("engagement_started", t0)).await;
    let imported = prepare(
        body("engagement_user_hold", t0 + 1_000).as_bytes(),
        Source::Import,
        now_ms(),
        None,
    )
    .unwrap();
    let meta = DeliveryMeta {
        received_at_ms: now_ms(),
        headers: Vec::new(),
        provenance: Some(provenance()),
    };
    let recovered = prepare(
        body("engagement_user_unhold", t0 + 2_000).as_bytes(),
        Source::Backfill,
        meta.received_at_ms,
        Some(meta),
    )
    .unwrap();
    server
        .store
        .append_batch(vec![imported, recovered])
        .await
        .unwrap();
    // The next webhook wakes the live projector, which folds all four.
    server.webhook(&body("engagement_ended", t0 + 3_000)).await;
    server.caught_up().await;
}

fn by_event<'a>(events: &'a [Value], suffix: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} among {events:?}"))
}

fn check_events(events: &[Value]) {
    assert_eq!(events.len(), 4, "{events:?}");
    let webhook = by_event(events, "engagement_started");
    assert_eq!(webhook["source"], "http");
    assert_eq!(webhook["signature_verified"], true);
    assert_eq!(webhook["provenance"], Value::Null);
    assert_eq!(webhook["origin"], "webhook, signature verified");
    let imported = by_event(events, "engagement_user_hold");
    assert_eq!(imported["source"], "import");
    assert_eq!(imported["signature_verified"], false);
    assert_eq!(imported["provenance"], Value::Null);
    let recovered = by_event(events, "engagement_user_unhold");
    assert_eq!(recovered["source"], "backfill");
    assert_eq!(recovered["signature_verified"], false);
    assert_eq!(
        recovered["provenance"],
        serde_json::json!({
            "via": "webhook_logs", "request_id": "req-api-2", "retry_num": 2,
            "date_time": "2026-05-04T14:03:00Z", "status": 502, "failed_reason_type": 7,
        })
    );
    assert!(
        recovered["origin"]
            .as_str()
            .unwrap()
            .ends_with("not signature-checked"),
        "{recovered}"
    );
}

async fn the_server_says_where_each_event_came_from(store: Arc<dyn Backend>) {
    let server = Server::start(store, Some(TOKEN)).await;
    three_origins(&server).await;

    let raw = server
        .json(&format!("/api/engagements/{ENGAGEMENT}/events"))
        .await;
    check_events(raw["items"].as_array().unwrap());
    let detail = server.json(&format!("/api/engagements/{ENGAGEMENT}")).await;
    check_events(detail["events"].as_array().unwrap());

    let resp = server
        .get(&format!("/engagements/{ENGAGEMENT}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    // The recovered event's row is marked, with the attempt it was read from.
    let row = page
        .split("<tr ")
        .find(|r| r.contains("engagement_user_unhold"))
        .expect("a row for the recovered event");
    assert!(row.starts_with("id=\"pos-3\" class=\"recovered\""), "{row}");
    for part in [
        "recovered, not signature-checked",
        "<code>req-api-2</code>",
        "2026-05-04T14:03:00Z",
        "<dd>2</dd>",
        "<dd>502</dd>",
    ] {
        assert!(row.contains(part), "{part:?} not in the row:\n{row}");
    }
    let webhook_row = page
        .split("<tr ")
        .find(|r| r.contains("engagement_started"))
        .unwrap();
    assert!(
        webhook_row.contains("webhook, signature verified"),
        "{webhook_row}"
    );
    assert!(!webhook_row.contains("recovered"), "{webhook_row}");
    assert!(
        page.contains("1 of 4 recovered from Zoom's webhook logs, not signature-checked"),
        "the summary counts the recovered events"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_says_where_each_event_came_from() {
    let (store, _dir) = api_support::sqlite();
    the_server_says_where_each_event_came_from(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_says_where_each_event_came_from() {
    let db = zcc_tests::fresh_database_async().await;
    let store = zcc_store_postgres::PostgresLog::connect(&db.url)
        .await
        .unwrap();
    the_server_says_where_each_event_came_from(Arc::new(store)).await;
}
